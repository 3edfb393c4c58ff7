package alert

import (
	"fmt"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/check"
)

type notifyKind = notify.Kind

const (
	notifyFiring     = notify.KindFiring
	notifyEscalation = notify.KindEscalation
	notifyUpdate     = notify.KindUpdate
	notifyReminder   = notify.KindReminder
	notifyAckExpired = notify.KindAckExpired
	notifyResolved   = notify.KindResolved
)

// send renders one message per target and returns the deliveries. Targets
// of messages that call for action are remembered for the update and
// resolved messages.
func (e *Engine) send(inc *Incident, kind Kind, targets []target, now time.Time) []*Delivery {
	var out []*Delivery
	for _, t := range targets {
		d := &Delivery{ID: newID(), IncidentID: inc.ID, Receiver: t.receiver, Person: t.person, Kind: kind,
			Created: now, Status: StatusPending, NextAt: now}
		ack := ""
		if kind != notifyResolved && e.cfg.PublicURL != "" {
			ack = e.ackURL(d.ID, now.Add(e.cfg.AckLinkValid.D()))
		}
		d.Message = e.render(inc, kind, ack, now)
		d.Message.ID = d.ID
		out = append(out, d)
		if kind != notifyResolved {
			inc.addReceiver(t.receiver)
		}
	}
	if kind != notifyResolved {
		inc.SentSig = inc.alertSig()
		inc.LastMsgAt = now
	}
	if len(targets) == 0 {
		e.log.Error("alert has nobody to go to; check the routes and escalation policies", "incident", inc.ID, "kind", kind)
		inc.event(now, "Niemand zu alarmieren: Routen und Eskalation prüfen!", "Nobody to alert: check routes and escalation!")
	}
	return out
}

func (e *Engine) ackURL(deliveryID string, expires time.Time) string {
	tok, err := e.o.Signer.Issue(deliveryID, expires)
	if err != nil {
		e.log.Error("sign acknowledgement link", "err", err)
		return ""
	}
	return strings.TrimRight(e.cfg.PublicURL, "/") + AckPath + "?t=" + tok
}

func (e *Engine) dashboardURL() string {
	if e.cfg.PublicURL == "" {
		return ""
	}
	return strings.TrimRight(e.cfg.PublicURL, "/") + "/"
}

// at formats a moment for a message: "02:13", or "28.03. 23:10" when not
// today.
func at(t, now time.Time, loc *time.Location, lang string) string {
	l, n := t.In(loc), now.In(loc)
	if l.YearDay() == n.YearDay() && l.Year() == n.Year() {
		return l.Format("15:04")
	}
	if lang == "en" {
		return l.Format("2 Jan 15:04")
	}
	return l.Format("02.01. 15:04")
}

func joinList(names []string, lang string) string {
	and := " und "
	if lang == "en" {
		and = " and "
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	default:
		return strings.Join(names[:len(names)-1], ", ") + and + names[len(names)-1]
	}
}

func minutes(d time.Duration, lang string) string {
	m := int(d.Round(time.Minute) / time.Minute)
	switch {
	case lang == "en" && m == 1:
		return "1 minute"
	case lang == "en":
		return fmt.Sprintf("%d minutes", m)
	case m == 1:
		return "1 Minute"
	default:
		return fmt.Sprintf("%d Minuten", m)
	}
}

