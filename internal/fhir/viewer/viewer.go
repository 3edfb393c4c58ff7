// Package viewer is the web side of the hospital downtime copy: ward
// lists of current inpatients, a patient summary with allergies first,
// search by name, date of birth or record number, print views and PDFs,
// and for administrators the wards of users and the access log. German by
// default, English on the switch of the site's layout; large type and
// print-friendly pages; "Datenstand" on every page.
//
// Security: every page needs a login (mounted with web.Server.HandlePage),
// administrators see every ward, other users only the wards assigned to
// them here (or "*", all); every view of patient data is written to the
// access log with who and when before the data is shown, and when the log
// cannot be written nothing is shown.
//
// Routes (Prefix defaults to /hospital):
//
//	GET  Prefix                          wards and search (viewer)
//	GET  Prefix/wards/{ward}             ward list (viewer)
//	GET  Prefix/wards/{ward}/print       print view: ward list and medication (viewer)
//	GET  Prefix/wards/{ward}/pdf?list=   PDF ward or medication list (viewer)
//	GET  Prefix/patients/{key}           patient summary (viewer)
//	GET  Prefix/search?q=                search (viewer)
//	GET  Prefix/admin/access             wards of users (admin)
//	POST Prefix/admin/access             set the wards of a user (admin)
//	GET  Prefix/admin/log                access log (admin)
//	GET  Prefix/assets/{file}            the viewer's CSS and JavaScript (viewer)
package viewer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fhir"
)

//go:embed templates/*.html assets/*
var files embed.FS

// DefaultPrefix is where the viewer is mounted.
const DefaultPrefix = "/hospital"

// Hooks connect the viewer to the site's web server (package web).
type Hooks struct {
	// Render writes body inside the site's layout (web.Server.Render).
	Render func(w http.ResponseWriter, r *http.Request, title check.Text, body template.HTML)
	// Lang returns the request's language (web.Lang).
	Lang func(r *http.Request) string
	// User returns the logged-in user (web.User).
	User func(r *http.Request) (auth.Principal, bool)
	// CSRF returns the session's CSRF token (web.CSRFToken).
	CSRF func(r *http.Request) string
}

// Mounter is where the viewer registers its pages: *web.Server.
type Mounter interface {
	HandlePage(pattern string, minRole auth.Role, h http.Handler)
	AddNav(path string, title check.Text, minRole auth.Role)
}

// Options configure the viewer.
type Options struct {
	Reader fhir.Reader
	Access fhir.Access
	Hooks  Hooks
	// Users lists the site's user names for the ward assignment page
	// (from auth.Service.Users).
	Users func(ctx context.Context) ([]string, error)
	// MaxAge is the age past which the copy is shown as out of date.
	MaxAge   time.Duration
	Site     string
	Location *time.Location
	Clock    clock.Clock
	Log      *slog.Logger
	Prefix   string
}

// allergyArgs and obsArgs feed the shared templates "allergycell" and
// "obstable".
type allergyArgs struct {
	L            tr
	AllergyState string
	Allergies    []allergyView
}

type obsArgs struct {
	L    tr
	Rows []obsView
}

// Viewer serves the pages.
type Viewer struct {
	o     Options
	tmpl  *template.Template
	words map[string]check.Text
	asset string
}

// New parses the templates.
func New(o Options) (*Viewer, error) {
	if o.Reader == nil || o.Access == nil || o.Hooks.Render == nil || o.Hooks.Lang == nil || o.Hooks.User == nil || o.Hooks.CSRF == nil {
		return nil, errors.New("viewer: reader, access log and all hooks are required")
	}
	if o.Users == nil {
		o.Users = func(context.Context) ([]string, error) { return nil, nil }
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 3 * fhir.DefaultInterval
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	t, err := template.New("").Funcs(template.FuncMap{
		"allergyArgs": func(l tr, state string, list []allergyView) allergyArgs {
			return allergyArgs{L: l, AllergyState: state, Allergies: list}
		},
		"obsArgs": func(l tr, rows []obsView) obsArgs { return obsArgs{L: l, Rows: rows} },
	}).ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("viewer: parse templates: %w", err)
	}
	h := sha256.New()
	fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := files.ReadFile(p)
			h.Write(b)
		}
		return nil
	})
	return &Viewer{o: o, tmpl: t, words: texts(), asset: hex.EncodeToString(h.Sum(nil))[:10]}, nil
}

