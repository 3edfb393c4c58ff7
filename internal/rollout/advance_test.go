package rollout

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestAdvanceWholeRollout(t *testing.T) {
	start := local(berlin, 2026, 5, 4, 10, 0)
	cal := &Calendar{}
	cal.AddDuties(
		Duty{SiteID: "apo-0003", Date: date(2026, 5, 9), Start: 510, End: 510},
		Duty{SiteID: "apo-0100", Date: date(2026, 5, 5), Start: 540, End: 540},
	)
	f := newFleet(t, 1000, testSites(), start, cal)
	f.runUntil(start.Add(60*24*time.Hour), func() bool { return f.st.Status == Done })

	installs := f.commands(CommandInstall)
	perSite := map[string]int{}
	ringOfCmd := -1
	for i, c := range installs {
		perSite[c.SiteID]++
		ring, _ := f.plan.RingOf(c.SiteID)
		if ring != c.Ring {
			t.Errorf("install %d for %s says ring %d; site is in ring %d", i, c.SiteID, c.Ring, ring)
		}
		if ring < ringOfCmd {
			t.Errorf("install for ring %d after installs for ring %d", ring, ringOfCmd)
		}
		ringOfCmd = max(ringOfCmd, ring)
		s := f.in.Sites[c.SiteID]
		if b, blocked := cal.conflict(s, c.NotBefore, c.NotAfter); blocked {
			t.Errorf("install for %s at %s overlaps blackout %s", c.SiteID, fmtT(c.NotBefore), b.Reason.Text.EN)
		}
		if st, en, ok := NextSlot(s, cal, c.NotBefore); !ok || !st.Equal(c.NotBefore) || !en.Equal(c.NotAfter) {
			t.Errorf("install for %s at %s to %s is not a window of the site", c.SiteID, fmtT(c.NotBefore), fmtT(c.NotAfter))
		}
	}
	if len(perSite) != 1000 {
		t.Errorf("%d sites got an install; want all 1000", len(perSite))
	}
	for id, n := range perSite {
		if n != 1 {
			t.Errorf("%s got %d installs; want 1", id, n)
		}
	}
	if n := len(f.commands(CommandRollback)) + len(f.commands(CommandCancel)); n != 0 {
		t.Errorf("%d rollbacks and cancels; want none", n)
	}
	var kinds []EventKind
	for _, e := range f.st.Events {
		kinds = append(kinds, e.Kind)
	}
	want := []EventKind{EventStarted, EventRingStarted, EventRingPassed, EventRingStarted, EventRingPassed,
		EventRingStarted, EventRingPassed, EventRingStarted, EventRingPassed, EventDone}
	if !slices.Equal(kinds, want) {
		t.Errorf("events = %v; want %v", kinds, want)
	}
	// Once done, nothing more happens.
	if cmds := f.step(); len(cmds) != 0 || f.st.Status != Done {
		t.Errorf("after done: %d commands, status %s; want none and done", len(cmds), f.st.Status)
	}
}

func TestAdvanceHaltsInFirstRingAndRollsBack(t *testing.T) {
	start := local(berlin, 2026, 5, 4, 10, 0)
	f := newFleet(t, 1000, testSites(), start, nil)
	first := f.plan.Sites[1]
	if len(first) != 10 {
		t.Fatalf("first ring has %d sites; want 10", len(first))
	}
	// 3 of the 10 sites of the 1 % ring brick, like a bad update would.
	for _, id := range first[:3] {
		f.act[id] = bricks
	}
	f.runUntil(start.Add(30*24*time.Hour), func() bool { return f.st.Status == Halted })
	if f.st.Ring != 1 {
		t.Fatalf("halted in ring %d; want 1", f.st.Ring)
	}
	if f.st.Gate == nil || f.st.Gate.Silent == 0 {
		t.Errorf("gate %+v; want silent sites", f.st.Gate)
	}
	haltedAt := f.now
	updated := f.installed(1)
	rollbacks := ids(f.commands(CommandRollback))
	if !slices.Equal(rollbacks, updated) {
		t.Errorf("rollbacks for %v; want exactly the ring's updated sites %v", rollbacks, updated)
	}
	for _, c := range f.commands(CommandRollback) {
		if c.Ring != 1 || c.Reason.DE == "" {
			t.Errorf("rollback %+v; want ring 1 with a reason", c)
		}
	}
	// The ring's other sites had their slots cancelled.
	var notBegun []string
	for _, id := range first {
		if !slices.Contains(updated, id) {
			notBegun = append(notBegun, id)
		}
	}
	if got := ids(f.commands(CommandCancel)); !slices.Equal(got, notBegun) {
		t.Errorf("cancels for %v; want %v", got, notBegun)
	}

	// Two more weeks: nothing is scheduled, later rings never.
	f.runUntil(haltedAt.Add(15*24*time.Hour), func() bool { return f.now.After(haltedAt.Add(14 * 24 * time.Hour)) })
	for _, c := range f.commands(CommandInstall) {
		if c.Ring > 1 {
			t.Fatalf("install for %s in ring %d; later rings must never be scheduled", c.SiteID, c.Ring)
		}
	}
	if got := ids(f.commands(CommandRollback)); !slices.Equal(got, updated) {
		t.Errorf("rollbacks after two more weeks: %v; want still exactly %v", got, updated)
	}
	if f.st.Status != Halted {
		t.Errorf("status %s; want halted", f.st.Status)
	}
}

