//go:build !windows

package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeHook writes an executable shell script into dir.
func writeHook(t testing.TB, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHookOutcomes(t *testing.T) {
	dir := t.TempDir()
	h := &Hooks{LogDir: filepath.Join(dir, "logs")}
	env := HookEnv{Action: "install", Component: "erp", Version: "24.3", Artifact: "/data/a.bin",
		PreviousVersion: "24.2", PreviousArtifact: "/data/b.bin", UpdateID: "c7", Attempt: 2}
	tests := []struct {
		name        string
		body        string
		timeout     time.Duration
		wantOutcome HookOutcome
		wantCode    int
		wantTimeout bool
		wantOutput  string
	}{
		{name: "exit 0", body: `echo "installiert $LIFELINE_COMPONENT $LIFELINE_VERSION"`, timeout: 10 * time.Second, wantOutcome: HookOK, wantOutput: "installiert erp 24.3"},
		{name: "exit 1", body: "echo Fehler >&2; exit 1", timeout: 10 * time.Second, wantOutcome: HookFailed, wantCode: 1, wantOutput: "Fehler"},
		{name: "exit 2 is a failure too", body: "exit 2", timeout: 10 * time.Second, wantOutcome: HookFailed, wantCode: 2},
		{name: "exit 21 asks to retry", body: "echo busy; exit 21", timeout: 10 * time.Second, wantOutcome: HookRetry, wantCode: 21, wantOutput: "busy"},
		{name: "timeout kills the hook and its children", body: "sleep 30 & sleep 30; exit 0", timeout: 300 * time.Millisecond,
			wantOutcome: HookFailed, wantCode: -1, wantTimeout: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeHook(t, dir, strings.ReplaceAll(tt.name, " ", "_")+".sh", tt.body)
			start := time.Now()
			run := h.Run(context.Background(), p, env, tt.timeout)
			if run.Outcome != tt.wantOutcome || run.Code != tt.wantCode || run.TimedOut != tt.wantTimeout {
				t.Fatalf("got outcome %v, code %d, timeout %v (%s); want %v, %d, %v", run.Outcome, run.Code, run.TimedOut, run.Summary(),
					tt.wantOutcome, tt.wantCode, tt.wantTimeout)
			}
			if !strings.Contains(run.Output, tt.wantOutput) {
				t.Errorf("output: got %q; want it to contain %q", run.Output, tt.wantOutput)
			}
			if tt.wantTimeout && time.Since(start) > 20*time.Second {
				t.Errorf("the killed hook held the agent for %s", time.Since(start))
			}
			if log, err := os.ReadFile(run.Log); err != nil || !strings.Contains(string(log), "install erp 24.3, attempt 2") {
				t.Errorf("log file %s: %q, %v", run.Log, log, err)
			}
		})
	}
}

func TestHookEnvironment(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "env.txt")
	p := writeHook(t, dir, "env.sh", `env | grep ^LIFELINE_ | sort > "`+out+`"; pwd >> "`+out+`"`)
	h := &Hooks{}
	run := h.Run(context.Background(), p, HookEnv{Action: "rollback", Component: "erp", Version: "24.3", Artifact: "/a/x.bin",
		PreviousVersion: "24.2", PreviousArtifact: "/a/y.bin", UpdateID: "c9", Attempt: 1}, 10*time.Second)
	if run.Outcome != HookOK {
		t.Fatalf("hook: %s", run.Summary())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"LIFELINE_ACTION=rollback", "LIFELINE_ARTIFACT=/a/x.bin", "LIFELINE_ATTEMPT=1", "LIFELINE_COMPONENT=erp",
		"LIFELINE_PREVIOUS_ARTIFACT=/a/y.bin", "LIFELINE_PREVIOUS_VERSION=24.2", "LIFELINE_UPDATE_ID=c9", "LIFELINE_VERSION=24.3",
		dir, ""}, "\n")
	if string(got) != want {
		t.Errorf("environment and folder:\ngot  %q\nwant %q", got, want)
	}
}

func TestHookCancelledContext(t *testing.T) {
	dir := t.TempDir()
	p := writeHook(t, dir, "slow.sh", "sleep 30")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(200 * time.Millisecond); cancel() }()
	run := (&Hooks{}).Run(ctx, p, HookEnv{Action: "install"}, time.Minute)
	if run.Outcome != HookFailed || run.Err == nil || run.TimedOut {
		t.Errorf("got %+v; want failed with the context's error", run)
	}
}
