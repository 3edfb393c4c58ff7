package server

import (
	"html/template"
	"net/url"
	"slices"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fleet"
)

// texts holds every sentence of the console in German and English, in
// plain words for a release manager and hotline agents.
var texts = map[string]check.Text{
	"app":                 check.Msg("lifeline Fleet", "lifeline fleet"),
	"nav.label":           check.Msg("Hauptmenü", "Main menu"),
	"nav.overview":        check.Msg("Übersicht", "Overview"),
	"nav.sites":           check.Msg("Standorte", "Sites"),
	"nav.releases":        check.Msg("Freigaben", "Releases"),
	"nav.rollouts":        check.Msg("Verteilungen", "Rollouts"),
	"nav.audit":           check.Msg("Protokoll", "Audit log"),
	"nav.broadcasts":      check.Msg("Nachrichten", "Broadcasts"),
	"nav.triage":          check.Msg("Warteschlange", "Triage"),
	"nav.calendar":        check.Msg("Kalender", "Calendar"),
	"lang.switch":         check.Msg("Switch to English", "Auf Deutsch umschalten"),
	"logout":              check.Msg("Abmelden", "Log out"),
	"password.link":       check.Msg("Passwort", "Password"),
	"footer":              check.Msg("lifeline Fleet: Updates in Ringen, die von selbst anhalten", "lifeline fleet: updates in rings that halt by themselves"),
	"login.title":         check.Msg("Anmelden", "Log in"),
	"login.user":          check.Msg("Benutzername", "User name"),
	"login.password":      check.Msg("Passwort", "Password"),
	"login.submit":        check.Msg("Anmelden", "Log in"),
	"pw.title":            check.Msg("Passwort ändern", "Change password"),
	"pw.must":             check.Msg("Bitte vergeben Sie jetzt ein eigenes Passwort.", "Please choose your own password now."),
	"pw.current":          check.Msg("Bisheriges Passwort", "Current password"),
	"pw.new":              check.Msg("Neues Passwort", "New password"),
	"pw.repeat":           check.Msg("Neues Passwort wiederholen", "Repeat new password"),
	"pw.mismatch":         check.Msg("Die beiden neuen Passwörter stimmen nicht überein.", "The two new passwords differ."),
	"save":                check.Msg("Speichern", "Save"),
	"err.title":           check.Msg("Das hat nicht geklappt", "That did not work"),
	"err.forbidden.title": check.Msg("Keine Berechtigung", "Not allowed"),
	"err.forbidden":       check.Msg("Ihre Rolle erlaubt diese Aktion nicht. Bitte wenden Sie sich an einen Administrator.", "Your role does not allow this. Please ask an administrator."),
	"err.csrf":            check.Msg("Die Anfrage wurde aus Sicherheitsgründen abgelehnt. Bitte die Seite neu laden und erneut versuchen.", "The request was refused for security reasons. Please reload the page and try again."),
	"err.notfound":        check.Msg("Diese Seite gibt es nicht.", "This page does not exist."),
	"back":                check.Msg("Zurück zur Übersicht", "Back to the overview"),

	"ov.title":     check.Msg("Übersicht", "Overview"),
	"ov.sites":     check.Msg("Standorte", "Sites"),
	"ov.online":    check.Msg("melden sich", "reporting"),
	"ov.trouble":   check.Msg("mit Störung", "with trouble"),
	"ov.silent":    check.Msg("stumm", "silent"),
	"ov.never":     check.Msg("noch nie gemeldet", "never reported"),
	"ov.active":    check.Msg("Laufende Verteilungen", "Active rollouts"),
	"ov.none":      check.Msg("Keine Verteilung läuft.", "No rollout is active."),
	"ov.tuf":       check.Msg("Signaturen (TUF)", "Signatures (TUF)"),
	"ov.tuf.ts":    check.Msg("Zeitstempel gültig bis", "Timestamp valid until"),
	"ov.tuf.tg":    check.Msg("Freigabeliste gültig bis", "Targets valid until"),
	"ov.tuf.warn":  check.Msg("Die Freigabeliste läuft bald ab. Bitte mit dem Offline-Schlüssel neu signieren (lifeline fleet keys resign-targets).", "The targets metadata expires soon. Please re-sign it with the offline key (lifeline fleet keys resign-targets)."),
	"sites.title":  check.Msg("Standorte", "Sites"),
	"sites.search": check.Msg("Suchen (Kennung, Name, Ort oder Telefon)", "Search (id, name, town or phone)"),
	"sites.state":  check.Msg("Bundesland", "Federal state"),
	"sites.all":    check.Msg("alle", "all"),
	"sites.filter": check.Msg("Filtern", "Filter"),
	"sites.count":  check.Msg("Standorte gefunden", "sites found"),
	"sites.prev":   check.Msg("Zurück", "Previous"),
	"sites.next":   check.Msg("Weiter", "Next"),
	"sites.add":    check.Msg("Standort anlegen", "Add a site"),
	"sites.import": check.Msg("Standorte aus CSV importieren", "Import sites from CSV"),
	"sites.import.help": check.Msg("Spalten: id;name;timezone;state;window;contacts;ring. Eine fehlerhafte Zeile verhindert den ganzen Import.",
		"Columns: id;name;timezone;state;window;contacts;ring. One bad line stops the whole import."),
	"sites.codes": check.Msg("Anmeldecodes: jetzt notieren oder ausdrucken, sie werden nur einmal angezeigt. Jeder Code gehört in den Abschnitt fleet: (enrolment_code) der jeweiligen Apotheke.",
		"Enrolment codes: note or print them now, they are shown only once. Each code goes into the fleet: section (enrolment_code) of its pharmacy."),
	"site.id":        check.Msg("Kennung", "Id"),
	"site.name":      check.Msg("Name", "Name"),
	"site.tz":        check.Msg("Zeitzone", "Time zone"),
	"site.window":    check.Msg("Wartungsfenster", "Maintenance window"),
	"site.contacts":  check.Msg("Ansprechpartner", "Contacts"),
	"site.ring":      check.Msg("Ring (leer: automatisch; test: Testapotheke)", "Ring (empty: automatic; test: test pharmacy)"),
	"site.status":    check.Msg("Zustand", "State"),
	"site.seen":      check.Msg("Letzte Meldung", "Last report"),
	"site.versions":  check.Msg("Versionen", "Versions"),
	"site.agent":     check.Msg("Update-Dienst", "Update agent"),
	"site.paused":    check.Msg("Updates von der Apotheke pausiert", "Updates paused by the pharmacy"),
	"site.token":     check.Msg("Zugang", "Access"),
	"site.token.ok":  check.Msg("angemeldet seit", "enrolled since"),
	"site.token.no":  check.Msg("nicht angemeldet", "not enrolled"),
	"site.token.rev": check.Msg("Schlüssel zurückgezogen am", "token revoked on"),
	"site.code.open": check.Msg("Offener Anmeldecode gültig bis", "Open enrolment code valid until"),
	"site.newcode":   check.Msg("Neuen Anmeldecode erzeugen", "Create a new enrolment code"),
	"site.revoke":    check.Msg("Schlüssel zurückziehen", "Revoke the token"),
	"site.revoke.help": check.Msg("Der Standort wird sofort abgewiesen und muss sich mit einem neuen Code neu anmelden.",
		"The site is refused at once and must enrol again with a new code."),
	"site.history":     check.Msg("Welche Version wann", "Which version when"),
	"site.reports":     check.Msg("Meldungen zu Aufträgen", "Reports on commands"),
	"site.edit":        check.Msg("Stammdaten ändern", "Edit the site"),
	"reason":           check.Msg("Grund", "Reason"),
	"when":             check.Msg("Zeit", "Time"),
	"component":        check.Msg("Komponente", "Component"),
	"version":          check.Msg("Version", "Version"),
	"status":           check.Msg("Status", "Status"),
	"message":          check.Msg("Meldung", "Message"),
	"none":             check.Msg("keine", "none"),
	"rel.title":        check.Msg("Freigaben", "Releases"),
	"rel.add":          check.Msg("Neue Freigabe", "New release"),
	"rel.artifact":     check.Msg("Datei", "File"),
	"rel.install":      check.Msg("Installations-Hook", "Install hook"),
	"rel.rollback":     check.Msg("Rücksetz-Hook", "Rollback hook"),
	"rel.notes":        check.Msg("Hinweise für die Hotline", "Notes for the hotline"),
	"rel.hash":         check.Msg("SHA-256", "SHA-256"),
	"rel.by":           check.Msg("von", "by"),
	"rel.start":        check.Msg("Verteilung starten", "Start rollout"),
	"rel.signed":       check.Msg("Jede Freigabe wird mit TUF signiert; die Apotheken prüfen Signatur und Prüfsumme vor der Installation.", "Every release is signed with TUF; the pharmacies check signature and hash before installing."),
	"ro.title":         check.Msg("Verteilungen", "Rollouts"),
	"ro.release":       check.Msg("Freigabe", "Release"),
	"ro.started":       check.Msg("gestartet", "started"),
	"ro.rings":         check.Msg("Ringe", "Rings"),
	"ro.ring":          check.Msg("Ring", "Ring"),
	"ro.sites":         check.Msg("Standorte", "sites"),
	"ro.soak":          check.Msg("Beobachtung", "Soak"),
	"ro.maxfail":       check.Msg("erlaubte Fehler", "failures allowed"),
	"ro.gate":          check.Msg("Prüfung", "Gate"),
	"ro.installed":     check.Msg("installiert", "installed"),
	"ro.pause":         check.Msg("Anhalten", "Pause"),
	"ro.resume":        check.Msg("Fortsetzen", "Resume"),
	"ro.abort":         check.Msg("Abbrechen", "Abort"),
	"ro.reason.help":   check.Msg("Ein Grund ist Pflicht; er steht im Protokoll.", "A reason is required; it goes into the audit log."),
	"ro.events":        check.Msg("Verlauf", "History"),
	"ro.slot":          check.Msg("Termin", "Slot"),
	"ro.live":          check.Msg("Diese Ansicht aktualisiert sich alle 5 Sekunden.", "This view refreshes every 5 seconds."),
	"ro.phase.passed":  check.Msg("bestanden", "passed"),
	"ro.phase.waiting": check.Msg("wartet", "waiting"),
	"ro.phase.stopped": check.Msg("nicht mehr erreicht", "not reached"),
	"ro.phase.running": check.Msg("läuft", "running"),
	"ro.phase.paused":  check.Msg("angehalten (von Hand)", "paused"),
	"ro.phase.halted":  check.Msg("gestoppt (Prüfung fehlgeschlagen)", "halted (gate failed)"),
	"ro.phase.aborted": check.Msg("abgebrochen", "aborted"),
	"ro.phase.done":    check.Msg("abgeschlossen", "done"),
	"audit.title":      check.Msg("Protokoll aller Aktionen", "Audit log of every action"),
	"audit.actor":      check.Msg("Wer", "Who"),
	"audit.action":     check.Msg("Aktion", "Action"),
	"audit.target":     check.Msg("Betrifft", "Target"),
	"audit.detail":     check.Msg("Details", "Details"),

	"tr.title":      check.Msg("Warteschlange der Hotline", "Hotline triage queue"),
	"tr.help":       check.Msg("Standorte mit offenem Problem: zuerst Apotheken im Notdienst, dann nach Schwere, dann die am längsten wartenden. Übernehmen Sie einen Standort, damit niemand doppelt anruft; Notizen landen im Verlauf des Standorts.", "Sites with an open problem: pharmacies on emergency duty first, then by severity, then the longest waiting. Claim a site so that nobody calls twice; notes go into the site's timeline."),
	"tr.problem":    check.Msg("Problem", "Problem"),
	"tr.for":        check.Msg("Seit", "For"),
	"tr.since":      check.Msg("seit", "since"),
	"tr.who":        check.Msg("Kümmert sich", "Claimed by"),
	"tr.duty":       check.Msg("NOTDIENST", "ON EMERGENCY DUTY"),
	"tr.until":      check.Msg("bis", "until"),
	"tr.claim":      check.Msg("Übernehmen", "Claim"),
	"tr.release":    check.Msg("Freigeben", "Release"),
	"tr.takeover":   check.Msg("Übernehmen (von anderer Person)", "Take over"),
	"tr.none":       check.Msg("Kein Standort hat gerade ein offenes Problem.", "No site has an open problem now."),
	"site.cause":    check.Msg("Ursache", "Cause"),
	"site.upcoming": check.Msg("Anstehende Updates", "Upcoming updates"),
	"site.timeline": check.Msg("Verlauf", "Timeline"),
	"tl.newnote":    check.Msg("Notiz für den Verlauf (Anruf, Absprache, Lösung)", "Note for the timeline (call, agreement, fix)"),
	"tl.note.add":   check.Msg("Notiz speichern", "Save note"),
	"tl.kind":       check.Msg("Art", "Kind"),
	"tl.what":       check.Msg("Was", "What"),
	"tl.version":    check.Msg("Version", "Version"),
	"tl.health":     check.Msg("Zustand", "Health"),
	"tl.silence":    check.Msg("Stumm", "Silence"),
	"tl.update":     check.Msg("Update", "Update"),
	"tl.broadcast":  check.Msg("Nachricht", "Broadcast"),
	"tl.note":       check.Msg("Notiz", "Note"),
	"tl.action":     check.Msg("Aktion", "Action"),
	"cal.title":     check.Msg("Anstehende Updates", "Upcoming updates"),
	"cal.help":      check.Msg("Wie viele Standorte an welchem Tag ein Update bekommen – damit die Hotline am Morgen danach genug Leute hat. Als Kalenderdatei (iCalendar) oder als Tabelle (CSV).", "How many sites get an update on which day – so that the hotline is staffed the morning after. As a calendar file (iCalendar) or a table (CSV)."),
	"cal.ics":       check.Msg("Kalender (iCalendar)", "Calendar (iCalendar)"),
	"cal.csv":       check.Msg("Tabelle je Tag (CSV)", "Table per day (CSV)"),
	"cal.csv.sites": check.Msg("Tabelle je Standort (CSV)", "Table per site (CSV)"),
	"cal.days":      check.Msg("Tage", "days"),
	"cal.day":       check.Msg("Tag", "Day"),
	"cal.slot":      check.Msg("Zeitfenster", "Slot"),
	"cal.what":      check.Msg("Was", "What"),
	"cal.none":      check.Msg("Keine Updates geplant.", "No updates scheduled."),
	"bc.title":      check.Msg("Nachrichten an Standorte", "Broadcasts to sites"),
	"bc.help":       check.Msg("Eine Nachricht erscheint in Sekunden als Hinweis mit Anleitung auf dem Bildschirm der gewählten Apotheken – nur bei angemeldeten Standorten, nie öffentlich. Das Personal antwortet „hat geholfen“ oder „hilft nicht“.", "A broadcast appears within seconds as a banner with its runbook on the dashboards of the chosen sites – only enrolled sites, never in public. Staff answer \"helped\" or \"did not help\"."),
	"bc.msg":        check.Msg("Nachricht", "Message"),
	"bc.who":        check.Msg("Gesendet von", "Sent by"),
	"bc.targets":    check.Msg("Standorte", "sites"),
	"bc.delivered":  check.Msg("angekommen", "delivered"),
	"bc.read":       check.Msg("gelesen", "read"),
	"bc.helped":     check.Msg("hat geholfen", "helped"),
	"bc.nothelped":  check.Msg("hilft nicht", "did not help"),
	"bc.waiting":    check.Msg("noch nicht angekommen", "not delivered yet"),
	"bc.new":        check.Msg("Neue Nachricht senden", "Send a new broadcast"),
	"bc.f.title":    check.Msg("Überschrift (erscheint als Hinweis oben auf jeder Seite)", "Title (shown as a banner on top of every page)"),
	"bc.f.text":     check.Msg("Was ist los? (in einfachen Worten)", "What is going on? (plain words)"),
	"bc.f.steps":    check.Msg("Anleitung: ein Schritt pro Zeile", "Runbook: one step per line"),
	"bc.f.severity": check.Msg("Dringlichkeit", "Severity"),
	"bc.f.hours":    check.Msg("Sichtbar für", "Visible for"),
	"bc.f.file":     check.Msg("Datei (optional)", "File (optional)"),
	"bc.f.who":      check.Msg("An wen?", "To whom?"),
	"bc.f.all":      check.Msg("alle Standorte", "all sites"),
	"bc.f.sites":    check.Msg("Standort-Kennungen", "Site ids"),
	"bc.f.states":   check.Msg("Bundesländer", "Federal states"),
	"bc.f.version":  check.Msg("mit installierter Version (Komponente, Version)", "with installed version (component, version)"),
	"bc.f.check":    check.Msg("mit gestörter Prüfung", "with failing check"),
	"bc.f.who.help": check.Msg("Mehrere Angaben gelten zusammen (zum Beispiel Bayern und erp 2026.2). Die Liste der Standorte wird beim Senden festgelegt.", "Several criteria apply together (for example Bavaria and erp 2026.2). The list of sites is fixed when sending."),
	"bc.send":       check.Msg("Jetzt senden", "Send now"),
	"bc.expires":    check.Msg("Sichtbar bis", "Visible until"),
	"bc.expired":    check.Msg("abgelaufen", "expired"),
	"bc.counts":     check.Msg("Stand (wird laufend aktualisiert)", "Progress (updated live)"),
	"bc.answers":    check.Msg("Antworten der Standorte", "Answers of the sites"),
	"bc.answer":     check.Msg("Antwort", "Answer"),
	"bc.by":         check.Msg("Wer", "Who"),
	"bc.note":       check.Msg("Anmerkung", "Note"),
}

