package alert

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"
)

// AddSilence mutes the matching alerts from now (or s.Starts) until
// s.Ends. A comment is required, so that others know why.
func (e *Engine) AddSilence(ctx context.Context, s Silence) (Silence, error) {
	now := e.clk.Now()
	s.Comment = strings.TrimSpace(s.Comment)
	if s.Comment == "" {
		return Silence{}, errInvalid("Bitte einen Grund angeben, damit die anderen wissen, warum die Alarme stumm sind.",
			"Please give a reason, so that the others know why the alerts are muted.")
	}
	if s.Starts.IsZero() {
		s.Starts = now
	}
	if !s.Ends.After(now) || !s.Ends.After(s.Starts) {
		return Silence{}, errInvalid("Das Ende der Stummschaltung muss in der Zukunft liegen.", "The end of the silence must lie in the future.")
	}
	if s.Ends.Sub(now) > 31*24*time.Hour {
		return Silence{}, errInvalid("Höchstens 31 Tage stummschalten; für Dauerhaftes die Konfiguration ändern.",
			"Silence for 31 days at most; change the configuration for anything permanent.")
	}
	s.ID, s.Created, s.FromConfig = newID(), now, false
	if err := e.st.SaveSilence(ctx, s); err != nil {
		return Silence{}, err
	}
	e.mu.Lock()
	e.silences = append(e.silences, s)
	e.silVer++
	e.mu.Unlock()
	e.log.Info("alerts silenced", "id", s.ID, "by", s.CreatedBy, "until", s.Ends, "checks", s.Checks, "groups", s.Groups)
	e.poke()
	return s, nil
}

// EndSilence ends a silence made on the dashboard now. It returns
// ErrNotFound when there is no such active silence.
func (e *Engine) EndSilence(ctx context.Context, id string) error {
	now := e.clk.Now()
	e.mu.Lock()
	i := slices.IndexFunc(e.silences, func(s Silence) bool { return s.ID == id && s.Ends.After(now) })
	if i < 0 {
		e.mu.Unlock()
		return ErrNotFound
	}
	s := e.silences[i]
	s.Ends = now
	e.silences[i] = s
	e.silVer++
	e.mu.Unlock()
	e.poke()
	return e.st.SaveSilence(ctx, s)
}

// Silences returns the silences active now or starting later, those of the
// configuration file included.
func (e *Engine) Silences() []Silence {
	now := e.clk.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Silence
	for _, s := range append(slices.Clone(e.plan.silences), e.silences...) {
		if s.Ends.After(now) {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Ends.Before(out[j].Ends) })
	return out
}

// MaintenanceNow returns the maintenance windows active now.
func (e *Engine) MaintenanceNow() []MaintenanceWindow {
	now := e.clk.Now()
	var out []MaintenanceWindow
	for _, w := range e.plan.windows {
		if ok, _ := w.win.activeAt(now, e.loc); ok {
			out = append(out, w.MaintenanceWindow)
		}
	}
	return out
}

// Incidents returns copies of the open incidents, oldest first.
func (e *Engine) Incidents() []Incident {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Incident, 0, len(e.incidents))
	for _, inc := range e.incidents {
		out = append(out, *inc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Opened.Before(out[j].Opened) })
	return out
}

// RecentIncidents returns the newest incidents, open or closed.
func (e *Engine) RecentIncidents(ctx context.Context, limit int) ([]*Incident, error) {
	return e.st.RecentIncidents(ctx, limit)
}

// OnCall returns the names of the people on call in each rota now.
func (e *Engine) OnCall() map[string][]string {
	now := e.clk.Now()
	out := map[string][]string{}
	for id := range e.plan.rotas {
		who, _ := e.plan.onCall(id, now)
		names := make([]string, 0, len(who))
		for _, p := range who {
			names = append(names, e.plan.people[p].Name)
		}
		out[id] = names
	}
	return out
}
