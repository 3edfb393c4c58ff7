// Package rollout is the pure planning logic of staged rollouts: which
// site installs a release when, and when a rollout goes on, pauses, halts
// and rolls back. It does no I/O and reads no clock; the fleet server
// (internal/fleet) stores its Plan and State as JSON, feeds it what the
// sites reported, and delivers the Commands it returns.
//
// The pieces:
//   - Window: a site's weekly maintenance window in its local time
//     ("Mo-Fr 22:00-05:00"), ParseWindow reads German and English days.
//   - Calendar: the blackouts no rollout overrides: public holidays of the
//     site's federal state (package holiday), 24-26 and 31 December and
//     1 January, the DST changes of the site's zone, the site's emergency
//     duties (ImportDutyCSV, AddDuties), manual freezes, and the site's own
//     pause (Site.Paused).
//   - NextSlot: the next window of a site that no blackout touches, with
//     the spring gap and the autumn fold resolved.
//   - Ring, DefaultRings, AssignRings: the stages (test sites by hand,
//     1 %, 9 %, the rest) and a deterministic assignment of sites.
//   - EvaluateGate: pass, wait, inconclusive or halt for one ring, with
//     the dead-man's switch (a site silent for 15 minutes after its install
//     began counts as failed).
//   - Plan, State, Begin, Advance, and the transitions by hand
//     State.Pause, State.Resume and State.Abort.
//
// How the fleet drives it:
//
//	plan, err := rollout.NewPlan(id, release, rollout.DefaultRings(testSites), siteIDs, id)
//	st, err := rollout.Begin(plan, now, user)
//	// every minute, under the planner lock, and after each transition:
//	st, cmds := rollout.Advance(plan, st, rollout.Inputs{Sites: sites, Calendar: cal, Outcomes: outcomes}, now)
//	// store st and enqueue cmds in one transaction
//
// Outcomes come from the sites' reports about this rollout's latest
// install command and from their heartbeats: InstallStarted is the time of
// the first report that the install began (or of the final report when no
// progress report came), Reported is ReportOK for "installed" and
// ReportFailed for "failed" or "rolled_back", LastHeartbeat the site's
// last heartbeat. A site that skipped the install has not begun.
//
// Commands: CommandInstall carries the slot (NotBefore, NotAfter), which
// the site must not act outside of; CommandCancel withdraws an install the
// site has not begun (delete it if still undelivered, else deliver it);
// CommandRollback returns a site to its previous version.
package rollout
