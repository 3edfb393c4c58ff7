// Package inboxweb shows the broadcasts of the site's fleet on the site's
// dashboard: a banner on every page while a message is open, and the page
// "Nachrichten" with the text, the runbook steps, the file and the two
// answers "Hat geholfen" / "Hilft nicht". Opening the page counts as read.
// German first, English switchable; templates embedded; no script.
//
// Routes (Routes lists them for the site's web server):
//
//	GET  /messages               the messages (viewer; marks them read)
//	POST /messages/{id}/answer   answer=helped|not_helped, note (staff, CSRF)
//	GET  /messages/{id}/file     the message's file (viewer)
package inboxweb

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
)

//go:embed templates/*.html
var templateFS embed.FS

// Prefix is where the pages live.
const Prefix = "/messages"

// Hooks connect the pages to the web layer (internal/web) without this
// package depending on it; each may be nil.
type Hooks struct {
	// Render writes body inside the dashboard layout (web.Server.Render).
	Render func(w http.ResponseWriter, r *http.Request, title check.Text, body template.HTML)
	// Lang returns the request's language (web.Lang).
	Lang func(r *http.Request) string
	// User returns the user's name and whether they may answer (staff or
	// more).
	User func(r *http.Request) (name string, canAct bool)
	// CSRF returns the session's CSRF token (web.CSRFToken).
	CSRF func(r *http.Request) string
}

// Handler serves the pages over an inbox.
type Handler struct {
	in   *fleetclient.Inbox
	h    Hooks
	loc  *time.Location
	log  *slog.Logger
	tmpl map[string]*template.Template
}

// New returns the pages; loc is the site's time zone.
func New(in *fleetclient.Inbox, h Hooks, loc *time.Location, log *slog.Logger) (*Handler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if loc == nil {
		loc = time.Local
	}
	out := &Handler{in: in, h: h, loc: loc, log: log, tmpl: map[string]*template.Template{}}
	for _, lang := range []string{"de", "en"} {
		l := lang
		t, err := template.New("").Funcs(template.FuncMap{"t": func(key string) string { return text(key).In(l) }}).ParseFS(templateFS, "templates/*.html")
		if err != nil {
			return nil, fmt.Errorf("inboxweb: parse templates: %w", err)
		}
		out.tmpl[lang] = t
	}
	return out, nil
}

// Route is one page with the least role it needs.
type Route struct {
	Pattern string
	Role    auth.Role
	Handler http.Handler
}

// Routes returns every route with the least role it needs.
func (h *Handler) Routes() []Route {
	return []Route{
		{Pattern: "GET " + Prefix, Role: auth.RoleViewer, Handler: http.HandlerFunc(h.page)},
		{Pattern: "POST " + Prefix + "/{id}/answer", Role: auth.RoleStaff, Handler: http.HandlerFunc(h.answer)},
		{Pattern: "GET " + Prefix + "/{id}/file", Role: auth.RoleViewer, Handler: http.HandlerFunc(h.file)},
	}
}

// NavTitle returns the navigation entry's title.
func NavTitle() check.Text { return check.Msg("Nachrichten", "Messages") }

func (h *Handler) lang(r *http.Request) string {
	if h.h.Lang != nil && h.h.Lang(r) == "en" {
		return "en"
	}
	return "de"
}

func (h *Handler) user(r *http.Request) (string, bool) {
	if h.h.User != nil {
		return h.h.User(r)
	}
	return "", false
}

// Banner is the banner source for the web server: the newest open
// message that nobody answered yet.
func (h *Handler) Banner(r *http.Request) (check.Text, bool) {
	act := h.in.Active()
	var open []fleetclient.Message
	for _, m := range act {
		if m.Answer == "" {
			open = append(open, m)
		}
	}
	if len(open) == 0 {
		return check.Text{}, false
	}
	m := open[0]
	sev := severityWords(m.Broadcast.Severity)
	more := ""
	moreEN := ""
	if len(open) > 1 {
		more = fmt.Sprintf(" (und %d weitere)", len(open)-1)
		moreEN = fmt.Sprintf(" (and %d more)", len(open)-1)
	}
	return check.Msg(
		fmt.Sprintf("%s vom Hersteller: %s%s – Anleitung und Antwort unter „Nachrichten“ (%s).", sev.In("de"), m.Broadcast.Title, more, Prefix),
		fmt.Sprintf("%s from the vendor: %s%s – runbook and answer under \"Messages\" (%s).", sev.In("en"), m.Broadcast.Title, moreEN, Prefix)), true
}