// sentence is the one-line statement of an alert: "Warenwirtschaft
// ausgefallen seit 02:13. Ursache: Server antwortet nicht. Betroffen:
// Kasse, Bestellung."
func (e *Engine) sentence(a Alert, now time.Time) string {
	lang := e.o.Lang
	var b strings.Builder
	words := a.State.Words().In(lang)
	if lang == "en" {
		fmt.Fprintf(&b, "%s %s since %s.", a.Name, words, at(a.Since, now, e.loc, lang))
		if r := strings.TrimSuffix(a.Reason.In(lang), "."); r != "" {
			fmt.Fprintf(&b, " Cause: %s.", r)
		}
		if len(a.Affected) > 0 {
			fmt.Fprintf(&b, " Affected: %s.", strings.Join(a.Affected, ", "))
		}
		return b.String()
	}
	fmt.Fprintf(&b, "%s %s seit %s.", a.Name, words, at(a.Since, now, e.loc, lang))
	if r := strings.TrimSuffix(a.Reason.In(lang), "."); r != "" {
		fmt.Fprintf(&b, " Ursache: %s.", r)
	}
	if len(a.Affected) > 0 {
		fmt.Fprintf(&b, " Betroffen: %s.", strings.Join(a.Affected, ", "))
	}
	return b.String()
}

// title is the subject of a message.
func (e *Engine) title(inc *Incident, kind Kind, now time.Time) string {
	lang := e.o.Lang
	en := lang == "en"
	var base string
	switch {
	case kind == notifyResolved:
		if en {
			return "Resolved: " + joinList(inc.Names(), lang)
		}
		return "Wieder in Ordnung: " + joinList(inc.Names(), lang)
	case len(inc.Alerts) == 1:
		a := inc.Alerts[0]
		if en {
			base = fmt.Sprintf("%s %s since %s", a.Name, a.State.Words().In(lang), at(a.Since, now, e.loc, lang))
		} else {
			base = fmt.Sprintf("%s %s seit %s", a.Name, a.State.Words().In(lang), at(a.Since, now, e.loc, lang))
		}
	default:
		if en {
			base = fmt.Sprintf("%d faults: %s", len(inc.Alerts), joinList(inc.Names(), lang))
		} else {
			base = fmt.Sprintf("%d Störungen: %s", len(inc.Alerts), joinList(inc.Names(), lang))
		}
	}
	prefix := map[Kind]check.Text{
		notifyEscalation: check.Msg("Unbestätigt: ", "Unacknowledged: "),
		notifyReminder:   check.Msg("Erinnerung: ", "Reminder: "),
		notifyAckExpired: check.Msg("Noch immer gestört: ", "Still failing: "),
		notifyUpdate:     check.Msg("Neue Lage: ", "Update: "),
	}[kind]
	return prefix.In(lang) + base
}

