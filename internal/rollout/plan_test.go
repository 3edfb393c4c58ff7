package rollout

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func testPlan(t *testing.T) Plan {
	t.Helper()
	p, err := NewPlan("r-1", "erp 2026.2", DefaultRings([]string{"apo-0000"}), siteIDs(100), "r-1")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTransitions(t *testing.T) {
	now := utc(2026, 5, 4, 8, 0)
	p := testPlan(t)
	running, err := Begin(p, now, "anna")
	if err != nil {
		t.Fatal(err)
	}
	with := func(s Status) State {
		st := running.clone()
		st.Status = s
		return st
	}
	type op func(State) (State, error)
	pause := func(r string) op { return func(s State) (State, error) { return s.Pause(now, "bob", r) } }
	resume := func(r string) op { return func(s State) (State, error) { return s.Resume(now, "bob", r) } }
	abort := func(r string) op { return func(s State) (State, error) { return s.Abort(now, "bob", r) } }
	tests := []struct {
		name     string
		from     Status
		op       op
		want     Status
		wantCode string
	}{
		{"pause running", Running, pause("Hotline überlastet"), Paused, ""},
		{"pause paused", Paused, pause("x"), Paused, ECONFLICT},
		{"pause halted", Halted, pause("x"), Halted, ECONFLICT},
		{"pause done", Done, pause("x"), Done, ECONFLICT},
		{"pause without reason", Running, pause("  "), Running, EINVALID},
		{"resume paused", Paused, resume("Ursache behoben"), Running, ""},
		{"resume halted", Halted, resume("Fehlalarm: Netzausfall"), Running, ""},
		{"resume running", Running, resume("x"), Running, ECONFLICT},
		{"cannot resume an aborted rollout", Aborted, resume("x"), Aborted, ECONFLICT},
		{"cannot resume a done rollout", Done, resume("x"), Done, ECONFLICT},
		{"resume without reason", Paused, resume(""), Paused, EINVALID},
		{"abort running", Running, abort("falsches Paket"), Aborted, ""},
		{"abort paused", Paused, abort("x"), Aborted, ""},
		{"abort halted", Halted, abort("x"), Aborted, ""},
		{"abort aborted", Aborted, abort("x"), Aborted, ECONFLICT},
		{"abort done", Done, abort("x"), Done, ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := with(tt.from)
			before, _ := json.Marshal(in)
			got, err := tt.op(in)
			if ErrorCode(err) != tt.wantCode {
				t.Fatalf("error %v (code %q); want code %q", err, ErrorCode(err), tt.wantCode)
			}
			if got.Status != tt.want {
				t.Errorf("status = %s; want %s", got.Status, tt.want)
			}
			after, _ := json.Marshal(in)
			if string(before) != string(after) {
				t.Error("the transition changed its input state")
			}
			if err != nil {
				if e, ok := err.(*Error); !ok || e.Message.DE == "" || e.Message.EN == "" {
					t.Errorf("error %v has no German and English message", err)
				}
				return
			}
			last := got.Events[len(got.Events)-1]
			if last.Actor != "bob" || last.Reason.DE == "" || got.Reason != last.Reason {
				t.Errorf("last event %+v, reason %+v; want bob's reason recorded", last, got.Reason)
			}
		})
	}
}

func TestResumeRestartsHaltedRing(t *testing.T) {
	now := utc(2026, 5, 4, 8, 0)
	st, _ := Begin(testPlan(t), now, "anna")
	st.Status = Halted
	st.Slots = map[string]Slot{"apo-0000": {Start: now, End: now.Add(time.Hour)}}
	st.RolledBack = map[string]time.Time{"apo-0000": now}
	later := now.Add(48 * time.Hour)
	got, err := st.Resume(later, "bob", "Ursache gefunden")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CountFrom.Equal(later) || !got.RingStarted.Equal(later) || len(got.Slots) != 0 || got.RolledBack != nil {
		t.Errorf("got count from %s, ring started %s, %d slots, rolled back %v; want the ring started over at %s",
			fmtT(got.CountFrom), fmtT(got.RingStarted), len(got.Slots), got.RolledBack, fmtT(later))
	}
	if len(st.Slots) != 1 || st.RolledBack == nil {
		t.Error("Resume changed its input")
	}
}

func TestBeginInvalidPlan(t *testing.T) {
	p := testPlan(t)
	p.Sites = p.Sites[:2]
	if _, err := Begin(p, utc(2026, 5, 4, 8, 0), "anna"); ErrorCode(err) != EINVALID {
		t.Errorf("Begin with a broken plan: %v; want %s", err, EINVALID)
	}
	p = testPlan(t)
	p.Sites[1] = append(p.Sites[1], "apo-0000")
	if err := p.Validate(); ErrorCode(err) != EINVALID {
		t.Errorf("plan with a site in two rings: %v; want %s", err, EINVALID)
	}
	if _, err := NewPlan("", "x", DefaultRings(nil), siteIDs(3), "s"); ErrorCode(err) != EINVALID {
		t.Errorf("plan without id: %v; want %s", err, EINVALID)
	}
}

func TestPlanRingOf(t *testing.T) {
	p := testPlan(t)
	if i, ok := p.RingOf("apo-0000"); !ok || i != 0 {
		t.Errorf("RingOf(test site) = %d, %v; want 0, true", i, ok)
	}
	if _, ok := p.RingOf("nope"); ok {
		t.Error("RingOf(unknown) found a ring")
	}
	for i, ids := range p.Sites {
		for _, id := range ids {
			if j, ok := p.RingOf(id); !ok || j != i {
				t.Fatalf("RingOf(%s) = %d, %v; want %d", id, j, ok, i)
			}
		}
	}
}

func TestPlanAndStateJSON(t *testing.T) {
	now := utc(2026, 5, 4, 8, 0)
	p := testPlan(t)
	st, _ := Begin(p, now, "anna")
	st.Slots["apo-0000"] = Slot{Start: now, End: now.Add(2 * time.Hour)}
	st.RolledBack = map[string]time.Time{"apo-0000": now}
	g := EvaluateGate(p.Rings[0], nil, now, now, 0)
	st.Gate = &g
	for name, v := range map[string]any{"plan": &p, "state": &st} {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			back := reflect.New(reflect.TypeOf(v).Elem())
			if err := json.Unmarshal(b, back.Interface()); err != nil {
				t.Fatal(err)
			}
			again, _ := json.Marshal(back.Interface())
			if string(again) != string(b) {
				t.Errorf("round trip differs:\n%s\n%s", b, again)
			}
		})
	}
}
