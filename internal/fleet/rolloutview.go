package fleet

import (
	"context"
	"sort"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

// SiteStatus is where one site stands in a rollout, as the console shows
// it ring by ring.
type SiteStatus string

// Site statuses in a rollout.
const (
	// StatusWaiting: the site's ring has not started.
	StatusWaiting SiteStatus = "waiting"
	// StatusUnscheduled: the ring runs, but the site has no slot (paused
	// by the pharmacy, blackout for a long time, never enrolled).
	StatusUnscheduled SiteStatus = "unscheduled"
	// StatusScheduled: the site has a slot and has not begun.
	StatusScheduled  SiteStatus = "scheduled"
	StatusInstalling SiteStatus = "installing"
	StatusOK         SiteStatus = "ok"
	StatusFailed     SiteStatus = "failed"
	// StatusSilent: no sign of life for the dead-man deadline after the
	// install began.
	StatusSilent SiteStatus = "silent"
	// StatusRollingBack: a rollback was sent; StatusRolledBack: the site
	// reported it done.
	StatusRollingBack SiteStatus = "rolling_back"
	StatusRolledBack  SiteStatus = "rolled_back"
	// StatusNotReached: the rollout ended (halted, aborted) before the
	// site's turn, or its slot passed unused.
	StatusNotReached SiteStatus = "not_reached"
)

// SiteStatuses lists the statuses in the console's column order.
var SiteStatuses = []SiteStatus{StatusWaiting, StatusUnscheduled, StatusScheduled, StatusInstalling, StatusOK,
	StatusFailed, StatusSilent, StatusRollingBack, StatusRolledBack, StatusNotReached}

// Words returns the status in plain words.
func (s SiteStatus) Words() check.Text {
	switch s {
	case StatusWaiting:
		return check.Msg("wartet auf den Ring", "waiting for its ring")
	case StatusUnscheduled:
		return check.Msg("ohne Termin", "no slot")
	case StatusScheduled:
		return check.Msg("Termin geplant", "scheduled")
	case StatusInstalling:
		return check.Msg("installiert gerade", "installing")
	case StatusOK:
		return check.Msg("in Ordnung", "ok")
	case StatusFailed:
		return check.Msg("fehlgeschlagen", "failed")
	case StatusSilent:
		return check.Msg("stumm nach Installation", "silent after install")
	case StatusRollingBack:
		return check.Msg("wird zurückgesetzt", "rolling back")
	case StatusRolledBack:
		return check.Msg("zurückgesetzt", "rolled back")
	default:
		return check.Msg("nicht erreicht", "not reached")
	}
}

// SiteProgress is one site's line in a ring.
type SiteProgress struct {
	SiteID string
	Status SiteStatus
	// Result is the install's result as the gate counts it (ok, failed,
	// silent, installing, pending), whatever happened after (a rollback).
	Result  rollout.Result
	Slot    rollout.Slot
	Started time.Time
	// Reported is the time of the final report.
	Reported time.Time
	Message  string
}

// RingView is one ring of a rollout in the console.
type RingView struct {
	Index int
	Ring  rollout.Ring
	// Phase is waiting, running, passed, halted, paused or stopped.
	Phase  string
	Counts map[SiteStatus]int
	Sites  []SiteProgress
	// Gate is the last evaluation (current ring only).
	Gate *rollout.Gate
}

// RolloutView is a rollout as the console shows it, live.
type RolloutView struct {
	Record  RolloutRecord
	Release Release
	Plan    rollout.Plan
	State   rollout.State
	Rings   []RingView
	// Installed counts the sites that began installing; Total the sites in
	// the plan.
	Installed, Total int
}

// RolloutView returns a rollout ring by ring, each site with its status.
func (s *Service) RolloutView(ctx context.Context, id int64) (RolloutView, error) {
	rec, err := s.store.Rollout(ctx, id)
	if err != nil {
		return RolloutView{}, err
	}
	d, err := decode(rec)
	if err != nil {
		return RolloutView{}, err
	}
	rel, err := s.store.Release(ctx, rec.ReleaseID)
	if err != nil {
		return RolloutView{}, err
	}
	t, err := s.pl.tracker(ctx, id)
	if err != nil {
		return RolloutView{}, err
	}
	tracks := s.pl.snapshot(t)
	in, err := s.inputs(ctx)
	if err != nil {
		return RolloutView{}, err
	}
	now := s.clk.Now().UTC()
	deadline := d.plan.HeartbeatDeadline
	if deadline <= 0 {
		deadline = rollout.DefaultHeartbeatDeadline
	}
	v := RolloutView{Record: rec, Release: rel, Plan: d.plan, State: d.state}
	st := d.state
	for i, ring := range d.plan.Rings {
		rv := RingView{Index: i, Ring: ring, Counts: map[SiteStatus]int{}}
		switch {
		case i < st.Ring:
			rv.Phase = "passed"
		case i > st.Ring:
			rv.Phase = "waiting"
			if st.Status == rollout.Halted || st.Status == rollout.Aborted {
				rv.Phase = "stopped"
			}
		default:
			rv.Phase = string(st.Status)
			rv.Gate = st.Gate
		}
		if i < len(d.plan.Sites) {
			for _, sid := range d.plan.Sites[i] {
				p := s.siteProgress(sid, i, st, tracks[sid], in.hbs[sid].ReceivedAt, now, deadline)
				rv.Counts[p.Status]++
				if !p.Started.IsZero() {
					v.Installed++
				}
				v.Total++
				rv.Sites = append(rv.Sites, p)
			}
		}
		sort.Slice(rv.Sites, func(a, b int) bool { return rv.Sites[a].SiteID < rv.Sites[b].SiteID })
		v.Rings = append(v.Rings, rv)
	}
	return v, nil
}

func (s *Service) siteProgress(id string, ring int, st rollout.State, tr siteTrack, lastHB, now time.Time, deadline time.Duration) SiteProgress {
	p := SiteProgress{SiteID: id, Started: tr.started, Reported: tr.reportedAt, Message: tr.message}
	if ring == st.Ring {
		p.Slot = st.Slots[id]
	}
	o := rollout.Outcome{SiteID: id, InstallStarted: tr.started, Reported: tr.reported, ReportedAt: tr.reportedAt, LastHeartbeat: lastHB}
	_, rbSent := st.RolledBack[id]
	p.Result = o.Result(now, deadline)
	switch {
	case !tr.rolledBack.IsZero():
		p.Status = StatusRolledBack
	case rbSent && o.Result(now, deadline) != rollout.ResultSilent:
		p.Status = StatusRollingBack
	case o.Installed():
		switch o.Result(now, deadline) {
		case rollout.ResultOK:
			p.Status = StatusOK
		case rollout.ResultFailed:
			p.Status = StatusFailed
		case rollout.ResultSilent:
			p.Status = StatusSilent
		default:
			p.Status = StatusInstalling
		}
	case ring > st.Ring:
		p.Status = StatusWaiting
		if st.Status == rollout.Halted || st.Status == rollout.Aborted {
			p.Status = StatusNotReached
		}
	case ring < st.Ring:
		p.Status = StatusNotReached
	case p.Slot.End.IsZero():
		p.Status = StatusUnscheduled
		if st.Status != rollout.Running {
			p.Status = StatusNotReached
		}
	case !p.Slot.End.After(now):
		p.Status = StatusNotReached
	default:
		p.Status = StatusScheduled
	}
	return p
}

// Rollouts lists the rollouts, newest first.
func (s *Service) Rollouts(ctx context.Context) ([]RolloutRecord, error) {
	return s.store.Rollouts(ctx)
}