// render builds the message of an incident for one receiver.
func (e *Engine) render(inc *Incident, kind Kind, ackURL string, now time.Time) Message {
	lang := e.o.Lang
	en := lang == "en"
	m := Message{IncidentID: inc.ID, Kind: kind, Severity: string(inc.Severity()), Site: e.o.Site, Lang: lang,
		Title: e.title(inc, kind, now), DashboardURL: e.dashboardURL(), AckURL: ackURL, At: now}
	for _, a := range inc.Alerts {
		m.Causes = append(m.Causes, notify.Cause{CheckID: a.CheckID, Name: a.Name, State: string(a.State), Since: a.Since,
			Reason: a.Reason.In(lang), Affected: a.Affected})
	}
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteString("\n") }
	if kind == notifyResolved {
		m.Severity = string(check.StateOK)
		until := inc.ClearSince
		if until.IsZero() {
			until = now
		}
		for _, a := range inc.Alerts {
			if en {
				line(fmt.Sprintf("%s is working again since %s (the fault lasted %s).", a.Name, at(until, now, e.loc, lang), minutes(until.Sub(a.Since), lang)))
			} else {
				line(fmt.Sprintf("%s funktioniert wieder seit %s (die Störung dauerte %s).", a.Name, at(until, now, e.loc, lang), minutes(until.Sub(a.Since), lang)))
			}
		}
		if inc.Acked() || inc.AckedBy != "" {
			if en {
				line("Acknowledged by " + inc.AckedBy + ".")
			} else {
				line("Bestätigt von " + inc.AckedBy + ".")
			}
		}
		m.Short = strings.TrimSpace(b.String())
		if m.DashboardURL != "" {
			line("")
			line(check.Msg("Dashboard: ", "Dashboard: ").In(lang) + m.DashboardURL)
		}
		e.footer(&b)
		m.Text = b.String()
		return m
	}
	switch kind {
	case notifyEscalation:
		line(check.Msg("Bisher hat niemand die Störung bestätigt. Sie sind als Nächste(r) an der Reihe.",
			"Nobody has acknowledged this fault yet. You are next in line.").In(lang))
	case notifyReminder:
		line(check.Msg("Die Störung besteht weiter.", "The fault goes on.").In(lang))
	case notifyAckExpired:
		if en {
			line(fmt.Sprintf("%s acknowledged at %s, but the fault goes on.", inc.AckedBy, at(inc.AckedAt, now, e.loc, lang)))
		} else {
			line(fmt.Sprintf("%s hat um %s bestätigt, aber die Störung besteht weiter.", inc.AckedBy, at(inc.AckedAt, now, e.loc, lang)))
		}
	case notifyUpdate:
		line(check.Msg("Die Lage hat sich geändert:", "The situation has changed:").In(lang))
	}
	for i, a := range inc.Alerts {
		s := e.sentence(a, now)
		if len(inc.Alerts) > 1 {
			s = fmt.Sprintf("%d. %s", i+1, s)
		}
		line(s)
	}
	if len(inc.Alerts) > 0 {
		step := e.plan.firstStep(inc.Alerts[0], lang)
		line(check.Msg("Erster Schritt: ", "First step: ").In(lang) + step)
	}
	short := e.sentence(inc.Alerts[0], now)
	if len(inc.Alerts) > 1 {
		short += fmt.Sprintf(check.Msg(" (und %d weitere)", " (and %d more)").In(lang), len(inc.Alerts)-1)
	}
	if ackURL != "" || m.DashboardURL != "" {
		line("")
	}
	if ackURL != "" {
		line(check.Msg("Ich kümmere mich (bestätigen): ", "I'm on it (acknowledge): ").In(lang) + ackURL)
		short += check.Msg(" Bestätigen: ", " Acknowledge: ").In(lang) + ackURL
	}
	if m.DashboardURL != "" {
		line(check.Msg("Dashboard: ", "Dashboard: ").In(lang) + m.DashboardURL)
	}
	e.footer(&b)
	m.Text = b.String()
	m.Short = short
	return m
}

func (e *Engine) footer(b *strings.Builder) {
	b.WriteString("\n-- \nLifeline")
	if e.o.Site != "" {
		b.WriteString(" · " + e.o.Site)
	}
	b.WriteString("\n")
}

// TestMessage renders the message of `lifeline site alert test`.
func TestMessage(site, lang, receiver, dashboardURL string, now time.Time) Message {
	en := lang == "en"
	m := Message{ID: newID(), Kind: notify.KindTest, Severity: string(check.StateOK), Site: site, Lang: lang, DashboardURL: dashboardURL, At: now}
	if en {
		m.Title = "Test message from lifeline"
		m.Short = fmt.Sprintf("Test from lifeline (%s): the alert channel %q works. Nothing to do.", site, receiver)
		m.Text = fmt.Sprintf("This is a test message from lifeline at %s.\nIf you read it, the alert channel %q works. Nothing to do.\n", site, receiver)
	} else {
		m.Title = "Testnachricht von Lifeline"
		m.Short = fmt.Sprintf("Test von Lifeline (%s): Der Alarmweg „%s“ funktioniert. Nichts zu tun.", site, receiver)
		m.Text = fmt.Sprintf("Dies ist eine Testnachricht von Lifeline, %s.\nWenn Sie sie lesen, funktioniert der Alarmweg „%s“. Es ist nichts zu tun.\n", site, receiver)
	}
	if dashboardURL != "" {
		m.Text += "\nDashboard: " + dashboardURL + "\n"
	}
	m.Text += "\n-- \nLifeline · " + site + "\n"
	return m
}
