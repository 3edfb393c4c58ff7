package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleettest"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// client returns a site client with its own folder.
func client(t *testing.T, env *fleettest.Env, dir, code string) *fleetclient.Client {
	t.Helper()
	c, err := fleetclient.New(fleetclient.Options{Config: fleetclient.Config{URL: env.URL, EnrolmentCode: code},
		Dir: dir, Clock: env.Clock, AgentVersion: "1.0.0", Hostname: "server-" + filepath.Base(dir)})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}

// publish stores an artifact and publishes a release.
func publish(t *testing.T, env *fleettest.Env, component, version string, artifact []byte) fleet.Release {
	t.Helper()
	sum, n, err := tufrepo.StoreArtifact(env.App.Config.TargetsDir(), bytes.NewReader(artifact), 1<<20)
	if err != nil {
		t.Fatalf("store artifact: %v", err)
	}
	rel, err := env.Service().PublishRelease(ctx(t), "anna", fleet.Release{Component: component, Version: version,
		Artifact: "setup.bin", Length: n, SHA256: sum, InstallHook: "install", RollbackHook: "rollback"})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return rel
}

// oneRing is a plan of a single ring with every site.
var oneRing = []rollout.Ring{{Name: "all", Percent: 100, Soak: time.Hour, MaxFailureRatio: 0.5, MinReportShare: 0.5}}

func wantStatus(t *testing.T, what string, err error, status int) {
	t.Helper()
	var e *fleetclient.Error
	if err == nil {
		t.Fatalf("%s: got no error; want HTTP %d", what, status)
	}
	if !asError(err, &e) || e.Status != status {
		t.Fatalf("%s: got %v; want HTTP %d", what, err, status)
	}
}

func asError(err error, e **fleetclient.Error) bool {
	x, ok := err.(*fleetclient.Error)
	if ok {
		*e = x
	}
	return ok
}

