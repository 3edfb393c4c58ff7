package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/check"
)

// MaxText is the longest free text accepted in a note or answer.
const MaxText = 4000

func cleanText(s, field string, required bool) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	switch {
	case required && s == "":
		return "", Errorf(EINVALID, "Bitte %s ausfüllen.", "Please fill in %s.", field)
	case !utf8.ValidString(s):
		return "", Errorf(EINVALID, "%s enthält ungültige Zeichen.", "%s contains invalid characters.", field)
	case utf8.RuneCountInString(s) > MaxText:
		return "", Errorf(EINVALID, "%s ist zu lang (höchstens %d Zeichen).", "%s is too long (at most %d characters).", field, MaxText)
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' {
			return "", Errorf(EINVALID, "%s enthält Steuerzeichen.", "%s contains control characters.", field)
		}
	}
	return s, nil
}

func actorOf(who string) string {
	if who = strings.TrimSpace(who); who == "" {
		return ActorSystem
	}
	return who
}

// Note records a member of staff's note in an incident: what was seen
// (NoteObservation) or what was done (NoteMeasure).
func (r *Recorder) Note(ctx context.Context, incidentID int64, who string, kind NoteKind, text string) (Entry, error) {
	text, err := cleanText(text, "Notiz", true)
	if err != nil {
		return Entry{}, err
	}
	if kind != NoteMeasure {
		kind = NoteObservation
	}
	label := check.Msg("Beobachtung", "Observation")
	if kind == NoteMeasure {
		label = check.Msg("Maßnahme", "Measure")
	}
	return r.add(ctx, Draft{IncidentID: incidentID, Kind: KindNote, Actor: actorOf(who),
		Text: check.Msg(label.DE+": "+text, label.EN+": "+text), Data: map[string]string{"note": string(kind)}}, nil)
}

// HotlineCall is a call to a hotline (the ERP vendor, the IT service, the
// TI provider) during an incident.
type HotlineCall struct {
	// Whom is the hotline called ("Hotline Warenwirtschaft").
	Whom string
	// Waited is the time in the queue before somebody answered.
	Waited time.Duration
	// Outcome is what was agreed, in a few words.
	Outcome string
}

// HotlineCall records a call to a hotline with its waiting time.
func (r *Recorder) HotlineCall(ctx context.Context, incidentID int64, who string, c HotlineCall) (Entry, error) {
	whom, err := cleanText(c.Whom, "Hotline", true)
	if err != nil {
		return Entry{}, err
	}
	outcome, err := cleanText(c.Outcome, "Ergebnis", false)
	if err != nil {
		return Entry{}, err
	}
	if c.Waited < 0 || c.Waited > 48*time.Hour {
		return Entry{}, Errorf(EINVALID, "Die Wartezeit muss zwischen 0 und 48 Stunden liegen.", "The waiting time must lie between 0 and 48 hours.")
	}
	w := FormatDuration(c.Waited)
	de := fmt.Sprintf("%s angerufen, Wartezeit %s.", whom, w.DE)
	en := fmt.Sprintf("Called %s, waited %s.", whom, w.EN)
	if outcome != "" {
		de += " Ergebnis: " + outcome
		en += " Outcome: " + outcome
	}
	return r.add(ctx, Draft{IncidentID: incidentID, Kind: KindHotline, Actor: actorOf(who), Text: check.Msg(de, en),
		Data: map[string]string{"whom": whom, "waited_seconds": fmt.Sprint(int64(c.Waited / time.Second)), "outcome": outcome}}, nil)
}

// StepRecord is one step of a checklist done (or skipped) during an
// incident.
type StepRecord struct {
	// Checklist and Step identify the step; Phase is its recovery phase.
	Checklist string
	Step      string
	Phase     string
	// ChecklistTitle and Text are what the person read.
	ChecklistTitle check.Text
	Text           check.Text
	// Skipped is true when the step was not needed.
	Skipped bool
}

