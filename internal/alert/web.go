package alert

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

//go:embed templates/*.html
var templateFS embed.FS

// WebHooks connect the alert pages to the web layer (internal/web) without
// this package depending on it. Every hook may be nil.
type WebHooks struct {
	// Render writes body inside the dashboard layout (web.Server.Render);
	// nil writes a plain page.
	Render func(w http.ResponseWriter, r *http.Request, title check.Text, body template.HTML)
	// Lang returns the request's language (web.Lang); default the site's.
	Lang func(r *http.Request) string
	// User returns the logged-in user's name for the record of who
	// acknowledged or silenced, and whether they may act (role staff or
	// more); nil: "" and true.
	User func(r *http.Request) (name string, canAct bool)
	// CSRF returns the session's CSRF token for forms (web.CSRFToken).
	CSRF func(r *http.Request) string
}

// Web serves the alert pages:
//
//	GET  Prefix                 incidents, on-call, silences, delivery log (viewer)
//	POST Prefix/ack             acknowledge an incident; field incident (staff)
//	POST Prefix/silences        new silence; fields check (repeated), hours, comment (staff)
//	POST Prefix/silences/end    end a silence; field id (staff)
//	GET  AckPath?t=TOKEN        public: what the link is for, and a button
//	POST AckPath                public: field t; acknowledges and uses the link up
//
// The link's GET only shows the page: mail scanners and chat previews open
// links without anybody clicking, and must not use up the acknowledgement.
type Web struct {
	e      *Engine
	h      WebHooks
	prefix string
	tmpl   *template.Template
}

// NewWeb returns the alert pages under prefix (default "/alerts").
func NewWeb(e *Engine, prefix string, h WebHooks) *Web {
	if prefix == "" {
		prefix = "/alerts"
	}
	w := &Web{e: e, h: h, prefix: strings.TrimRight(prefix, "/")}
	w.tmpl = template.Must(template.New("").Funcs(template.FuncMap{"t": func(string) string { return "" }}).ParseFS(templateFS, "templates/*.html"))
	return w
}

func (wb *Web) lang(r *http.Request) string {
	if wb.h.Lang != nil {
		return wb.h.Lang(r)
	}
	return wb.e.o.Lang
}

func (wb *Web) user(r *http.Request) (string, bool) {
	if wb.h.User != nil {
		return wb.h.User(r)
	}
	return "", true
}

func (wb *Web) csrf(r *http.Request) string {
	if wb.h.CSRF != nil {
		return wb.h.CSRF(r)
	}
	return ""
}

func (wb *Web) render(w http.ResponseWriter, r *http.Request, status int, title check.Text, name string, data any) {
	lang := wb.lang(r)
	t := template.Must(wb.tmpl.Clone()).Funcs(template.FuncMap{"t": func(k string) string { return webText(k, lang) }})
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		wb.e.log.Error("render alert page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if wb.h.Render != nil && status == http.StatusOK {
		wb.h.Render(w, r, title, template.HTML(buf.String())) //nolint:gosec // produced by html/template
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html>\n<html lang=%q><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>%s</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main>%s</main></body></html>\n",
		lang, template.HTMLEscapeString(title.In(lang)), buf.String())
}

func (wb *Web) clock(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	return at(t, wb.e.clk.Now(), wb.e.loc, lang)
}

