// Package webkit holds what the pages of the incident features share
// (incidents, runbook, binder, certificate calendar, drills): rendering a
// template inside the dashboard's layout (web.Server.Render), the template
// functions for German and English words, times and amounts, the request's
// user and role, a small style sheet, and redirects after a form.
//
// Templates write both languages where they are used: {{tr "Notiz"
// "Note"}}. The style sheet adds to the dashboard's (timeline, checklist,
// badges); pages link it in their body, since the layout's head is the web
// package's.
package webkit

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/web"
)

// CSSPath is where the shared style sheet is served.
const CSSPath = "/incidents/assets/incident.css"

//go:embed incident.css
var cssFS embed.FS

// Kit renders pages of one feature.
type Kit struct {
	Server   *web.Server
	Clock    clock.Clock
	Location *time.Location
	Log      *slog.Logger
}

// Base is what every page template gets.
type Base struct {
	Lang string
	CSRF string
	// User is the logged-in user's name; CanAct is true for staff and
	// admins, CanAdmin for admins.
	User     string
	CanAct   bool
	CanAdmin bool
	Now      time.Time
	CSS      string
	// Flash is a message after a form ("Gespeichert."), from the query.
	Flash string
}

// Base returns the common page data of a request.
func (k Kit) Base(r *http.Request) Base {
	b := Base{Lang: web.Lang(r), CSRF: web.CSRFToken(r), Now: k.Clock.Now(), CSS: CSSPath, Flash: flash(r)}
	if p, ok := web.User(r); ok {
		b.User = p.Name
		b.CanAct = p.Role.AtLeast(auth.RoleStaff)
		b.CanAdmin = p.Role.AtLeast(auth.RoleAdmin)
	}
	return b
}

// flash returns the known flash message named in the query ("ok=saved").
func flash(r *http.Request) string {
	switch r.URL.Query().Get("ok") {
	case "saved":
		return check.Msg("Gespeichert.", "Saved.").In(web.Lang(r))
	default:
		return ""
	}
}

// Who returns the name of the user making the request ("" when none).
func Who(r *http.Request) string {
	if p, ok := web.User(r); ok {
		return p.Name
	}
	return ""
}

// Funcs returns the template functions for a language, zone and moment.
func Funcs(lang string, loc *time.Location, now time.Time) template.FuncMap {
	return template.FuncMap{
		"tr":      func(de, en string) string { return pick(lang, de, en) },
		"text":    func(t check.Text) string { return t.In(lang) },
		"time":    func(t time.Time) string { return incident.FormatTime(t, loc, lang) },
		"timesec": func(t time.Time) string { return incident.FormatTimeSec(t, loc, lang) },
		"clock":   func(t time.Time) string { return t.In(loc).Format("15:04") },
		"date": func(t time.Time) string {
			if lang == "en" {
				return t.Format("2006-01-02")
			}
			return t.Format("02.01.2006")
		},
		"dur":   func(d time.Duration) string { return incident.FormatDuration(d).In(lang) },
		"since": func(t time.Time) string { return incident.FormatDuration(now.Sub(t)).In(lang) },
		"euro":  func(c int64) string { return incident.FormatEuro(c, lang) },
		"actor": func(a string) string { return incident.ActorWords(a).In(lang) },
		"lines": func(s string) []string { return strings.Split(s, "\n") },
		"inc":   func(i int) int { return i + 1 },
	}
}

func pick(lang, de, en string) string {
	if lang == "en" {
		return en
	}
	return de
}

// Parse parses a feature's templates with the kit's function names.
func Parse(fsys fs.FS, patterns ...string) *template.Template {
	return template.Must(template.New("").Funcs(Funcs("de", time.UTC, time.Time{})).ParseFS(fsys, patterns...))
}

// Fragment executes a template with the request's language into HTML.
func (k Kit) Fragment(r *http.Request, t *template.Template, name string, data any) (template.HTML, error) {
	tt, err := t.Clone()
	if err != nil {
		return "", err
	}
	tt.Funcs(Funcs(web.Lang(r), k.Location, k.Clock.Now()))
	var buf bytes.Buffer
	if err := tt.ExecuteTemplate(&buf, name, data); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil //nolint:gosec // produced by html/template
}

// Page renders template name inside the dashboard's layout.
func (k Kit) Page(w http.ResponseWriter, r *http.Request, title check.Text, t *template.Template, name string, data any) {
	body, err := k.Fragment(r, t, name, data)
	if err != nil {
		k.Log.Error("render page", "template", name, "path", r.URL.Path, "err", err)
		k.Server.RenderError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	k.Server.Render(w, r, title, body)
}

// Error answers a page request with the page for err.
func (k Kit) Error(w http.ResponseWriter, r *http.Request, err error) {
	k.Server.RenderError(w, r, err)
}

// Done redirects after a successful form to path with "ok=saved", so that
// reloading does not send the form again.
func Done(w http.ResponseWriter, r *http.Request, path string) {
	u, err := url.Parse(path)
	if err != nil || u.IsAbs() || !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		path = "/"
		u, _ = url.Parse(path)
	}
	q := u.Query()
	q.Set("ok", "saved")
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// ID reads a path value as a positive number; ENOTFOUND otherwise.
func ID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, incident.Errorf(incident.ENOTFOUND, "Diese Seite gibt es nicht.", "There is no such page.")
	}
	return id, nil
}

// CSS serves the shared style sheet.
func CSS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := cssFS.ReadFile("incident.css")
		if err != nil {
			http.Error(w, "missing", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b)
	})
}
