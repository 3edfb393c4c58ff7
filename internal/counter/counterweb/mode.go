package counterweb

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/web"
)

// switchMode serves POST /counter/mode: fields active ("1" on, "0" off),
// reason, next (where to go back to).
func (h *Handlers) switchMode(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, counter.Errorf(counter.EINVALID, "Formular nicht lesbar.", "form unreadable"))
		return
	}
	var active bool
	switch r.PostForm.Get("active") {
	case "1":
		active = true
	case "0":
	default:
		h.fail(w, r, counter.Errorf(counter.EINVALID, "Ein- oder ausschalten? Angabe fehlt.", "Switch on or off? The choice is missing."))
		return
	}
	if _, _, err := h.s.SetMode(r.Context(), user(r), counter.ViaPage, active, r.PostForm.Get("reason")); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, localNext(r.PostForm.Get("next"), "/counter"), http.StatusSeeOther)
}

// modeJSON is the emergency mode in the API.
type modeJSON struct {
	Active bool       `json:"active"`
	Since  *time.Time `json:"since"`
	By     string     `json:"by"`
	Reason string     `json:"reason"`
	// Changed tells whether a POST switched the mode (false: it was in
	// that state already).
	Changed *bool `json:"changed,omitempty"`
	// Offer is true when emergency mode is off and a watched check is
	// down; Down lists those checks.
	Offer bool       `json:"offer"`
	Down  []downJSON `json:"down"`
}

type downJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (h *Handlers) modeState(m counter.ModeState) modeJSON {
	out := modeJSON{Active: m.Active, By: m.By, Reason: m.Reason, Down: []downJSON{}}
	if !m.Since.IsZero() {
		t := m.Since.UTC()
		out.Since = &t
	}
	for _, c := range h.s.Situation().Down {
		out.Down = append(out.Down, downJSON{ID: c.ID, Name: c.Name})
	}
	out.Offer = !m.Active && len(out.Down) > 0
	return out
}

// modeGet serves GET /api/v1/emergency-mode.
func (h *Handlers) modeGet(w http.ResponseWriter, r *http.Request) {
	web.WriteJSON(w, http.StatusOK, h.modeState(h.s.Mode()))
}

// modePost serves POST /api/v1/emergency-mode {"active": bool, "reason": "..."}.
func (h *Handlers) modePost(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Active *bool  `json:"active"`
		Reason string `json:"reason"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	dec.DisallowUnknownFields()
	err := dec.Decode(&in)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("trailing data")
	}
	if err != nil {
		h.w.WriteError(w, r, counter.Errorf(counter.EINVALID,
			`Anfrage nicht lesbar: erwartet wird JSON wie {"active": true, "reason": "Warenwirtschaft ausgefallen"}.`,
			`Request unreadable: send JSON like {"active": true, "reason": "ERP down"}.`))
		return
	}
	if in.Active == nil {
		h.w.WriteError(w, r, counter.Errorf(counter.EINVALID, `Feld "active" (true oder false) fehlt.`, `Field "active" (true or false) is missing.`))
		return
	}
	m, changed, err := h.s.SetMode(r.Context(), user(r), counter.ViaAPI, *in.Active, in.Reason)
	if err != nil {
		h.w.WriteError(w, r, err)
		return
	}
	out := h.modeState(m)
	out.Changed = &changed
	web.WriteJSON(w, http.StatusOK, out)
}