// t returns the text of key (the key itself when missing, so a gap shows).
func t(key string) check.Text {
	if x, ok := texts[key]; ok {
		return x
	}
	return check.Msg(key, key)
}

// tr gives templates the sentences and formats of one language.
type tr struct {
	lang string
	loc  *time.Location
}

// T returns the sentence of key.
func (l tr) T(key string) string { return t(key).In(l.lang) }

// Time formats an instant in the console's zone ("" for zero).
func (l tr) Time(v time.Time) string {
	if v.IsZero() {
		return "–"
	}
	return v.In(l.loc).Format("02.01.2006 15:04")
}

// Day formats a date in the console's zone with the weekday.
func (l tr) Day(v time.Time) string {
	if v.IsZero() {
		return "–"
	}
	v = v.In(l.loc)
	wd := [...]string{"So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"}[v.Weekday()]
	if l.lang == "en" {
		wd = v.Weekday().String()[:3]
	}
	return wd + " " + v.Format("02.01.2006")
}

// Clock formats the time of day in the console's zone.
func (l tr) Clock(v time.Time) string {
	if v.IsZero() {
		return "–"
	}
	return v.In(l.loc).Format("15:04")
}

// In returns a two-language text in the page's language.
func (l tr) In(x check.Text) string { return x.In(l.lang) }

// Words returns a value's plain words.
func (l tr) Words(x interface{ Words() check.Text }) string { return x.Words().In(l.lang) }

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"add":          func(a, b int) int { return a + b },
		"sub":          func(a, b int) int { return a - b },
		"list":         func(xs ...string) []string { return xs },
		"sevWords":     fleet.SeverityWords,
		"receiptWords": fleet.ReceiptWords,
		"hasString":    func(xs []string, x string) bool { return slices.Contains(xs, x) },
	}
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
