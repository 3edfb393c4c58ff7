package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/lifeline-project/lifeline/internal/monitor"
)

// eventTile is one re-rendered tile in a live update.
type eventTile struct {
	ID   string `json:"id"`
	HTML string `json:"html"`
}

// eventData is the JSON of one "overview" event: the re-rendered HTML of
// the sentence and of every tile, in dashboard order. static/app.js swaps
// them in by element id; when the set of checks changed it reloads.
type eventData struct {
	Overall  string      `json:"overall"`
	Sentence string      `json:"sentence"`
	Tiles    []eventTile `json:"tiles"`
}

func (s *Server) eventPayload(o monitor.Overview, lang string) ([]byte, error) {
	sent, err := s.fragment("sentence", s.sentence(o, lang))
	if err != nil {
		return nil, err
	}
	d := eventData{Overall: string(overall(o)), Sentence: string(sent), Tiles: []eventTile{}}
	for _, g := range s.groups(o, lang) {
		for _, t := range g.Tiles {
			h, err := s.fragment("tile", t)
			if err != nil {
				return nil, err
			}
			d.Tiles = append(d.Tiles, eventTile{ID: t.ID, HTML: string(h)})
		}
	}
	return json.Marshal(d)
}

// handleEvents streams the dashboard's live updates as server-sent
// events: an "overview" event at once and after every change the monitor
// reports, a keep-alive comment every keepAlive. On each keep-alive the
// session is checked again (without counting as activity); when it has
// ended a "logout" event tells the page to reload, which leads to the
// login page.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// The stream lives longer than any server write timeout.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.log.Debug("events: clear write deadline", "err", err)
	}
	updates, cancel := s.src.Subscribe()
	defer cancel()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	lang := Lang(r)
	token := info(r).sessionToken
	send := func(o monitor.Overview) error {
		b, err := s.eventPayload(o, lang)
		if err != nil {
			s.log.Error("events: render update", "err", err)
			return err
		}
		if _, err := fmt.Fprintf(w, "event: overview\ndata: %s\n\n", b); err != nil {
			return err
		}
		return rc.Flush()
	}
	if _, err := fmt.Fprint(w, "retry: 5000\n\n"); err != nil {
		return
	}
	if err := send(s.src.Overview()); err != nil {
		return
	}
	tick := time.NewTicker(s.keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case o, ok := <-updates:
			if !ok {
				return
			}
			if err := send(o); err != nil {
				return
			}
		case <-tick.C:
			if _, err := s.auth.CheckSession(r.Context(), token); err != nil {
				_, _ = fmt.Fprint(w, "event: logout\ndata: {}\n\n")
				_ = rc.Flush()
				return
			}
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}
