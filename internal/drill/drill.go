// Package drill runs emergency drills (Notfallübungen): staff choose a
// scenario (power cut, internet down, TI down, ERP down), and the site
// behaves as in a real outage. The scenario's checks fail (WrapProber makes
// their probes report a simulated outage), the monitor opens an incident,
// the dashboard shows it, alerts go out, checklists are worked through,
// emergency mode is switched on. Everything is marked as a drill: the
// incident's title, every alert message, a banner on every page.
//
// Alerts of a drill go only to the drill receivers (Guard wraps the alert
// engine's notifiers; Decide is the routing decision itself, for an alert
// engine that wants to call it directly). A message counts as a drill
// message when every cause in it is a check of the drill; real trouble
// during a drill still reaches the real receivers.
//
// The time to detection, to the first alert, to emergency mode and each
// checklist step are measured from the incident's timeline; drill reports
// are kept with the incidents.
package drill

import (
	"context"
	"slices"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/incident"
)

// MaxDuration ends a drill that nobody ended, so a forgotten drill never
// hides a real outage for long.
const MaxDuration = 4 * time.Hour

// Scenario is what a drill simulates: the checks that fail.
type Scenario struct {
	ID     string
	Title  check.Text
	Hint   check.Text
	Checks []string
}

// Scenarios returns the built-in scenarios (by dashboard group: power,
// network, access, ERP) and the configured ones, each with the checks of
// specs it makes fail. Scenarios without a check are left out.
func Scenarios(cfg incident.DrillConfig, specs []check.Spec) []Scenario {
	builtin := []struct {
		id, group string
		title     check.Text
		hint      check.Text
	}{
		{"strom", check.GroupPower, check.Msg("Stromausfall", "Power cut"),
			check.Msg("Die USV meldet Ausfall: Kasse und Server laufen auf Akku.", "The UPS reports an outage: till and server run on battery.")},
		{"internet", check.GroupNetwork, check.Msg("Internet weg", "Internet down"),
			check.Msg("Beide Leitungen fallen aus: keine TI, kein Großhandel online.", "Both lines fail: no TI, no wholesaler online.")},
		{"ti", check.GroupAccess, check.Msg("TI gestört (Konnektor, E-Rezept)", "TI disrupted (Konnektor, e-prescription)"),
			check.Msg("Konnektor und TI-Dienste fallen aus: E-Rezepte lassen sich nicht abrufen.", "Konnektor and TI services fail: e-prescriptions cannot be retrieved.")},
		{"warenwirtschaft", check.GroupERP, check.Msg("Warenwirtschaft ausgefallen", "Pharmacy system down"),
			check.Msg("Die Warenwirtschaft antwortet nicht: Kasse und Bestellung stehen.", "The pharmacy system does not answer: till and ordering stop.")},
	}
	var out []Scenario
	for _, b := range builtin {
		s := Scenario{ID: b.id, Title: b.title, Hint: b.hint}
		for _, sp := range specs {
			if sp.Group == b.group {
				s.Checks = append(s.Checks, sp.ID)
			}
		}
		if len(s.Checks) > 0 {
			out = append(out, s)
		}
	}
	known := map[string]bool{}
	for _, sp := range specs {
		known[sp.ID] = true
	}
	for _, sc := range cfg.Scenarios {
		s := Scenario{ID: sc.ID, Title: check.Msg(sc.Title, sc.Title)}
		for _, id := range sc.Checks {
			if known[id] {
				s.Checks = append(s.Checks, id)
			}
		}
		if len(s.Checks) == 0 {
			continue
		}
		if i := slices.IndexFunc(out, func(o Scenario) bool { return o.ID == s.ID }); i >= 0 {
			out[i] = s
		} else {
			out = append(out, s)
		}
	}
	return out
}

// Drill is one drill, running or past.
type Drill struct {
	ID        int64
	Scenario  string
	Title     check.Text
	Checks    []string
	StartedAt time.Time
	StartedBy string
	// EndedAt is zero while the drill runs.
	EndedAt time.Time
	EndedBy string
}

// Running reports whether the drill has not ended.
func (d Drill) Running() bool { return d.EndedAt.IsZero() }

// Simulates reports whether the drill makes the check fail.
func (d Drill) Simulates(checkID string) bool { return slices.Contains(d.Checks, checkID) }

// Store keeps drills. Implementation: store/sqlite.
type Store interface {
	// CreateDrill stores a new drill (its ID is assigned).
	CreateDrill(ctx context.Context, d Drill) (Drill, error)
	// EndDrill records the end of a drill; ENOTFOUND when unknown.
	EndDrill(ctx context.Context, id int64, at time.Time, by string) (Drill, error)
	// Drill returns one drill; ENOTFOUND when unknown.
	Drill(ctx context.Context, id int64) (Drill, error)
	// Drills returns the newest drills first, at most limit (0: all).
	Drills(ctx context.Context, limit int) ([]Drill, error)
	// MarkAlertIncident remembers that an alert incident belongs to a
	// drill; marking it again keeps the first.
	MarkAlertIncident(ctx context.Context, alertIncident string, drillID int64, at time.Time) error
	// AlertIncidentDrills returns every marked alert incident and its drill.
	AlertIncidentDrills(ctx context.Context) (map[string]int64, error)
}
