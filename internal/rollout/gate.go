package rollout

import (
	"fmt"
	"math"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// DefaultHeartbeatDeadline is the dead-man's switch: a site that installs
// and then sends no sign of life for this long counts as failed.
const DefaultHeartbeatDeadline = 15 * time.Minute

// Report is what a site said about its install.
type Report string

// Reports.
const (
	// ReportNone: no final report yet.
	ReportNone Report = ""
	// ReportOK: installed, verified, and the health check after it passed.
	ReportOK Report = "ok"
	// ReportFailed: the install or the health check after it failed (the
	// site rolls back by itself as well).
	ReportFailed Report = "failed"
)

// Outcome is what the fleet knows about one site of a ring in a rollout.
type Outcome struct {
	SiteID string `json:"site_id"`
	// Due is the end of the site's scheduled slot; zero when it has none.
	// The gate waits for every slot to end before the soak can end.
	Due time.Time `json:"due,omitzero"`
	// InstallStarted is when the site reported that its install began;
	// zero while it has not.
	InstallStarted time.Time `json:"install_started,omitzero"`
	// Reported is the site's final report, and ReportedAt when it came.
	Reported   Report    `json:"reported,omitempty"`
	ReportedAt time.Time `json:"reported_at,omitzero"`
	// LastHeartbeat is the site's last heartbeat (any time).
	LastHeartbeat time.Time `json:"last_heartbeat,omitzero"`
}

// Installed reports whether the site began its install.
func (o Outcome) Installed() bool { return !o.InstallStarted.IsZero() }

// Result is where one site of a ring stands.
type Result string

// Results, as Outcome.Result gives them.
const (
	// ResultPending: the site has not begun its install.
	ResultPending Result = "pending"
	// ResultInstalling: it began and is alive, with no final report yet.
	ResultInstalling Result = "installing"
	// ResultOK: it reported success and is alive.
	ResultOK Result = "ok"
	// ResultFailed: it reported failure.
	ResultFailed Result = "failed"
	// ResultSilent: it began its install and then sent no sign of life
	// (heartbeat or report) for longer than the deadline: the dead-man's
	// switch. A site that reported success and then fell silent counts
	// too, because a server that does not come back after the reboot of
	// an update looks exactly like that. Silent sites count as failed.
	ResultSilent Result = "silent"
)

// Result classifies the outcome at now with the heartbeat deadline.
func (o Outcome) Result(now time.Time, deadline time.Duration) Result {
	switch {
	case !o.Installed():
		return ResultPending
	case o.Reported == ReportFailed:
		return ResultFailed
	}
	last := o.InstallStarted
	for _, t := range []time.Time{o.LastHeartbeat, o.ReportedAt} {
		if t.After(last) {
			last = t
		}
	}
	switch {
	case now.Sub(last) > deadline:
		return ResultSilent
	case o.Reported == ReportOK:
		return ResultOK
	}
	return ResultInstalling
}

// Decision is a gate's verdict on a ring.
type Decision string

// Decisions.
const (
	// Wait: the ring's sites are still installing or the soak is not over.
	Wait Decision = "wait"
	// Pass: the soak is over, enough sites have a result and the failures
	// stay within the ring's ratio; the next ring may start.
	Pass Decision = "pass"
	// Inconclusive: the soak is over but too few sites have a result; the
	// rollout pauses until a person resumes it.
	Inconclusive Decision = "inconclusive"
	// Halt: more sites failed than the ring allows; the rollout halts and
	// the ring's updated sites are rolled back.
	Halt Decision = "halt"
)

// Gate is the evaluation of one ring at one time.
type Gate struct {
	Decision Decision `json:"decision"`
	// Total is the number of sites in the ring; Installed of those that
	// began installing. OK, Failed, Silent and Pending (not begun or still
	// installing) add up to Total.
	Total     int `json:"total"`
	Installed int `json:"installed"`
	OK        int `json:"ok"`
	Failed    int `json:"failed"`
	Silent    int `json:"silent"`
	Pending   int `json:"pending"`
	// AllowedFailures is how many failed and silent sites the ring
	// tolerates; NeededResults how many results it needs to pass.
	AllowedFailures int `json:"allowed_failures"`
	NeededResults   int `json:"needed_results"`
	// SoakEnds is when the ring can pass at the earliest.
	SoakEnds time.Time `json:"soak_ends"`
	// Reason explains the decision in German and English.
	Reason check.Text `json:"reason"`
}

// EvaluateGate decides on a ring, given one outcome per site of the ring
// (sites not yet begun included), when the ring started, the time now and
// the heartbeat deadline (0: DefaultHeartbeatDeadline):
//
//   - Halt, at any time, as soon as the failed and silent sites are more
//     than MaxFailureRatio of the ring's size: there is no need to wait
//     for the soak, and halting early limits the blast radius;
//   - Wait until the soak is over: Soak (at least the deadline) after the
//     latest of the ring's start, its sites' slot ends (Due) and its
//     install starts;
//   - then Inconclusive when fewer than MinReportShare of the ring's sites
//     have a result (ok, failed or silent);
//   - then Halt when the failures are more than MaxFailureRatio of the
//     sites with a result (a stricter measure than the early one);
//   - else Pass.
//
// An empty ring passes at once.
func EvaluateGate(ring Ring, outcomes []Outcome, ringStarted, now time.Time, deadline time.Duration) Gate {
	if deadline <= 0 {
		deadline = DefaultHeartbeatDeadline
	}
	g := Gate{Total: len(outcomes)}
	base := ringStarted
	for _, o := range outcomes {
		if o.Installed() {
			g.Installed++
		}
		switch o.Result(now, deadline) {
		case ResultOK:
			g.OK++
		case ResultFailed:
			g.Failed++
		case ResultSilent:
			g.Silent++
		default:
			g.Pending++
		}
		if o.Due.After(base) {
			base = o.Due
		}
		if o.InstallStarted.After(base) {
			base = o.InstallStarted
		}
	}
	g.SoakEnds = base.Add(max(ring.Soak, deadline)).UTC()
	g.AllowedFailures = allowed(ring.MaxFailureRatio, g.Total)
	g.NeededResults = int(math.Ceil(ring.MinReportShare*float64(g.Total) - 1e-9))
	failures := g.Failed + g.Silent
	results := g.OK + failures
	name := ring.Name

	switch {
	case g.Total == 0:
		g.Decision = Pass
		g.Reason = check.Msg(fmt.Sprintf("Ring „%s“ hat keine Standorte und gilt als bestanden", name),
			fmt.Sprintf("ring %q has no sites and passes", name))
	case failures > g.AllowedFailures:
		g.Decision = Halt
		g.Reason = haltReason(name, g, failures, g.Total, g.AllowedFailures, deadline)
	case now.Before(g.SoakEnds):
		g.Decision = Wait
		g.Reason = check.Msg(
			fmt.Sprintf("Ring „%s“ läuft: %d von %d Standorten installiert, %d in Ordnung, %d fehlgeschlagen; Beobachtung bis %s",
				name, g.Installed, g.Total, g.OK, failures, g.SoakEnds.Format("2006-01-02 15:04 UTC")),
			fmt.Sprintf("ring %q running: %d of %d sites installed, %d ok, %d failed; watched until %s",
				name, g.Installed, g.Total, g.OK, failures, g.SoakEnds.Format("2006-01-02 15:04 UTC")))
	case results < g.NeededResults:
		g.Decision = Inconclusive
		g.Reason = check.Msg(
			fmt.Sprintf("Ring „%s“ unklar: nur %d von %d Standorten haben ein Ergebnis, nötig sind %d; Rollout pausiert",
				name, results, g.Total, g.NeededResults),
			fmt.Sprintf("ring %q inconclusive: only %d of %d sites have a result, %d needed; rollout paused",
				name, results, g.Total, g.NeededResults))
	case failures > allowed(ring.MaxFailureRatio, results):
		g.Decision = Halt
		g.Reason = haltReason(name, g, failures, results, allowed(ring.MaxFailureRatio, results), deadline)
	default:
		g.Decision = Pass
		g.Reason = check.Msg(
			fmt.Sprintf("Ring „%s“ bestanden: %d von %d Standorten in Ordnung, %d fehlgeschlagen (erlaubt %d)",
				name, g.OK, g.Total, failures, g.AllowedFailures),
			fmt.Sprintf("ring %q passed: %d of %d sites ok, %d failed (%d allowed)",
				name, g.OK, g.Total, failures, g.AllowedFailures))
	}
	return g
}

// allowed returns how many failures of n sites the ratio tolerates.
func allowed(ratio float64, n int) int { return int(math.Floor(ratio*float64(n) + 1e-9)) }

func haltReason(name string, g Gate, failures, of, allowedN int, deadline time.Duration) check.Text {
	return check.Msg(
		fmt.Sprintf("Ring „%s“ angehalten: %d von %d Standorten fehlgeschlagen (%d gemeldet, %d nach Installationsbeginn über %s ohne Lebenszeichen), erlaubt sind %d; die aktualisierten Standorte werden zurückgesetzt",
			name, failures, of, g.Failed, g.Silent, minutes(deadline), allowedN),
		fmt.Sprintf("ring %q halted: %d of %d sites failed (%d reported failure, %d silent for over %s after their install began), %d allowed; the updated sites are rolled back",
			name, failures, of, g.Failed, g.Silent, minutes(deadline), allowedN))
}

// minutes formats a deadline as "15 min" (or as a Duration when it is not
// whole minutes).
func minutes(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return d.String()
}
