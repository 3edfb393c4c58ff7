package fleetclient_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleettest"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  fleetclient.Config
		keys []string
	}{
		{"no fleet", fleetclient.Config{}, nil},
		{"good", fleetclient.Config{URL: "https://fleet.example.de", EnrolmentCode: "7K2M-Q9XD-4HNB-PW3E-R8TA", Heartbeat: check.Duration(30 * time.Second)}, nil},
		{"local http", fleetclient.Config{URL: "http://127.0.0.1:8090"}, nil},
		{"remote http", fleetclient.Config{URL: "http://fleet.example.de"}, []string{"url"}},
		{"not a url", fleetclient.Config{URL: "fleet"}, []string{"url"}},
		{"code without url", fleetclient.Config{EnrolmentCode: "7K2M-Q9XD"}, []string{"url"}},
		{"short code, fast heartbeat, missing ca", fleetclient.Config{URL: "https://f.example.de", EnrolmentCode: "abc",
			Heartbeat: check.Duration(time.Second), CAFile: "/nonexistent/ca.pem"}, []string{"enrolment_code", "heartbeat", "ca_file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys []string
			for _, p := range tt.cfg.Validate() {
				keys = append(keys, p.Key)
			}
			if strings.Join(keys, ",") != strings.Join(tt.keys, ",") {
				t.Errorf("problems: got %v; want %v", keys, tt.keys)
			}
		})
	}
}

func TestFromOverview(t *testing.T) {
	at := time.Date(2026, 6, 15, 9, 12, 0, 0, time.UTC)
	ov := monitor.Overview{At: at, Overall: check.StateDown, RootCauses: []string{"konnektor"}, Checks: []monitor.CheckStatus{
		{ID: "konnektor", Name: "Konnektor", State: check.StateDown, Since: at},
		{ID: "erezept", Name: "E-Rezept", State: check.StateDown, CausedBy: []string{"konnektor"}, Since: at},
	}}
	hb := fleetclient.FromOverview(ov, time.UTC, map[string]string{"erp": "2025.4"}, protocol.Agent{Version: "1.0", State: "idle"})
	if hb.Overall != "down" || hb.RootCauses[0] != "konnektor" || hb.Components["erp"] != "2025.4" || !strings.Contains(hb.Sentence, "Konnektor") {
		t.Errorf("heartbeat: got %+v", hb)
	}
	if hb := fleetclient.FromOverview(monitor.Overview{}, time.UTC, nil, protocol.Agent{}); hb.Overall != "unknown" {
		t.Errorf("empty overview: got overall %q; want unknown", hb.Overall)
	}
}

