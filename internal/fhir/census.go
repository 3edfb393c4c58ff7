package fhir

import (
	"sort"
	"strings"

	"github.com/lifeline-project/lifeline/internal/check"
)

// NoWard is the id of the list of current stays whose ward is unknown.
const NoWard = "none"

// Ward is a ward with its current patients.
type Ward struct {
	ID       string
	Name     string
	Patients int
}

// Bed is one current stay on a ward.
type Bed struct {
	Patient   Key
	Encounter Key
	WardID    string
	Room      string
	Bed       string
}

// Place returns room and bed in one string: "Zimmer 3 / Bett 2".
func (b Bed) Place() string {
	switch {
	case b.Room != "" && b.Bed != "" && !strings.Contains(b.Bed, b.Room):
		return b.Room + " / " + b.Bed
	case b.Bed != "":
		return b.Bed
	}
	return b.Room
}

// Census is the current occupation of the wards.
type Census struct {
	// Wards are every ward location of the copy and every ward with a
	// current stay, by name.
	Wards []Ward
	beds  map[string][]Bed
	// wardsOf maps a patient to the wards of their current stays.
	wardsOf map[Key][]string
}

// WardName returns the name of the pseudo ward of stays without a ward.
func WardName(id, name string) check.Text {
	if id == NoWard {
		return check.Msg("Ohne Station", "No ward")
	}
	return check.Msg(name, name)
}

type locIndex map[string]*Location

func indexLocations(locs []Location) locIndex {
	idx := locIndex{}
	for i := range locs {
		l := &locs[i]
		idx["Location/"+l.ID] = l
		for _, id := range l.Identifiers {
			idx[id.System+"|"+id.Value] = l
			if _, ok := idx["|"+id.Value]; !ok {
				idx["|"+id.Value] = l
			}
		}
	}
	return idx
}

func (x locIndex) resolve(r Ref) *Location {
	switch {
	case r.ID != "":
		return x["Location/"+r.ID]
	case r.Value != "":
		if l, ok := x[r.System+"|"+r.Value]; ok {
			return l
		}
		return x["|"+r.Value]
	}
	return nil
}

func locPartOf(l *Location) Ref {
	if l == nil {
		return Ref{}
	}
	return l.PartOf
}

// wardOf walks up partOf from l to the first ward.
func (x locIndex) wardOf(l *Location) *Location {
	for i := 0; l != nil && i < 8; i++ {
		if l.PhysicalType == PhysWard {
			return l
		}
		l = x.resolve(l.PartOf)
	}
	return nil
}

// BuildCensus puts the current stays on their wards: a stay's ward is the
// location of physical type "wa" among its active locations or above them
// (partOf); room and bed come from locations of type "ro" and "bd". A
// stay with no ward is listed on the first location it names, or on
// NoWard.
func BuildCensus(stays []StayRef, locs []Location) *Census {
	idx := indexLocations(locs)
	c := &Census{beds: map[string][]Bed{}, wardsOf: map[Key][]string{}}
	names := map[string]string{}
	for _, l := range locs {
		if l.PhysicalType == PhysWard && l.Status != "inactive" {
			names[l.ID] = l.Name
		}
	}
	for _, st := range stays {
		b := Bed{Patient: st.Patient, Encounter: st.Encounter}
		var ward, fallback *Location
		var fallbackRef Ref
		for _, el := range st.Locations {
			if el.Ended || el.Status == "completed" {
				continue
			}
			loc := idx.resolve(el.Ref)
			pt, name := el.PhysicalType, el.Ref.Display
			if loc != nil {
				if loc.PhysicalType != "" {
					pt = loc.PhysicalType
				}
				if loc.Name != "" {
					name = loc.Name
				}
			}
			switch pt {
			case PhysBed:
				b.Bed = name
				if room := idx.resolve(locPartOf(loc)); room != nil && room.PhysicalType == PhysRoom && b.Room == "" {
					b.Room = room.Name
				}
			case PhysRoom:
				b.Room = name
			}
			if ward == nil {
				if w := idx.wardOf(loc); w != nil {
					ward = w
				} else if pt == PhysWard && loc == nil && fallbackRef.IsZero() {
					fallbackRef = el.Ref
				}
			}
			if fallback == nil && loc != nil && pt != PhysBed && pt != PhysRoom {
				fallback = loc
			}
		}
		switch {
		case ward != nil:
			b.WardID, names[ward.ID] = ward.ID, ward.Name
		case !fallbackRef.IsZero():
			id := fallbackRef.ID
			if id == "" {
				id = fallbackRef.Value
			}
			b.WardID = id
			if names[id] == "" {
				names[id] = fallbackRef.Display
			}
		case fallback != nil:
			b.WardID = fallback.ID
			if names[fallback.ID] == "" {
				names[fallback.ID] = fallback.Name
			}
		default:
			b.WardID = NoWard
			names[NoWard] = "Ohne Station"
		}
		c.beds[b.WardID] = append(c.beds[b.WardID], b)
		c.wardsOf[b.Patient] = append(c.wardsOf[b.Patient], b.WardID)
	}
	for id, name := range names {
		if name == "" {
			name = id
		}
		c.Wards = append(c.Wards, Ward{ID: id, Name: name, Patients: len(c.beds[id])})
	}
	sort.Slice(c.Wards, func(i, j int) bool {
		a, b := c.Wards[i], c.Wards[j]
		if (a.ID == NoWard) != (b.ID == NoWard) {
			return b.ID == NoWard
		}
		if a.Name != b.Name {
			return naturalLess(a.Name, b.Name)
		}
		return a.ID < b.ID
	})
	for id := range c.beds {
		beds := c.beds[id]
		sort.SliceStable(beds, func(i, j int) bool { return naturalLess(beds[i].Place(), beds[j].Place()) })
	}
	return c
}

// Beds returns the current stays of a ward, by room and bed.
func (c *Census) Beds(wardID string) []Bed { return c.beds[wardID] }

// Ward returns a ward by id.
func (c *Census) Ward(id string) (Ward, bool) {
	for _, w := range c.Wards {
		if w.ID == id {
			return w, true
		}
	}
	return Ward{}, false
}

// WardsOf returns the wards of a patient's current stays.
func (c *Census) WardsOf(p Key) []string { return c.wardsOf[p] }

// StayOf returns the first current stay of a patient.
func (c *Census) StayOf(p Key) (Bed, bool) {
	for _, w := range c.wardsOf[p] {
		for _, b := range c.beds[w] {
			if b.Patient == p {
				return b, true
			}
		}
	}
	return Bed{}, false
}

// MatchWard finds the ward a configuration names: by id, else by name
// (case and spaces ignored).
func (c *Census) MatchWard(spec string) (Ward, bool) {
	spec = strings.TrimSpace(spec)
	if w, ok := c.Ward(spec); ok {
		return w, true
	}
	for _, w := range c.Wards {
		if strings.EqualFold(strings.Join(strings.Fields(w.Name), " "), strings.Join(strings.Fields(spec), " ")) {
			return w, true
		}
	}
	return Ward{}, false
}

// naturalLess orders strings with numbers by value: "Bett 2" < "Bett 10".
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		ad, bd := isDigit(a[0]), isDigit(b[0])
		if ad && bd {
			i, j := 0, 0
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na, nb := strings.TrimLeft(a[:i], "0"), strings.TrimLeft(b[:j], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[i:], b[j:]
			continue
		}
		ca, cb := strings.ToLower(a[:1]), strings.ToLower(b[:1])
		if ca != cb {
			return ca < cb
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
