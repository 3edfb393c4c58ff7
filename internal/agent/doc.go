// Package agent is the site's update agent inside `lifeline site`: it
// takes the fleet's install, rollback and cancel commands, downloads and
// verifies artifacts against the vendor's TUF signatures, installs them
// through hook programs only when the pharmacy can afford it, watches the
// site's health afterwards and rolls back by itself. The pharmacy must not
// become the test bench of its vendor.
//
// # State machine
//
// After the mender client: each state is a type whose Handle does one
// step and returns the next state (machine.go, one file per phase):
//
//	Idle -> Scheduled -> Downloading -> Verifying -> WaitingForWindow
//	     -> Installing -> HealthGate -> Committed
//	                 \-> RollingBack -> RolledBack     (hook failed, gate failed, fleet asked)
//	any step may end in Failed; before Installing an update can end as skipped
//
// The state is <data_dir>/agent/state.json (File, with a schema version
// and a revision), written atomically (temporary file, fsync, rename,
// fsync of the folder) before each step, so a crash or reboot resumes
// where it stopped. Every transition is logged, kept in the update's
// history and queued in the same write as a report to the fleet (an
// outbox delivered at least once). What each state does when it finds its
// work half done:
//   - Downloading continues the .part file with an HTTP Range request;
//   - Verifying verifies again (the file under its .part or final name);
//   - Installing marks "hook started" on disk before it runs the install
//     hook; finding the mark after a crash it does not run the hook again
//     but rolls back (the outcome is unknown); a hook that asked to try
//     again later (exit 21) is run again after the retry interval;
//   - HealthGate goes on with the time it had left;
//   - RollingBack runs the rollback hook again (rollback hooks must be
//     safe to run twice), at most three times;
//   - Committed, RolledBack and Failed end the update once.
//
// # Verification
//
// TUFRepository runs go-tuf v2's updater against the root received at
// enrolment (fleetclient keeps it) and keeps the verified metadata in
// <data_dir>/agent/tuf, so that older metadata (a rollback attack),
// expired metadata (a freeze attack), bad signatures and artifacts that
// do not match the signed length and hashes are refused with a reason
// (VerifyError); the update fails and is not installed. The artifact is
// checked again right before the install hook runs.
//
// Clock policy: TUF's expiry checks and the maintenance window rest on the
// site's clock. The agent compares it with the Date header of the fleet's
// metadata answers; when they differ by more than max_clock_skew (default
// 5 minutes) nothing is verified or installed (ClockError) and the
// dashboard says that the clock is wrong; the update waits and goes on
// once the clock is right, or is skipped when its slot passes.
//
// # Hooks
//
// Each component names an install and a rollback hook (like mender's
// update modules). A hook gets LIFELINE_ACTION, LIFELINE_COMPONENT,
// LIFELINE_VERSION, LIFELINE_ARTIFACT, LIFELINE_PREVIOUS_VERSION,
// LIFELINE_PREVIOUS_ARTIFACT, LIFELINE_UPDATE_ID and LIFELINE_ATTEMPT in
// its environment, runs in the hook's folder with a timeout, and answers
// with its exit code: 0 done, 21 not now (nothing changed, try again
// later), anything else failed. On Windows .cmd and .bat run through
// cmd.exe, .ps1 through PowerShell, .exe directly. The artifact of the
// installed version and of the version before it are kept (so a rollback
// after the commit still has it); others are removed when idle.
//
// # When an update never starts
//
// MayStart is the one pure function of the rules: not while the pharmacy
// paused updates or postponed this one, not while the emergency mode is
// on or an incident is open, not on a blocked day (public holidays of the
// configured federal state, 24/31 December, the pharmacy's emergency
// duties from the downtime copy's rota, the DST night and the evening
// before it, see rollout.Calendar), not outside the maintenance window or
// the fleet's slot, not while a gate check is not ok, and not when too
// little of the window is left for the hook's timeout. Rollbacks the
// fleet asks for are not held back by these rules: they repair.
//
// # Health gate
//
// After the install the component's gate checks (the monitor's Overview)
// must stay ok for gate_duration (default 10 minutes): a check that goes
// down or degraded rolls back at once; a check still without a result at
// the end rolls back too.
package agent