func severityWords(s string) check.Text {
	switch s {
	case "critical":
		return check.Msg("Dringende Nachricht", "Urgent message")
	case "info":
		return check.Msg("Hinweis", "Note")
	default:
		return check.Msg("Warnung", "Warning")
	}
}

// Card is the dashboard card source for the web server (web.AddCard):
// every open message nobody answered yet, with its text, runbook steps,
// file and the two answer buttons, so that the counter staff see the
// workaround where they look first. Showing the card does not count as
// read (a dashboard may be on a screen nobody watches); opening the
// messages page or answering does.
func (h *Handler) Card(r *http.Request) (template.HTML, bool) {
	lang := h.lang(r)
	_, canAct := h.user(r)
	d := pageData{Prefix: Prefix, CanAct: canAct}
	if h.h.CSRF != nil {
		d.CSRF = h.h.CSRF(r)
	}
	for _, m := range h.in.Active() {
		if m.Answer == "" {
			d.Active = append(d.Active, h.view(m, lang))
		}
	}
	if len(d.Active) == 0 {
		return "", false
	}
	var buf bytes.Buffer
	if err := h.tmpl[lang].ExecuteTemplate(&buf, "card", d); err != nil {
		h.log.Error("inboxweb: render card", "err", err)
		return "", false
	}
	return template.HTML(buf.String()), true //nolint:gosec // produced by html/template
}

type msgView struct {
	ID                                   int64
	Class, Severity, Title, Text         string
	Steps                                []string
	File                                 string
	FileStored                           bool
	Received, Until                      string
	Answer, AnsweredBy, AnsweredAt, Note string
	Pending                              bool
}

type pageData struct {
	Prefix, CSRF, Error, Done string
	CanAct                    bool
	Active, Old               []msgView
}

