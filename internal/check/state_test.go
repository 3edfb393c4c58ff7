package check

import (
	"testing"
	"time"
)

func TestTrackerHysteresis(t *testing.T) {
	ok := Result{Status: StatusOK, Latency: 10 * time.Millisecond}
	slow := Result{Status: StatusOK, Latency: 900 * time.Millisecond}
	fail := Result{Status: StatusFail, Message: Msg("Verbindung abgelehnt", "connection refused")}
	deg := Result{Status: StatusDegraded}
	unk := Result{Status: StatusUnknown}
	tests := []struct {
		name    string
		th      Thresholds
		results []Result
		want    []State // state after each result
	}{
		{"first success is ok at once", Thresholds{2, 2, 0}, []Result{ok}, []State{StateOK}},
		{"one failure does not flip", Thresholds{2, 2, 0}, []Result{ok, fail, ok}, []State{StateOK, StateOK, StateOK}},
		{"down after fail_after", Thresholds{2, 2, 0}, []Result{ok, fail, fail}, []State{StateOK, StateOK, StateDown}},
		{"down after 3 with fail_after 3", Thresholds{3, 2, 0}, []Result{fail, fail, fail}, []State{StateUnknown, StateUnknown, StateDown}},
		{"recover only after recover_after", Thresholds{2, 3, 0}, []Result{fail, fail, ok, ok, ok}, []State{StateUnknown, StateDown, StateDown, StateDown, StateOK}},
		{"interrupted recovery starts over", Thresholds{1, 2, 0}, []Result{fail, ok, fail, ok, ok}, []State{StateDown, StateDown, StateDown, StateDown, StateOK}},
		{"flapping never goes down", Thresholds{2, 2, 0}, []Result{ok, fail, ok, fail, ok, fail}, []State{StateOK, StateOK, StateOK, StateOK, StateOK, StateOK}},
		{"slow is degraded", Thresholds{2, 2, 500 * time.Millisecond}, []Result{ok, slow, ok}, []State{StateOK, StateDegraded, StateOK}},
		{"prober degraded", Thresholds{2, 2, 0}, []Result{deg}, []State{StateDegraded}},
		{"recovering into degraded", Thresholds{1, 1, 0}, []Result{fail, deg}, []State{StateDown, StateDegraded}},
		{"unknown result", Thresholds{2, 2, 0}, []Result{ok, unk, ok}, []State{StateOK, StateUnknown, StateOK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)
			tr := NewTracker("x", tt.th, start)
			for i, r := range tt.results {
				tr.Observe(r, start.Add(time.Duration(i+1)*10*time.Second))
				if got := tr.State(); got != tt.want[i] {
					t.Fatalf("after result %d (%v): got %s; want %s", i, r.Status, got, tt.want[i])
				}
			}
		})
	}
}

func TestTrackerTransitionRecordsTimeAndReason(t *testing.T) {
	start := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)
	tr := NewTracker("erp", Thresholds{FailAfter: 2, RecoverAfter: 2}, start)
	tr.Observe(Result{Status: StatusOK}, start)
	tr.Observe(Result{Status: StatusFail}, start.Add(10*time.Second))
	got, changed := tr.Observe(Result{Status: StatusFail, Message: Msg("Verbindung abgelehnt", "refused")}, start.Add(20*time.Second))
	if !changed {
		t.Fatal("got no transition after two failures; want ok -> down")
	}
	want := Transition{CheckID: "erp", From: StateOK, To: StateDown, At: start.Add(20 * time.Second), Reason: Msg("Verbindung abgelehnt", "refused")}
	if got != want {
		t.Errorf("got %+v; want %+v", got, want)
	}
	if !tr.Since().Equal(want.At) {
		t.Errorf("since: got %v; want %v", tr.Since(), want.At)
	}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name      string
		nodes     []Node
		wantRoots []string
		wantOver  State
		wantCons  map[string][]string // id -> caused by
	}{
		{
			name:     "all ok",
			nodes:    []Node{{ID: "line", State: StateOK}, {ID: "konn", State: StateOK, DependsOn: []string{"line"}}},
			wantOver: StateOK, wantCons: map[string][]string{},
		},
		{
			name: "line down explains konnektor and e-rezept",
			nodes: []Node{
				{ID: "line", State: StateDown},
				{ID: "konn", State: StateDown, DependsOn: []string{"line"}},
				{ID: "erez", State: StateDown, DependsOn: []string{"konn"}},
				{ID: "erp", State: StateOK},
			},
			wantRoots: []string{"line"}, wantOver: StateDown,
			wantCons: map[string][]string{"konn": {"line"}, "erez": {"line"}},
		},
		{
			name: "konnektor down, line ok",
			nodes: []Node{
				{ID: "line", State: StateOK},
				{ID: "konn", State: StateDown, DependsOn: []string{"line"}},
				{ID: "erez", State: StateDown, DependsOn: []string{"konn"}},
			},
			wantRoots: []string{"konn"}, wantOver: StateDown,
			wantCons: map[string][]string{"erez": {"konn"}},
		},
		{
			name: "two independent causes",
			nodes: []Node{
				{ID: "ups", State: StateDegraded},
				{ID: "erp", State: StateDown},
				{ID: "kasse", State: StateDown, DependsOn: []string{"erp", "ups"}},
			},
			wantRoots: []string{"erp", "ups"}, wantOver: StateDown,
			wantCons: map[string][]string{"kasse": {"erp"}},
		},
		{
			name:      "child still ok while parent down is listed as consequence",
			nodes:     []Node{{ID: "line1", State: StateDown}, {ID: "konn", State: StateOK, DependsOn: []string{"line1"}}},
			wantRoots: []string{"line1"}, wantOver: StateDown,
			wantCons: map[string][]string{"konn": {"line1"}},
		},
		{
			name:     "unknown only",
			nodes:    []Node{{ID: "a", State: StateUnknown}, {ID: "b", State: StateOK}},
			wantOver: StateUnknown, wantCons: map[string][]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.nodes)
			if got.Overall != tt.wantOver {
				t.Errorf("overall: got %s; want %s", got.Overall, tt.wantOver)
			}
			if !equal(got.RootCauses, tt.wantRoots) {
				t.Errorf("root causes: got %v; want %v", got.RootCauses, tt.wantRoots)
			}
			for _, n := range tt.nodes {
				v := got.Verdicts[n.ID]
				want, isCons := tt.wantCons[n.ID]
				if v.Consequence != isCons || !equal(v.CausedBy, want) {
					t.Errorf("%s: got consequence=%v caused by %v; want %v %v", n.ID, v.Consequence, v.CausedBy, isCons, want)
				}
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