// Mount registers the pages and the navigation link.
func (v *Viewer) Mount(m Mounter) {
	p := v.o.Prefix
	m.HandlePage("GET "+p, auth.RoleViewer, http.HandlerFunc(v.overview))
	m.HandlePage("GET "+p+"/wards/{ward}", auth.RoleViewer, http.HandlerFunc(v.ward))
	m.HandlePage("GET "+p+"/wards/{ward}/print", auth.RoleViewer, http.HandlerFunc(v.printView))
	m.HandlePage("GET "+p+"/wards/{ward}/pdf", auth.RoleViewer, http.HandlerFunc(v.pdf))
	m.HandlePage("GET "+p+"/patients/{key}", auth.RoleViewer, http.HandlerFunc(v.patient))
	m.HandlePage("GET "+p+"/search", auth.RoleViewer, http.HandlerFunc(v.search))
	m.HandlePage("GET "+p+"/admin/access", auth.RoleAdmin, http.HandlerFunc(v.accessPage))
	m.HandlePage("POST "+p+"/admin/access", auth.RoleAdmin, http.HandlerFunc(v.accessSave))
	m.HandlePage("GET "+p+"/admin/log", auth.RoleAdmin, http.HandlerFunc(v.logPage))
	m.HandlePage("GET "+p+"/assets/{file}", auth.RoleViewer, http.HandlerFunc(v.assets))
	m.AddNav(p, check.Msg("Stationen (Notfallansicht)", "Wards (downtime view)"), auth.RoleViewer)
}

func (v *Viewer) tr(r *http.Request) tr {
	return tr{lang: v.o.Hooks.Lang(r), loc: v.o.Location, m: v.words}
}

// base is what every page template gets.
type base struct {
	L      tr
	Prefix string
	Asset  string
	CSRF   string
	Fresh  fhir.Freshness
	Stand  string
	Admin  bool
	Query  string
}

func (v *Viewer) base(r *http.Request, st fhir.SyncState) base {
	p, _ := v.o.Hooks.User(r)
	f := fhir.FreshnessOf(st, v.o.Clock.Now(), v.o.MaxAge, v.o.Location)
	return base{L: v.tr(r), Prefix: v.o.Prefix, Asset: v.asset, CSRF: v.o.Hooks.CSRF(r), Fresh: f,
		Stand: f.Line.In(v.o.Hooks.Lang(r)), Admin: p.Role.AtLeast(auth.RoleAdmin)}
}

// page renders template name inside the site's layout.
func (v *Viewer) page(w http.ResponseWriter, r *http.Request, title check.Text, name string, data any) {
	var b bytes.Buffer
	if err := v.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		v.o.Log.Error("viewer: render", "template", name, "err", err)
		v.fail(w, r, err)
		return
	}
	v.o.Hooks.Render(w, r, title, template.HTML(b.String())) //nolint:gosec // produced by html/template
}

// fail answers with an error page in the site's layout. The status comes
// from the error's code.
func (v *Viewer) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	msg := check.Msg("Die Klinik-Kopie ist gerade nicht lesbar. Bitte erneut versuchen; bleibt es so, die IT rufen.",
		"The hospital copy cannot be read right now. Try again; if it stays so, call IT.")
	var fe *fhir.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fhir.ENOTFOUND:
			status = http.StatusNotFound
		case fhir.EFORBIDDEN:
			status = http.StatusForbidden
		case fhir.EINVALID:
			status = http.StatusBadRequest
		}
		if !fe.Message.IsZero() {
			msg = fe.Message
		}
	}
	if status == http.StatusInternalServerError {
		v.o.Log.Error("viewer: request failed", "path", r.URL.Path, "err", err)
	}
	var b bytes.Buffer
	v.tmpl.ExecuteTemplate(&b, "error", struct {
		L       tr
		Message string
		Prefix  string
	}{v.tr(r), msg.In(v.o.Hooks.Lang(r)), v.o.Prefix})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	v.o.Hooks.Render(statusKept{w}, r, check.Msg("Klinik-Notfallansicht", "Hospital downtime view"), template.HTML(b.String())) //nolint:gosec
}

// statusKept ignores the second WriteHeader of Render, so fail's status
// stays.
type statusKept struct{ http.ResponseWriter }

// WriteHeader does nothing: the status is already written.
func (s statusKept) WriteHeader(int) {}

func (v *Viewer) assets(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := files.ReadFile("assets/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	switch {
	case len(name) > 4 && name[len(name)-4:] == ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case len(name) > 3 && name[len(name)-3:] == ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Write(b)
}
