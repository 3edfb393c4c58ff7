package alert

import (
	"fmt"
	"slices"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// plan is the configuration compiled for the engine: names resolved,
// times parsed in the site's zone.
type plan struct {
	cfg      Config
	loc      *time.Location
	people   map[string]Person
	rotas    map[string]*rotaPlan
	policies map[string]*Policy
	routes   []routePlan
	silences []Silence
	windows  []windowPlan
}

type routePlan struct {
	Route
	key    string
	policy *Policy
}

type windowPlan struct {
	MaintenanceWindow
	win window
}

func compile(cfg Config, loc *time.Location) (*plan, error) {
	p := &plan{cfg: cfg, loc: loc, people: map[string]Person{}, rotas: map[string]*rotaPlan{}, policies: map[string]*Policy{}}
	for _, pe := range cfg.People {
		p.people[pe.ID] = pe
	}
	for i, r := range cfg.Rotas {
		rp, err := compileRota(r, loc)
		if err != nil {
			return nil, fmt.Errorf("rotas[%d]: %w", i, err)
		}
		p.rotas[r.ID] = rp
	}
	for i := range cfg.EscalationPolicies {
		pol := cfg.EscalationPolicies[i]
		p.policies[pol.ID] = &pol
	}
	for i, r := range cfg.Routes {
		key := r.Name
		if key == "" {
			key = fmt.Sprintf("route%d", i)
		}
		rp := routePlan{Route: r, key: key}
		if r.Escalation != "" {
			rp.policy = p.policies[r.Escalation]
			if rp.policy == nil {
				return nil, fmt.Errorf("routes[%d]: no escalation policy %q", i, r.Escalation)
			}
		}
		p.routes = append(p.routes, rp)
	}
	for i, s := range cfg.Silences {
		until, err := parseLocal(s.Until, loc)
		if err != nil {
			return nil, fmt.Errorf("silences[%d].until: %w", i, err)
		}
		from := time.Time{}
		if s.From != "" {
			if from, err = parseLocal(s.From, loc); err != nil {
				return nil, fmt.Errorf("silences[%d].from: %w", i, err)
			}
		}
		p.silences = append(p.silences, Silence{ID: fmt.Sprintf("config-%d", i), Checks: s.Checks, Groups: s.Groups,
			Comment: s.Comment, CreatedBy: "config", Starts: from, Ends: until, FromConfig: true})
	}
	for i, m := range cfg.MaintenanceWindows {
		w, err := newWindow(m.Days, nil, m.Start, m.End)
		if err != nil {
			return nil, fmt.Errorf("maintenance_windows[%d]: %w", i, err)
		}
		p.windows = append(p.windows, windowPlan{MaintenanceWindow: m, win: w})
	}
	return p, nil
}

// matches reports whether route r takes an alert of a check in a group with
// a state.
func (r routePlan) matches(a Alert) bool {
	if len(r.Checks) > 0 && !slices.Contains(r.Checks, a.CheckID) {
		return false
	}
	if len(r.Groups) > 0 && !slices.Contains(r.Groups, a.Group) {
		return false
	}
	return slices.Contains(r.Severity, string(a.State))
}

// maintenance returns the maintenance window muting a check at t, if any.
func (p *plan) maintenance(checkID, group string, t time.Time) (MaintenanceWindow, bool) {
	for _, w := range p.windows {
		if ok, _ := w.win.activeAt(t, p.loc); ok && matchAny(w.Checks, w.Groups, checkID, group) {
			return w.MaintenanceWindow, true
		}
	}
	return MaintenanceWindow{}, false
}

// target is one receiver to alert, and the person it belongs to.
type target struct {
	receiver string
	person   string
}

// OnCall returns the ids of the people on call in a rota at t; false when
// there is no such rota.
func (p *plan) onCall(rota string, t time.Time) ([]string, bool) {
	rp, ok := p.rotas[rota]
	if !ok {
		return nil, false
	}
	return rp.onCall(t, p.loc), true
}

// resolve turns people, rotas and receivers into receivers at t. A rota
// with nobody on call (a gap in the shifts) alerts everybody in it, so that
// an outage never goes unheard; empty is reported by the bool.
func (p *plan) resolve(people, rotas, receivers []string, t time.Time) (ts []target, gap []string) {
	seen := map[string]bool{}
	add := func(recv, person string) {
		if !seen[recv] {
			seen[recv] = true
			ts = append(ts, target{receiver: recv, person: person})
		}
	}
	addPerson := func(id string) {
		for _, r := range p.people[id].Receivers {
			add(r, id)
		}
	}
	for _, id := range people {
		addPerson(id)
	}
	for _, rid := range rotas {
		rp, ok := p.rotas[rid]
		if !ok {
			continue
		}
		who := rp.onCall(t, p.loc)
		if len(who) == 0 {
			gap = append(gap, rid)
			who = rp.everyone
		}
		for _, id := range who {
			addPerson(id)
		}
	}
	for _, r := range receivers {
		add(r, "")
	}
	return ts, gap
}

// firstStep returns the first step of the runbook for an alert.
func (p *plan) firstStep(a Alert, lang string) string {
	if s, ok := p.cfg.FirstSteps[a.CheckID]; ok && s != "" {
		return s
	}
	if s, ok := p.cfg.FirstSteps[a.Group]; ok && s != "" {
		return s
	}
	return defaultFirstStep(a.Group).In(lang)
}

// defaultFirstStep is the built-in advice per dashboard group.
func defaultFirstStep(group string) check.Text {
	switch group {
	case check.GroupPower:
		return check.Msg("Prüfen, ob Server und USV Strom haben (piept die USV, läuft sie auf Batterie?). Sicherung prüfen.",
			"Check that the server and the UPS have power (is the UPS beeping or on battery?). Check the fuse.")
	case check.GroupNetwork:
		return check.Msg("Router und Modem prüfen: Strom an, Lämpchen an? Gerät aus- und nach 30 Sekunden wieder einschalten; hilft das nicht, Störung beim Anbieter melden.",
			"Check router and modem: power on, lights on? Switch off, wait 30 seconds, switch on; if that does not help, report the fault to the provider.")
	case check.GroupAccess:
		return check.Msg("Konnektor und Kartenterminal prüfen (Strom, Netzwerkkabel). Solange die TI gestört ist: E-Rezepte nach dem Ersatzverfahren bearbeiten.",
			"Check the Konnektor and the card terminal (power, network cable). While the TI is down: handle e-prescriptions by the fallback procedure.")
	case check.GroupERP:
		return check.Msg("Server der Warenwirtschaft prüfen (Strom, Bildschirm). Dauert es länger, im Dashboard den Notbetrieb einschalten und die Hotline des Anbieters anrufen.",
			"Check the pharmacy system's server (power, screen). If it takes longer, switch on emergency mode on the dashboard and call the vendor's hotline.")
	default:
		return check.Msg("Dashboard öffnen und den Hinweisen dort folgen.", "Open the dashboard and follow the advice there.")
	}
}
