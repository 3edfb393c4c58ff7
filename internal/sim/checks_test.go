package sim

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lifeline-project/lifeline/internal/check"
)

func TestChecks(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
	specs := p.Checks(5 * time.Second)

	type row struct {
		ID, Name, Kind, Group string
		DependsOn             []string
		Interval, Timeout     time.Duration
		Target                string
	}
	var got []row
	byID := map[string]check.Spec{}
	for _, s := range specs {
		byID[s.ID] = s
		target := s.Address + s.URL + s.Server
		if s.Query != "" {
			target += " " + s.Query
		}
		got = append(got, row{s.ID, s.Name, s.Kind, s.Group, s.DependsOn, s.Interval.D(), s.Timeout.D(), target})
		if s.FailAfter != 2 || s.RecoverAfter != 2 {
			t.Errorf("%s: fail_after %d, recover_after %d; want 2, 2", s.ID, s.FailAfter, s.RecoverAfter)
		}
	}
	iv, to, dns := 5*time.Second, 2*time.Second, p.KonnektorDNSAddr()
	want := []row{
		{"ups", "USV", "nut", "power", nil, iv, to, p.ups.Addr()},
		{"line1", "Internetleitung 1 (DSL)", "tcp", "network", nil, iv, to, p.line1.addr},
		{"line2", "Internetleitung 2 (LTE)", "tcp", "network", nil, iv, to, p.line2.addr},
		{"clock", "Uhrzeit", "ntp", "network", nil, iv, to, p.ntp.Addr()},
		{"konnektor", "Konnektor", "konnektor", "access", []string{"line1"}, iv, to, p.KonnektorURL()},
		{"ti-dns", "TI-Namensauflösung", "dns", "access", []string{"konnektor"}, iv, to, dns + " " + IDPHost},
		{"erezept", "E-Rezept", "dns", "access", []string{"konnektor"}, iv, to, dns + " " + ERezeptHost},
		{"tilage", "TI-Lagebild E-Rezept", "tilage", "access", []string{"line1"}, 5 * time.Minute, to, p.TILageURL()},
		{"erp", "Warenwirtschaft", "http", "erp", nil, iv, to, p.ERPURL() + "/health"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Checks(5s) mismatch (-want +got):\n%s", diff)
	}

	if s := byID["konnektor"]; s.CAFile != p.CAFile() {
		t.Errorf("konnektor ca_file %q; want %q", s.CAFile, p.CAFile())
	}
	if s := byID["erp"]; s.JSONField != "db" || s.JSONValue != "ok" || !cmp.Equal(s.Affects, []string{"Kasse", "Bestellung"}) {
		t.Errorf("erp: json_field %q json_value %q affects %v; want db, ok, [Kasse Bestellung]", s.JSONField, s.JSONValue, s.Affects)
	}
	if s := byID["ups"]; s.UPS != "ups" {
		t.Errorf("ups: ups name %q; want ups", s.UPS)
	}
	if s := byID["erezept"]; !cmp.Equal(s.Expect, []string{ERezeptIP}) {
		t.Errorf("erezept: expect %v; want [%s]", s.Expect, ERezeptIP)
	}
	for _, id := range []string{"erp", "konnektor"} {
		if got := byID[id].WarnLatency.D(); got <= 0 || got >= slowDelay {
			t.Errorf("%s: warn_latency %v; want between 0 and %v so that slow shows as degraded", id, got, slowDelay)
		}
	}

	// A short interval shortens the timeout, so that the config accepts it.
	for _, s := range p.Checks(time.Second) {
		if s.ID != "tilage" && s.Timeout.D() > time.Second {
			t.Errorf("Checks(1s): %s timeout %v; want at most 1s", s.ID, s.Timeout.D())
		}
	}
}