// ChecklistStep records a checklist step with who and when. A step is
// recorded once per incident; a second time returns ECONFLICT.
func (r *Recorder) ChecklistStep(ctx context.Context, incidentID int64, who string, s StepRecord) (Entry, error) {
	if s.Checklist == "" || s.Step == "" {
		return Entry{}, Errorf(EINVALID, "Schritt unbekannt.", "Unknown step.")
	}
	status, de, en := StepDone, "erledigt", "done"
	if s.Skipped {
		status, de, en = StepSkipped, "nicht nötig", "not needed"
	}
	d := Draft{IncidentID: incidentID, Kind: KindChecklistStep, Actor: actorOf(who),
		Text: check.Msg(fmt.Sprintf("%s: %s – %s", s.ChecklistTitle.DE, s.Text.DE, de), fmt.Sprintf("%s: %s – %s", s.ChecklistTitle.In("en"), s.Text.In("en"), en)),
		Data: map[string]string{"checklist": s.Checklist, "step": s.Step, "phase": s.Phase, "status": status},
		Ref:  "step:" + s.Checklist + "/" + s.Step}
	e, err := r.add(ctx, d, nil)
	if err == nil && e.Seq == 0 {
		return Entry{}, Errorf(ECONFLICT, "Dieser Schritt ist schon eingetragen.", "This step is recorded already.")
	}
	return e, err
}

