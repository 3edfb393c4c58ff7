package fleetsim

import (
	"context"
	"testing"
	"time"
)

func run(t *testing.T, o Options) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o.Dir = t.TempDir()
	r, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("simulation: %v", err)
	}
	return r
}

// canary is the number of sites in the test ring and the 1 % ring.
func canary(sites, test int) int { return test + max(1, (sites-test+50)/100) }

func TestScenarios(t *testing.T) {
	const sites = 40
	tests := []struct {
		scenario Scenario
		check    func(t *testing.T, r Report)
	}{
		{GoodUpdate, func(t *testing.T, r Report) {
			if r.Halted || r.Status != "done" || r.RingsCompleted != 4 || r.Installed != sites || r.Failed+r.Silent != 0 {
				t.Errorf("staged good update: got %+v; want done after 4 rings, every site installed", r.Result)
			}
			if r.Baseline.Status != "done" || r.Baseline.Installed != sites {
				t.Errorf("baseline good update: got %+v; want done", r.Baseline)
			}
			if r.SimulatedHours <= r.Baseline.SimulatedHours {
				t.Errorf("staged took %.0f h, all at once %.0f h; want the rings to take longer", r.SimulatedHours, r.Baseline.SimulatedHours)
			}
		}},
		{FailingUpdate, func(t *testing.T, r Report) {
			if !r.Halted || r.Failed == 0 || r.Installed > canary(sites, 3) {
				t.Errorf("staged failing update: got %+v; want a halt within the canary rings", r.Result)
			}
			if r.RolledBack != r.Installed {
				t.Errorf("staged failing update: %d installed, %d rolled back; want all rolled back", r.Installed, r.RolledBack)
			}
			if !r.Baseline.Halted || r.Baseline.Installed != sites {
				t.Errorf("baseline failing update: got %+v; want every site hit", r.Baseline)
			}
		}},
		{BrickingUpdate, func(t *testing.T, r Report) {
			if !r.Halted || r.Silent == 0 || r.Installed > canary(sites, 3) || r.BlastRadius > 100*float64(canary(sites, 3))/sites {
				t.Errorf("staged bricking update: got %+v; want a halt within the canary rings", r.Result)
			}
			if r.MinutesToHalt == nil || *r.MinutesToHalt > 15+10+5+2 {
				t.Errorf("minutes to halt: got %v; want within deadline + install + jitter + 2 min", r.MinutesToHalt)
			}
			if r.Silent+r.RolledBack != r.Installed {
				t.Errorf("staged: %d silent + %d rolled back; want the %d installed sites", r.Silent, r.RolledBack, r.Installed)
			}
			if !r.Baseline.Halted || r.Baseline.BlastRadius != 100 || r.Baseline.Silent < sites/4 {
				t.Errorf("baseline bricking update: got %+v; want 100 %% blast radius", r.Baseline)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.scenario), func(t *testing.T) {
			tt.check(t, run(t, Options{Sites: sites, Scenario: tt.scenario}))
		})
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		ok   bool
	}{
		{"good", Options{Sites: 10, Scenario: GoodUpdate}, true},
		{"no sites", Options{Scenario: GoodUpdate}, false},
		{"unknown scenario", Options{Sites: 10, Scenario: "meteor"}, false},
		{"share above 1", Options{Sites: 10, Scenario: FailingUpdate, Share: 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.defaults()
			if (err == nil) != tt.ok {
				t.Errorf("got %v; want ok %v", err, tt.ok)
			}
		})
	}
	o := Options{Sites: 1000, Scenario: BrickingUpdate}
	o.defaults()
	if o.Share != 0.5 || o.TestSites != 5 || o.DeadManDeadline != 15*time.Minute {
		t.Errorf("defaults: got share %v, test sites %d, deadline %v", o.Share, o.TestSites, o.DeadManDeadline)
	}
	broken := 0
	for i := range 1000 {
		if fateOf(o, "apo-"+string(rune('a'+i%26))+time.Duration(i).String()) == fateBrick {
			broken++
		}
	}
	if broken < 400 || broken > 600 {
		t.Errorf("bricked share of 1000: got %d; want about 500", broken)
	}
}
