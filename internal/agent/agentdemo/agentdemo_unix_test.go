//go:build !windows

package agentdemo

import (
	"context"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/sim"
)

// TestBadUpdate runs the scenario: the canaries install the bad update,
// their ERP check fails, they roll back by themselves, the rollout halts
// and the other pharmacies never get the update.
func TestBadUpdate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := Start(ctx, Options{Dir: t.TempDir(), Sites: 4, Canaries: 2, Speed: 60})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer d.Close()
	var out Outcome
	for {
		if out, err = d.Outcome(ctx); err != nil {
			t.Fatal(err)
		}
		if out.Done(2) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("scenario did not end: %+v", out)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if out.Installs != 0 {
		t.Errorf("the other pharmacies got %d install commands; want none", out.Installs)
	}
	for _, p := range d.Pharmacies {
		if p.Canary {
			if got := p.Sim.Mode(sim.DepERP); got != sim.ModeOK {
				t.Errorf("%s: ERP after the rollback: %s; want ok", p.ID, got)
			}
			if got := p.Agent.Components()["erp"]; got != "24.2" {
				t.Errorf("%s: installed %q; want 24.2 again", p.ID, got)
			}
			continue
		}
		if v := p.Agent.View(ctx); len(v.History) != 0 || v.Next != nil {
			t.Errorf("%s: the agent saw the update: %+v", p.ID, v)
		}
	}
	rec, err := d.Fleet.Store.Rollout(ctx, d.RolloutID)
	if err != nil || rec.Status != fleet.RolloutHalted {
		t.Errorf("rollout: %s, %v; want halted", rec.Status, err)
	}
}
