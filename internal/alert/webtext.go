package alert

import "github.com/lifeline-project/lifeline/internal/check"

// webTexts are the words of the alert pages.
var webTexts = map[string]check.Text{
	"title":           check.Msg("Alarme", "Alerts"),
	"failing.title":   check.Msg("Ein Alarmweg funktioniert nicht!", "An alert channel is not working!"),
	"failing.since":   check.Msg("fehlgeschlagen um", "failed at"),
	"failing.error":   check.Msg("Fehler", "Error"),
	"failing.hint":    check.Msg("Bitte die Einstellungen prüfen und mit „lifeline site alert test“ ausprobieren.", "Please check the settings and try them with “lifeline site alert test”."),
	"incidents":       check.Msg("Offene Störungen", "Open incidents"),
	"incidents.none":  check.Msg("Keine offenen Störungen.", "No open incidents."),
	"opened":          check.Msg("Erkannt um", "Detected at"),
	"ack.button":      check.Msg("Ich kümmere mich (bestätigen)", "I'm on it (acknowledge)"),
	"oncall":          check.Msg("Wer hat gerade Dienst", "Who is on call now"),
	"silences":        check.Msg("Stummschaltungen und Wartung", "Silences and maintenance"),
	"silences.none":   check.Msg("Keine Stummschaltung aktiv.", "No silence active."),
	"maintenance.now": check.Msg("Gerade Wartungsfenster", "Maintenance window now"),
	"silence.end":     check.Msg("Beenden", "End"),
	"silence.checks":  check.Msg("Welche Prüfungen (keine Auswahl: alle)", "Which checks (none selected: all)"),
	"silence.hours":   check.Msg("Für wie viele Stunden", "For how many hours"),
	"silence.comment": check.Msg("Grund (Pflicht)", "Reason (required)"),
	"silence.add":     check.Msg("Stumm schalten", "Silence"),
	"col.what":        check.Msg("Was", "What"),
	"col.until":       check.Msg("Bis", "Until"),
	"col.comment":     check.Msg("Grund", "Reason"),
	"col.by":          check.Msg("Von", "By"),
	"col.time":        check.Msg("Zeit", "Time"),
	"col.receiver":    check.Msg("Empfänger", "Receiver"),
	"col.kind":        check.Msg("Art", "Kind"),
	"col.message":     check.Msg("Nachricht", "Message"),
	"col.status":      check.Msg("Zustellung", "Delivery"),
	"log":             check.Msg("Versandprotokoll", "Delivery log"),
	"log.none":        check.Msg("Noch keine Nachricht verschickt.", "No message sent yet."),
	"link.title":      check.Msg("Störung bestätigen", "Acknowledge the fault"),
	"link.button":     check.Msg("Ich kümmere mich", "I'm on it"),
	"link.hint":       check.Msg("Nach der Bestätigung wird niemand sonst mehr geweckt.", "After acknowledging, nobody else is woken."),
	"link.done":       check.Msg("Bestätigt", "Acknowledged"),
	"link.problem":    check.Msg("Bestätigung nicht möglich", "Cannot acknowledge"),
	"link.dashboard":  check.Msg("Zum Dashboard", "Open the dashboard"),
}

func webText(key, lang string) string {
	if t, ok := webTexts[key]; ok {
		return t.In(lang)
	}
	return key
}

// ErrorCode returns the code for the web layer's status mapping (the codes
// of package auth: invalid, not_found, conflict).
func (e *Error) ErrorCode() string {
	if e.Code == EEXPIRED {
		return EINVALID
	}
	return e.Code
}

// UserMessage returns the sentence for the user in lang.
func (e *Error) UserMessage(lang string) string { return e.Msg.In(lang) }
