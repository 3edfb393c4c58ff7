package agent

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

// Status returns the agent's part of the heartbeat: its state in the
// protocol's words and the pharmacy's pause, which the fleet honours.
func (a *Agent) Status() protocol.Agent {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := Idle
	if a.f.Current != nil {
		st = a.f.Current.State
	}
	return protocol.Agent{Version: a.o.Version, State: st.heartbeatState(), UpdatesPaused: a.f.Pause.On, PauseReason: a.f.Pause.Reason}
}

// Components returns the installed version of each component, for the
// heartbeat.
func (a *Agent) Components() map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]string{}
	for name, inst := range a.f.Installed {
		if inst.Version != "" && !strings.HasPrefix(inst.Version, "unbekannt") {
			out[name] = inst.Version
		}
	}
	return out
}

// Planned is the next update as the dashboard shows it.
type Planned struct {
	Component string
	Title     string
	Version   string
	// State is the update's state (WaitingForWindow for a queued one).
	State StateID
	// At is the planned start (zero when it cannot be foreseen).
	At time.Time
	// Waiting says why it does not start now.
	Waiting check.Text
	// CanPostpone is set while the update has not begun to install.
	CanPostpone bool
}

// View is what the dashboard shows of the agent.
type View struct {
	Now      time.Time
	Location *time.Location
	Window   string
	// Next is the update in progress or the next queued one; nil: none.
	Next      *Planned
	Current   *Update
	Pause     Pause
	Postponed Postponement
	Installed map[string]Installed
	// History holds the finished updates, newest first.
	History []Update
}

// View returns the dashboard's view of the agent.
func (a *Agent) View(ctx context.Context) View {
	a.mu.Lock()
	f := a.f.clone()
	a.mu.Unlock()
	now := a.clk.Now()
	v := View{Now: now, Location: a.cfg.Location(), Window: a.cfg.Window, Current: f.Current,
		Pause: f.Pause, Postponed: f.Postponed, Installed: f.Installed}
	for i := len(f.History) - 1; i >= 0; i-- {
		v.History = append(v.History, f.History[i])
	}
	var u *Update
	switch {
	case f.Current != nil && f.Current.Kind == KindInstall:
		u = f.Current
	case f.Current == nil:
		for _, c := range f.Inbox {
			if c.Kind == commandInstall {
				comp, _ := a.component(c.Component)
				u = &Update{Kind: KindInstall, Command: c, Component: c.Component, Title: comp.DisplayName(), Version: c.Version, State: WaitingForWindow}
				if u.Title == "" {
					u.Title = c.Component
				}
				break
			}
		}
	}
	if u == nil {
		return v
	}
	p := &Planned{Component: u.Component, Title: u.Title, Version: u.Version, State: u.State, Waiting: u.Waiting,
		CanPostpone: beforeInstall(u.State)}
	if comp, ok := a.component(u.Component); ok && beforeInstall(u.State) {
		d := MayStart(a.conditions(ctx, u, comp), now)
		p.At = d.Next
		if p.Waiting.IsZero() && !d.Start {
			p.Waiting = d.Reason.Text
		}
	}
	v.Next = p
	return v
}

// Sentence returns the plain words for the next update: "Update WinApo
// 24.3 geplant für So 03:00".
func (p Planned) Sentence(lang string, loc *time.Location, now time.Time) string {
	name := p.Title + " " + p.Version
	switch {
	case p.State == Installing || p.State == HealthGate || p.State == RollingBack:
		if lang == "en" {
			return "Update " + name + ": " + p.State.Words().EN
		}
		return "Update " + name + ": " + p.State.Words().DE
	case !p.At.IsZero():
		if lang == "en" {
			return "Update " + name + " planned for " + shortClock(p.At, loc, now, "en")
		}
		return "Update " + name + " geplant für " + shortClock(p.At, loc, now, "de")
	}
	if lang == "en" {
		return "Update " + name + " waiting"
	}
	return "Update " + name + " wartet"
}

// shortClock shows t as "So 03:00" within the coming week, else with the
// date.
func shortClock(t time.Time, loc *time.Location, now time.Time, lang string) string {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	if t.Sub(now) < 6*24*time.Hour && t.After(now.Add(-time.Hour)) {
		return weekdays[langOr(lang)][lt.Weekday()] + " " + lt.Format("15:04")
	}
	return clockText(t, loc, lang)
}

func langOr(l string) string {
	if l == "en" {
		return "en"
	}
	return "de"
}

// UserError is a refused action of a person, with a sentence for them.
// Code is one of the web layer's codes (invalid, conflict).
type UserError struct {
	Code string
	Msg  check.Text
}

// Error returns the English sentence.
func (e *UserError) Error() string { return e.Msg.EN }

// ErrorCode returns the code for the HTTP status.
func (e *UserError) ErrorCode() string { return e.Code }

// UserMessage returns the sentence in lang.
func (e *UserError) UserMessage(lang string) string { return e.Msg.In(lang) }

// Postpone moves the next update past the maintenance window in which it
// is planned: it starts at the earliest in the window after. The fleet's
// slot usually ends with that window; the update is then reported as
// skipped and the vendor plans it anew. EINVALID ("invalid") when no
// update is planned or it began to install.
func (a *Agent) Postpone(ctx context.Context, by string) (time.Time, error) {
	v := a.View(ctx)
	if v.Next == nil || !v.Next.CanPostpone {
		return time.Time{}, &UserError{Code: "invalid", Msg: check.Msg("Es ist kein Update geplant, das sich verschieben ließe.", "No update is planned that could be postponed.")}
	}
	now := a.clk.Now()
	from := v.Next.At
	if from.IsZero() || from.Before(now) {
		from = now
	}
	site := a.site()
	site.Paused = false
	_, end, ok := rollout.NextSlot(site, a.calendar(ctx), from)
	if !ok {
		end = from.Add(24 * time.Hour)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.f.Postponed = Postponement{Until: end.UTC(), By: by, At: now.UTC()}
	if err := a.saveLocked(); err != nil {
		return time.Time{}, err
	}
	a.log.Info("agent: next update postponed by the pharmacy", "by", by, "until", end)
	a.Wake()
	return end, nil
}

// Pause stops every update from starting until Resume; the fleet sees it
// in the heartbeat and sends no install. An update that began to install
// goes on. EINVALID for a missing or overlong reason.
func (a *Agent) Pause(by, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 300 || !utf8.ValidString(reason) {
		return &UserError{Code: "invalid", Msg: check.Msg("Bitte einen Grund angeben (höchstens 300 Zeichen).", "Please give a reason (at most 300 characters).")}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.f.Pause = Pause{On: true, Reason: reason, By: by, At: a.clk.Now().UTC()}
	if err := a.saveLocked(); err != nil {
		return err
	}
	a.log.Info("agent: updates paused by the pharmacy", "by", by, "reason", reason)
	a.Wake()
	return nil
}

// Resume lifts the pause and a postponement.
func (a *Agent) Resume(by string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.f.Pause = Pause{}
	a.f.Postponed = Postponement{}
	if err := a.saveLocked(); err != nil {
		return err
	}
	a.log.Info("agent: updates resumed by the pharmacy", "by", by)
	a.Wake()
	return nil
}
