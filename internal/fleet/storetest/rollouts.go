package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

func release(component, version string) fleet.Release {
	r := fleet.Release{Component: component, Version: version, Artifact: "setup.msi", Length: 1234,
		SHA256: strings.Repeat("ab", 32), InstallHook: "install", RollbackHook: "rollback",
		Notes: "Behebt den Fehler beim Jahreswechsel.", CreatedAt: t0, CreatedBy: "anna"}
	r.Normalize()
	return r
}

func testReleases(t *testing.T, s, _ fleet.Store) {
	c := ctx(t)
	r1, err := s.CreateRelease(c, release("erp", "2025.1"))
	must(t, "create", err)
	if r1.ID == 0 {
		t.Fatal("release id: got 0")
	}
	r2, err := s.CreateRelease(c, release("erp", "2025.2"))
	must(t, "create 2", err)
	_, err = s.CreateRelease(c, release("erp", "2025.1"))
	wantCode(t, "duplicate version", err, fleet.ECONFLICT)
	got, err := s.Release(c, r1.ID)
	must(t, "read", err)
	if d := cmp.Diff(r1, got); d != "" {
		t.Errorf("release (-want +got):\n%s", d)
	}
	_, err = s.Release(c, 9999)
	wantCode(t, "unknown release", err, fleet.ENOTFOUND)
	all, err := s.Releases(c)
	must(t, "list", err)
	if len(all) != 2 || all[0].ID != r2.ID || all[1].ID != r1.ID {
		t.Errorf("releases: got %+v; want newest first", all)
	}
}

// rolloutFixture creates two sites, a release and a rollout.
func rolloutFixture(t *testing.T, s fleet.Store) (fleet.Release, fleet.RolloutRecord) {
	c := ctx(t)
	must(t, "sites", s.CreateSites(c, newSites("apo-1", "apo-2")))
	rel, err := s.CreateRelease(c, release("erp", "2025.1"))
	must(t, "release", err)
	r, err := s.CreateRollout(c, fleet.RolloutRecord{ReleaseID: rel.ID, Status: fleet.RolloutRunning,
		Plan: []byte(`{"rings":[]}`), State: []byte(`{}`), CreatedAt: t0, CreatedBy: "anna"})
	must(t, "rollout", err)
	return rel, r
}

func cmd(site string, rel fleet.Release, at time.Time) fleet.Command {
	return fleet.Command{SiteID: site, Kind: fleet.CommandInstall, Component: rel.Component, Version: rel.Version,
		TargetPath: rel.TargetPath, Length: rel.Length, SHA256: rel.SHA256, InstallHook: rel.InstallHook,
		RollbackHook: rel.RollbackHook, NotBefore: at, NotAfter: at.Add(4 * time.Hour), CreatedAt: at}
}

