package agent

import (
	"context"
	"strconv"

	"github.com/lifeline-project/lifeline/internal/check"
)

// installingState runs the component's install hook once.
type installingState struct{}

// Handle re-checks the artifact against its signed hash, marks the hook
// as started on disk, runs it and records its result in the same write as
// the next state. Finding the mark after a crash means the hook may have
// run in part: it is never run again, the update is rolled back.
func (installingState) Handle(ctx context.Context, a *Agent) (StateID, check.Text) {
	u := a.current()
	comp, ok := a.component(u.Component)
	if !ok {
		return fail(a, check.Msg("Die Komponente „"+u.Component+"“ ist nicht mehr eingerichtet", "component \""+u.Component+"\" is no longer configured"))
	}
	if u.HookStarted {
		return RollingBack, check.Msg("lifeline wurde während der Installation unterbrochen (Absturz oder Neustart); das Ergebnis ist unbekannt, deshalb wird zurückgenommen",
			"lifeline was interrupted during the install (crash or restart); the outcome is unknown, so it is rolled back")
	}
	if u.Target == nil {
		return fail(a, check.Msg("Keine signierte Beschreibung des Updates gespeichert", "no signed description of the update stored"))
	}
	if err := verifyFile(u.Artifact, *u.Target); err != nil {
		if IsVerifyError(err) {
			return fail(a, err.(*VerifyError).Reason)
		}
		return fail(a, check.Msg("Die geprüfte Datei ist nicht lesbar: "+err.Error(), "the verified file cannot be read: "+err.Error()))
	}
	if err := a.update(func(x *Update) { x.HookStarted, x.Attempts = true, x.Attempts+1 }); err != nil {
		a.log.Error("agent: cannot write the state; not installing", "err", err)
		return Installing, check.Text{}
	}
	u = a.current()
	env := HookEnv{Action: "install", Component: u.Component, Version: u.Version, Artifact: u.Artifact,
		UpdateID: u.ID, Attempt: u.Attempts}
	if u.Previous != nil {
		env.PreviousVersion, env.PreviousArtifact = u.Previous.Version, u.Previous.Artifact
	}
	a.log.Info("agent: running the install hook", "update", u.ID, "hook", comp.Install, "attempt", u.Attempts)
	run := a.hooks.Run(ctx, comp.Install, env, comp.HookTimeout.D())
	if ctx.Err() != nil {
		// Shutting down: the hook was stopped. The mark stays, so the next
		// start rolls back, as after a crash.
		return Installing, check.Text{}
	}
	a.log.Info("agent: install hook ended", "update", u.ID, "result", run.Summary(), "log", run.Log)
	now := a.clk.Now()
	switch run.Outcome {
	case HookOK:
		gate := comp.GateDuration.D()
		a.transitionOrLog(HealthGate, check.Msg("Installation abgeschlossen; Gesundheitsprüfung bis "+clockText(now.Add(gate), a.cfg.Location(), "de"),
			"install done; health check until "+clockText(now.Add(gate), a.cfg.Location(), "en")), func(x *Update) {
			x.HookStarted, x.GateStart, x.GateUntil = false, now.UTC(), now.Add(gate).UTC()
		})
		return HealthGate, check.Text{}
	case HookRetry:
		if u.Attempts >= a.cfg.MaxAttempts {
			a.transitionOrLog(Failed, check.Msg("Das Installationsprogramm bat "+itoa(u.Attempts)+"-mal um einen späteren Versuch; nichts wurde verändert",
				"the installer asked "+itoa(u.Attempts)+" times to try again later; nothing was changed"), func(x *Update) {
				x.HookStarted = false
			})
			return Failed, check.Text{}
		}
		retry := now.Add(a.cfg.RetryInterval.D())
		a.transitionOrLog(WaitingForWindow, check.Msg("Das Installationsprogramm bat um einen späteren Versuch (Exit-Code 21); nächster Versuch frühestens "+clockText(retry, a.cfg.Location(), "de"),
			"the installer asked to try again later (exit code 21); next attempt from "+clockText(retry, a.cfg.Location(), "en")), func(x *Update) {
			x.HookStarted, x.RetryAt = false, retry.UTC()
		})
		return WaitingForWindow, check.Text{}
	}
	a.transitionOrLog(RollingBack, check.Msg("Installation fehlgeschlagen: "+run.Summary(), "install failed: "+run.Summary()), func(x *Update) {
		x.HookStarted = false
		x.Reason = check.Msg("Installation fehlgeschlagen: "+run.Summary(), "install failed: "+run.Summary())
	})
	return RollingBack, check.Text{}
}

// transitionOrLog makes a transition from inside a handler (so that the
// result of a hook is written with the next state); the loop then sees the
// state already changed.
func (a *Agent) transitionOrLog(to StateID, note check.Text, fn func(u *Update)) {
	if err := a.transition(to, note, fn); err != nil {
		a.log.Error("agent: cannot write the state", "err", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