func TestSiteSeesOnlyItsOwnData(t *testing.T) {
	env := fleettest.New(t, nil)
	codes := env.AddSites(t, fleet.Site{ID: "apo-a"}, fleet.Site{ID: "apo-b"})
	dirA, dirB := filepath.Join(env.Dir, "a"), filepath.Join(env.Dir, "b")
	a, b := client(t, env, dirA, codes["apo-a"]), client(t, env, dirB, codes["apo-b"])
	for _, c := range []*fleetclient.Client{a, b} {
		if _, err := c.Enrol(ctx(t)); err != nil {
			t.Fatalf("enrol: %v", err)
		}
	}
	if runtime.GOOS != "windows" {
		for _, f := range []string{fleetclient.TokenFile, fleetclient.RootFile} {
			st, err := os.Stat(filepath.Join(dirA, f))
			if err != nil {
				t.Fatalf("stat %s: %v", f, err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s: got mode %v; want 0600", f, st.Mode().Perm())
			}
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dirA, fleetclient.TokenFile))
	tokenA := strings.TrimSpace(string(raw))

	self, err := a.Self(ctx(t))
	if err != nil || self.ID != "apo-a" {
		t.Fatalf("self of a: got %+v, %v; want apo-a", self, err)
	}

	rel := publish(t, env, "erp", "2026.1", []byte("artifact"))
	if _, err := env.Service().StartRollout(ctx(t), "anna", rel.ID, fleet.StartOptions{Rings: oneRing}); err != nil {
		t.Fatalf("start rollout: %v", err)
	}
	ca, err := a.Poll(ctx(t), 0)
	if err != nil || len(ca) != 1 {
		t.Fatalf("commands of a: got %+v, %v; want 1", ca, err)
	}
	cb, err := b.Poll(ctx(t), 0)
	if err != nil || len(cb) != 1 || cb[0].ID == ca[0].ID {
		t.Fatalf("commands of b: got %+v, %v; want 1 of its own", cb, err)
	}
	if ca[0].Kind != fleet.CommandInstall || ca[0].SHA256 != rel.SHA256 || ca[0].NotBefore.IsZero() {
		t.Errorf("install command: got %+v", ca[0])
	}

	// a cannot acknowledge or report on b's command, nor read b's record.
	wantStatus(t, "a acks b's command", a.Ack(ctx(t), cb[0].ID), http.StatusNotFound)
	wantStatus(t, "a reports on b's command", a.Report(ctx(t), protocol.Report{CommandID: cb[0].ID, Status: fleet.ReportFailed}), http.StatusNotFound)
	for _, path := range []string{"/api/v1/sites/apo-b", "/api/v1/sites", "/api/v1/rollouts/1"} {
		req, _ := http.NewRequest(http.MethodGet, env.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tokenA)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || strings.Contains(string(body), "apo-b") {
			t.Errorf("GET %s with a's site token: got %d %s; want 401 without b's data", path, resp.StatusCode, body)
		}
	}
	// b's own acknowledgement works, and b's command is gone from its queue.
	if err := b.Ack(ctx(t), cb[0].ID); err != nil {
		t.Fatalf("b acks: %v", err)
	}
	if cb, _ := b.Poll(ctx(t), 0); len(cb) != 0 {
		t.Errorf("b's queue after ack: got %d; want 0", len(cb))
	}
	if ca, _ := a.Poll(ctx(t), 0); len(ca) != 1 {
		t.Errorf("a's queue after b's ack: got %d; want 1", len(ca))
	}
}

func TestRevokedTokenIsRefused(t *testing.T) {
	env := fleettest.New(t, nil)
	codes := env.AddSites(t, fleet.Site{ID: "apo-a"})
	dir := filepath.Join(env.Dir, "a")
	a := client(t, env, dir, codes["apo-a"])
	if _, err := a.Enrol(ctx(t)); err != nil {
		t.Fatalf("enrol: %v", err)
	}
	// The code is used up.
	again := client(t, env, filepath.Join(env.Dir, "again"), codes["apo-a"])
	_, err := again.Enrol(ctx(t))
	wantStatus(t, "second use of a code", err, http.StatusUnauthorized)
	if fleetclient.Retryable(err) {
		t.Error("refused code: got retryable; want not")
	}
	if _, err := a.SendHeartbeat(ctx(t), protocol.Heartbeat{Overall: "ok"}); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	if err := env.Service().RevokeToken(ctx(t), "admin", "apo-a", ""); fleet.ErrorCode(err) != fleet.EINVALID {
		t.Errorf("revoke without a reason: got %v; want EINVALID", err)
	}
	if err := env.Service().RevokeToken(ctx(t), "admin", "apo-a", "Server gestohlen"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	_, err = a.SendHeartbeat(ctx(t), protocol.Heartbeat{Overall: "ok"})
	wantStatus(t, "heartbeat after revocation", err, http.StatusUnauthorized)
	_, err = a.Poll(ctx(t), 0)
	wantStatus(t, "poll after revocation", err, http.StatusUnauthorized)
	_, err = a.Self(ctx(t))
	wantStatus(t, "self after revocation", err, http.StatusUnauthorized)
	_, err = a.Fetch(ctx(t), "erp/1/x", "")
	if err == nil {
		t.Error("TUF fetch after revocation: got no error")
	}

	// A new code enrols the site again; the old token stays refused.
	code, err := env.Service().NewEnrolmentCode(ctx(t), "admin", "apo-a")
	if err != nil {
		t.Fatal(err)
	}
	fresh := client(t, env, dir, code.Code)
	if _, err := fresh.Enrol(ctx(t)); err != nil {
		t.Fatalf("re-enrol: %v", err)
	}
	if _, err := fresh.SendHeartbeat(ctx(t), protocol.Heartbeat{Overall: "ok"}); err != nil {
		t.Errorf("heartbeat after re-enrolment: %v", err)
	}
	_, err = a.SendHeartbeat(ctx(t), protocol.Heartbeat{Overall: "ok"})
	wantStatus(t, "old token after re-enrolment", err, http.StatusUnauthorized)
	audit, _ := env.Service().Audit(ctx(t), "site:apo-a", 10)
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); got != "site.enrol,site.code,site.revoke,site.enrol,site.add" {
		t.Errorf("audit of apo-a: got %s", got)
	}
}

func TestHeartbeatsReachTheConsoleList(t *testing.T) {
	env := fleettest.New(t, nil)
	codes := env.AddSites(t, fleet.Site{ID: "apo-a"}, fleet.Site{ID: "apo-b"})
	a := client(t, env, filepath.Join(env.Dir, "a"), codes["apo-a"])
	if _, err := a.Enrol(ctx(t)); err != nil {
		t.Fatal(err)
	}
	next, err := a.SendHeartbeat(ctx(t), protocol.Heartbeat{Overall: "down", Sentence: "Konnektor ausgefallen seit 11:58.",
		RootCauses: []string{"konnektor"}, Components: map[string]string{"erp": "2025.4"},
		Agent: protocol.Agent{Version: "1.0.0", State: "idle", UpdatesPaused: true, PauseReason: "Inventur"}})
	if err != nil || next != 30*time.Second {
		t.Fatalf("heartbeat: got next %v, %v; want 30s", next, err)
	}
	tests := []struct {
		name string
		hb   protocol.Heartbeat
	}{
		{"unknown overall", protocol.Heartbeat{Overall: "fine"}},
		{"bad component", protocol.Heartbeat{Overall: "ok", Components: map[string]string{"ERP!": "1"}}},
		{"unknown agent state", protocol.Heartbeat{Overall: "ok", Agent: protocol.Agent{State: "dancing"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.SendHeartbeat(ctx(t), tt.hb)
			wantStatus(t, tt.name, err, http.StatusBadRequest)
		})
	}
	// Before the flush the console already sees it (memory), after it the store.
	rows, _, err := env.Service().Sites(ctx(t), fleet.SiteFilter{Overall: ""})
	if err != nil || len(rows) != 2 || rows[0].Heartbeat.Overall != "down" {
		t.Fatalf("sites before flush: got %+v, %v", rows, err)
	}
	if err := env.Service().Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	hb, err := env.App.Store.Heartbeat(ctx(t), "apo-a")
	if err != nil || !hb.UpdatesPaused || hb.Components["erp"] != "2025.4" || !hb.ReceivedAt.Equal(fleettest.Start) {
		t.Errorf("stored heartbeat: got %+v, %v", hb, err)
	}
	if got := env.Service().Liveness(hb); got != fleet.LiveOnline {
		t.Errorf("liveness now: got %s; want online", got)
	}
	env.Clock.Advance(16 * time.Minute)
	if got := env.Service().Liveness(hb); got != fleet.LiveSilent {
		t.Errorf("liveness after 16 min: got %s; want silent", got)
	}
}

func TestLongPollWakesOnNewCommand(t *testing.T) {
	env := fleettest.New(t, nil)
	codes := env.AddSites(t, fleet.Site{ID: "apo-a"})
	a := client(t, env, filepath.Join(env.Dir, "a"), codes["apo-a"])
	if _, err := a.Enrol(ctx(t)); err != nil {
		t.Fatal(err)
	}
	rel := publish(t, env, "erp", "2026.1", []byte("artifact"))
	type result struct {
		cmds []protocol.Command
		err  error
	}
	got := make(chan result, 1)
	go func() {
		cmds, err := a.Poll(ctx(t), 50*time.Second)
		got <- result{cmds, err}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for env.Service().Waiting() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the long-poll did not start waiting within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := env.Service().StartRollout(ctx(t), "anna", rel.ID, fleet.StartOptions{Rings: oneRing}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		if r.err != nil || len(r.cmds) != 1 || r.cmds[0].Kind != fleet.CommandInstall {
			t.Fatalf("long-poll answer: got %+v, %v; want one install", r.cmds, r.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the long-poll was not woken by the new command within 20 s (it waits 50 s)")
	}
}
