package server

import (
	"html/template"
	"net/url"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
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
	"sites.search": check.Msg("Suchen (Kennung oder Name)", "Search (id or name)"),
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

// In returns a two-language text in the page's language.
func (l tr) In(x check.Text) string { return x.In(l.lang) }

// Words returns a value's plain words.
func (l tr) Words(x interface{ Words() check.Text }) string { return x.Words().In(l.lang) }

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"add":  func(a, b int) int { return a + b },
		"sub":  func(a, b int) int { return a - b },
		"list": func(xs ...string) []string { return xs },
	}
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