// Cost records a cost of the incident entered by staff (a technician, lost
// sales, overtime), in cents.
func (r *Recorder) Cost(ctx context.Context, incidentID int64, who, label string, cents int64) (Entry, error) {
	label, err := cleanText(label, "Bezeichnung", true)
	if err != nil {
		return Entry{}, err
	}
	if cents <= 0 || cents > 100_000_000_00 {
		return Entry{}, Errorf(EINVALID, "Der Betrag muss größer als 0 sein.", "The amount must be more than 0.")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	inc, err := r.incidentLocked(ctx, incidentID)
	if err != nil {
		return Entry{}, err
	}
	inc.CostCents += cents
	e, _, err := r.appendLocked(ctx, Draft{IncidentID: incidentID, Kind: KindCost, Actor: actorOf(who),
		Text: check.Msg(fmt.Sprintf("Kosten: %s – %s", FormatEuro(cents, "de"), label), fmt.Sprintf("Cost: %s – %s", FormatEuro(cents, "en"), label)),
		Data: map[string]string{"cents": fmt.Sprint(cents), "label": label}}, &inc)
	return e, err
}

// add appends one draft to an existing incident.
func (r *Recorder) add(ctx context.Context, d Draft, inc *Incident) (Entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.incidentLocked(ctx, d.IncidentID); err != nil {
		return Entry{}, err
	}
	e, _, err := r.appendLocked(ctx, d, inc)
	return e, err
}

// EmergencyMode records that emergency mode (Notbetrieb) was switched on or
// off now, in every open incident. Switched on with no incident open, it
// opens one by hand: working in emergency mode is an incident worth
// recording.
func (r *Recorder) EmergencyMode(ctx context.Context, on bool, who, reason string) ([]Entry, error) {
	return r.EmergencyModeAt(ctx, on, who, reason, time.Time{})
}

// EmergencyModeAt is EmergencyMode for a switch made at a given moment
// (the counter's switch, read back later). A switch is recorded once per
// incident and moment; zero at means now.
func (r *Recorder) EmergencyModeAt(ctx context.Context, on bool, who, reason string, at time.Time) ([]Entry, error) {
	reason, err := cleanText(reason, "Grund", false)
	if err != nil {
		return nil, err
	}
	if on && len(r.Open()) == 0 {
		if _, err := r.OpenManual(ctx, who, check.Msg("Notbetrieb", "Emergency mode"), reason); err != nil {
			return nil, err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	kind, de, en := KindEmergencyOff, "Notbetrieb beendet", "Emergency mode ended"
	if on {
		kind, de, en = KindEmergencyOn, "Notbetrieb begonnen", "Emergency mode started"
	}
	if reason != "" {
		de += ": " + reason
		en += ": " + reason
	}
	ref := ""
	if !at.IsZero() {
		ref = fmt.Sprintf("emergency:%s@%s", kind, at.UTC().Format(TimeFormat))
	}
	var out []Entry
	for _, inc := range r.sortedOpen() {
		cp := *inc
		cp.Emergency = on
		e, added, err := r.appendLocked(ctx, Draft{IncidentID: inc.ID, At: at, Kind: kind, Actor: actorOf(who), Text: check.Msg(de+".", en+"."), Ref: ref}, &cp)
		if err != nil {
			return out, err
		}
		if added {
			out = append(out, e)
		}
	}
	return out, nil
}

// AlertSent describes one alert message delivered to a receiver.
type AlertSent struct {
	// DeliveryID identifies the delivery (it makes the entry unique).
	DeliveryID string
	// AlertIncident is the alert engine's incident id.
	AlertIncident string
	Receiver      string
	// Kind is the message kind (notify.Kind: firing, escalation, ...).
	Kind  string
	Title string
	// CheckIDs are the checks the message is about.
	CheckIDs []string
	// Drill is true for a drill message; RedirectedFrom names the real
	// receiver it was meant for.
	Drill          bool
	RedirectedFrom string
}

// AlertSent records a delivered alert in the incidents about its checks
// (open ones, and ones closed in the last hours for the all-clear). With
// no such incident it goes into every open incident; with none open it is
// not recorded.
func (r *Recorder) AlertSent(ctx context.Context, a AlertSent) error {
	targets, err := r.targets(ctx, a.CheckIDs)
	if err != nil || len(targets) == 0 {
		return err
	}
	kind := alertKindWords(a.Kind)
	de := fmt.Sprintf("Meldung (%s) an %s gesendet: %s", kind.DE, a.Receiver, a.Title)
	en := fmt.Sprintf("Alert (%s) sent to %s: %s", kind.EN, a.Receiver, a.Title)
	if a.Drill {
		de = "ÜBUNG – " + de
		en = "DRILL – " + en
		if a.RedirectedFrom != "" {
			de += fmt.Sprintf(" (statt an %s)", a.RedirectedFrom)
			en += fmt.Sprintf(" (instead of %s)", a.RedirectedFrom)
		}
	}
	data := map[string]string{"receiver": a.Receiver, "kind": a.Kind, "alert_incident": a.AlertIncident, "checks": strings.Join(a.CheckIDs, ",")}
	if a.Drill {
		data["drill"] = "true"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range targets {
		if _, _, err := r.appendLocked(ctx, Draft{IncidentID: id, Kind: KindAlertSent, Actor: ActorAlert,
			Text: check.Msg(de, en), Data: data, Ref: "delivery:" + a.DeliveryID}, nil); err != nil {
			return err
		}
	}
	return nil
}

// AlertAck describes the acknowledgement of an alert.
type AlertAck struct {
	AlertIncident string
	By            string
	At            time.Time
	CheckIDs      []string
}

// AlertAcked records that somebody acknowledged an alert ("ich kümmere
// mich"), once per alert incident and acknowledgement time.
func (r *Recorder) AlertAcked(ctx context.Context, a AlertAck) error {
	targets, err := r.targets(ctx, a.CheckIDs)
	if err != nil || len(targets) == 0 {
		return err
	}
	at := a.At
	if at.IsZero() {
		at = r.clk.Now()
	}
	by := actorOf(a.By)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range targets {
		if _, _, err := r.appendLocked(ctx, Draft{IncidentID: id, At: at, Kind: KindAlertAcked, Actor: by,
			Text: check.Msg(fmt.Sprintf("Meldung bestätigt von %s: kümmert sich.", a.By), fmt.Sprintf("Alert acknowledged by %s: on it.", a.By)),
			Data: map[string]string{"alert_incident": a.AlertIncident},
			Ref:  "ack:" + a.AlertIncident + "@" + at.UTC().Format(TimeFormat)}, nil); err != nil {
			return err
		}
	}
	return nil
}

// Broadcast is a message pushed by the fleet (a vendor's workaround, a
// warning about a TI outage).
type Broadcast struct {
	ID    string
	From  string
	Title string
	Text  string
	At    time.Time
}

// BroadcastReceived records a broadcast from the fleet in every open
// incident, once per broadcast id.
func (r *Recorder) BroadcastReceived(ctx context.Context, b Broadcast) error {
	title, err := cleanText(b.Title, "Titel", true)
	if err != nil {
		return err
	}
	body, err := cleanText(b.Text, "Text", false)
	if err != nil {
		return err
	}
	from := strings.TrimSpace(b.From)
	de, en := "Nachricht", "Message"
	if from != "" {
		de += " von " + from
		en += " from " + from
	}
	de += ": " + title
	en += ": " + title
	if body != "" {
		de += " – " + body
		en += " – " + body
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, inc := range r.sortedOpen() {
		ref := ""
		if b.ID != "" {
			ref = "broadcast:" + b.ID
		}
		if _, _, err := r.appendLocked(ctx, Draft{IncidentID: inc.ID, At: b.At, Kind: KindBroadcast, Actor: ActorFleet,
			Text: check.Msg(de, en), Data: map[string]string{"from": from, "broadcast_id": b.ID}, Ref: ref}, nil); err != nil {
			return err
		}
	}
	return nil
}

// targets picks the incidents an alert belongs to.
func (r *Recorder) targets(ctx context.Context, checkIDs []string) ([]int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int64
	for _, inc := range r.sortedOpen() {
		for _, id := range checkIDs {
			if inc.Involves(id) {
				out = append(out, inc.ID)
				break
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	recent, err := r.st.Incidents(ctx, Query{Since: r.clk.Now().Add(-recentlyClosed - 7*24*time.Hour)})
	if err != nil {
		return nil, err
	}
	for _, inc := range recent {
		if inc.Open() || r.clk.Now().Sub(inc.ClosedAt) > recentlyClosed {
			continue
		}
		for _, id := range checkIDs {
			if inc.Involves(id) {
				out = append(out, inc.ID)
				break
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	for _, inc := range r.sortedOpen() {
		out = append(out, inc.ID)
	}
	return out, nil
}

// OpenManual opens an incident by hand: an outage the monitor cannot see
// (a broken card reader, a phone line) or emergency mode without a
// detected cause. Such an incident is closed by hand (CloseManual).
func (r *Recorder) OpenManual(ctx context.Context, who string, title check.Text, note string) (Incident, error) {
	t, err := cleanText(title.DE, "Titel", true)
	if err != nil {
		return Incident{}, err
	}
	title.DE = t
	if title.EN, err = cleanText(title.EN, "Title", false); err != nil {
		return Incident{}, err
	}
	if title.EN == "" {
		title.EN = title.DE
	}
	note, err = cleanText(note, "Notiz", false)
	if err != nil {
		return Incident{}, err
	}
	now := r.clk.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	de := "Störung von Hand eröffnet: " + title.DE
	en := "Incident opened by hand: " + title.EN
	if note != "" {
		de += " – " + note
		en += " – " + note
	}
	inc := Incident{Title: title, Source: SourceManual, OpenedAt: now}
	got, e, err := r.st.Create(ctx, inc, Draft{At: now, Kind: KindOpened, Actor: actorOf(who), Text: check.Msg(de+".", en+".")})
	if err != nil {
		return Incident{}, err
	}
	got.LastSeq, got.LastHash = e.Seq, e.Hash
	r.open[got.ID] = &got
	r.log.Info("incident opened by hand", "incident", got.ID, "by", who)
	return got, nil
}

// CloseManual closes an incident that was opened by hand. Incidents of the
// monitor close by themselves when every check involved is fine again
// (ECONFLICT).
func (r *Recorder) CloseManual(ctx context.Context, id int64, who, note string) (Incident, error) {
	note, err := cleanText(note, "Notiz", false)
	if err != nil {
		return Incident{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	inc := r.open[id]
	if inc == nil {
		if _, err := r.st.Incident(ctx, id); err != nil {
			return Incident{}, err
		}
		return Incident{}, Errorf(ECONFLICT, "Die Störung Nr. %d ist schon beendet.", "Incident no. %d is over already.", id)
	}
	if inc.Source != SourceManual {
		return Incident{}, Errorf(ECONFLICT, "Diese Störung endet von selbst, sobald alle betroffenen Prüfungen wieder in Ordnung sind.",
			"This incident ends by itself once every check involved works again.")
	}
	why := check.Msg("von "+who+" beendet", "ended by "+who)
	if note != "" {
		why = check.Msg(why.DE+" ("+note+")", why.EN+" ("+note+")")
	}
	if err := r.closeLocked(ctx, inc, r.clk.Now(), actorOf(who), why); err != nil {
		return Incident{}, err
	}
	return r.st.Incident(ctx, id)
}

// Retrospective records the answers to the three questions asked when an
// incident is over: what happened, what helped, one improvement. The
// improvement joins the list with its owner and due date. Only for closed
// incidents, once (ECONFLICT).
func (r *Recorder) Retrospective(ctx context.Context, id int64, who string, rt Retro) (Entry, error) {
	var err error
	if !rt.Skipped {
		if rt.WhatHappened, err = cleanText(rt.WhatHappened, "„Was ist passiert?“", true); err != nil {
			return Entry{}, err
		}
		if rt.WhatHelped, err = cleanText(rt.WhatHelped, "„Was hat geholfen?“", true); err != nil {
			return Entry{}, err
		}
		if rt.Improvement, err = cleanText(rt.Improvement, "„Was verbessern wir?“", false); err != nil {
			return Entry{}, err
		}
		if rt.Owner, err = cleanText(rt.Owner, "Verantwortlich", rt.Improvement != ""); err != nil {
			return Entry{}, err
		}
		if rt.Due = strings.TrimSpace(rt.Due); rt.Due != "" {
			if _, err := time.Parse("2006-01-02", rt.Due); err != nil {
				return Entry{}, Errorf(EINVALID, "Das Datum „%s“ ist ungültig; bitte wie 2026-04-30 schreiben.", "The date %q is not valid; write it like 2026-04-30.", rt.Due)
			}
		}
	} else {
		rt = Retro{Skipped: true}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	inc, err := r.incidentLocked(ctx, id)
	if err != nil {
		return Entry{}, err
	}
	if inc.Open() {
		return Entry{}, Errorf(ECONFLICT, "Die Nachbesprechung kommt, wenn die Störung vorbei ist.", "The retrospective comes when the incident is over.")
	}
	if inc.Retro {
		return Entry{}, Errorf(ECONFLICT, "Die Nachbesprechung ist schon eingetragen.", "The retrospective is recorded already.")
	}
	inc.Retro = true
	var text check.Text
	data := map[string]string{}
	if rt.Skipped {
		text = check.Msg("Nachbesprechung nicht nötig.", "No retrospective needed.")
		data["skipped"] = "true"
	} else {
		de := fmt.Sprintf("Was ist passiert? %s\nWas hat geholfen? %s", rt.WhatHappened, rt.WhatHelped)
		en := fmt.Sprintf("What happened? %s\nWhat helped? %s", rt.WhatHappened, rt.WhatHelped)
		if rt.Improvement != "" {
			de += fmt.Sprintf("\nVerbesserung: %s (verantwortlich: %s%s)", rt.Improvement, rt.Owner, dueWords(rt.Due, "de"))
			en += fmt.Sprintf("\nImprovement: %s (owner: %s%s)", rt.Improvement, rt.Owner, dueWords(rt.Due, "en"))
		}
		text = check.Msg(de, en)
		data = map[string]string{"what_happened": rt.WhatHappened, "what_helped": rt.WhatHelped,
			"improvement": rt.Improvement, "owner": rt.Owner, "due": rt.Due}
	}
	e, added, err := r.appendLocked(ctx, Draft{IncidentID: id, Kind: KindRetrospective, Actor: actorOf(who), Text: text, Data: data, Ref: "retro"}, &inc)
	if err != nil {
		return Entry{}, err
	}
	if !added {
		return Entry{}, Errorf(ECONFLICT, "Die Nachbesprechung ist schon eingetragen.", "The retrospective is recorded already.")
	}
	if rt.Improvement != "" {
		if _, err := r.st.AddImprovement(ctx, Improvement{IncidentID: id, Text: rt.Improvement, Owner: rt.Owner, Due: rt.Due,
			CreatedAt: e.At, CreatedBy: actorOf(who)}); err != nil {
			return e, err
		}
	}
	return e, nil
}

func dueWords(due, lang string) string {
	if due == "" {
		return ""
	}
	t, err := time.Parse("2006-01-02", due)
	if err != nil {
		return ""
	}
	if lang == "en" {
		return ", due " + due
	}
	return ", bis " + t.Format("02.01.2006")
}

// FinishImprovement marks an improvement done and records it in its
// incident.
func (r *Recorder) FinishImprovement(ctx context.Context, id int64, who string) (Improvement, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clk.Now()
	im, err := r.st.FinishImprovement(ctx, id, actorOf(who), now)
	if err != nil {
		return Improvement{}, err
	}
	_, _, err = r.appendLocked(ctx, Draft{IncidentID: im.IncidentID, At: now, Kind: KindImprovement, Actor: actorOf(who),
		Text: check.Msg("Verbesserung umgesetzt: "+im.Text, "Improvement done: "+im.Text),
		Data: map[string]string{"improvement_id": fmt.Sprint(im.ID)}}, nil)
	return im, err
}

// DrillEvent records a drill's own event (started, ended, measured) in the
// drill's incidents.
func (r *Recorder) DrillEvent(ctx context.Context, drillID int64, who string, text check.Text) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, inc := range r.sortedOpen() {
		if inc.DrillID != drillID {
			continue
		}
		if _, _, err := r.appendLocked(ctx, Draft{IncidentID: inc.ID, Kind: KindDrill, Actor: actorOf(who), Text: text,
			Data: map[string]string{"drill_id": fmt.Sprint(drillID)}}, nil); err != nil {
			return err
		}
	}
	return nil
}

// PendingRetros returns the closed incidents of the last days whose
// retrospective is still missing, newest first.
func (r *Recorder) PendingRetros(ctx context.Context, within time.Duration) ([]Incident, error) {
	incs, err := r.st.Incidents(ctx, Query{Since: r.clk.Now().Add(-within)})
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(incs, func(i Incident) bool { return i.Open() || i.Retro })
	return out, nil
}
