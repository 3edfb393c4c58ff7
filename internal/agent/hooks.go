package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Hook exit codes, as with mender's update modules and state scripts.
const (
	// ExitOK: the hook did its job.
	ExitOK = 0
	// ExitFailed (and every other code but ExitRetry): the hook failed.
	ExitFailed = 1
	// ExitRetry: not now, try again later; the hook changed nothing.
	ExitRetry = 21
)

// HookOutcome is what a hook run means for the update.
type HookOutcome int

// Outcomes of a hook run.
const (
	HookOK HookOutcome = iota
	HookFailed
	HookRetry
)

// HookRun is the result of one run of a hook.
type HookRun struct {
	Outcome HookOutcome
	// Code is the exit code (-1 when the hook did not start or was killed).
	Code int
	// TimedOut is set when the hook was killed after its timeout.
	TimedOut bool
	// Err is set when the hook could not be started.
	Err error
	// Output is the end of what the hook printed (at most 2000 bytes).
	Output string
	// Log is the file holding the hook's whole output.
	Log string
	// Took is how long it ran (real time).
	Took time.Duration
}

// Summary says in one line what happened, for the update's log.
func (h HookRun) Summary() string {
	var s string
	switch {
	case h.Err != nil:
		s = "could not start: " + h.Err.Error()
	case h.TimedOut:
		s = "killed after its timeout"
	default:
		s = "exit code " + strconv.Itoa(h.Code)
	}
	if out := strings.TrimSpace(h.Output); out != "" {
		if i := strings.LastIndexByte(out, '\n'); i >= 0 {
			out = out[i+1:]
		}
		s += " (" + out + ")"
	}
	return s
}

// HookEnv is what a hook learns through its environment.
type HookEnv struct {
	// Action is "install" or "rollback".
	Action    string
	Component string
	// Version is the version being installed or rolled back; Artifact its
	// verified file.
	Version  string
	Artifact string
	// PreviousVersion and PreviousArtifact are the version before (the one
	// a rollback returns to) and its artifact, when known.
	PreviousVersion  string
	PreviousArtifact string
	// UpdateID names the update; Attempt counts the runs of this hook.
	UpdateID string
	Attempt  int
}

// vars returns the environment variables of the hook.
func (e HookEnv) vars() []string {
	return []string{
		"LIFELINE_ACTION=" + e.Action,
		"LIFELINE_COMPONENT=" + e.Component,
		"LIFELINE_VERSION=" + e.Version,
		"LIFELINE_ARTIFACT=" + e.Artifact,
		"LIFELINE_PREVIOUS_VERSION=" + e.PreviousVersion,
		"LIFELINE_PREVIOUS_ARTIFACT=" + e.PreviousArtifact,
		"LIFELINE_UPDATE_ID=" + e.UpdateID,
		"LIFELINE_ATTEMPT=" + strconv.Itoa(e.Attempt),
	}
}

// Hooks runs hook programs with a timeout, their output in log files.
type Hooks struct {
	// LogDir receives one log file per run.
	LogDir string
}

// hookCommand returns the command that runs path: on Windows .cmd and .bat
// through cmd.exe, .ps1 through PowerShell, others directly; elsewhere
// directly (scripts by their #! line).
func hookCommand(ctx context.Context, path string) *exec.Cmd {
	if runtime.GOOS == "windows" {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".cmd", ".bat":
			return exec.CommandContext(ctx, "cmd.exe", "/D", "/C", path)
		case ".ps1":
			return exec.CommandContext(ctx, "powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", path)
		}
	}
	return exec.CommandContext(ctx, path)
}

// Run runs the hook at path with env and a timeout. It returns when the
// hook ended, was killed after the timeout, or ctx ended (then the hook is
// killed as well and the outcome is HookFailed with ctx's error).
func (h *Hooks) Run(ctx context.Context, path string, env HookEnv, timeout time.Duration) HookRun {
	start := time.Now()
	run := HookRun{Code: -1, Outcome: HookFailed}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := hookCommand(tctx, path)
	cmd.Dir = filepath.Dir(path)
	cmd.Env = append(os.Environ(), env.vars()...)
	prepareHook(cmd)
	cmd.WaitDelay = 5 * time.Second

	tail := &tailBuffer{max: 2000}
	var out io.Writer = tail
	if h.LogDir != "" {
		if err := os.MkdirAll(h.LogDir, 0o700); err == nil {
			name := fmt.Sprintf("%s-%s-%d.log", safeName(env.UpdateID), env.Action, env.Attempt)
			run.Log = filepath.Join(h.LogDir, name)
			if f, err := os.OpenFile(run.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
				defer f.Close()
				fmt.Fprintf(f, "--- %s %s %s, attempt %d, %s\n", env.Action, env.Component, env.Version, env.Attempt, start.Format(time.RFC3339))
				out = io.MultiWriter(tail, f)
			}
		}
	}
	cmd.Stdout, cmd.Stderr = out, out

	err := startAndWait(cmd)
	run.Took = time.Since(start)
	run.Output = tail.String()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		run.Code, run.Outcome = 0, HookOK
	case tctx.Err() == context.DeadlineExceeded && ctx.Err() == nil:
		run.TimedOut = true
	case ctx.Err() != nil:
		run.Err = ctx.Err()
	case errors.As(err, &exitErr) && exitErr.ExitCode() >= 0:
		run.Code = exitErr.ExitCode()
		if run.Code == ExitRetry {
			run.Outcome = HookRetry
		}
	default:
		run.Err = err
	}
	return run
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
