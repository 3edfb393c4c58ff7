package sim

import (
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Settings shared by the checks of the simulated pharmacy: a break shows
// as "down" after two failed probes, so within about two intervals.
const (
	simTimeout     = 2 * time.Second
	simFailAfter   = 2
	simRecover     = 2
	simWarnLatency = time.Second
)

// Checks returns the check configuration of a realistic pharmacy wired to
// this simulation's servers, every check probing every interval except the
// TI-Lagebild (every 5 minutes: gematik allows no faster polling). Groups
// and depends_on are set; check.ApplyDefaults is not applied (the config
// package does that). The timeout is 2 s (the interval, when shorter). The
// ERP and Konnektor checks warn above 1 s latency, so that "slow" shows as
// degraded.
func (p *Pharmacy) Checks(interval time.Duration) []check.Spec {
	timeout := min(simTimeout, interval)
	base := func(id, name, kind, group string, dependsOn ...string) check.Spec {
		return check.Spec{
			ID:           id,
			Name:         name,
			Kind:         kind,
			Group:        group,
			Interval:     check.Duration(interval),
			Timeout:      check.Duration(timeout),
			FailAfter:    simFailAfter,
			RecoverAfter: simRecover,
			DependsOn:    dependsOn,
		}
	}

	ups := base("ups", "USV", check.KindNUT, check.GroupPower)
	ups.Address = p.ups.Addr()
	ups.UPS = nutUPSName

	line1 := base("line1", "Internetleitung 1 (DSL)", check.KindTCP, check.GroupNetwork)
	line1.Address = p.line1.addr
	line2 := base("line2", "Internetleitung 2 (LTE)", check.KindTCP, check.GroupNetwork)
	line2.Address = p.line2.addr

	clock := base("clock", "Uhrzeit", check.KindNTP, check.GroupNetwork)
	clock.Address = p.ntp.Addr()

	kon := base("konnektor", "Konnektor", check.KindKonnektor, check.GroupAccess, "line1")
	kon.URL = p.KonnektorURL()
	kon.CAFile = p.caFile
	kon.WarnLatency = check.Duration(simWarnLatency)

	tiDNS := base("ti-dns", "TI-Namensauflösung", check.KindDNS, check.GroupAccess, "konnektor")
	tiDNS.Server = p.KonnektorDNSAddr()
	tiDNS.Query = IDPHost
	tiDNS.Expect = []string{IDPIP}

	erezept := base("erezept", "E-Rezept", check.KindDNS, check.GroupAccess, "konnektor")
	erezept.Server = p.KonnektorDNSAddr()
	erezept.Query = ERezeptHost
	erezept.Expect = []string{ERezeptIP}

	tilage := base("tilage", "TI-Lagebild E-Rezept", check.KindTILage, check.GroupAccess, "line1")
	tilage.Interval = check.Duration(check.MinTILageInterval)
	tilage.URL = p.TILageURL()

	erp := base("erp", "Warenwirtschaft", check.KindHTTP, check.GroupERP)
	erp.URL = p.ERPURL() + "/health"
	erp.JSONField = "db"
	erp.JSONValue = "ok"
	erp.Affects = []string{"Kasse", "Bestellung"}
	erp.WarnLatency = check.Duration(simWarnLatency)

	return []check.Spec{ups, line1, line2, clock, kon, tiDNS, erezept, tilage, erp}
}