func (h *Handler) view(m fleetclient.Message, lang string) msgView {
	clock := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(h.loc).Format("02.01.2006 15:04")
	}
	v := msgView{ID: m.Broadcast.ID, Severity: severityWords(m.Broadcast.Severity).In(lang), Title: m.Broadcast.Title,
		Text: m.Broadcast.Text, Steps: m.Broadcast.Steps, FileStored: m.FileStored, Received: clock(m.ReceivedAt),
		Until: clock(m.Broadcast.ExpiresAt), AnsweredBy: m.AnsweredBy, AnsweredAt: clock(m.AnsweredAt), Note: m.Note,
		Pending: len(m.Pending) > 0}
	switch m.Broadcast.Severity {
	case "critical":
		v.Class = "down"
	case "info":
		v.Class = "ok"
	default:
		v.Class = "degraded"
	}
	if m.Broadcast.File != nil {
		v.File = m.Broadcast.File.Name
	}
	switch m.Answer {
	case protocol.ReceiptHelped:
		v.Answer = text("helped").In(lang)
	case protocol.ReceiptNotHelped:
		v.Answer = text("nothelped").In(lang)
	}
	return v
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, d pageData) {
	lang := h.lang(r)
	var buf bytes.Buffer
	if err := h.tmpl[lang].ExecuteTemplate(&buf, "messages", d); err != nil {
		h.log.Error("inboxweb: render", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if h.h.Render == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(buf.Bytes())
		return
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
	}
	h.h.Render(w, r, text("title"), template.HTML(buf.String())) //nolint:gosec // produced by html/template
}

func (h *Handler) data(r *http.Request) pageData {
	lang := h.lang(r)
	name, canAct := h.user(r)
	d := pageData{Prefix: Prefix, CanAct: canAct}
	if h.h.CSRF != nil {
		d.CSRF = h.h.CSRF(r)
	}
	now := h.in.Now()
	for _, m := range h.in.Messages() {
		if m.Active(now) {
			if m.ReadAt.IsZero() && name != "" {
				if err := h.in.MarkRead(m.Broadcast.ID, name); err != nil {
					h.log.Warn("inboxweb: marking a message read failed", "broadcast", m.Broadcast.ID, "err", err)
				}
			}
			d.Active = append(d.Active, h.view(m, lang))
		} else if len(d.Old) < 20 {
			d.Old = append(d.Old, h.view(m, lang))
		}
	}
	return d
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	d := h.data(r)
	switch r.URL.Query().Get("done") {
	case "helped", "not_helped":
		d.Done = text("thanks." + r.URL.Query().Get("done")).In(h.lang(r))
	}
	h.render(w, r, http.StatusOK, d)
}

func (h *Handler) answer(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	name, canAct := h.user(r)
	if err != nil || !canAct {
		http.NotFound(w, r)
		return
	}
	ans := r.PostFormValue("answer")
	if ans != protocol.ReceiptHelped && ans != protocol.ReceiptNotHelped {
		d := h.data(r)
		d.Error = text("err.answer").In(h.lang(r))
		h.render(w, r, http.StatusBadRequest, d)
		return
	}
	if err := h.in.Answer(id, ans == protocol.ReceiptHelped, r.PostFormValue("note"), name); err != nil {
		d := h.data(r)
		d.Error = text("err.unknown").In(h.lang(r))
		h.render(w, r, http.StatusNotFound, d)
		return
	}
	http.Redirect(w, r, Prefix+"?done="+ans+"#m"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (h *Handler) file(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	path, ok := h.in.FilePath(id)
	if !ok {
		http.NotFound(w, r)
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	name := path[strings.LastIndexAny(path, `/\`)+1:]
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(data)
}

var texts = map[string]check.Text{
	"title":             check.Msg("Nachrichten vom Hersteller", "Messages from the vendor"),
	"title.col":         check.Msg("Nachricht", "Message"),
	"intro":             check.Msg("Hier erscheinen Hinweise und Anleitungen der Hotline Ihres Herstellers. Sie kommen nur über die gesicherte Verbindung dieses Standorts. Bitte sagen Sie der Hotline mit einem Klick, ob die Anleitung geholfen hat.", "Notes and runbooks from your vendor's hotline appear here. They arrive only over this site's secured connection. Please tell the hotline with one click whether the runbook helped."),
	"from":              check.Msg("von der Hotline Ihres Herstellers", "from your vendor's hotline"),
	"received":          check.Msg("erhalten", "received"),
	"until":             check.Msg("sichtbar bis", "visible until"),
	"steps":             check.Msg("So gehen Sie vor", "What to do"),
	"file":              check.Msg("Datei", "File"),
	"card.more":         check.Msg("Ganze Nachricht und Anmerkung", "Whole message and note"),
	"file.missing":      check.Msg("wird noch geladen", "still downloading"),
	"answered":          check.Msg("Ihre Antwort", "Your answer"),
	"pending":           check.Msg("Die Antwort wird übertragen, sobald die Verbindung zum Hersteller steht.", "The answer is sent as soon as the connection to the vendor is up."),
	"note":              check.Msg("Anmerkung (optional)", "Note (optional)"),
	"helped":            check.Msg("Hat geholfen", "Helped"),
	"nothelped":         check.Msg("Hilft nicht", "Did not help"),
	"none":              check.Msg("Zurzeit keine Nachricht.", "No message at the moment."),
	"old":               check.Msg("Frühere Nachrichten", "Earlier messages"),
	"thanks.helped":     check.Msg("Danke! Die Hotline sieht: Die Anleitung hat geholfen.", "Thank you! The hotline sees: the runbook helped."),
	"thanks.not_helped": check.Msg("Danke! Die Hotline sieht: Die Anleitung hilft nicht. Sie meldet sich bei Ihnen.", "Thank you! The hotline sees: the runbook did not help. They will get back to you."),
	"err.answer":        check.Msg("Bitte „Hat geholfen“ oder „Hilft nicht“ wählen.", "Please choose \"Helped\" or \"Did not help\"."),
	"err.unknown":       check.Msg("Diese Nachricht gibt es hier nicht (mehr).", "This message does not exist here (any more)."),
}

func text(key string) check.Text {
	if t, ok := texts[key]; ok {
		return t
	}
	return check.Msg(key, key)
}
