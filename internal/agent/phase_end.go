package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/lifeline-project/lifeline/internal/check"
)

// committedState records the new version as installed.
type committedState struct{}

// Handle makes the new version the installed one, keeping the version
// before (and its artifact) for a later rollback, and ends the update.
// Run again after a crash it does the same: the update ends once.
func (committedState) Handle(_ context.Context, a *Agent) (StateID, check.Text) {
	now := a.clk.Now().UTC()
	err := a.finish(ResultCommitted, check.Text{}, func(f *File, u *Update) {
		inst := Installed{Version: u.Version, Artifact: u.Artifact, At: now}
		if u.Target != nil {
			inst.SHA256 = u.Target.Hashes["sha256"]
		}
		if u.Previous != nil {
			p := *u.Previous
			p.Previous = nil
			inst.Previous = &p
		}
		f.Installed[u.Component] = inst
	})
	if err != nil {
		a.log.Error("agent: cannot write the state", "err", err)
		return Committed, check.Text{}
	}
	return Idle, check.Text{}
}

// rolledBackState records the version rolled back to as installed.
type rolledBackState struct{}

// Handle makes the previous version the installed one again and ends the
// update.
func (rolledBackState) Handle(_ context.Context, a *Agent) (StateID, check.Text) {
	u := a.current()
	reason := u.Reason
	if u.Kind == KindRollback {
		reason = u.RollbackRequested
	}
	err := a.finish(ResultRolledBack, reason, func(f *File, u *Update) {
		switch {
		case u.Previous != nil:
			f.Installed[u.Component] = *u.Previous
		case u.Kind == KindRollback:
			delete(f.Installed, u.Component) // the version before is unknown
		}
	})
	if err != nil {
		a.log.Error("agent: cannot write the state", "err", err)
		return RolledBack, check.Text{}
	}
	return Idle, check.Text{}
}

// failedState ends a failed update.
type failedState struct{}

// Handle ends the update. The installed version stays as it was when the
// install did not begin or the rollback succeeded; after a failed
// rollback it is unknown and shown as such.
func (failedState) Handle(_ context.Context, a *Agent) (StateID, check.Text) {
	u := a.current()
	reason := u.Reason
	if reason.IsZero() && len(u.Transitions) > 0 {
		reason = u.Transitions[len(u.Transitions)-1].Note
	}
	err := a.finish(ResultFailed, reason, func(f *File, u *Update) {
		if u.RollbackAttempts > 0 {
			inst := f.Installed[u.Component]
			inst.Version = "unbekannt (Rücknahme von " + u.Version + " fehlgeschlagen)"
			f.Installed[u.Component] = inst
		}
	})
	if err != nil {
		a.log.Error("agent: cannot write the state", "err", err)
		return Failed, check.Text{}
	}
	return Idle, check.Text{}
}

// removeUnusedArtifacts deletes the artifacts (and partial downloads) that
// neither an installed version, the version before it, nor a queued or
// running update needs.
func (a *Agent) removeUnusedArtifacts() {
	a.mu.Lock()
	keep := map[string]bool{}
	for _, inst := range a.f.Installed {
		keep[filepath.Base(inst.Artifact)] = true
		if inst.Previous != nil {
			keep[filepath.Base(inst.Previous.Artifact)] = true
		}
	}
	busy := a.f.Current != nil || len(a.f.Inbox) > 0
	a.mu.Unlock()
	if busy {
		return
	}
	entries, err := os.ReadDir(a.artifactsDir())
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() || keep[e.Name()] || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if err := os.Remove(filepath.Join(a.artifactsDir(), e.Name())); err == nil {
			a.log.Info("agent: removed an artifact no longer needed", "file", e.Name())
		}
	}
}
