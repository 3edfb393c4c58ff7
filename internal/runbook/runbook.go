// Package runbook holds the recovery checklists and the emergency
// handbook. Checklists follow the fixed recovery order of the ApoRisk
// pillars (domain.md): Strom (power), Netz (network), Zugang (TI access,
// cards, certificates), Mensch (people, roles), Dokument (record what
// happened), Rückkehr (return to normal). The shipped checklists are in
// German and English; the pharmacy's own handbook pages (Markdown, from
// the downtime copy) add theirs: the task list ("- [ ] step") or else the
// numbered list ("1. step") of a page becomes a checklist.
//
// A guided run walks the steps in recovery order and records each one,
// with who and when, into the open incident (incident.Recorder's
// ChecklistStep); the state of a run is read back from the incident's
// timeline, so it survives a restart and is part of the evidence.
package runbook

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/mirror"
)

// Phase is a step of the fixed recovery order.
type Phase string

// The recovery phases, in order.
const (
	PhasePower    Phase = "power"
	PhaseNetwork  Phase = "network"
	PhaseAccess   Phase = "access"
	PhasePeople   Phase = "people"
	PhaseDocument Phase = "document"
	PhaseReturn   Phase = "return"
)

// Phases lists the phases in the fixed recovery order.
func Phases() []Phase {
	return []Phase{PhasePower, PhaseNetwork, PhaseAccess, PhasePeople, PhaseDocument, PhaseReturn}
}

// Title returns the phase's name.
func (p Phase) Title() check.Text {
	switch p {
	case PhasePower:
		return check.Msg("Strom", "Power")
	case PhaseNetwork:
		return check.Msg("Netz", "Network")
	case PhaseAccess:
		return check.Msg("Zugang (TI, Karten, Zertifikate)", "Access (TI, cards, certificates)")
	case PhasePeople:
		return check.Msg("Mensch (Rollen, Telefonkette)", "People (roles, phone tree)")
	case PhaseDocument:
		return check.Msg("Dokument (festhalten, was passiert)", "Document (record what happens)")
	case PhaseReturn:
		return check.Msg("Rückkehr (zurück zum Normalbetrieb)", "Return (back to normal)")
	default:
		return check.Msg(string(p), string(p))
	}
}

// rank orders phases; unknown ones go last.
func (p Phase) rank() int {
	if i := slices.Index(Phases(), p); i >= 0 {
		return i
	}
	return len(Phases())
}

// PhaseOfGroup returns the phase that deals with a dashboard group.
func PhaseOfGroup(group string) Phase {
	switch group {
	case check.GroupPower:
		return PhasePower
	case check.GroupNetwork:
		return PhaseNetwork
	case check.GroupAccess:
		return PhaseAccess
	default:
		return PhasePeople
	}
}

// Step is one thing to do.
type Step struct {
	ID   string
	Text check.Text
}

// Checklist is the steps of one phase, from the shipped defaults or a
// handbook page.
type Checklist struct {
	ID     string
	Phase  Phase
	Title  check.Text
	Steps  []Step
	Source string // "builtin" or "handbook:<slug>"
}

// Step returns the step with id.
func (c Checklist) Step(id string) (Step, bool) {
	for _, s := range c.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}

func st(id, de, en string) Step { return Step{ID: id, Text: check.Msg(de, en)} }