func TestAdvanceHaltRollsBackLateInstall(t *testing.T) {
	start := local(berlin, 2026, 5, 4, 10, 0)
	rings := []Ring{
		{Name: "first", Percent: 10, Soak: 24 * time.Hour, MaxFailureRatio: 0, MinReportShare: 0.9},
		{Name: "rest", Percent: 90, Soak: 24 * time.Hour, MaxFailureRatio: 0.05, MinReportShare: 0.8},
	}
	f := newFleetRings(t, 100, rings, start, nil)
	// A site with a daily window fails on the first night; one with a
	// Sunday window misses the cancel and installs in its slot after all.
	var failing, late string
	for _, id := range f.plan.Sites[0] {
		switch w := f.in.Sites[id].Window.String(); {
		case w == "daily 01:00-05:00" && failing == "":
			failing = id
		case w == "Sun 02:00-04:00" && late == "":
			late = id
		}
	}
	if failing == "" || late == "" {
		t.Fatalf("ring %v lacks a daily and a Sunday window", f.plan.Sites[0])
	}
	f.act[failing] = fails
	f.deaf[late] = true
	f.runUntil(start.Add(30*24*time.Hour), func() bool { return f.st.Status == Halted })
	if f.in.Outcomes[late].Installed() {
		t.Fatalf("%s installed before the halt; the test needs it to install later", late)
	}
	first := ids(f.commands(CommandRollback))
	if slices.Contains(first, late) {
		t.Fatalf("rollback for %s before it installed", late)
	}
	f.runUntil(start.Add(30*24*time.Hour), func() bool { return f.in.Outcomes[late].Installed() })
	f.step()
	f.step()
	want := slices.Sorted(slices.Values(append(slices.Clone(first), late)))
	if got := ids(f.commands(CommandRollback)); !slices.Equal(got, want) {
		t.Errorf("rollbacks %v; want %v, each once", got, want)
	}
}

func TestAdvanceHaltOnFailureReports(t *testing.T) {
	start := local(berlin, 2026, 5, 4, 10, 0)
	f := newFleet(t, 200, nil, start, nil)
	for _, id := range f.plan.Sites[2][:3] { // the 9 % ring: 18 sites, 5 % allows 0
		f.act[id] = fails
	}
	f.runUntil(start.Add(40*24*time.Hour), func() bool { return f.st.Status == Halted })
	if f.st.Ring != 2 || f.st.Gate.Failed == 0 {
		t.Errorf("halted in ring %d with gate %+v; want ring 2 with failures", f.st.Ring, f.st.Gate)
	}
	if got, want := ids(f.commands(CommandRollback)), f.installed(2); !slices.Equal(got, want) {
		t.Errorf("rollbacks %v; want %v", got, want)
	}
}

