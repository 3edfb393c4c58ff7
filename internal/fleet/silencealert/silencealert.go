// Package silencealert delivers the fleet's silence alerts ("Apotheke X
// meldet sich nicht mehr") through the site node's alert channels: a
// webhook to the hotline's tool, and e-mail to the addresses in the
// site's contacts (and optional fixed receivers). One type per channel,
// built from the fleet configuration by Build.
package silencealert

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/lifeline-project/lifeline/internal/alert/email"
	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/alert/webhook"
	"github.com/lifeline-project/lifeline/internal/fleet"
)

// Build returns a notifier per configured receiver.
func Build(cfg fleet.SilenceAlerts, publicURL string, log *slog.Logger) ([]fleet.SilenceNotifier, error) {
	var out []fleet.SilenceNotifier
	if cfg.Webhook != nil {
		n, err := webhook.New(*cfg.Webhook, log)
		if err != nil {
			return nil, fmt.Errorf("silence_alerts.webhook: %w", err)
		}
		out = append(out, &Webhook{n: n, publicURL: publicURL})
	}
	if cfg.Email != nil {
		out = append(out, &Email{cfg: *cfg.Email, log: log, publicURL: publicURL})
	}
	return out, nil
}

// Message renders a silence alert in German (the pharmacies' language)
// for one receiver.
func Message(a fleet.SilenceAlert, publicURL string) notify.Message {
	since := a.LastSeen.Format("02.01.2006 15:04 MST")
	if loc := a.Site.Location(); loc != nil {
		since = a.LastSeen.In(loc).Format("02.01.2006 15:04")
	}
	title := fmt.Sprintf("%s meldet sich nicht mehr (seit %s)", a.Site.Name, since)
	var b strings.Builder
	fmt.Fprintf(&b, "Der lifeline-Rechner von %s (%s) meldet sich seit %s nicht mehr bei der Zentrale.\n\n", a.Site.Name, a.Site.ID, since)
	b.WriteString("Mögliche Ursachen: Der Rechner ist aus, der Strom ist weg oder die Internet-Leitung ist gestört. ")
	b.WriteString("Dann sieht die Apotheke womöglich auch ihre eigenen Warnungen nicht.\n\n")
	b.WriteString("Bitte prüfen: Läuft der Rechner? Gibt es Strom? Funktioniert das Internet (Router)?\n")
	if a.OnDuty {
		b.WriteString("\nACHTUNG: Die Apotheke hat gerade Notdienst.\n")
	}
	if a.Heartbeat.Sentence != "" {
		fmt.Fprintf(&b, "\nLetzte Meldung: %s\n", a.Heartbeat.Sentence)
	}
	link := publicURL + "/sites/" + a.Site.ID
	fmt.Fprintf(&b, "\nHotline-Ansicht: %s\n", link)
	short := fmt.Sprintf("lifeline: %s (%s) meldet sich seit %s nicht mehr. Rechner, Strom, Leitung prüfen.", a.Site.Name, a.Site.ID, since)
	if a.OnDuty {
		short += " Notdienst!"
	}
	return notify.Message{ID: fmt.Sprintf("silence-%s-%d", a.Site.ID, a.LastSeen.Unix()), IncidentID: "silence-" + a.Site.ID,
		Kind: notify.KindFiring, Severity: "down", Site: a.Site.Name, Lang: "de", Title: title, Text: b.String(), Short: short,
		DashboardURL: link, At: a.At,
		Causes: []notify.Cause{{CheckID: "fleet.heartbeat", Name: "Verbindung zur Zentrale", State: "down", Since: a.LastSeen,
			Reason: "keine Meldung seit " + since}}}
}

// Webhook posts silence alerts to the hotline's tool (signed like the
// site's alert webhooks).
type Webhook struct {
	n         *webhook.Notifier
	publicURL string
}

// Name implements fleet.SilenceNotifier.
func (w *Webhook) Name() string { return "webhook" }

// NotifySilence implements fleet.SilenceNotifier.
func (w *Webhook) NotifySilence(ctx context.Context, a fleet.SilenceAlert) (bool, error) {
	return w.n.Notify(ctx, Message(a, w.publicURL))
}

// Email mails silence alerts to the addresses in the site's contacts and
// the configured receivers.
type Email struct {
	cfg       email.Config
	log       *slog.Logger
	publicURL string
}

// Name implements fleet.SilenceNotifier.
func (e *Email) Name() string { return "email" }

// NotifySilence implements fleet.SilenceNotifier.
func (e *Email) NotifySilence(ctx context.Context, a fleet.SilenceAlert) (bool, error) {
	cfg := e.cfg
	cfg.To = append(append([]string(nil), cfg.To...), a.Emails...)
	if len(cfg.To) == 0 {
		return false, fmt.Errorf("no e-mail address in the contacts of %s and no fixed receiver", a.Site.ID)
	}
	n, err := email.New(cfg, e.log)
	if err != nil {
		return false, err
	}
	return n.Notify(ctx, Message(a, e.publicURL))
}
