package web

import (
	"net/http"
	"strings"

	"github.com/lifeline-project/lifeline/internal/check"
)

// langCookie holds the language a user chose with the switch button.
const langCookie = "lifeline_lang"

// supportedLang returns l when the interface speaks it, else "".
func supportedLang(l string) string {
	switch l {
	case "de", "en":
		return l
	default:
		return ""
	}
}

// pageLang is the language of a page: the user's choice (cookie), else the
// configured default.
func (s *Server) pageLang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		if l := supportedLang(c.Value); l != "" {
			return l
		}
	}
	return s.cfg.Language
}

// apiLang is the language of API messages: ?lang=, else Accept-Language,
// else the configured default.
func (s *Server) apiLang(r *http.Request) string {
	if l := supportedLang(r.URL.Query().Get("lang")); l != "" {
		return l
	}
	if l := acceptLanguage(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return s.cfg.Language
}

// acceptLanguage returns the supported language with the highest weight in
// an Accept-Language header, or "".
func acceptLanguage(h string) string {
	best, bestQ := "", -1.0
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		l := supportedLang(primary)
		if l == "" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			q = parseQ(v)
		}
		if q > bestQ && q > 0 {
			best, bestQ = l, q
		}
	}
	return best
}

// parseQ reads an Accept-Language weight (0 to 1, up to three decimals);
// anything unreadable counts as 0.
func parseQ(v string) float64 {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 5 {
		return 0
	}
	whole, frac, _ := strings.Cut(v, ".")
	if whole != "0" && whole != "1" {
		return 0
	}
	q := float64(whole[0] - '0')
	scale := 0.1
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0
		}
		q += float64(c-'0') * scale
		scale /= 10
	}
	if q > 1 {
		return 0
	}
	return q
}

// tr translates catalogue keys into one language; templates call
// {{.L.T "key"}}.
type tr string

// T returns the text of key in the language; an unknown key shows as
// ??key?? so that a test finds it.
func (l tr) T(key string) string { return text(key).In(string(l)) }

// otherLang is the language the switch button offers, and its label in
// that language.
func otherLang(lang string) (code, label string) {
	if lang == "en" {
		return "de", "Deutsch"
	}
	return "en", "English"
}

