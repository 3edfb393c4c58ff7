package monitor

import (
	"fmt"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// CheckStatus is the current view of one check, as the dashboard and the
// API show it.
type CheckStatus struct {
	ID        string
	Name      string
	Kind      string
	Group     string
	State     check.State
	Since     time.Time
	Latency   time.Duration
	Message   check.Text
	DependsOn []string
	Affects   []string
	// Consequence is true when the check's state is explained by a down
	// ancestor; CausedBy names those root causes.
	Consequence bool
	CausedBy    []string
	// LastProbe is when the check was last probed (zero before the first).
	LastProbe time.Time
	// Spark holds the average latency in milliseconds of each of the last
	// 48 half-hour buckets (24 h), oldest first; -1 marks a bucket without
	// data.
	Spark []float64
}

// Overview is the site's status at one moment.
type Overview struct {
	At         time.Time
	Overall    check.State
	RootCauses []string
	Checks     []CheckStatus
}

// Check returns the status of the check with id, and false when unknown.
func (o Overview) Check(id string) (CheckStatus, bool) {
	for _, c := range o.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return CheckStatus{}, false
}

// Sentence is the one sentence on top of the dashboard that a person who is
// not IT staff understands: "Alles in Ordnung." or "E-Rezept gestört seit
// 09:12. Ursache: Konnektor ausgefallen." Times are shown in loc.
func (o Overview) Sentence(lang string, loc *time.Location) string {
	de := lang != "en"
	if len(o.Checks) == 0 {
		if de {
			return "Keine Prüfungen eingerichtet."
		}
		return "No checks configured."
	}
	if len(o.RootCauses) == 0 {
		switch o.Overall {
		case check.StateUnknown:
			if de {
				return "Zustand wird noch ermittelt."
			}
			return "Status is being determined."
		default:
			if de {
				return "Alles in Ordnung."
			}
			return "All systems working."
		}
	}
	var parts []string
	for _, rid := range o.RootCauses {
		root, ok := o.Check(rid)
		if !ok {
			continue
		}
		var consequences []string
		for _, c := range o.Checks {
			if c.ID == rid || !contains(c.CausedBy, rid) || c.State == check.StateOK {
				continue
			}
			consequences = append(consequences, c.Name)
		}
		at := root.Since.In(loc).Format("15:04")
		if day := root.Since.In(loc); !sameDay(day, o.At.In(loc)) {
			at = day.Format("02.01. 15:04")
		}
		rootWords := root.State.Words().In(lang)
		switch {
		case len(consequences) > 0 && de:
			parts = append(parts, fmt.Sprintf("%s gestört seit %s. Ursache: %s %s.", joinNames(consequences, "und"), at, root.Name, rootWords))
		case len(consequences) > 0:
			parts = append(parts, fmt.Sprintf("%s disrupted since %s. Cause: %s %s.", joinNames(consequences, "and"), at, root.Name, rootWords))
		case de:
			parts = append(parts, fmt.Sprintf("%s %s seit %s.", root.Name, rootWords, at))
		default:
			parts = append(parts, fmt.Sprintf("%s %s since %s.", root.Name, rootWords, at))
		}
	}
	return strings.Join(parts, " ")
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func joinNames(names []string, and string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	default:
		return strings.Join(names[:len(names)-1], ", ") + " " + and + " " + names[len(names)-1]
	}
}