// Defaults returns the shipped checklists, one per phase.
func Defaults() []Checklist {
	return []Checklist{
		{ID: "strom", Phase: PhasePower, Title: check.Msg("Strom", "Power"), Source: "builtin", Steps: []Step{
			st("usv-ansehen", "USV-Anzeige ansehen: Netzbetrieb oder Akku? Restlaufzeit notieren.", "Look at the UPS: mains or battery? Note the time left."),
			st("sicherung", "Sicherungskasten prüfen; ist das ganze Haus ohne Strom, die Störungsnummer des Stromversorgers anrufen.", "Check the fuse box; if the whole building is dark, call the power company's fault line."),
			st("kuehlware", "Temperatur der Kühlschränke notieren und Türen geschlossen halten (Kühlware).", "Note the fridge temperatures and keep the doors shut (cold-chain drugs)."),
			st("herunterfahren", "Bei weniger als 10 Minuten Akku: Server und Kasse geordnet herunterfahren.", "With less than 10 minutes of battery left: shut down server and till in order."),
			st("licht", "Taschenlampen bereitlegen; Kundschaft informieren.", "Get torches ready; tell the customers."),
		}},
		{ID: "netz", Phase: PhaseNetwork, Title: check.Msg("Netz", "Network"), Source: "builtin", Steps: []Step{
			st("router", "Router ansehen: leuchten die Lampen wie sonst? Einmal aus- und nach 10 Sekunden wieder einschalten.", "Look at the router: are the lights as usual? Switch it off and on again after 10 seconds."),
			st("zweite-leitung", "Auf die zweite Leitung (zum Beispiel LTE) umschalten, wenn vorhanden.", "Switch to the second line (for example LTE), if there is one."),
			st("anbieter", "Störungsnummer des Internetanbieters anrufen; Wartezeit eintragen.", "Call the internet provider's fault line; record the waiting time."),
			st("grosshandel", "Beim Großhandel telefonisch bestellen (Nummer in der Notfallmappe).", "Order from the wholesaler by phone (number in the binder)."),
		}},
		{ID: "zugang", Phase: PhaseAccess, Title: check.Msg("Zugang (TI)", "Access (TI)"), Source: "builtin", Steps: []Step{
			st("konnektor", "Konnektor ansehen; wenn nötig Strom 10 Sekunden trennen und neu starten.", "Look at the Konnektor; if needed, cut its power for 10 seconds and restart it."),
			st("karten", "Stecken SMC-B und HBA? Zeigt das Kartenterminal Bereitschaft? PIN-Status prüfen.", "Are SMC-B and HBA inserted? Is the card terminal ready? Check the PIN status."),
			st("tilage", "TI-Lagebild der gematik ansehen: Ist die Störung bundesweit?", "Look at gematik's TI status page: is the outage nationwide?"),
			st("ersatzverfahren", "E-Rezepte ohne TI: um ein Papierrezept (Muster 16) der Praxis bitten oder später wiederkommen lassen; Liste führen.", "E-prescriptions without TI: ask the practice for a paper prescription (Muster 16) or ask the patient to come back; keep a list."),
		}},
		{ID: "mensch", Phase: PhasePeople, Title: check.Msg("Mensch", "People"), Source: "builtin", Steps: []Step{
			st("leitung", "Festlegen, wer entscheidet und wer telefoniert.", "Decide who is in charge and who makes the calls."),
			st("telefonkette", "Telefonkette starten: Inhaberin oder Inhaber und IT-Dienstleister informieren.", "Start the phone tree: tell the owner and the IT service."),
			st("team", "Team einweisen: Notbetrieb, Papierformulare, Notfallmappe.", "Brief the team: emergency mode, paper forms, binder."),
			st("vorrang", "Vorrang-Patienten durchgehen (Liste in der Notfallmappe): Wer braucht heute dringend etwas?", "Go through the priority patients (list in the binder): who urgently needs something today?"),
		}},
		{ID: "dokument", Phase: PhaseDocument, Title: check.Msg("Dokument", "Document"), Source: "builtin", Steps: []Step{
			st("beobachtung", "Beginn der Störung und erste Beobachtung als Notiz eintragen.", "Record the start of the outage and the first observation as a note."),
			st("verkaeufe", "Verkäufe im Notbetrieb festhalten (Notkasse oder Papierliste).", "Record the sales in emergency mode (emergency till or paper list)."),
			st("anrufe", "Jeden Anruf bei einer Hotline mit Wartezeit eintragen.", "Record every call to a hotline with its waiting time."),
			st("kosten", "Kosten eintragen (Techniker, Überstunden, entgangener Umsatz).", "Record the costs (technician, overtime, lost sales)."),
		}},
		{ID: "rueckkehr", Phase: PhaseReturn, Title: check.Msg("Rückkehr", "Return"), Source: "builtin", Steps: []Step{
			st("testvorgang", "Warenwirtschaft, Kasse und Kartenterminal mit einem Testvorgang prüfen.", "Check the pharmacy system, till and card terminal with a test transaction."),
			st("nachbuchen", "Verkäufe des Notbetriebs nachbuchen und den Abgleich prüfen.", "Post the emergency-mode sales and check the reconciliation."),
			st("erezepte", "Zurückgestellte E-Rezepte abrufen und abschließen.", "Retrieve and close the deferred e-prescriptions."),
			st("entwarnung", "Team und Telefonkette informieren: wieder Normalbetrieb.", "Tell the team and the phone tree: back to normal."),
			st("nachbesprechung", "Nachbesprechung: die drei Fragen beantworten.", "Retrospective: answer the three questions."),
		}},
	}
}

var (
	taskRE    = regexp.MustCompile(`^\s*[-*+]\s+\[[ xX]\]\s+(.+?)\s*$`)
	orderedRE = regexp.MustCompile(`^\s{0,3}\d{1,3}[.)]\s+(.+?)\s*$`)
	phaseRE   = regexp.MustCompile(`(?i)^\s*(?:phase|bereich|wiederanlauf)\s*:\s*(.+?)\s*$`)
)