// text is the catalogue of the interface's fixed texts.
func text(key string) check.Text {
	switch key {
	// layout
	case "nav.label":
		return check.Msg("Hauptnavigation", "Main navigation")
	case "lang.switch":
		return check.Msg("Sprache wechseln", "Switch language")
	case "logout":
		return check.Msg("Abmelden", "Log out")
	case "password.link":
		return check.Msg("Passwort ändern", "Change password")
	case "user.label":
		return check.Msg("Angemeldet als", "Logged in as")
	case "footer":
		return check.Msg("lifeline – Überwachung und Notbetrieb", "lifeline – monitoring and emergency mode")
	// login
	case "login.title":
		return check.Msg("Anmelden", "Log in")
	case "login.user":
		return check.Msg("Benutzername", "User name")
	case "login.password":
		return check.Msg("Passwort", "Password")
	case "login.submit":
		return check.Msg("Anmelden", "Log in")
	case "login.hint":
		return check.Msg("Noch kein Zugang? Benutzer richtet die Leitung der Apotheke oder die IT ein.",
			"No access yet? The pharmacy's management or IT support sets up users.")
	// password
	case "pw.title":
		return check.Msg("Passwort ändern", "Change password")
	case "pw.must":
		return check.Msg("Bitte legen Sie jetzt ein eigenes Passwort fest. Das bisherige Passwort galt nur für die erste Anmeldung.",
			"Please set your own password now. The current password was for the first login only.")
	case "pw.current":
		return check.Msg("Bisheriges Passwort", "Current password")
	case "pw.new":
		return check.Msg("Neues Passwort (mindestens 10 Zeichen)", "New password (at least 10 characters)")
	case "pw.repeat":
		return check.Msg("Neues Passwort wiederholen", "Repeat the new password")
	case "pw.submit":
		return check.Msg("Passwort speichern", "Save password")
	case "pw.mismatch":
		return check.Msg("Die beiden neuen Passwörter stimmen nicht überein.", "The two new passwords do not match.")
	case "pw.hint":
		return check.Msg("Tipp: Ein langer Satz ist leichter zu merken und sicherer als ein kurzes Wort mit Sonderzeichen.",
			"Tip: a long sentence is easier to remember and safer than a short word with special characters.")
	// dashboard
	case "dash.title":
		return check.Msg("Übersicht", "Overview")
	case "dash.nochecks":
		return check.Msg("Es sind noch keine Prüfungen eingerichtet.", "No checks are configured yet.")
	case "live.static":
		return check.Msg("Live-Anzeige wird verbunden …", "Connecting the live view …")
	case "live.on":
		return check.Msg("Live: Die Anzeige aktualisiert sich selbst.", "Live: this view updates by itself.")
	case "live.off":
		return check.Msg("Verbindung zum Server unterbrochen – wird erneut versucht …", "Connection to the server lost – retrying …")
	case "tile.latency":
		return check.Msg("Antwortzeit", "Response time")
	case "tile.notyet":
		return check.Msg("noch nicht geprüft", "not checked yet")
	case "tile.affects":
		return check.Msg("Betroffen", "Affects")
	case "tile.since":
		return check.Msg("seit", "since")
	case "tile.spark":
		return check.Msg("Antwortzeiten der letzten 24 Stunden", "Response times over the last 24 hours")
	case "tile.nodata":
		return check.Msg("keine Messwerte", "no data")
	case "tile.max":
		return check.Msg("höchstens", "at most")
	// check detail
	case "detail.back":
		return check.Msg("Zurück zur Übersicht", "Back to the overview")
	case "detail.kind":
		return check.Msg("Art der Prüfung", "Kind of check")
	case "detail.group":
		return check.Msg("Bereich", "Area")
	case "detail.dependson":
		return check.Msg("Hängt ab von", "Depends on")
	case "detail.causedby":
		return check.Msg("Ursache", "Cause")
	case "detail.lastprobe":
		return check.Msg("Zuletzt geprüft", "Last checked")
	case "detail.transitions":
		return check.Msg("Zustandswechsel der letzten 7 Tage", "State changes in the last 7 days")
	case "detail.notransitions":
		return check.Msg("Keine Zustandswechsel in den letzten 7 Tagen.", "No state changes in the last 7 days.")
	case "detail.samples":
		return check.Msg("Letzte Ergebnisse", "Recent results")
	case "detail.nosamples":
		return check.Msg("Keine Ergebnisse in den letzten 24 Stunden.", "No results in the last 24 hours.")
	case "col.time":
		return check.Msg("Zeit", "Time")
	case "col.from":
		return check.Msg("Vorher", "Before")
	case "col.to":
		return check.Msg("Nachher", "After")
	case "col.reason":
		return check.Msg("Grund", "Reason")
	case "col.result":
		return check.Msg("Ergebnis", "Result")
	case "col.latency":
		return check.Msg("Antwortzeit", "Response time")
	case "col.message":
		return check.Msg("Meldung", "Message")
	// errors
	case "err.back":
		return check.Msg("Zur Übersicht", "To the overview")
	case "err.notfound.title":
		return check.Msg("Nicht gefunden", "Not found")
	case "err.notfound":
		return check.Msg("Diese Seite gibt es nicht.", "This page does not exist.")
	case "err.check":
		return check.Msg("Diese Prüfung gibt es nicht (mehr).", "This check does not exist (any more).")
	case "err.forbidden.title":
		return check.Msg("Keine Berechtigung", "Not allowed")
	case "err.forbidden":
		return check.Msg("Dafür fehlt Ihnen die Berechtigung. Bitte wenden Sie sich an die Leitung der Apotheke.",
			"You are not allowed to do this. Please ask the pharmacy's management.")
	case "err.csrf":
		return check.Msg("Die Anfrage wurde aus Sicherheitsgründen abgelehnt. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.",
			"The request was refused for security reasons. Please reload the page and try again.")
	case "err.title":
		return check.Msg("Fehler", "Error")
	case "err.internal":
		return check.Msg("Interner Fehler. Bitte versuchen Sie es erneut; wenn es bleibt, melden Sie es der IT.",
			"Internal error. Please try again; if it persists, tell your IT support.")
	case "err.unauthorized":
		return check.Msg("Anmeldung nötig: mit einem API-Schlüssel (Authorization: Bearer ll_…) oder einer Sitzung.",
			"Login required: an API token (Authorization: Bearer ll_…) or a session.")
	case "err.mustchange":
		return check.Msg("Bitte ändern Sie zuerst Ihr Passwort.", "Please change your password first.")
	case "err.since":
		return check.Msg("Der Parameter since muss ein Zeitpunkt nach RFC 3339 sein, zum Beispiel 2026-01-31T08:00:00Z.",
			"The parameter since must be an RFC 3339 time, for example 2026-01-31T08:00:00Z.")
	case "err.unavailable":
		return check.Msg("Die Verlaufsdaten sind gerade nicht lesbar. Bitte versuchen Sie es gleich noch einmal.",
			"The history cannot be read right now. Please try again in a moment.")
	}
	return check.Text{DE: "??" + key + "??", EN: "??" + key + "??"}
}