func testRollouts(t *testing.T, s, s2 fleet.Store) {
	c := ctx(t)
	rel, r := rolloutFixture(t, s)
	if r.ID == 0 || r.Rev != 1 {
		t.Fatalf("new rollout: got id %d rev %d; want an id and rev 1", r.ID, r.Rev)
	}
	_, err := s.CreateRollout(c, fleet.RolloutRecord{ReleaseID: 9999, Status: fleet.RolloutRunning, Plan: []byte("{}"), State: []byte("{}"), CreatedAt: t0})
	wantCode(t, "rollout of unknown release", err, fleet.ENOTFOUND)

	got, err := s2.Rollout(c, r.ID)
	must(t, "read", err)
	if d := cmp.Diff(r, got); d != "" {
		t.Errorf("rollout (-want +got):\n%s", d)
	}
	_, err = s.Rollout(c, 9999)
	wantCode(t, "unknown rollout", err, fleet.ENOTFOUND)

	// Two replicas read rev 1; the first write wins, the second is refused.
	a, b := got, got
	a.State, a.ReportCursor, a.UpdatedAt, a.Status, a.Reason = []byte(`{"step":1}`), 7, t0.Add(time.Minute), fleet.RolloutHalted, "Gate: 3 von 20 fehlgeschlagen"
	a2, err := s.UpdateRollout(c, a, []fleet.Command{cmd("apo-1", rel, t0)})
	must(t, "update", err)
	if a2.Rev != 2 {
		t.Errorf("rev after update: got %d; want 2", a2.Rev)
	}
	b.State = []byte(`{"step":"other"}`)
	_, err = s2.UpdateRollout(c, b, []fleet.Command{cmd("apo-2", rel, t0)})
	wantCode(t, "stale rev", err, fleet.ECONFLICT)
	got, _ = s.Rollout(c, r.ID)
	if string(got.State) != `{"step":1}` || got.Rev != 2 || got.ReportCursor != 7 || got.Status != fleet.RolloutHalted || !strings.Contains(got.Reason, "3 von 20") {
		t.Errorf("rollout after update: got %+v", got)
	}
	if cs, _ := s.Commands(c, r.ID, "apo-2"); len(cs) != 0 {
		t.Errorf("commands of the refused update: got %d; want 0", len(cs))
	}
	missing := a2
	missing.ID = 9999
	_, err = s.UpdateRollout(c, missing, nil)
	wantCode(t, "update unknown", err, fleet.ENOTFOUND)

	active, err := s.ActiveRollouts(c)
	must(t, "active", err)
	if len(active) != 1 || active[0].ID != r.ID || string(active[0].Plan) != `{"rings":[]}` {
		t.Errorf("active rollouts: got %+v", active)
	}
	got.Status = fleet.RolloutDone
	_, err = s.UpdateRollout(c, got, nil)
	must(t, "done", err)
	active, _ = s.ActiveRollouts(c)
	if len(active) != 0 {
		t.Errorf("active after done: got %d; want 0", len(active))
	}
	list, err := s.Rollouts(c)
	must(t, "list", err)
	if len(list) != 1 || list[0].Status != fleet.RolloutDone || list[0].Plan != nil {
		t.Errorf("rollouts list: got %+v; want one, done, without plan", list)
	}
}

func testCommands(t *testing.T, s, s2 fleet.Store) {
	c := ctx(t)
	rel, r := rolloutFixture(t, s)
	c1, c2, c3 := cmd("apo-1", rel, t0), cmd("apo-1", rel, t0), cmd("apo-2", rel, t0)
	c2.Kind, c2.Reason = fleet.CommandRollback, "Gate: Fehlerquote 20 %"
	_, err := s.UpdateRollout(c, r, []fleet.Command{c1, c2, c3})
	must(t, "enqueue", err)

	if ids, err := s2.PendingSites(c); err != nil || len(ids) != 2 || ids[0] != "apo-1" || ids[1] != "apo-2" {
		t.Errorf("pending sites: got %v, %v; want apo-1 and apo-2", ids, err)
	}
	t1 := t0.Add(time.Minute)
	p, err := s2.PendingCommands(c, "apo-1", t1)
	must(t, "pending", err)
	if len(p) != 2 || p[0].Kind != fleet.CommandInstall || p[1].Kind != fleet.CommandRollback || p[1].Reason == "" {
		t.Fatalf("pending of apo-1: got %+v", p)
	}
	want := c1
	want.ID, want.RolloutID = p[0].ID, r.ID
	if d := cmp.Diff(want, p[0], cmpopts.IgnoreFields(fleet.Command{}, "DeliveredAt")); d != "" {
		t.Errorf("command (-want +got):\n%s", d)
	}
	if !p[0].DeliveredAt.IsZero() {
		t.Errorf("first delivery: got DeliveredAt %v; want zero in this answer", p[0].DeliveredAt)
	}
	p, _ = s.PendingCommands(c, "apo-1", t1.Add(time.Minute))
	sameTime(t, "delivered at", p[0].DeliveredAt, t1)

	// A site cannot acknowledge another site's command.
	wantCode(t, "ack of another site's command", s.AckCommand(c, "apo-2", p[0].ID, t1), fleet.ENOTFOUND)
	wantCode(t, "ack of unknown command", s.AckCommand(c, "apo-1", 99999, t1), fleet.ENOTFOUND)
	must(t, "ack", s2.AckCommand(c, "apo-1", p[0].ID, t1))
	must(t, "ack twice", s.AckCommand(c, "apo-1", p[0].ID, t1.Add(time.Hour)))
	p, _ = s.PendingCommands(c, "apo-1", t1)
	if len(p) != 1 || p[0].Kind != fleet.CommandRollback {
		t.Errorf("pending after ack: got %+v; want the rollback only", p)
	}
	all, err := s.Commands(c, r.ID, "apo-1")
	must(t, "commands", err)
	if len(all) != 2 {
		t.Fatalf("commands of apo-1: got %d; want 2", len(all))
	}
	sameTime(t, "acked at (first ack kept)", all[0].AckedAt, t1)
	if all, _ := s.Commands(c, r.ID, ""); len(all) != 3 {
		t.Errorf("commands of the rollout: got %d; want 3", len(all))
	}
}

