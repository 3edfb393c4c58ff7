package postgres

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

// TestTwoReplicas runs two fleet services over one database, as two
// replicas behind a load balancer: a site's long-poll on one replica is
// woken by a rollout started on the other (LISTEN/NOTIFY), and only one
// replica plans at a time.
func TestTwoReplicas(t *testing.T) {
	s1, s2 := openTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	cfg, err := fleet.BuildConfig(fleet.Config{DataDir: dir, DSN: "postgres://x@127.0.0.1/test"}, filepath.Join(dir, "fleet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC))
	keys, err := tufrepo.InitKeys(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	repo1, repo2 := tufrepo.New(s1, keys, clk), tufrepo.New(s2, keys, clk)
	if err := repo1.Init(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := fleet.NewService(fleet.Options{Config: cfg, Store: s1, TUF: repo1, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	b, err := fleet.NewService(fleet.Options{Config: cfg, Store: s2, TUF: repo2, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range []*fleet.Service{a, b} {
		if err := svc.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	codes, err := a.AddSites(ctx, "admin", []fleet.Site{{ID: "apo-1", Name: "A", Timezone: "Europe/Berlin", State: "BY", Window: "täglich 01:00-05:00"}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := b.Enrol(ctx, codes[0].Code, "")
	if err != nil {
		t.Fatal(err)
	}
	site, err := a.AuthenticateSite(ctx, e.Token) // enrolled on b, accepted on a
	if err != nil {
		t.Fatal(err)
	}
	sum, n, err := tufrepo.StoreArtifact(filepath.Join(dir, "targets"), bytes.NewReader([]byte("x")), 10)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := b.PublishRelease(ctx, "anna", fleet.Release{Component: "erp", Version: "1", Artifact: "a.msi", Length: n, SHA256: sum,
		InstallHook: "install", RollbackHook: "rollback"})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []fleet.Command, 1)
	go func() {
		cmds, _ := a.WaitForCommands(ctx, site, 50*time.Second)
		got <- cmds
	}()
	deadline := time.Now().Add(10 * time.Second)
	for a.Waiting() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the long-poll on replica a did not start within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := b.StartRollout(ctx, "anna", rel.ID, fleet.StartOptions{Rings: []rollout.Ring{{Name: "all", Percent: 100}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case cmds := <-got:
		if len(cmds) != 1 || cmds[0].Kind != fleet.CommandInstall {
			t.Fatalf("long-poll on a: got %+v; want the install enqueued on b", cmds)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the long-poll on replica a was not woken by the rollout on replica b within 20 s")
	}
	// One planner at a time.
	unlock, ok, err := s1.TryPlannerLock(ctx)
	if err != nil || !ok {
		t.Fatalf("lock on a: %v %v", ok, err)
	}
	res, err := b.Tick(ctx)
	if err != nil || res.Planned {
		t.Errorf("tick on b while a holds the lock: planned %v, %v; want skipped", res.Planned, err)
	}
	unlock()
	if res, err := b.Tick(ctx); err != nil || !res.Planned {
		t.Errorf("tick on b after a let go: planned %v, %v; want planned", res.Planned, err)
	}
}
