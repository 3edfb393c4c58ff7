package counter

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/monitor"
)

func specs() []check.Spec {
	return []check.Spec{
		{ID: "ups", Group: check.GroupPower},
		{ID: "konnektor", Group: check.GroupAccess},
		{ID: "erezept", Group: check.GroupAccess},
		{ID: "tilage", Group: check.GroupAccess},
		{ID: "erp", Name: "Warenwirtschaft", Group: check.GroupERP},
		{ID: "erp-db", Name: "ERP-Datenbank", Group: check.GroupERP},
		{ID: "downtime-copy", Name: "Downtime-Kopie", Kind: "mirror", Group: check.GroupERP},
	}
}

func TestResolveWatch(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want Watch
	}{
		{"defaults by group", Config{}, Watch{Offer: []string{"erp", "erp-db"}, ERP: []string{"erp", "erp-db"}, TI: []string{"konnektor", "erezept", "tilage"}}},
		{"configured", Config{OfferWhenDown: []string{"erp", "konnektor", "erezept"}, TIChecks: []string{"erezept"}},
			Watch{Offer: []string{"erp", "konnektor", "erezept"}, ERP: []string{"erp", "erp-db"}, TI: []string{"erezept"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ResolveWatch(tt.cfg, specs())); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func overview(states map[string]check.State) monitor.Overview {
	var ov monitor.Overview
	for _, s := range specs() {
		st, ok := states[s.ID]
		if !ok {
			st = check.StateOK
		}
		ov.Checks = append(ov.Checks, monitor.CheckStatus{ID: s.ID, Name: s.Name, Group: s.Group, State: st})
	}
	return ov
}

func TestAssess(t *testing.T) {
	w := ResolveWatch(Config{}, specs())
	tests := []struct {
		name        string
		states      map[string]check.State
		down        []string
		erpOK       bool
		tiDown      bool
		tiUsable    bool
		description string
	}{
		{"all ok", nil, nil, true, false, true, ""},
		{"ERP down", map[string]check.State{"erp": check.StateDown}, []string{"erp"}, false, false, true, ""},
		{"ERP slow is not back", map[string]check.State{"erp": check.StateDegraded}, nil, false, false, true, ""},
		{"ERP unknown is not back", map[string]check.State{"erp-db": check.StateUnknown}, nil, false, false, true, ""},
		{"stale downtime copy is not the ERP", map[string]check.State{"downtime-copy": check.StateDown}, nil, true, false, true, ""},
		{"konnektor down", map[string]check.State{"konnektor": check.StateDown, "erezept": check.StateDown}, nil, true, true, false, ""},
		{"TI not probed yet", map[string]check.State{"konnektor": check.StateUnknown, "erezept": check.StateUnknown, "tilage": check.StateUnknown}, nil, true, false, false, ""},
		{"TI partly degraded is usable", map[string]check.State{"tilage": check.StateDegraded, "erezept": check.StateUnknown}, nil, true, false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sit := w.Assess(overview(tt.states))
			var down []string
			for _, c := range sit.Down {
				down = append(down, c.ID)
			}
			if diff := cmp.Diff(tt.down, down); diff != "" {
				t.Errorf("down (-want +got):\n%s", diff)
			}
			if sit.ERPOK != tt.erpOK || sit.TIDown != tt.tiDown || sit.TIUsable != tt.tiUsable {
				t.Errorf("got ERPOK %v TIDown %v TIUsable %v; want %v %v %v", sit.ERPOK, sit.TIDown, sit.TIUsable, tt.erpOK, tt.tiDown, tt.tiUsable)
			}
		})
	}
}
