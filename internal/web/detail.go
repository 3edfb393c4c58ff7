package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/monitor"
)

// How far back the detail page looks, and how many rows it shows.
const (
	detailTransitionsSince = 7 * 24 * time.Hour
	detailSamplesSince     = 24 * time.Hour
	detailMaxRows          = 100
)

type linkView struct {
	ID   string
	Name string
}

type transitionView struct {
	At, From, To, Reason string
	FromState, ToState   string
}

type sampleView struct {
	At, Result, Latency, Message string
	State                        string
}

type detailData struct {
	L           tr
	Tile        tileView
	Kind        string
	Group       string
	LastProbe   string
	DependsOn   []linkView
	CausedBy    []linkView
	Transitions []transitionView
	Samples     []sampleView
}

func (s *Server) handleCheck(w http.ResponseWriter, r *http.Request) {
	lang := Lang(r)
	o := s.src.Overview()
	c, ok := o.Check(r.PathValue("id"))
	if !ok {
		s.renderMessage(w, r, http.StatusNotFound, text("err.notfound.title"), text("err.check").In(lang))
		return
	}
	now := s.clk.Now()
	trs, err := s.src.Transitions(r.Context(), c.ID, now.Add(-detailTransitionsSince))
	if err != nil {
		s.RenderError(w, r, err)
		return
	}
	samples, err := s.src.Samples(r.Context(), c.ID, now.Add(-detailSamplesSince))
	if err != nil {
		s.RenderError(w, r, err)
		return
	}
	d := detailData{
		L: tr(lang), Tile: s.tile(o, c, lang), Kind: c.Kind,
		Group:     check.GroupTitle(c.Group).In(lang),
		DependsOn: links(o, c.DependsOn), CausedBy: links(o, c.CausedBy),
	}
	if !c.LastProbe.IsZero() {
		d.LastProbe = formatWhen(c.LastProbe, s.now(o), s.cfg.Location)
	}
	// Newest first, at most detailMaxRows.
	for _, t := range slices.Backward(trs) {
		if len(d.Transitions) == detailMaxRows {
			break
		}
		d.Transitions = append(d.Transitions, transitionView{
			At: formatWhen(t.At, now, s.cfg.Location), From: t.From.Words().In(lang), To: t.To.Words().In(lang),
			Reason: t.Reason.In(lang), FromState: string(t.From), ToState: string(t.To),
		})
	}
	for _, sm := range slices.Backward(samples) {
		if len(d.Samples) == detailMaxRows {
			break
		}
		d.Samples = append(d.Samples, sampleView{
			At: formatWhen(sm.At, now, s.cfg.Location), Result: statusWords(sm.Status).In(lang),
			Latency: formatMS(sm.Latency, lang), Message: sm.Text(lang), State: string(statusState(sm.Status)),
		})
	}
	s.renderTemplate(w, r, http.StatusOK, check.Msg(d.Tile.Name, d.Tile.Name), "check", d)
}

func links(o monitor.Overview, ids []string) []linkView {
	out := make([]linkView, 0, len(ids))
	for _, id := range ids {
		name := id
		if c, ok := o.Check(id); ok && c.Name != "" {
			name = c.Name
		}
		out = append(out, linkView{ID: id, Name: name})
	}
	return out
}

// statusWords names the verdict of a single probe.
func statusWords(st check.Status) check.Text {
	switch st {
	case check.StatusOK:
		return check.Msg("in Ordnung", "OK")
	case check.StatusDegraded:
		return check.Msg("eingeschränkt", "degraded")
	case check.StatusFail:
		return check.Msg("fehlgeschlagen", "failed")
	default:
		return check.Msg("unbekannt", "unknown")
	}
}

// statusState gives a probe verdict the colour of the matching state.
func statusState(st check.Status) check.State {
	switch st {
	case check.StatusOK:
		return check.StateOK
	case check.StatusDegraded:
		return check.StateDegraded
	case check.StatusFail:
		return check.StateDown
	default:
		return check.StateUnknown
	}
}
