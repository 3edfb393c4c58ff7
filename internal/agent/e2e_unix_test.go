//go:build !windows

package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet"
)

// slotStart is the site's first slot after fleettest.Start (Monday 15 June
// 2026, 12:00): Tuesday 01:00 in Berlin.
var slotStart = time.Date(2026, 6, 15, 23, 0, 0, 0, time.UTC)

// intoWindow moves the clock one minute into the slot.
func (w *world) intoWindow() { w.env.Clock.Set(slotStart.Add(time.Minute)) }

func TestGoodUpdateCommits(t *testing.T) {
	w := newWorld(t)
	w.hooksWith(t, `test "$LIFELINE_ACTION" = install && test -s "$LIFELINE_ARTIFACT" && cp "$LIFELINE_ARTIFACT" installed.bin`, "")
	artifact := []byte("WinApo 24.3 setup, signed by the vendor")
	rel := w.publish(t, "24.3", artifact)
	a := w.run(t, Options{})
	w.start(t, rel)

	waitState(t, a.Agent, WaitingForWindow)
	v := a.View(tctx(t))
	if v.Next == nil || !v.Next.At.Equal(slotStart) {
		t.Fatalf("planned: got %+v; want the slot at %s", v.Next, slotStart)
	}
	if got := v.Next.Sentence("de", berlin(t), w.env.Clock.Now()); got != "Update WinApo 24.3 geplant für Di 01:00" {
		t.Errorf("sentence: got %q", got)
	}
	if w.count("install") != 0 {
		t.Fatal("installed outside the window")
	}
	w.waitReport(t, "install", "received")

	w.intoWindow()
	waitState(t, a.Agent, HealthGate)
	w.heartbeat(t, a.Agent)
	if got := w.probe(t); got != check.StateOK {
		t.Fatalf("ERP after the install: %s", got)
	}
	w.env.Clock.Advance(DefaultGateDuration)
	u := waitResult(t, a.Agent, 1)
	if u.Result != ResultCommitted || u.From != "24.2" || u.Attempts != 1 {
		t.Fatalf("update: got result %s from %q after %d attempts; want committed from 24.2 after 1", u.Result, u.From, u.Attempts)
	}
	w.waitReport(t, "install", "installed")
	if got := a.Components()["erp"]; got != "24.3" {
		t.Errorf("installed version: got %q; want 24.3", got)
	}
	if b, err := os.ReadFile(filepath.Join(w.hooks, "installed.bin")); err != nil || string(b) != string(artifact) {
		t.Errorf("the hook got %q, %v; want the signed artifact", b, err)
	}
	if w.count("install") != 1 || w.count("rollback") != 0 {
		t.Errorf("hook runs: install %d, rollback %d; want 1, 0", w.count("install"), w.count("rollback"))
	}
	var states []StateID
	for _, tr := range u.Transitions {
		states = append(states, tr.To)
	}
	want := []StateID{Scheduled, Downloading, Verifying, WaitingForWindow, Installing, HealthGate, Committed}
	if strings.Join(toStrings(states), ",") != strings.Join(toStrings(want), ",") {
		t.Errorf("transitions: got %v; want %v", states, want)
	}
	// The fleet sees the version in the heartbeat.
	w.heartbeat(t, a.Agent)
	hb, err := w.env.App.Store.Heartbeat(tctx(t), w.siteID)
	if err == nil && hb.Components["erp"] != "24.3" {
		t.Errorf("fleet's view: got %v", hb.Components)
	}
}

func toStrings(ss []StateID) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

