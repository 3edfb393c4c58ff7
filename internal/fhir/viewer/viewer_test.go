package viewer_test

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirdb"
)

func TestEveryPageNeedsALogin(t *testing.T) {
	s := newSite(t, siteOptions{})
	anon := s.anonymous()
	k := s.patientsOn(s.wardA)[0].String()
	for _, p := range []string{"/hospital", "/hospital/wards/" + s.wardA.ID, "/hospital/wards/" + s.wardA.ID + "/print",
		"/hospital/wards/" + s.wardA.ID + "/pdf", "/hospital/patients/" + k, "/hospital/search?q=a",
		"/hospital/admin/access", "/hospital/admin/log", "/hospital/assets/viewer.css"} {
		if r := anon.get(p); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
			t.Errorf("GET %s without login: %d %s; want a redirect to the login", p, r.status, r.header.Get("Location"))
		}
	}
	if r := anon.post("/hospital/admin/access", url.Values{"user": {nurse}}); r.status != http.StatusSeeOther {
		t.Errorf("POST without login: %d", r.status)
	}
}

func TestWardListShowsOnlyOwnWardsAndLogsEveryPatient(t *testing.T) {
	s := newSite(t, siteOptions{})
	c := s.login(nurse)
	ov := c.get("/hospital")
	if ov.status != http.StatusOK {
		t.Fatalf("overview: %d", ov.status)
	}
	contains(t, "overview", ov.body, "Datenstand: heute 10:30 (3 Minuten alt)", html.EscapeString(s.wardA.Name), `href="/hospital/wards/`+s.wardA.ID+`"`)
	if strings.Contains(ov.body, `/hospital/wards/`+s.wardB.ID+`"`) {
		t.Error("the overview links a ward not assigned to the nurse")
	}
	wl := c.get("/hospital/wards/" + s.wardA.ID)
	if wl.status != http.StatusOK {
		t.Fatalf("own ward: %d\n%s", wl.status, wl.body)
	}
	contains(t, "ward list", wl.body, "Datenstand: heute 10:30", "Allergien", "Zimmer ")
	keys := s.patientsOn(s.wardA)
	for _, k := range keys {
		rec, err := s.env.DB.Record(context.Background(), k, fhir.TypePatient)
		if err != nil {
			t.Fatal(err)
		}
		contains(t, "ward list", wl.body, html.EscapeString(rec.Patient.Name()), "/hospital/patients/"+k.String())
	}
	log := s.logOf(nurse)
	if len(log) != len(keys) {
		t.Fatalf("access log after the ward list: %d entries; want one per patient (%d)", len(log), len(keys))
	}
	for _, e := range log {
		if e.Action != fhir.ActionWardList || e.Ward != s.wardA.ID || e.Role != "staff" || !e.At.Equal(s.env.Clock.Now()) {
			t.Errorf("log entry %+v", e)
		}
	}

	// Another ward and its patients are refused, and the attempt recorded.
	if r := c.get("/hospital/wards/" + s.wardB.ID); r.status != http.StatusForbidden || !strings.Contains(r.body, "nicht zugeordnet") {
		t.Errorf("foreign ward: %d; want 403 with a sentence", r.status)
	}
	other := s.patientsOn(s.wardB)[0]
	r := c.get("/hospital/patients/" + other.String())
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "protokolliert") {
		t.Errorf("patient of a foreign ward: %d; want 403", r.status)
	}
	recB, _ := s.env.DB.Record(context.Background(), other, fhir.TypePatient)
	if strings.Contains(r.body, html.EscapeString(recB.Patient.Name())) {
		t.Error("the refusal shows the patient's name")
	}
	if l := s.logOf(nurse); l[0].Action != fhir.ActionDenied || l[0].Patient != other {
		t.Errorf("refused view not logged: %+v", l[0])
	}

	// Admins see everything; a user without wards is told why.
	if r := s.login(admin).get("/hospital/wards/" + s.wardB.ID); r.status != http.StatusOK {
		t.Errorf("admin on ward B: %d", r.status)
	}
	if r := s.login(doctor).get("/hospital/patients/" + other.String()); r.status != http.StatusOK {
		t.Errorf("doctor with all wards: %d", r.status)
	}
	g := s.login(guest).get("/hospital")
	contains(t, "guest overview", g.body, "Ihnen ist keine Station zugeordnet")
}

