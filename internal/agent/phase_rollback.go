package agent

import (
	"context"

	"github.com/lifeline-project/lifeline/internal/check"
)

// maxRollbackAttempts bounds the runs of the rollback hook of one update
// (a rollback interrupted by a crash is run again: rollback hooks must be
// safe to run twice).
const maxRollbackAttempts = 3

// rollingBackState runs the component's rollback hook.
type rollingBackState struct{}

// Handle runs the rollback hook with the version to leave and the version
// to return to. A hook asking to try again later (21) is run again after
// the retry interval; a failed rollback fails the update (the site needs
// a person).
func (rollingBackState) Handle(ctx context.Context, a *Agent) (StateID, check.Text) {
	u := a.current()
	comp, ok := a.component(u.Component)
	if !ok {
		return Failed, check.Msg("Die Komponente ist nicht eingerichtet; Rücknahme unmöglich", "the component is not configured; cannot roll back")
	}
	if a.clk.Now().Before(u.RetryAt) {
		return RollingBack, check.Text{}
	}
	if u.RollbackAttempts >= maxRollbackAttempts {
		return Failed, check.Msg("Rücknahme nach "+itoa(u.RollbackAttempts)+" Versuchen nicht gelungen; bitte die Hotline des Herstellers anrufen",
			"rollback did not succeed after "+itoa(u.RollbackAttempts)+" attempts; please call the vendor's hotline")
	}
	if err := a.update(func(x *Update) { x.RollbackAttempts++ }); err != nil {
		a.log.Error("agent: cannot write the state; not rolling back now", "err", err)
		return RollingBack, check.Text{}
	}
	u = a.current()
	env := HookEnv{Action: "rollback", Component: u.Component, Version: u.Version, Artifact: u.Artifact,
		UpdateID: u.ID, Attempt: u.RollbackAttempts}
	if u.Previous != nil {
		env.PreviousVersion, env.PreviousArtifact = u.Previous.Version, u.Previous.Artifact
	}
	a.log.Info("agent: running the rollback hook", "update", u.ID, "hook", comp.Rollback, "attempt", u.RollbackAttempts)
	run := a.hooks.Run(ctx, comp.Rollback, env, comp.HookTimeout.D())
	if ctx.Err() != nil {
		return RollingBack, check.Text{}
	}
	a.log.Info("agent: rollback hook ended", "update", u.ID, "result", run.Summary(), "log", run.Log)
	switch run.Outcome {
	case HookOK:
		back := "die vorige Version"
		backEN := "the previous version"
		if u.Previous != nil && u.Previous.Version != "" {
			back, backEN = "Version "+u.Previous.Version, "version "+u.Previous.Version
		}
		return RolledBack, check.Msg("zurückgenommen; wieder "+back, "rolled back; "+backEN+" again")
	case HookRetry:
		retry := a.clk.Now().Add(a.cfg.RetryInterval.D())
		if err := a.update(func(x *Update) {
			x.RetryAt = retry.UTC()
			x.Waiting = check.Msg("Rücknahme bat um einen späteren Versuch (Exit-Code 21)", "rollback asked to try again later (exit code 21)")
		}); err != nil {
			a.log.Error("agent: cannot write the state", "err", err)
		}
		return RollingBack, check.Text{}
	}
	reason := check.Msg("Rücknahme fehlgeschlagen: "+run.Summary()+"; bitte die Hotline des Herstellers anrufen",
		"rollback failed: "+run.Summary()+"; please call the vendor's hotline")
	a.transitionOrLog(Failed, reason, func(x *Update) { x.Reason = reason })
	return Failed, check.Text{}
}