func TestRunEnrolsHeartbeatsAndTakesCommands(t *testing.T) {
	env := fleettest.New(t, nil)
	codes := env.AddSites(t, fleet.Site{ID: "apo-a"})
	dir := filepath.Join(env.Dir, "site")
	c, err := fleetclient.New(fleetclient.Options{Config: fleetclient.Config{URL: env.URL, EnrolmentCode: codes["apo-a"]}, Dir: dir, Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	var mu sync.Mutex
	var got []protocol.Command
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(runCtx, func() protocol.Heartbeat {
			return protocol.Heartbeat{Overall: "ok", Components: map[string]string{"erp": "2025.4"}}
		}, func(_ context.Context, cmd protocol.Command) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, cmd)
			return nil
		})
	}()
	defer func() { stop(); <-done }()

	waitFor(t, "the first heartbeat", func() bool {
		_, ok, _ := env.Service().LastHeartbeat(ctx(t), "apo-a")
		return ok
	})
	sum, n, _ := tufrepo.StoreArtifact(env.App.Config.TargetsDir(), bytes.NewReader([]byte("x")), 10)
	rel, err := env.Service().PublishRelease(ctx(t), "anna", fleet.Release{Component: "erp", Version: "2026.1", Artifact: "a.msi",
		Length: n, SHA256: sum, InstallHook: "install", RollbackHook: "rollback"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service().StartRollout(ctx(t), "anna", rel.ID, fleet.StartOptions{Rings: []rollout.Ring{{Name: "all", Percent: 100}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the install command", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 1
	})
	waitFor(t, "the acknowledgement", func() bool {
		p, _ := env.App.Store.PendingCommands(ctx(t), "apo-a", env.Clock.Now())
		return len(p) == 0
	})
	mu.Lock()
	if got[0].Kind != fleet.CommandInstall || got[0].Version != "2026.1" {
		t.Errorf("command: got %+v", got[0])
	}
	mu.Unlock()
}

func TestNewCodeAfterRevocationEnrolsAgain(t *testing.T) {
	env := fleettest.New(t, nil)
	codes := env.AddSites(t, fleet.Site{ID: "apo-a"})
	dir := filepath.Join(env.Dir, "site")
	first, _ := fleetclient.New(fleetclient.Options{Config: fleetclient.Config{URL: env.URL, EnrolmentCode: codes["apo-a"]}, Dir: dir, Clock: env.Clock})
	if _, err := first.Enrol(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := env.Service().RevokeToken(ctx(t), "admin", "apo-a", "Rechner ausgetauscht"); err != nil {
		t.Fatal(err)
	}
	code, _ := env.Service().NewEnrolmentCode(ctx(t), "admin", "apo-a")
	// The pharmacy's IT puts the new code into the configuration and
	// restarts: the client loads the revoked token, is refused, enrols.
	c, err := fleetclient.New(fleetclient.Options{Config: fleetclient.Config{URL: env.URL, EnrolmentCode: code.Code}, Dir: dir, Clock: env.Clock})
	if err != nil || !c.Enrolled() {
		t.Fatalf("client with the old token: enrolled %v, %v", c.Enrolled(), err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(runCtx, func() protocol.Heartbeat { return protocol.Heartbeat{Overall: "ok"} },
			func(context.Context, protocol.Command) error { return nil })
	}()
	defer func() { stop(); <-done }()
	waitFor(t, "a heartbeat after re-enrolment", func() bool {
		_, ok, _ := env.Service().LastHeartbeat(ctx(t), "apo-a")
		return ok
	})
}

// waitFor polls cond for up to 20 s (real time; the fleet answers within
// milliseconds, the margin is for a loaded machine).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNoAgentReportsInstallsSkipped(t *testing.T) {
	env := fleettest.New(t, nil)
	codes := env.AddSites(t, fleet.Site{ID: "apo-a"})
	c, err := fleetclient.New(fleetclient.Options{Config: fleetclient.Config{URL: env.URL, EnrolmentCode: codes["apo-a"]},
		Dir: filepath.Join(env.Dir, "site"), Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Enrol(ctx(t)); err != nil {
		t.Fatal(err)
	}
	sum, n, _ := tufrepo.StoreArtifact(env.App.Config.TargetsDir(), bytes.NewReader([]byte("x")), 10)
	rel, err := env.Service().PublishRelease(ctx(t), "anna", fleet.Release{Component: "erp", Version: "2026.1", Artifact: "a.msi",
		Length: n, SHA256: sum, InstallHook: "install", RollbackHook: "rollback"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service().StartRollout(ctx(t), "anna", rel.ID, fleet.StartOptions{Rings: []rollout.Ring{{Name: "all", Percent: 100}}}); err != nil {
		t.Fatal(err)
	}
	cmds, err := c.Poll(ctx(t), 0)
	if err != nil || len(cmds) != 1 {
		t.Fatalf("poll: %v %v", cmds, err)
	}
	if err := fleetclient.NoAgent(c)(ctx(t), cmds[0]); err != nil {
		t.Fatal(err)
	}
	reps, _ := env.App.Store.SiteReports(ctx(t), "apo-a", 10)
	if len(reps) != 1 || reps[0].Status != fleet.ReportSkipped {
		t.Errorf("reports: got %+v; want one skipped", reps)
	}
	if p, _ := c.Poll(ctx(t), 0); len(p) != 0 {
		t.Errorf("pending after skipped: got %d; want 0 (a skipped report ends the command)", len(p))
	}
}