func TestFailingHealthGateRollsBack(t *testing.T) {
	w := newWorld(t)
	// The bad update breaks the ERP's database; the rollback repairs it.
	w.hooksWith(t, "touch broken", `test "$LIFELINE_PREVIOUS_VERSION" = 24.2 && rm -f broken`)
	rel := w.publish(t, "24.3", []byte("WinApo 24.3, broken"))
	a := w.run(t, Options{})
	rec := w.start(t, rel)
	waitState(t, a.Agent, WaitingForWindow)
	w.intoWindow()
	waitState(t, a.Agent, HealthGate)
	w.heartbeat(t, a.Agent)
	if got := w.probe(t); got != check.StateDown {
		t.Fatalf("ERP after the bad install: got %s; want down", got)
	}
	u := waitResult(t, a.Agent, 1)
	if u.Result != ResultRolledBack || !strings.Contains(u.Reason.DE, "Gesundheitsprüfung nicht bestanden: Warenwirtschaft ist ausgefallen") {
		t.Fatalf("update: got %s (%s); want rolled back for the health check", u.Result, u.Reason.DE)
	}
	if w.count("rollback") != 1 {
		t.Errorf("rollback runs: got %d; want 1", w.count("rollback"))
	}
	if got := w.probe(t); got != check.StateOK {
		t.Errorf("ERP after the rollback: got %s; want ok", got)
	}
	if got := a.Components()["erp"]; got != "24.2" {
		t.Errorf("installed version: got %q; want 24.2 again", got)
	}
	rep := w.waitReport(t, "install", "rolled_back")
	if !strings.Contains(rep.Message, "Warenwirtschaft") {
		t.Errorf("report message: got %q; want it to name the check", rep.Message)
	}
	// The fleet's gate halts the rollout and asks for a rollback, which the
	// site answers at once: there is nothing left to roll back.
	w.heartbeat(t, a.Agent)
	if _, err := w.env.Service().Tick(tctx(t)); err != nil {
		t.Fatal(err)
	}
	got, err := w.env.App.Store.Rollout(tctx(t), rec.ID)
	if err != nil || got.Status != fleet.RolloutHalted {
		t.Fatalf("rollout: got %s, %v; want halted", got.Status, err)
	}
	w.waitReport(t, "rollback", "rolled_back")
	if w.count("rollback") != 1 || w.count("install") != 1 {
		t.Errorf("hook runs: install %d, rollback %d; want 1 and 1", w.count("install"), w.count("rollback"))
	}
}

func TestHookRetryLater(t *testing.T) {
	w := newWorld(t)
	// The first run finds the ERP busy (exit 21), the second installs.
	w.hooksWith(t, `test "$(wc -l < install.count)" -ge 2 || exit 21`, "")
	rel := w.publish(t, "24.3", []byte("WinApo 24.3"))
	a := w.run(t, Options{})
	w.start(t, rel)
	waitState(t, a.Agent, WaitingForWindow)
	w.intoWindow()
	waitFor(t, "the first attempt", func() bool { return w.count("install") == 1 && a.currentState() == WaitingForWindow })
	u := a.current()
	if !u.RetryAt.Equal(w.env.Clock.Now().Add(DefaultRetryInterval).UTC()) || u.HookStarted {
		t.Fatalf("after exit 21: got retry at %s, hook started %v", u.RetryAt, u.HookStarted)
	}
	time.Sleep(50 * time.Millisecond) // ten polls: nothing may happen before the retry time
	if w.count("install") != 1 {
		t.Fatalf("retried before the retry interval: %d runs", w.count("install"))
	}
	if v := a.View(tctx(t)); v.Next == nil || !strings.Contains(v.Next.Waiting.DE, "später") {
		t.Errorf("waiting reason: got %+v", v.Next)
	}
	w.env.Clock.Advance(DefaultRetryInterval)
	waitState(t, a.Agent, HealthGate)
	w.env.Clock.Advance(DefaultGateDuration)
	got := waitResult(t, a.Agent, 1)
	if got.Result != ResultCommitted || got.Attempts != 2 || w.count("install") != 2 {
		t.Errorf("got %s after %d attempts (%d runs); want committed after 2", got.Result, got.Attempts, w.count("install"))
	}
}