func TestAdvanceInconclusivePausesAndResume(t *testing.T) {
	start := local(berlin, 2026, 5, 4, 10, 0)
	f := newFleet(t, 1000, testSites(), start, nil)
	// Two of the five test sites are offline: 60 % < 100 % needed.
	f.act["apo-0003"], f.act["apo-0100"] = offline, offline
	f.runUntil(start.Add(30*24*time.Hour), func() bool { return f.st.Status == Paused })
	if f.st.Ring != 0 || f.st.Gate.Decision != Inconclusive {
		t.Fatalf("paused in ring %d with %s; want ring 0 inconclusive", f.st.Ring, f.st.Gate.Decision)
	}
	if last := f.st.Events[len(f.st.Events)-1]; last.Kind != EventInconclusive {
		t.Errorf("last event %s; want inconclusive", last.Kind)
	}
	// Paused: nothing is scheduled.
	before := len(f.cmds)
	for range 48 {
		f.step()
	}
	if len(f.cmds) != before {
		t.Errorf("%d commands while paused; want none", len(f.cmds)-before)
	}
	// The sites come back; a person resumes; the missed sites get new slots.
	f.act["apo-0003"], f.act["apo-0100"] = healthy, healthy
	st, err := f.st.Resume(f.now, "anna", "Standorte wieder online")
	if err != nil {
		t.Fatal(err)
	}
	f.st = st
	cmds := f.step()
	if got := ids(cmds); !slices.Equal(got, []string{"apo-0003", "apo-0100"}) {
		t.Errorf("after resume: commands for %v; want installs for the two missed sites", got)
	}
	f.runUntil(f.now.Add(30*24*time.Hour), func() bool { return f.st.Ring == 1 })
}

func TestAdvanceManualPauseAndAbort(t *testing.T) {
	start := local(berlin, 2026, 5, 4, 10, 0)
	f := newFleet(t, 1000, testSites(), start, nil)
	first := f.step()
	if len(first) != 5 {
		t.Fatalf("first step: %d commands; want installs for the 5 test sites", len(first))
	}
	// Idempotent: the same inputs again emit nothing.
	if _, again := Advance(f.plan, f.st, f.in, f.now); len(again) != 0 {
		t.Errorf("second Advance with the same inputs: %+v; want nothing", again)
	}
	st, err := f.st.Pause(f.now, "anna", "Hotline überlastet")
	if err != nil {
		t.Fatal(err)
	}
	f.st = st
	cmds := f.step()
	pending := 0
	for _, c := range first {
		if !f.in.Outcomes[c.SiteID].Installed() {
			pending++
		}
	}
	if len(cmds) != pending || (len(cmds) > 0 && cmds[0].Kind != CommandCancel) {
		t.Errorf("after pause: %+v; want %d cancels", cmds, pending)
	}
	if st, err = f.st.Resume(f.now, "anna", "weiter"); err != nil {
		t.Fatal(err)
	}
	f.st = st
	cmds = f.step()
	if len(cmds) != pending {
		t.Errorf("after resume: %d commands; want %d installs", len(cmds), pending)
	}
	if st, err = f.st.Abort(f.now, "anna", "falsches Paket"); err != nil {
		t.Fatal(err)
	}
	f.st = st
	cmds = f.step()
	for _, c := range cmds {
		if c.Kind != CommandCancel {
			t.Errorf("after abort: %+v; want cancels only", c)
		}
	}
	for range 24 * 14 {
		if cmds := f.step(); len(cmds) != 0 {
			t.Fatalf("aborted rollout emitted %+v", cmds)
		}
	}
	if _, err := f.st.Resume(f.now, "anna", "doch"); ErrorCode(err) != ECONFLICT {
		t.Errorf("resume after abort: %v; want %s", err, ECONFLICT)
	}
}

func TestAdvanceHaltsWhilePaused(t *testing.T) {
	start := local(berlin, 2026, 5, 4, 10, 0)
	f := newFleet(t, 20, []string{"apo-0002"}, start, nil)
	f.act["apo-0002"] = bricks
	f.deaf["apo-0002"] = true
	f.step()
	st, _ := f.st.Pause(f.now, "anna", "abwarten")
	f.st = st
	// The test site's slot was delivered before the pause; it installs and
	// dies anyway.
	f.runUntil(start.Add(10*24*time.Hour), func() bool { return f.st.Status == Halted })
	if got := ids(f.commands(CommandRollback)); !slices.Equal(got, []string{"apo-0002"}) {
		t.Errorf("rollbacks %v; want apo-0002", got)
	}
}

