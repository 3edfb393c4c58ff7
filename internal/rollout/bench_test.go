package rollout

import (
	"testing"
	"time"
)

// BenchmarkNextSlot measures one slot search for a weekly window across
// the Easter holidays and the spring DST change.
func BenchmarkNextSlot(b *testing.B) {
	s := site(b, "apo-1", "BY", "Sun 02:00-04:00", berlin)
	cal := &Calendar{}
	cal.AddDuties(Duty{SiteID: "apo-1", Date: date(2026, 4, 11), Start: 510, End: 510})
	after := local(berlin, 2026, 3, 27, 12, 0)
	for b.Loop() {
		if _, _, ok := NextSlot(s, cal, after); !ok {
			b.Fatal("no slot")
		}
	}
}

// BenchmarkAdvance20000 measures one planner step over a ring of 20,000
// scheduled sites that have not begun (every slot is checked against the
// calendar): the fleet's target scale.
func BenchmarkAdvance20000(b *testing.B) {
	start := local(berlin, 2026, 5, 4, 10, 0)
	rings := []Ring{{Name: "all", Percent: 100, Soak: 24 * time.Hour, MaxFailureRatio: 0.05, MinReportShare: 0.8}}
	windows := []string{"daily 01:00-05:00", "Mo-Fr 22:00-05:00", "Sun 02:00-04:00", "Sa,So 03:00-06:00"}
	in := Inputs{Sites: map[string]Site{}, Calendar: &Calendar{}}
	ids := siteIDs(20000)
	for i, id := range ids {
		in.Sites[id] = site(b, id, "NW", windows[i%len(windows)], berlin)
	}
	plan, err := NewPlan("bench", "erp", rings, ids, "bench")
	if err != nil {
		b.Fatal(err)
	}
	st, _ := Begin(plan, start, "bench")
	st, cmds := Advance(plan, st, in, start)
	if len(cmds) != 20000 {
		b.Fatalf("%d installs; want 20000", len(cmds))
	}
	now := start.Add(time.Minute)
	for b.Loop() {
		if _, cmds := Advance(plan, st, in, now); len(cmds) != 0 {
			b.Fatalf("%d commands; want none", len(cmds))
		}
	}
}
