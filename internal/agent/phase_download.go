package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// downloadingState fetches the signed description of the artifact (TUF)
// and downloads the artifact, resuming a partial download.
type downloadingState struct{}

// Handle refreshes the TUF metadata, checks that the command names what
// the vendor signed, and downloads into a .part file. After a crash it
// continues the download where the file ends. Network trouble is retried
// with back-off; a wrong clock waits; a verification failure fails the
// update.
func (downloadingState) Handle(ctx context.Context, a *Agent) (StateID, check.Text) {
	u := a.current()
	if a.dropped(u, a.clk.Now()) {
		return Idle, check.Text{}
	}
	if a.notYet(u) {
		return Downloading, check.Text{}
	}
	t, err := a.signedTarget(ctx, u)
	if err != nil {
		return a.downloadTrouble(ctx, err)
	}
	if err := a.update(func(x *Update) { x.Target = &t }); err != nil {
		a.log.Error("agent: cannot write the state", "err", err)
		return Downloading, check.Text{}
	}
	if err := a.download(ctx, t); err != nil {
		return a.downloadTrouble(ctx, err)
	}
	return Verifying, check.Msg(fmt.Sprintf("heruntergeladen (%d Bytes)", t.Length), fmt.Sprintf("downloaded (%d bytes)", t.Length))
}

// signedTarget asks the repository for the signed description of the
// update's artifact and checks it against the command.
func (a *Agent) signedTarget(ctx context.Context, u *Update) (Target, error) {
	t, err := a.repo.Target(ctx, u.Command.TargetPath)
	if err != nil {
		return Target{}, err
	}
	if u.Command.SHA256 != "" && t.Hashes["sha256"] != u.Command.SHA256 || u.Command.Length > 0 && t.Length != u.Command.Length {
		return Target{}, &VerifyError{Reason: check.Msg(
			"Der Auftrag nennt eine andere Datei (Prüfsumme oder Länge) als die Signatur des Herstellers; das Update wird nicht installiert",
			"the command names another file (hash or length) than the vendor's signature; the update is not installed")}
	}
	if u.Target != nil && (u.Target.Length != t.Length || u.Target.Hashes["sha256"] != t.Hashes["sha256"]) {
		return Target{}, &VerifyError{Reason: check.Msg(
			"Die signierte Beschreibung des Updates hat sich während des Downloads geändert; das Update wird nicht installiert",
			"the signed description of the update changed during the download; the update is not installed")}
	}
	return t, nil
}

// downloadTrouble decides what an error of the download or verification
// means: a verification failure fails the update; a wrong clock or
// network trouble waits and tries again.
func (a *Agent) downloadTrouble(ctx context.Context, err error) (StateID, check.Text) {
	cur := a.currentState()
	if ctx.Err() != nil {
		return cur, check.Text{}
	}
	var v *VerifyError
	var c *ClockError
	var tmp *temporary
	switch {
	case errors.As(err, &v):
		a.log.Error("agent: update refused", "err", err)
		return fail(a, v.Reason)
	case errors.As(err, &c):
		a.log.Warn("agent: site clock is off; waiting", "err", err)
		a.retryLater(c.Reason(), time.Minute, true)
	case errors.As(err, &tmp) && tmp.progress:
		a.log.Info("agent: download interrupted; continuing", "err", err)
		a.retryLater(check.Msg("Download unterbrochen; wird fortgesetzt", "download interrupted; continuing"), 0, false)
	default:
		a.log.Warn("agent: download trouble; retrying", "err", err)
		u := a.current()
		d := min(10*time.Second<<min(u.Tries, 6), maxBackoff)
		a.retryLater(check.Msg("Update-Server nicht erreichbar; neuer Versuch folgt ("+err.Error()+")",
			"update server not reachable; trying again ("+err.Error()+")"), d, true)
	}
	return cur, check.Text{}
}

// maxBackoff is the longest wait between two download attempts.
const maxBackoff = 10 * time.Minute

// retryLater records why and when the next attempt comes; count adds the
// attempt to the back-off.
func (a *Agent) retryLater(why check.Text, d time.Duration, count bool) {
	next := a.clk.Now().Add(d)
	if err := a.update(func(u *Update) {
		u.Waiting, u.NextTry = why, next
		if count {
			u.Tries++
		}
	}); err != nil {
		a.log.Error("agent: cannot write the state", "err", err)
	}
}

// notYet reports whether the next download attempt is still to wait for.
// A wait longer than the longest back-off means the clock was set back
// (a wrong clock corrected): then it tries now.
func (a *Agent) notYet(u *Update) bool {
	now := a.clk.Now()
	return now.Before(u.NextTry) && u.NextTry.Sub(now) <= maxBackoff
}
