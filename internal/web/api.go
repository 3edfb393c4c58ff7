package web

import (
	"math"
	"net/http"
	"time"
)

// statusJSON is GET /api/v1/status.
type statusJSON struct {
	Overall    string      `json:"overall"`
	RootCauses []string    `json:"root_causes"`
	Sentence   string      `json:"sentence"`
	Checks     []checkJSON `json:"checks"`
}

// checkJSON is one check in statusJSON. Since is null before the first
// state is known (never in practice: the monitor starts every check as
// unknown since its start).
type checkJSON struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Group       string   `json:"group"`
	State       string   `json:"state"`
	Since       *string  `json:"since"`
	LatencyMS   float64  `json:"latency_ms"`
	Message     string   `json:"message"`
	DependsOn   []string `json:"depends_on"`
	Consequence bool     `json:"consequence"`
	CausedBy    []string `json:"caused_by"`
}

// historyJSON is GET /api/v1/checks/{id}/history.
type historyJSON struct {
	ID          string           `json:"id"`
	Transitions []transitionJSON `json:"transitions"`
	Samples     []sampleJSON     `json:"samples"`
}

type transitionJSON struct {
	At     string `json:"at"`
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
}

type sampleJSON struct {
	At        string  `json:"at"`
	Status    string  `json:"status"`
	LatencyMS float64 `json:"latency_ms"`
	Message   string  `json:"message"`
}

// rfc3339 formats t in UTC.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ms converts a duration to milliseconds with microsecond precision.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

// list returns l, or an empty list instead of nil (JSON [] not null).
func list(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	lang := Lang(r)
	o := s.src.Overview()
	out := statusJSON{
		Overall:    string(overall(o)),
		RootCauses: list(o.RootCauses),
		Sentence:   o.Sentence(lang, s.cfg.Location),
		Checks:     make([]checkJSON, 0, len(o.Checks)),
	}
	for _, c := range o.Checks {
		cj := checkJSON{
			ID: c.ID, Name: c.Name, Kind: c.Kind, Group: c.Group, State: string(c.State),
			LatencyMS: ms(c.Latency), Message: c.Message.In(lang),
			DependsOn: list(c.DependsOn), Consequence: c.Consequence, CausedBy: list(c.CausedBy),
		}
		if cj.State == "" {
			cj.State = "unknown"
		}
		if !c.Since.IsZero() {
			since := rfc3339(c.Since)
			cj.Since = &since
		}
		out.Checks = append(out.Checks, cj)
	}
	WriteJSON(w, http.StatusOK, out)
}

// defaultHistory is how far back the history goes without ?since=.
const defaultHistory = 24 * time.Hour

func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	lang := Lang(r)
	id := r.PathValue("id")
	if _, ok := s.src.Overview().Check(id); !ok {
		s.writeJSONMessage(w, r, http.StatusNotFound, text("err.check").In(lang))
		return
	}
	since := s.clk.Now().Add(-defaultHistory)
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.writeJSONMessage(w, r, http.StatusBadRequest, text("err.since").In(lang))
			return
		}
		since = t
	}
	trs, err := s.src.Transitions(r.Context(), id, since)
	if err != nil {
		s.log.Error("history: transitions", "check", id, "err", err)
		s.writeJSONMessage(w, r, http.StatusInternalServerError, text("err.unavailable").In(lang))
		return
	}
	samples, err := s.src.Samples(r.Context(), id, since)
	if err != nil {
		s.log.Error("history: samples", "check", id, "err", err)
		s.writeJSONMessage(w, r, http.StatusInternalServerError, text("err.unavailable").In(lang))
		return
	}
	out := historyJSON{ID: id, Transitions: make([]transitionJSON, 0, len(trs)), Samples: make([]sampleJSON, 0, len(samples))}
	for _, t := range trs {
		out.Transitions = append(out.Transitions, transitionJSON{
			At: rfc3339(t.At), From: string(t.From), To: string(t.To), Reason: t.Reason.In(lang),
		})
	}
	for _, sm := range samples {
		out.Samples = append(out.Samples, sampleJSON{
			At: rfc3339(sm.At), Status: sm.Status.String(), LatencyMS: ms(sm.Latency), Message: sm.Text(lang),
		})
	}
	WriteJSON(w, http.StatusOK, out)
}