func TestTamperedArtifactIsRefused(t *testing.T) {
	w := newWorld(t)
	w.hooksWith(t, "", "")
	rel := w.publish(t, "24.3", []byte("WinApo 24.3, as signed"))
	// Someone replaces the file on the fleet's disk.
	if err := os.WriteFile(filepath.Join(w.env.App.Config.TargetsDir(), rel.SHA256), []byte("WinApo 24.3, malware!!"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := w.run(t, Options{})
	w.start(t, rel)
	u := waitResult(t, a.Agent, 1)
	if u.Result != ResultFailed || !strings.Contains(u.Reason.DE, "Prüfsumme") {
		t.Fatalf("got %s (%s); want failed for the hash", u.Result, u.Reason.DE)
	}
	w.waitReport(t, "install", "failed")
	w.intoWindow()
	time.Sleep(50 * time.Millisecond)
	if w.count("install") != 0 {
		t.Error("the tampered artifact was installed")
	}
	if _, err := os.Stat(filepath.Join(a.artifactsDir(), rel.SHA256+".winapo-setup.exe.part")); err == nil {
		t.Error("the tampered download was kept")
	}
}

func TestRolledBackMetadataIsRefused(t *testing.T) {
	w := newWorld(t)
	w.hooksWith(t, "", "")
	relA := w.publish(t, "24.3", []byte("WinApo 24.3"))
	oldTimestamp, err := w.env.App.Store.TUFFile(tctx(t), "timestamp.json")
	if err != nil {
		t.Fatal(err)
	}
	relB := w.publish(t, "24.4", []byte("WinApo 24.4"))
	a := w.run(t, Options{})
	recA := w.start(t, relA)
	waitState(t, a.Agent, WaitingForWindow) // the site has seen the newer timestamp
	if err := w.env.Service().ChangeRollout(tctx(t), "anna", recA.ID, fleet.Abort, "Test"); err != nil {
		t.Fatal(err)
	}
	if u := waitResult(t, a.Agent, 1); u.Result != ResultSkipped {
		t.Fatalf("aborted rollout: got %s; want skipped", u.Result)
	}
	// An attacker (or a broken mirror) serves the older timestamp.
	if err := w.env.App.Store.PutTUFFiles(tctx(t), map[string][]byte{"timestamp.json": oldTimestamp}); err != nil {
		t.Fatal(err)
	}
	w.start(t, relB)
	u := waitResult(t, a.Agent, 2)
	if u.Result != ResultFailed || !strings.Contains(u.Reason.DE, "ältere Metadaten") {
		t.Fatalf("got %s (%s); want failed for older metadata", u.Result, u.Reason.DE)
	}
	w.waitReport(t, "install", "failed")
}

func TestExpiredMetadataIsRefused(t *testing.T) {
	w := newWorld(t)
	w.hooksWith(t, "", "")
	rel := w.publish(t, "24.3", []byte("WinApo 24.3"))
	// The fleet stops re-signing (or an attacker freezes it): a day later
	// the timestamp has expired.
	w.env.Clock.Advance(25 * time.Hour)
	a := w.run(t, Options{})
	w.start(t, rel)
	u := waitResult(t, a.Agent, 1)
	if u.Result != ResultFailed || !strings.Contains(u.Reason.DE, "abgelaufen") {
		t.Fatalf("got %s (%s); want failed for expired metadata", u.Result, u.Reason.DE)
	}
}

func TestWrongSiteClockWaits(t *testing.T) {
	w := newWorld(t)
	w.hooksWith(t, "", "")
	rel := w.publish(t, "24.3", []byte("WinApo 24.3"))
	// The site's clock runs two hours ahead of the fleet's.
	siteClock := clock.NewFake(w.env.Clock.Now().Add(2 * time.Hour))
	a := w.run(t, Options{Clock: siteClock})
	w.start(t, rel)
	waitFor(t, "the clock warning", func() bool {
		u := a.current()
		return u != nil && u.State == Downloading && strings.Contains(u.Waiting.DE, "Uhr dieses Rechners geht um 2 Stunden vor")
	})
	if a.Status().State != "downloading" {
		t.Errorf("heartbeat state: got %q", a.Status().State)
	}
	// Once the clock is right, the update goes on.
	siteClock.Set(w.env.Clock.Now())
	waitState(t, a.Agent, WaitingForWindow)
}

func TestNeverStartsInEmergencyMode(t *testing.T) {
	w := newWorld(t)
	w.hooksWith(t, "", "")
	rel := w.publish(t, "24.3", []byte("WinApo 24.3"))
	var emergency, incident = true, false
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	get := func(p *bool) func() bool {
		return func() bool { <-mu; defer func() { mu <- struct{}{} }(); return *p }
	}
	set := func(p *bool, v bool) { <-mu; *p = v; mu <- struct{}{} }
	a := w.run(t, Options{Emergency: get(&emergency), IncidentOpen: get(&incident)})
	w.start(t, rel)
	waitState(t, a.Agent, WaitingForWindow)
	w.intoWindow()
	waitFor(t, "emergency reason", func() bool { u := a.current(); return u != nil && strings.Contains(u.Waiting.DE, "Notbetrieb") })
	set(&emergency, false)
	set(&incident, true)
	a.Wake()
	waitFor(t, "incident reason", func() bool { u := a.current(); return u != nil && strings.Contains(u.Waiting.DE, "Störung") })
	if err := a.Pause("chefin", "Inventur"); err != nil {
		t.Fatal(err)
	}
	set(&incident, false)
	waitFor(t, "pause reason", func() bool { u := a.current(); return u != nil && strings.Contains(u.Waiting.DE, "pausiert: Inventur") })
	if st := a.Status(); !st.UpdatesPaused || st.PauseReason != "Inventur" {
		t.Errorf("heartbeat: got %+v; want paused", st)
	}
	if w.count("install") != 0 {
		t.Fatal("installed while blocked")
	}
	if err := a.Resume("chefin"); err != nil {
		t.Fatal(err)
	}
	waitState(t, a.Agent, HealthGate)
}

func TestPostponeSkipsTheSlot(t *testing.T) {
	w := newWorld(t)
	w.hooksWith(t, "", "")
	rel := w.publish(t, "24.3", []byte("WinApo 24.3"))
	a := w.run(t, Options{})
	w.start(t, rel)
	waitState(t, a.Agent, WaitingForWindow)
	until, err := a.Postpone(tctx(t), "pta")
	if err != nil {
		t.Fatal(err)
	}
	if want := slotStart.Add(4 * time.Hour); !until.Equal(want) {
		t.Errorf("postponed until %s; want the end of the window %s", until, want)
	}
	w.intoWindow()
	time.Sleep(50 * time.Millisecond)
	if w.count("install") != 0 {
		t.Fatal("installed although postponed")
	}
	w.env.Clock.Set(slotStart.Add(4 * time.Hour))
	u := waitResult(t, a.Agent, 1)
	if u.Result != ResultSkipped || !strings.Contains(u.Reason.DE, "verschoben") {
		t.Errorf("got %s (%s); want skipped, naming the postponement", u.Result, u.Reason.DE)
	}
	w.waitReport(t, "install", "skipped")
	if _, err := a.Postpone(tctx(t), "pta"); err == nil {
		t.Error("postponing without a planned update: got no error")
	}
}

func TestDownloadResumes(t *testing.T) {
	w := newWorld(t)
	w.hooksWith(t, "", "")
	artifact := []byte(strings.Repeat("WinApo 24.3 block ", 4000))
	rel := w.publish(t, "24.3", artifact)
	w.front.cut.Store(int64(len(artifact) / 3))
	a := w.run(t, Options{})
	w.start(t, rel)
	waitState(t, a.Agent, WaitingForWindow)
	w.front.mu.Lock()
	ranges := append([]string(nil), w.front.ranges...)
	w.front.mu.Unlock()
	want := []string{"", "bytes=" + itoa(len(artifact)/3) + "-"}
	if strings.Join(ranges, "|") != strings.Join(want, "|") {
		t.Errorf("artifact requests: got Range %q; want %q", ranges, want)
	}
	b, err := os.ReadFile(a.current().Artifact)
	if err != nil || string(b) != string(artifact) {
		t.Errorf("resumed artifact differs (%d bytes, %v)", len(b), err)
	}
}