// Page serves the alert overview.
func (wb *Web) Page() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := wb.lang(r)
		_, canAct := wb.user(r)
		type incView struct {
			ID, Title, Opened, Status, Severity string
			CanAck                              bool
		}
		type silView struct {
			ID, What, Until, Comment, By string
			CanEnd                       bool
		}
		type delView struct{ At, Receiver, Kind, Title, Status, Error, Class string }
		type failView struct{ Receiver, When, Error string }
		type callView struct{ Rota, Names string }
		type checkView struct{ ID, Name string }
		data := struct {
			Prefix, CSRF, Maintenance string
			CanAct                    bool
			Incidents                 []incView
			Silences                  []silView
			Deliveries                []delView
			Failing                   []failView
			OnCall                    []callView
			Checks                    []checkView
		}{Prefix: wb.prefix, CSRF: wb.csrf(r), CanAct: canAct}
		now := wb.e.clk.Now()
		for _, inc := range wb.e.Incidents() {
			v := incView{ID: inc.ID, Title: wb.e.title(&inc, notifyFiring, now), Opened: wb.clock(inc.Opened, lang), Severity: string(inc.Severity())}
			switch {
			case inc.Acked():
				v.Status = fmt.Sprintf(check.Msg("Bestätigt von %s um %s.", "Acknowledged by %s at %s.").In(lang), inc.AckedBy, wb.clock(inc.AckedAt, lang))
			case !inc.Notified():
				v.Status = fmt.Sprintf(check.Msg("Nachricht geht um %s raus, wenn es so bleibt.", "Message goes out at %s if it stays so.").In(lang), wb.clock(inc.NotifyAt, lang))
				v.CanAck = true
			default:
				v.Status = check.Msg("Noch nicht bestätigt.", "Not acknowledged yet.").In(lang)
				v.CanAck = true
			}
			if !inc.ClearSince.IsZero() {
				v.Status += " " + check.Msg("Zurzeit wieder in Ordnung; die Entwarnung folgt gleich.", "Working again; the all-clear follows shortly.").In(lang)
			}
			data.Incidents = append(data.Incidents, v)
		}
		for _, s := range wb.e.Silences() {
			what := check.Msg("alle Prüfungen", "all checks").In(lang)
			if len(s.Checks)+len(s.Groups) > 0 {
				names := append([]string(nil), wb.e.checkNames(s.Checks)...)
				for _, g := range s.Groups {
					names = append(names, check.GroupTitle(g).In(lang))
				}
				what = strings.Join(names, ", ")
			}
			data.Silences = append(data.Silences, silView{ID: s.ID, What: what, Until: wb.clock(s.Ends, lang), Comment: s.Comment, By: s.CreatedBy, CanEnd: !s.FromConfig})
		}
		var mw []string
		for _, m := range wb.e.MaintenanceNow() {
			mw = append(mw, m.Name+" ("+m.Start+"–"+m.End+")")
		}
		data.Maintenance = strings.Join(mw, ", ")
		for _, h := range wb.e.Health() {
			if h.Failing() {
				data.Failing = append(data.Failing, failView{h.Receiver, wb.clock(h.LastFailure, lang), h.LastError})
			}
		}
		for rota, names := range wb.e.OnCall() {
			n := strings.Join(names, ", ")
			if n == "" {
				n = check.Msg("niemand eingeteilt (alle im Plan werden alarmiert)", "nobody on call (everybody in the rota is alerted)").In(lang)
			}
			data.OnCall = append(data.OnCall, callView{rota, n})
		}
		for _, c := range wb.e.checks() {
			data.Checks = append(data.Checks, checkView{c.ID, c.Name})
		}
		ds, err := wb.e.Deliveries(r.Context(), 100)
		if err != nil {
			wb.e.log.Error("load delivery log", "err", err)
		}
		for _, d := range ds {
			v := delView{At: wb.clock(d.Created, lang), Receiver: d.Receiver, Kind: kindWords(d.Kind).In(lang), Title: d.Message.Title, Error: d.LastError}
			switch d.Status {
			case StatusSent:
				v.Status, v.Class, v.Error = fmt.Sprintf(check.Msg("zugestellt um %s", "delivered at %s").In(lang), wb.clock(d.SentAt, lang)), "cell-ok", ""
			case StatusFailed:
				v.Status, v.Class = fmt.Sprintf(check.Msg("fehlgeschlagen nach %d Versuch(en)", "failed after %d attempt(s)").In(lang), d.Attempts), "cell-down"
			case StatusRetry:
				v.Status, v.Class = fmt.Sprintf(check.Msg("neuer Versuch um %s", "retry at %s").In(lang), wb.clock(d.NextAt, lang)), "cell-degraded"
			default:
				v.Status = check.Msg("wird gesendet", "sending").In(lang)
			}
			data.Deliveries = append(data.Deliveries, v)
		}
		wb.render(w, r, http.StatusOK, check.Msg("Alarme", "Alerts"), "alerts", data)
	})
}

func kindWords(k Kind) check.Text {
	switch k {
	case notifyFiring:
		return check.Msg("Alarm", "alert")
	case notifyEscalation:
		return check.Msg("Eskalation", "escalation")
	case notifyUpdate:
		return check.Msg("neue Lage", "update")
	case notifyReminder:
		return check.Msg("Erinnerung", "reminder")
	case notifyAckExpired:
		return check.Msg("erneut (Bestätigung abgelaufen)", "again (acknowledgement expired)")
	case notifyResolved:
		return check.Msg("Entwarnung", "resolved")
	default:
		return check.Msg("Test", "test")
	}
}

func (e *Engine) checks() []struct{ ID, Name string } {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]struct{ ID, Name string }, 0, len(e.ov.Checks))
	for _, c := range e.ov.Checks {
		out = append(out, struct{ ID, Name string }{c.ID, c.Name})
	}
	return out
}

func (e *Engine) checkNames(ids []string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		name := id
		for _, c := range e.ov.Checks {
			if c.ID == id {
				name = c.Name
			}
		}
		out = append(out, name)
	}
	return out
}

func (wb *Web) back(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, wb.prefix, http.StatusSeeOther)
}

func (wb *Web) fail(w http.ResponseWriter, r *http.Request, err error) {
	lang := wb.lang(r)
	msg := check.Msg("Das hat nicht geklappt. Bitte noch einmal versuchen.", "That did not work. Please try again.").In(lang)
	status := http.StatusInternalServerError
	var ae *Error
	if errors.As(err, &ae) {
		msg, status = ae.Msg.In(lang), statusOf(ae.Code)
	} else {
		wb.e.log.Error("alert page action", "err", err)
	}
	wb.render(w, r, status, check.Msg("Alarme", "Alerts"), "ack", map[string]any{"Error": msg, "Dashboard": wb.prefix})
}