func testReports(t *testing.T, s, s2 fleet.Store) {
	c := ctx(t)
	rel, r := rolloutFixture(t, s)
	_, err := s.UpdateRollout(c, r, []fleet.Command{cmd("apo-1", rel, t0), cmd("apo-2", rel, t0)})
	must(t, "enqueue", err)
	p1, _ := s.PendingCommands(c, "apo-1", t0)
	p2, _ := s.PendingCommands(c, "apo-2", t0)

	_, err = s.AddReport(c, fleet.Report{SiteID: "apo-2", CommandID: p1[0].ID, Status: fleet.ReportFailed, At: t0})
	wantCode(t, "report on another site's command", err, fleet.ENOTFOUND)

	rep, err := s.AddReport(c, fleet.Report{SiteID: "apo-1", CommandID: p1[0].ID, Status: fleet.ReportInstalling, At: t0.Add(time.Minute)})
	must(t, "progress", err)
	if rep.ID == 0 || rep.RolloutID != r.ID || rep.Kind != fleet.CommandInstall || rep.Component != "erp" || rep.Version != "2025.1" {
		t.Errorf("report: got %+v; want id, rollout, kind, component and version filled", rep)
	}
	if p, _ := s.PendingCommands(c, "apo-1", t0); len(p) != 1 {
		t.Errorf("pending after a progress report: got %d; want 1", len(p))
	}
	r2, err := s2.AddReport(c, fleet.Report{SiteID: "apo-1", CommandID: p1[0].ID, Status: fleet.ReportInstalled, Message: "ok", At: t0.Add(2 * time.Minute)})
	must(t, "installed", err)
	if p, _ := s.PendingCommands(c, "apo-1", t0); len(p) != 0 {
		t.Errorf("pending after a terminal report: got %d; want 0", len(p))
	}
	r3, err := s.AddReport(c, fleet.Report{SiteID: "apo-2", CommandID: p2[0].ID, Status: fleet.ReportFailed, Message: "Hook meldet Fehler 3", At: t0.Add(3 * time.Minute)})
	must(t, "failed", err)

	got, err := s.Reports(c, r.ID, rep.ID, 0)
	must(t, "reports after cursor", err)
	if len(got) != 2 || got[0].ID != r2.ID || got[1].ID != r3.ID {
		t.Errorf("reports after %d: got %+v", rep.ID, got)
	}
	sameTime(t, "report time", got[0].At, t0.Add(2*time.Minute))
	if got, _ := s.Reports(c, r.ID, 0, 1); len(got) != 1 || got[0].ID != rep.ID {
		t.Errorf("reports with limit 1: got %+v", got)
	}
	site1, err := s.SiteReports(c, "apo-1", 10)
	must(t, "site reports", err)
	if len(site1) != 2 || site1[0].ID != r2.ID {
		t.Errorf("site reports: got %+v; want 2, newest first", site1)
	}
}