func TestPatientSummary(t *testing.T) {
	s := newSite(t, siteOptions{})
	c := s.login(nurse)
	k := s.patientsOn(s.wardA)[0]
	rec, err := s.env.DB.Record(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	sum := fhir.Summarize(rec, s.env.Clock.Now())
	p := c.get("/hospital/patients/" + k.String())
	if p.status != http.StatusOK {
		t.Fatalf("summary: %d\n%s", p.status, p.body)
	}
	b := p.body
	if p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q; patient pages must not be cached", p.header.Get("Cache-Control"))
	}
	order := []string{`id="hv-patient-name"`, `id="allergies"`, `id="medications"`, `id="administrations"`, `id="problems"`,
		`id="vitals"`, `id="labs"`, `id="procedures"`, `id="documents"`}
	last := -1
	for _, o := range order {
		i := strings.Index(b, o)
		if i < 0 || i < last {
			t.Errorf("%s at %d; want after %d (allergies first, then medication, problems, vitals, labs, procedures)", o, i, last)
		}
		last = i
	}
	if n := strings.Count(b, "Datenstand: heute 10:30 (3 Minuten alt)"); n != 2 {
		t.Errorf("Datenstand shown %d times; want at the top and the bottom", n)
	}
	contains(t, "summary", b, html.EscapeString(rec.Patient.Name()), rec.Patient.BirthDate.Format("de", time.UTC))
	for _, m := range sum.Medications {
		contains(t, "summary", b, html.EscapeString(m.Medication))
	}
	for _, v := range sum.Vitals {
		contains(t, "summary", b, html.EscapeString(v.Latest.Code.Text))
	}
	for _, l := range sum.Labs {
		contains(t, "summary", b, html.EscapeString(l.Latest.Code.Text))
	}
	switch sum.AllergyState {
	case fhir.AllergiesRecorded:
		contains(t, "summary", b, html.EscapeString(sum.Allergies[0].Code.Text))
	case fhir.AllergiesNotRecorded:
		contains(t, "summary", b, "Keine Allergien erfasst")
	}
	if l := s.logOf(nurse); len(l) != 1 || l[0].Action != fhir.ActionPatient || l[0].Patient != k {
		t.Errorf("access log: %+v; want the one patient view", l)
	}
	// English on request.
	u, _ := url.Parse(s.srv.URL)
	c.c.Jar.SetCookies(u, []*http.Cookie{{Name: "lifeline_lang", Value: "en", Path: "/"}})
	en := c.get("/hospital/patients/" + k.String()).body
	contains(t, "English summary", en, "Allergies and intolerances", "Current medication", "Data as of: today 10:30 (3 minutes old)")
}

func TestSearch(t *testing.T) {
	s := newSite(t, siteOptions{})
	ctx := context.Background()
	own := s.patientsOn(s.wardA)[0]
	rec, _ := s.env.DB.Record(ctx, own, fhir.TypePatient)
	foreign := s.patientsOn(s.wardB)[0]
	frec, _ := s.env.DB.Record(ctx, foreign, fhir.TypePatient)
	c := s.login(nurse)
	tests := []struct{ name, q string }{
		{"family name", rec.Patient.Family},
		{"prefix of the given name", rec.Patient.Given[0][:4]},
		{"date of birth and name", rec.Patient.BirthDate.Format("de", time.UTC) + " " + rec.Patient.Family},
		{"record number", rec.Patient.RecordNumber()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.get("/hospital/search?q=" + url.QueryEscape(tt.q))
			if r.status != http.StatusOK || !strings.Contains(r.body, "/hospital/patients/"+own.String()) {
				t.Errorf("search %q: %d; want a link to the patient", tt.q, r.status)
			}
		})
	}
	r := c.get("/hospital/search?q=" + url.QueryEscape(frec.Patient.Family))
	if strings.Contains(r.body, foreign.String()) || !strings.Contains(r.body, "Weitere Treffer liegen auf Stationen") {
		t.Error("search shows a patient of a foreign ward, or does not say that there are more")
	}
	if r := c.get("/hospital/search?q=Niemand"); !strings.Contains(r.body, "Kein Patient gefunden") {
		t.Error("no hit without saying so")
	}
	log := s.logOf(nurse)
	if log[0].Action != fhir.ActionSearch || log[0].Detail != "Niemand" || !log[0].Patient.IsZero() {
		t.Errorf("last search logged as %+v", log[0])
	}
	if bytesIn(t, s.env.DB.AccessPath(), "Niemand") {
		t.Error("a search query is readable in the database")
	}
}

func bytesIn(t *testing.T, db, s string) bool {
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(db + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if strings.Contains(string(b), s) {
			return true
		}
	}
	return false
}

func TestSessionsExpire(t *testing.T) {
	s := newSite(t, siteOptions{})
	c := s.login(nurse)
	if r := c.get("/hospital"); r.status != http.StatusOK {
		t.Fatalf("fresh session: %d", r.status)
	}
	s.env.Clock.Advance(13 * time.Hour)
	if r := c.get("/hospital"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Errorf("after 13 idle hours: %d %s; want the login", r.status, r.header.Get("Location"))
	}
}