func TestAdvanceReschedulesWhenCalendarChanges(t *testing.T) {
	start := local(berlin, 2026, 5, 4, 10, 0) // Monday
	cal := &Calendar{}
	f := newFleet(t, 20, []string{"apo-0002"}, start, cal) // apo-0002: Sun 02:00-04:00
	cmds := f.step()
	if len(cmds) != 1 || !cmds[0].NotBefore.Equal(local(berlin, 2026, 5, 10, 2, 0)) {
		t.Fatalf("first step: %+v; want an install on Sunday 10 May 02:00", cmds)
	}
	// A duty on Saturday 9 May is imported: the Sunday night is blocked.
	cal.AddDuties(Duty{SiteID: "apo-0002", Date: date(2026, 5, 9), Start: 510, End: 510})
	cmds = f.step()
	if len(cmds) != 2 || cmds[0].Kind != CommandCancel || cmds[1].Kind != CommandInstall ||
		!cmds[1].NotBefore.Equal(local(berlin, 2026, 5, 17, 2, 0)) {
		t.Fatalf("after the duty: %+v; want a cancel and an install on 17 May 02:00", cmds)
	}
	if cmds[0].Reason.DE == "" || cmds[0].Reason.EN == "" {
		t.Errorf("cancel without a reason: %+v", cmds[0])
	}
	// The site pauses itself: cancelled, and not scheduled again.
	s := f.in.Sites["apo-0002"]
	s.Paused, s.PauseReason = true, "Inventur"
	f.in.Sites["apo-0002"] = s
	cmds = f.step()
	if len(cmds) != 1 || cmds[0].Kind != CommandCancel || cmds[0].Reason.DE != "Vom Standort pausiert: Inventur" {
		t.Fatalf("after the site's pause: %+v; want one cancel with the site's reason", cmds)
	}
	if cmds := f.step(); len(cmds) != 0 {
		t.Fatalf("paused site: %+v; want nothing", cmds)
	}
	// It resumes: scheduled again.
	s.Paused = false
	f.in.Sites["apo-0002"] = s
	cmds = f.step()
	if len(cmds) != 1 || cmds[0].Kind != CommandInstall {
		t.Fatalf("after the site resumed: %+v; want an install", cmds)
	}
	// A fleet-wide freeze over that night.
	if err := cal.AddFreeze(Freeze{From: local(berlin, 2026, 5, 16, 0, 0), Until: local(berlin, 2026, 5, 18, 0, 0), Reason: "Kammerprüfung"}); err != nil {
		t.Fatal(err)
	}
	cmds = f.step()
	if len(cmds) != 2 || cmds[0].Reason.DE != "Update-Sperre: Kammerprüfung" || !cmds[1].NotBefore.Equal(local(berlin, 2026, 5, 24, 2, 0)) {
		t.Fatalf("after the freeze: %+v; want a cancel for the freeze and an install on 24 May", cmds)
	}
}

func TestAdvanceResumeAfterHaltStartsRingOver(t *testing.T) {
	start := local(berlin, 2026, 5, 4, 10, 0)
	f := newFleet(t, 20, []string{"apo-0000", "apo-0001"}, start, nil)
	f.act["apo-0000"] = fails
	f.runUntil(start.Add(10*24*time.Hour), func() bool { return f.st.Status == Halted })
	f.act["apo-0000"] = healthy
	st, err := f.st.Resume(f.now, "anna", "Fehler war die Testumgebung")
	if err != nil {
		t.Fatal(err)
	}
	f.st = st
	cmds := f.step()
	if got := ids(cmds); !slices.Equal(got, []string{"apo-0000", "apo-0001"}) {
		t.Errorf("after resuming the halt: installs for %v; want both test sites again", got)
	}
	f.runUntil(f.now.Add(20*24*time.Hour), func() bool { return f.st.Ring >= 1 })
}

func TestAdvanceIsPureAndStateSurvivesJSON(t *testing.T) {
	start := local(berlin, 2026, 5, 4, 10, 0)
	f := newFleet(t, 300, []string{"apo-0003", "apo-0100", "apo-0201"}, start, nil)
	f.runUntil(start.Add(30*24*time.Hour), func() bool { return f.st.Ring == 2 && len(f.st.Slots) > 0 })
	before, _ := json.Marshal(f.st)
	st1, cmds1 := Advance(f.plan, f.st, f.in, f.now.Add(3*time.Hour))
	after, _ := json.Marshal(f.st)
	if string(before) != string(after) {
		t.Fatal("Advance changed the state it was given")
	}
	var decoded State
	if err := json.Unmarshal(before, &decoded); err != nil {
		t.Fatal(err)
	}
	var plan Plan
	pb, _ := json.Marshal(f.plan)
	if err := json.Unmarshal(pb, &plan); err != nil {
		t.Fatal(err)
	}
	st2, cmds2 := Advance(plan, decoded, f.in, f.now.Add(3*time.Hour))
	j1, _ := json.Marshal(st1)
	j2, _ := json.Marshal(st2)
	c1, _ := json.Marshal(cmds1)
	c2, _ := json.Marshal(cmds2)
	if string(j1) != string(j2) || string(c1) != string(c2) {
		t.Errorf("Advance on the state read back from JSON differs:\n%s\n%s", c1, c2)
	}
}