// statusOf maps the alert error codes to HTTP status codes.
func statusOf(code string) int {
	switch code {
	case ENOTFOUND:
		return http.StatusNotFound
	case ECONFLICT:
		return http.StatusConflict
	case EEXPIRED:
		return http.StatusGone
	case EINVALID:
		return http.StatusBadRequest
	default:
		return http.StatusInternalServerError
	}
}

// AckAction acknowledges an incident from the dashboard.
func (wb *Web) AckAction() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, canAct := wb.user(r)
		if !canAct {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		if name == "" {
			name = check.Msg("Dashboard", "dashboard").In(wb.lang(r))
		}
		if _, err := wb.e.Ack(r.Context(), r.PostFormValue("incident"), name); err != nil {
			wb.fail(w, r, err)
			return
		}
		wb.back(w, r)
	})
}

// AddSilenceAction creates a silence from the form.
func (wb *Web) AddSilenceAction() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, canAct := wb.user(r)
		if !canAct {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		if err := r.ParseForm(); err != nil {
			wb.fail(w, r, errInvalid("Das Formular ist unvollständig.", "The form is incomplete."))
			return
		}
		hours, err := strconv.Atoi(r.PostFormValue("hours"))
		if err != nil || hours < 1 {
			wb.fail(w, r, errInvalid("Bitte die Dauer in ganzen Stunden angeben.", "Please give the duration in whole hours."))
			return
		}
		s := Silence{Checks: r.PostForm["check"], Comment: r.PostFormValue("comment"), CreatedBy: name,
			Ends: wb.e.clk.Now().Add(time.Duration(hours) * time.Hour)}
		if _, err := wb.e.AddSilence(r.Context(), s); err != nil {
			wb.fail(w, r, err)
			return
		}
		wb.back(w, r)
	})
}

// EndSilenceAction ends a silence.
func (wb *Web) EndSilenceAction() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, canAct := wb.user(r); !canAct {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		if err := wb.e.EndSilence(r.Context(), r.PostFormValue("id")); err != nil {
			wb.fail(w, r, err)
			return
		}
		wb.back(w, r)
	})
}

// Link serves the acknowledgement link (public, GET shows, POST acts).
func (wb *Web) Link() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := wb.lang(r)
		w.Header().Set("Referrer-Policy", "no-referrer")
		data := map[string]any{"Action": AckPath, "CSRF": wb.csrf(r), "Dashboard": wb.e.dashboardURL()}
		title := check.Msg("Störung bestätigen", "Acknowledge fault")
		status := http.StatusOK
		switch r.Method {
		case http.MethodPost:
			inc, err := wb.e.AckLink(r.Context(), r.PostFormValue("t"))
			if err != nil {
				data["Error"], status = userMessage(err, lang), statusFor(err)
				break
			}
			data["Done"] = fmt.Sprintf(check.Msg("Danke, %s. Die Störung ist bestätigt; niemand sonst wird deswegen geweckt.",
				"Thank you, %s. The fault is acknowledged; nobody else will be woken for it.").In(lang), inc.AckedBy)
		default:
			tok := r.URL.Query().Get("t")
			info, err := wb.e.Inspect(r.Context(), tok)
			if err != nil {
				data["Error"], status = userMessage(err, lang), statusFor(err)
				break
			}
			now := wb.e.clk.Now()
			data["Token"], data["Title"] = tok, wb.e.title(info.Incident, notifyFiring, now)
			switch {
			case !info.Incident.Open():
				data["Error"], status = ErrResolved.Msg.In(lang), http.StatusConflict
			case info.Incident.Acked():
				data["Status"] = fmt.Sprintf(check.Msg("Schon bestätigt von %s um %s.", "Already acknowledged by %s at %s.").In(lang), info.Incident.AckedBy, wb.clock(info.Incident.AckedAt, lang))
			default:
				data["Status"] = check.Msg("Noch hat niemand bestätigt.", "Nobody has acknowledged yet.").In(lang)
			}
		}
		wb.render(w, r, status, title, "ack", data)
	})
}

func userMessage(err error, lang string) string {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Msg.In(lang)
	}
	return check.Msg("Das hat nicht geklappt. Bitte im Dashboard bestätigen.", "That did not work. Please acknowledge on the dashboard.").In(lang)
}

func statusFor(err error) int {
	var ae *Error
	if errors.As(err, &ae) {
		return statusOf(ae.Code)
	}
	return http.StatusInternalServerError
}

// Banner tells the dashboard (web.AddBanner) when an alert channel is
// broken: then alerts may not reach anybody.
func (wb *Web) Banner(r *http.Request) (check.Text, bool) {
	var bad []string
	for _, h := range wb.e.Health() {
		if h.Failing() {
			bad = append(bad, h.Receiver)
		}
	}
	if len(bad) == 0 {
		return check.Text{}, false
	}
	list := strings.Join(bad, ", ")
	return check.Msg("Alarmweg gestört: "+list+". Alarme erreichen so vielleicht niemanden; bitte unter „Alarme“ prüfen.",
		"Alert channel failing: "+list+". Alerts may reach nobody; please check under “Alerts”."), true
}