func TestWardAssignmentByAdmin(t *testing.T) {
	s := newSite(t, siteOptions{})
	a := s.login(admin)
	page := a.get("/hospital/admin/access")
	contains(t, "access page", page.body, `data-user="pflege1"`, html.EscapeString(s.wardB.Name))
	if r := a.post("/hospital/admin/access", url.Values{"user": {nurse}, "ward": {s.wardA.ID, s.wardB.ID}}); r.status != http.StatusForbidden {
		t.Errorf("POST without CSRF: %d; want 403", r.status)
	}
	r := a.post("/hospital/admin/access", url.Values{"csrf": {a.csrf()}, "user": {nurse}, "ward": {s.wardA.ID, s.wardB.ID}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.status, r.body)
	}
	if r := s.login(nurse).get("/hospital/wards/" + s.wardB.ID); r.status != http.StatusOK {
		t.Errorf("ward B after the assignment: %d", r.status)
	}
	n := s.login(nurse)
	if r := n.post("/hospital/admin/access", url.Values{"csrf": {n.csrf()}, "user": {nurse}, "all": {"1"}}); r.status != http.StatusForbidden {
		t.Errorf("staff changing wards: %d; want 403", r.status)
	}
	logPage := a.get("/hospital/admin/log")
	contains(t, "access log page", logPage.body, "pflege1", "Stationsliste")
}

// failingLog is the copy with an access log that cannot be written (a
// full disk): the viewer must then show no patient data.
type failingLog struct{ *fhirdb.DB }

func (failingLog) LogAccess(context.Context, ...fhir.AccessEntry) error {
	return errors.New("disk full")
}

func TestNoPatientDataWithoutAccessLog(t *testing.T) {
	s2 := newSite(t, siteOptions{access: func(db *fhirdb.DB) fhir.Access { return failingLog{db} }})
	c := s2.login(doctor)
	k := s2.patientsOn(s2.wardA)[0]
	rec, _ := s2.env.DB.Record(context.Background(), k, fhir.TypePatient)
	for _, p := range []string{"/hospital/patients/" + k.String(), "/hospital/wards/" + s2.wardA.ID, "/hospital/search?q=" + url.QueryEscape(rec.Patient.Family)} {
		r := c.get(p)
		if r.status != http.StatusInternalServerError || strings.Contains(r.body, html.EscapeString(rec.Patient.Name())) ||
			!strings.Contains(r.body, "nicht protokolliert") {
			t.Errorf("GET %s with a broken access log: %d; want 500, the reason and no patient data", p, r.status)
		}
	}
}

func TestPDFFromTheViewer(t *testing.T) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext missing: run `make test`, which installs Debian's poppler-utils")
	}
	s := newSite(t, siteOptions{})
	c := s.login(nurse)
	r := c.get("/hospital/wards/" + s.wardA.ID + "/pdf?list=meds")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("PDF: %d %s", r.status, r.header.Get("Content-Type"))
	}
	f := filepath.Join(t.TempDir(), "m.pdf")
	os.WriteFile(f, []byte(r.body), 0o600)
	out, err := exec.Command(bin, "-layout", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := s.env.DB.Record(context.Background(), s.patientsOn(s.wardA)[0], fhir.TypePatient)
	contains(t, "PDF", string(out), "Medikationsliste", "Datenstand: heute 10:30", rec.Patient.Family)
	if l := s.logOf(nurse); len(l) == 0 || l[0].Action != fhir.ActionPrint || l[0].Detail != "PDF Medikation" {
		t.Errorf("PDF not logged as a print: %+v", l)
	}
	// The HTML print view: ward list and medication list with the
	// Datenstand and the print time.
	pv := c.get("/hospital/wards/" + s.wardA.ID + "/print")
	if pv.status != http.StatusOK {
		t.Fatalf("print view: %d", pv.status)
	}
	sum := fhir.Summarize(mustRecord(t, s, s.patientsOn(s.wardA)[0]), s.env.Clock.Now())
	contains(t, "print view", pv.body, "Datenstand: heute 10:30 (3 Minuten alt)", "Gedruckt: 03.02.2026 10:33", "Aktuelle Medikation",
		html.EscapeString(rec.Patient.Name()), "Vertraulich")
	for _, m := range sum.Medications {
		contains(t, "print view", pv.body, html.EscapeString(m.Medication))
	}
	if l := s.logOf(nurse); l[0].Action != fhir.ActionPrint || l[0].Detail != "print view" {
		t.Errorf("print view not logged: %+v", l[0])
	}
}

func mustRecord(t *testing.T, s *site, k fhir.Key) *fhir.Record {
	t.Helper()
	rec, err := s.env.DB.Record(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}
