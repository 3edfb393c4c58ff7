package counter

import (
	"slices"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/monitor"
)

// Watch names the checks the counter looks at, resolved from the config and
// the site's checks.
type Watch struct {
	// Offer: a check down here makes the dashboard offer emergency mode.
	Offer []string
	// ERP: all of these ok means the ERP is back (the hand-over may run).
	ERP []string
	// TI: none down and one ok means E-Rezepte can be redeemed.
	TI []string
}

// downtimeCopyKind is the kind of the downtime copy's own freshness check
// (internal/siteapp), which sits in group "erp" but is not the ERP: a stale
// copy neither offers emergency mode nor holds up the hand-over.
const downtimeCopyKind = "mirror"

// ResolveWatch returns the checks to watch: the configured ids, or by
// default the checks of group "erp" (offer, ERP; without the downtime
// copy's check) and "access" (TI).
func ResolveWatch(cfg Config, specs []check.Spec) Watch {
	var w Watch
	for _, s := range specs {
		switch s.Group {
		case check.GroupERP:
			if s.Kind == downtimeCopyKind {
				continue
			}
			w.ERP = append(w.ERP, s.ID)
		case check.GroupAccess:
			w.TI = append(w.TI, s.ID)
		}
	}
	w.Offer = slices.Clone(w.ERP)
	if len(cfg.OfferWhenDown) > 0 {
		w.Offer = slices.Clone(cfg.OfferWhenDown)
	}
	if len(cfg.TIChecks) > 0 {
		w.TI = slices.Clone(cfg.TIChecks)
	}
	return w
}

// Situation is what the watched checks say at one moment.
type Situation struct {
	// Down lists the offer checks that are down, in overview order.
	Down []monitor.CheckStatus
	// ERPOK is true when every ERP check is ok (or none is configured).
	ERPOK bool
	// TIDown is true when a TI check is down.
	TIDown bool
	// TIUsable is true when no TI check is down and at least one is ok
	// (degraded counts as usable, unknown waits for a probe).
	TIUsable bool
}

// Assess reads an overview.
func (w Watch) Assess(ov monitor.Overview) Situation {
	sit := Situation{ERPOK: true}
	tiOK := false
	for _, c := range ov.Checks {
		if c.State == check.StateDown && slices.Contains(w.Offer, c.ID) {
			sit.Down = append(sit.Down, c)
		}
		if slices.Contains(w.ERP, c.ID) && c.State != check.StateOK {
			sit.ERPOK = false
		}
		if slices.Contains(w.TI, c.ID) {
			switch c.State {
			case check.StateDown:
				sit.TIDown = true
			case check.StateOK, check.StateDegraded:
				tiOK = true
			}
		}
	}
	sit.TIUsable = !sit.TIDown && tiOK
	return sit
}

// Situation returns the assessment of the monitor's current overview.
func (s *Service) Situation() Situation { return s.watch.Assess(s.status()) }

// Watch returns the checks the service watches.
func (s *Service) Watch() Watch { return s.watch }
