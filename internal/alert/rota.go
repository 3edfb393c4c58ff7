package alert

import (
	"fmt"
	"slices"
	"time"
)

// Rotation modes of a layer.
const (
	RotateNone   = ""
	RotateDaily  = "daily"
	RotateWeekly = "weekly"
)

// defaultRotationStart is a Monday, so that weekly rotations change on
// Mondays unless a layer says otherwise.
var defaultRotationStart = civil{2026, time.January, 5}

type layerPlan struct {
	name   string
	win    window
	people []string
	rotate string
	origin civil
}

type overridePlan struct {
	from, to  time.Time
	person    string
	insteadOf string
}

// rotaPlan is a compiled Rota.
type rotaPlan struct {
	id, name  string
	layers    []layerPlan
	overrides []overridePlan
	everyone  []string
}

func compileRota(r Rota, loc *time.Location) (*rotaPlan, error) {
	p := &rotaPlan{id: r.ID, name: r.Name}
	seen := map[string]bool{}
	for i, l := range r.Layers {
		w, err := newWindow(l.Days, l.Dates, l.Start, l.End)
		if err != nil {
			return nil, fmt.Errorf("layers[%d]: %w", i, err)
		}
		lp := layerPlan{name: l.Name, win: w, people: l.People, rotate: l.Rotate, origin: defaultRotationStart}
		if l.RotationStart != "" {
			if lp.origin, err = parseDate(l.RotationStart); err != nil {
				return nil, fmt.Errorf("layers[%d].rotation_start: %w", i, err)
			}
		}
		p.layers = append(p.layers, lp)
		for _, id := range l.People {
			if !seen[id] {
				seen[id] = true
				p.everyone = append(p.everyone, id)
			}
		}
	}
	for i, o := range r.Overrides {
		from, err := parseLocal(o.From, loc)
		if err != nil {
			return nil, fmt.Errorf("overrides[%d].from: %w", i, err)
		}
		to, err := parseLocal(o.To, loc)
		if err != nil {
			return nil, fmt.Errorf("overrides[%d].to: %w", i, err)
		}
		p.overrides = append(p.overrides, overridePlan{from: from, to: to, person: o.Person, insteadOf: o.InsteadOf})
		if !seen[o.Person] {
			seen[o.Person] = true
			p.everyone = append(p.everyone, o.Person)
		}
	}
	return p, nil
}

// onCall returns the people on call at t, in the order configured.
func (p *rotaPlan) onCall(t time.Time, loc *time.Location) []string {
	var who []string
	for i := len(p.layers) - 1; i >= 0; i-- {
		l := p.layers[i]
		ok, started := l.win.activeAt(t, loc)
		if !ok || len(l.people) == 0 {
			continue
		}
		switch l.rotate {
		case RotateDaily, RotateWeekly:
			n := started.daysSince(l.origin)
			if l.rotate == RotateWeekly {
				n = floorDiv(n, 7)
			}
			who = []string{l.people[mod(n, len(l.people))]}
		default:
			who = slices.Clone(l.people)
		}
		break
	}
	// Overrides for the whole rota first, then those replacing one person.
	var whole []string
	for _, o := range p.overrides {
		if o.insteadOf == "" && !t.Before(o.from) && t.Before(o.to) && !slices.Contains(whole, o.person) {
			whole = append(whole, o.person)
		}
	}
	if len(whole) > 0 {
		who = whole
	}
	for _, o := range p.overrides {
		if o.insteadOf == "" || t.Before(o.from) || !t.Before(o.to) {
			continue
		}
		if i := slices.Index(who, o.insteadOf); i >= 0 {
			if slices.Contains(who, o.person) {
				who = slices.Delete(who, i, i+1)
			} else {
				who[i] = o.person
			}
		}
	}
	return who
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func mod(a, b int) int {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
