package fleet_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleettest"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// fleetOf is a test fleet with n enrolled sites (the first two pinned to
// the test ring), all heartbeating, and one release.
type fleetOf struct {
	env   *fleettest.Env
	svc   *fleet.Service
	sites map[string]fleet.Site
	ids   []string
	rel   fleet.Release
}

func newFleet(t *testing.T, n int) *fleetOf {
	t.Helper()
	env := fleettest.New(t, nil)
	f := &fleetOf{env: env, svc: env.Service(), sites: map[string]fleet.Site{}}
	var add []fleet.Site
	for i := range n {
		s := fleet.Site{ID: fmt.Sprintf("apo-%02d", i)}
		if i < 2 {
			s.Ring = "test"
		}
		add = append(add, s)
	}
	codes := env.AddSites(t, add...)
	for _, s := range add {
		e, err := f.svc.Enrol(ctx(t), codes[s.ID], "")
		if err != nil {
			t.Fatal(err)
		}
		f.sites[s.ID] = e.Site
		f.ids = append(f.ids, s.ID)
	}
	f.beat(t)
	sum, size, err := tufrepo.StoreArtifact(env.App.Config.TargetsDir(), bytes.NewReader([]byte("payload")), 100)
	if err != nil {
		t.Fatal(err)
	}
	f.rel, err = f.svc.PublishRelease(ctx(t), "anna", fleet.Release{Component: "erp", Version: "2026.1", Artifact: "a.msi",
		Length: size, SHA256: sum, InstallHook: "install", RollbackHook: "rollback"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// beat sends a heartbeat from every site except those in silent.
func (f *fleetOf) beat(t *testing.T, silent ...string) {
	t.Helper()
	for _, id := range f.ids {
		if contains(silent, id) {
			continue
		}
		if _, err := f.svc.Heartbeat(ctx(t), f.sites[id], fleet.Heartbeat{Overall: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// pending returns the pending commands of every site, by site.
func (f *fleetOf) pending(t *testing.T) map[string][]fleet.Command {
	t.Helper()
	out := map[string][]fleet.Command{}
	for _, id := range f.ids {
		cs, err := f.env.App.Store.PendingCommands(ctx(t), id, f.env.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) > 0 {
			out[id] = cs
		}
	}
	return out
}

// report has a site report on its newest pending command of kind, and
// acknowledges the older ones.
func (f *fleetOf) report(t *testing.T, id, kind string, statuses ...string) {
	t.Helper()
	cs, _ := f.env.App.Store.Commands(ctx(t), 1, id)
	var cmd fleet.Command
	for _, c := range cs {
		if c.Kind == kind {
			cmd = c
		}
	}
	if cmd.ID == 0 {
		t.Fatalf("%s has no %s command", id, kind)
	}
	for _, st := range statuses {
		if _, err := f.svc.Report(ctx(t), f.sites[id], cmd.ID, st, ""); err != nil {
			t.Fatalf("report %s %s: %v", id, st, err)
		}
	}
}

func (f *fleetOf) tick(t *testing.T) fleet.TickResult {
	t.Helper()
	if err := f.svc.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Tick(ctx(t))
	if err != nil || !res.Planned {
		t.Fatalf("tick: %+v, %v", res, err)
	}
	return res
}

func (f *fleetOf) view(t *testing.T) fleet.RolloutView {
	t.Helper()
	v, err := f.svc.RolloutView(ctx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// rings: the test ring (pinned sites), then 10 %, then the rest.
var rings = []rollout.Ring{
	{Name: "test", Soak: time.Hour, MaxFailureRatio: 0, MinReportShare: 1},
	{Name: "first", Percent: 10, Soak: time.Hour, MaxFailureRatio: 0, MinReportShare: 1},
	{Name: "broad", Percent: 90, Soak: time.Hour, MaxFailureRatio: 0.1, MinReportShare: 0.8},
}

// night moves the clock to 01:05 Berlin time of the next night.
func night(f *fleetOf) {
	now := f.env.Clock.Now()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	l := now.In(berlin)
	next := time.Date(l.Year(), l.Month(), l.Day()+1, 1, 5, 0, 0, berlin)
	f.env.Clock.Set(next.UTC())
}

func TestRolloutRunsRingByRingAndHaltsOnFailure(t *testing.T) {
	f := newFleet(t, 22)
	rec, err := f.svc.StartRollout(ctx(t), "anna", f.rel.ID, fleet.StartOptions{Rings: rings, Seed: "fixed"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != fleet.RolloutRunning {
		t.Fatalf("status: got %s", rec.Status)
	}
	p := f.pending(t)
	if len(p) != 2 || len(p["apo-00"]) != 1 || len(p["apo-01"]) != 1 {
		t.Fatalf("first commands: got %v; want installs for the two test sites only", p)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if nb := p["apo-00"][0].NotBefore.In(berlin); nb.Hour() != 1 || nb.Day() != 16 {
		t.Errorf("slot: got %v; want tonight 01:00 in Berlin", nb)
	}
	if res := f.tick(t); len(res.Commands) != 0 {
		t.Errorf("a second tick with nothing new: got commands %v; want none", res.Commands)
	}

	// Night 1: the test sites install fine; the ring passes after its soak.
	night(f)
	for _, id := range []string{"apo-00", "apo-01"} {
		f.report(t, id, fleet.CommandInstall, fleet.ReportDownloading, fleet.ReportInstalling, fleet.ReportInstalled)
	}
	f.beat(t)
	f.tick(t)
	if v := f.view(t); v.Rings[0].Counts[fleet.StatusOK] != 2 || v.State.Ring != 0 {
		t.Fatalf("after installs: ring %d, counts %v; want ring 0 with 2 ok", v.State.Ring, v.Rings[0].Counts)
	}
	// The soak runs an hour past the end of the slots (05:00).
	f.env.Clock.Advance(3*time.Hour + 50*time.Minute) // 04:55
	f.beat(t)
	f.tick(t)
	if v := f.view(t); v.State.Ring != 0 {
		t.Fatalf("before the soak's end: ring %d; want still the test ring", v.State.Ring)
	}
	f.env.Clock.Advance(66 * time.Minute) // 06:01
	f.beat(t)
	res := f.tick(t)
	v := f.view(t)
	if v.State.Ring != 1 || len(res.Commands) != 2 {
		t.Fatalf("after the soak: ring %d, commands %v; want ring first with 2 installs (10 %% of 20)", v.State.Ring, res.Commands)
	}
	first := v.Plan.Sites[1]
	night(f)

	// The first ring: one site fails, one began installing; the rollout
	// halts at once and the started sites are rolled back.
	f.report(t, first[0], fleet.CommandInstall, fleet.ReportInstalling, fleet.ReportFailed)
	f.report(t, first[1], fleet.CommandInstall, fleet.ReportInstalling)
	f.beat(t)
	res = f.tick(t)
	rec, _ = f.env.App.Store.Rollout(ctx(t), 1)
	if rec.Status != fleet.RolloutHalted || !strings.Contains(rec.Reason, "first") {
		t.Fatalf("after a failure in the first ring: got %s %q; want halted", rec.Status, rec.Reason)
	}
	if res.Commands[first[0]] != 1 || res.Commands[first[1]] != 1 {
		t.Errorf("rollbacks: got %v; want one for each started site of the ring", res.Commands)
	}
	cs, _ := f.env.App.Store.Commands(ctx(t), 1, first[1])
	if last := cs[len(cs)-1]; last.Kind != fleet.CommandRollback || last.Reason == "" {
		t.Errorf("last command of %s: got %+v; want a rollback with the reason", first[1], last)
	}
	f.report(t, first[1], fleet.CommandRollback, fleet.ReportRolledBack)
	v = f.view(t)
	if c := v.Rings[1].Counts; c[fleet.StatusRolledBack] != 1 || c[fleet.StatusRollingBack]+c[fleet.StatusFailed] != 1 {
		t.Errorf("first ring counts: got %v; want 1 rolled back and the failed one", c)
	}
	if c := v.Rings[2].Counts; c[fleet.StatusNotReached] != 18 {
		t.Errorf("broad ring counts: got %v; want 18 not reached", c)
	}
	audit, _ := f.svc.Audit(ctx(t), "rollout:1", 10)
	if len(audit) == 0 || audit[0].Actor != "planner" || audit[0].Action != "rollout.halted" {
		t.Errorf("audit: got %+v; want the planner's halt first", audit)
	}
	// A halted rollout is resumed only by hand, with a reason.
	if err := f.svc.ChangeRollout(ctx(t), "anna", 1, fleet.Resume, ""); fleet.ErrorCode(err) != fleet.EINVALID {
		t.Errorf("resume without reason: got %v; want EINVALID", err)
	}
	if err := f.svc.ChangeRollout(ctx(t), "anna", 1, fleet.Abort, "Fehler im Hook, neue Version folgt"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ChangeRollout(ctx(t), "anna", 1, fleet.Resume, "doch weiter"); fleet.ErrorCode(err) != fleet.ECONFLICT {
		t.Errorf("resume an aborted rollout: got %v; want ECONFLICT", err)
	}
	if _, err := f.svc.StartRollout(ctx(t), "anna", f.rel.ID, fleet.StartOptions{Rings: rings}); err != nil {
		t.Errorf("a new rollout after the abort: %v", err)
	}
}

func TestSilenceAfterInstallHalts(t *testing.T) {
	f := newFleet(t, 12)
	if _, err := f.svc.StartRollout(ctx(t), "anna", f.rel.ID, fleet.StartOptions{Rings: rings, Seed: "fixed"}); err != nil {
		t.Fatal(err)
	}
	night(f)
	f.report(t, "apo-00", fleet.CommandInstall, fleet.ReportInstalling) // and then the server never comes back
	f.report(t, "apo-01", fleet.CommandInstall, fleet.ReportInstalling, fleet.ReportInstalled)
	f.beat(t, "apo-00")
	f.tick(t)
	if rec, _ := f.env.App.Store.Rollout(ctx(t), 1); rec.Status != fleet.RolloutRunning {
		t.Fatalf("within the deadline: got %s; want running", rec.Status)
	}
	f.env.Clock.Advance(16 * time.Minute) // past the 15 min dead-man deadline
	f.beat(t, "apo-00")
	f.tick(t)
	rec, _ := f.env.App.Store.Rollout(ctx(t), 1)
	if rec.Status != fleet.RolloutHalted {
		t.Fatalf("after 16 min of silence: got %s; want halted", rec.Status)
	}
	v := f.view(t)
	if v.Rings[0].Counts[fleet.StatusSilent] != 1 || v.Installed != 2 {
		t.Errorf("test ring: got %v, installed %d; want 1 silent, 2 installed", v.Rings[0].Counts, v.Installed)
	}
}

func TestPauseByHandAndBySite(t *testing.T) {
	f := newFleet(t, 12)
	// apo-01 (test ring) has paused updates itself: it gets no install.
	if _, err := f.svc.Heartbeat(ctx(t), f.sites["apo-01"], fleet.Heartbeat{Overall: "ok", UpdatesPaused: true, PauseReason: "Inventur"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.StartRollout(ctx(t), "anna", f.rel.ID, fleet.StartOptions{Rings: rings}); err != nil {
		t.Fatal(err)
	}
	p := f.pending(t)
	if len(p) != 1 || p["apo-00"] == nil {
		t.Fatalf("commands: got %v; want an install for apo-00 only (apo-01 paused itself)", p)
	}
	if v := f.view(t); v.Rings[0].Counts[fleet.StatusUnscheduled] != 1 {
		t.Errorf("test ring: got %v; want 1 without a slot", v.Rings[0].Counts)
	}
	if err := f.svc.ChangeRollout(ctx(t), "ben", 1, fleet.Pause, "Hotline: Druckerprobleme bei Testapotheke"); err != nil {
		t.Fatal(err)
	}
	cs, _ := f.env.App.Store.Commands(ctx(t), 1, "apo-00")
	if len(cs) != 2 || cs[1].Kind != fleet.CommandCancel {
		t.Fatalf("after the pause: got %+v; want the install and a cancel", cs)
	}
	if err := f.svc.ChangeRollout(ctx(t), "ben", 1, fleet.Resume, "Ursache gefunden: Treiber"); err != nil {
		t.Fatal(err)
	}
	cs, _ = f.env.App.Store.Commands(ctx(t), 1, "apo-00")
	if len(cs) != 3 || cs[2].Kind != fleet.CommandInstall {
		t.Errorf("after the resume: got %+v; want a new install", cs)
	}
	rec, _ := f.env.App.Store.Rollout(ctx(t), 1)
	if rec.Status != fleet.RolloutRunning {
		t.Errorf("status after resume: got %s", rec.Status)
	}
	if _, err := f.svc.StartRollout(ctx(t), "anna", f.rel.ID, fleet.StartOptions{}); fleet.ErrorCode(err) != fleet.ECONFLICT {
		t.Errorf("a second rollout of erp while one runs: got %v; want ECONFLICT", err)
	}
}