// phaseWords maps words of a page's title or phase line to a phase.
func phaseFromWords(s string) (Phase, bool) {
	s = strings.ToLower(s)
	for _, m := range []struct {
		p     Phase
		words []string
	}{
		{PhasePower, []string{"strom", "usv", "power"}},
		{PhaseNetwork, []string{"netz", "internet", "leitung", "router", "network"}},
		{PhaseAccess, []string{"zugang", "ti", "konnektor", "karte", "smc-b", "hba", "e-rezept", "zertifikat", "access"}},
		{PhasePeople, []string{"mensch", "personal", "team", "telefon", "people"}},
		{PhaseDocument, []string{"dokument", "dokumentation", "protokoll", "document"}},
		{PhaseReturn, []string{"rückkehr", "rueckkehr", "wiederanlauf", "normalbetrieb", "return"}},
	} {
		for _, w := range m.words {
			for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' || r == '/' || r == '(' || r == ')' || r == ',' }) {
				if f == w || (len(w) > 3 && strings.HasPrefix(f, w)) {
					return m.p, true
				}
			}
			if strings.Contains(w, "-") && strings.Contains(s, w) {
				return m.p, true
			}
		}
	}
	return "", false
}

// FromHandbook turns the steps of handbook pages into checklists: the
// task list items ("- [ ] step") of a page, or, when it has none, its
// numbered list items ("1. step"). A line "Phase: Netz" places the
// checklist, otherwise the page's title or slug does (unplaced pages go to
// "Mensch"). Step ids come from the step's words, so editing one step keeps
// the records of the others.
func FromHandbook(pages []mirror.Page) []Checklist {
	var out []Checklist
	for _, p := range pages {
		lines := strings.Split(p.Markdown, "\n")
		re := orderedRE
		for _, line := range lines {
			if taskRE.MatchString(line) {
				re = taskRE
				break
			}
		}
		var steps []Step
		seen := map[string]int{}
		phase, placed := Phase(""), false
		for _, line := range lines {
			if m := phaseRE.FindStringSubmatch(line); m != nil && !placed {
				phase, placed = phaseFromWords(m[1])
			}
			m := re.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			text := m[1]
			id := mirror.Slugify(text)
			if len(id) > 60 {
				id = strings.TrimRight(id[:60], "-")
			}
			if id == "" {
				id = "schritt"
			}
			seen[id]++
			if n := seen[id]; n > 1 {
				id = fmt.Sprintf("%s-%d", id, n)
			}
			steps = append(steps, Step{ID: id, Text: check.Msg(text, text)})
		}
		if len(steps) == 0 {
			continue
		}
		if !placed {
			if phase, placed = phaseFromWords(p.Title); !placed {
				if phase, placed = phaseFromWords(p.Slug); !placed {
					phase = PhasePeople
				}
			}
		}
		out = append(out, Checklist{ID: "hb-" + p.Slug, Phase: phase, Title: check.Msg(p.Title, p.Title), Steps: steps, Source: "handbook:" + p.Slug})
	}
	return out
}

// Handbook is where the handbook pages come from (the downtime copy).
type Handbook interface {
	HandbookPages(ctx context.Context) ([]mirror.Page, error)
	HandbookPage(ctx context.Context, slug string) (mirror.Page, error)
}

// Book is the site's runbook: the shipped checklists and the handbook's.
type Book struct {
	hb  Handbook
	log *slog.Logger
}

// NewBook returns the runbook; hb may be nil (no handbook in the copy).
func NewBook(hb Handbook, log *slog.Logger) *Book {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Book{hb: hb, log: log}
}

// Handbook returns the handbook source, nil when none.
func (b *Book) Handbook() Handbook { return b.hb }

// Checklists returns every checklist in recovery order: per phase the
// shipped one first, then the handbook's. A handbook that cannot be read
// leaves the shipped checklists (and is logged): the runbook must work
// when the rest does not.
func (b *Book) Checklists(ctx context.Context) []Checklist {
	out := Defaults()
	if b.hb != nil {
		pages, err := b.hb.HandbookPages(ctx)
		if err != nil {
			b.log.Warn("handbook pages not readable; using the shipped checklists", "err", err)
		} else {
			out = append(out, FromHandbook(pages)...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Phase.rank() < out[j].Phase.rank() })
	return out
}

// Record records a step of a checklist in an incident, done or skipped.
// ENOTFOUND for an unknown checklist or step; ECONFLICT when recorded
// already.
func (b *Book) Record(ctx context.Context, rec *incident.Recorder, incidentID int64, checklistID, stepID, who string, skipped bool) (incident.Entry, error) {
	for _, c := range b.Checklists(ctx) {
		if c.ID != checklistID {
			continue
		}
		s, ok := c.Step(stepID)
		if !ok {
			break
		}
		return rec.ChecklistStep(ctx, incidentID, who, incident.StepRecord{Checklist: c.ID, Step: s.ID, Phase: string(c.Phase),
			ChecklistTitle: c.Title, Text: s.Text, Skipped: skipped})
	}
	return incident.Entry{}, incident.Errorf(incident.ENOTFOUND, "Diesen Schritt gibt es nicht (mehr).", "This step does not exist (any more).")
}
