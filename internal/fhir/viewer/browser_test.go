package viewer_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "github.com/lifeline-project/lifeline/internal/browsertest"
	"github.com/lifeline-project/lifeline/internal/fhir"
)

// TestBrowserWardListAndPatientSummary is the ward's path through the
// viewer in a real headless Chromium: log in, open the own ward from the
// overview, read the ward list, open a patient, find the allergies first
// and the Datenstand on the page, switch to English, and print.
func TestBrowserWardListAndPatientSummary(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext missing: run `make test`, which installs Debian's poppler-utils")
	}
	s := newSite(t, siteOptions{})
	keys := s.patientsOn(s.wardA)
	first := keys[0]
	rec, err := s.env.DB.Record(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	sum := fhir.Summarize(rec, s.env.Clock.Now())
	bctx := bt.New(t, 1280, 900)
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()

	err = chromedp.Do(ctx,
		chromedp.Navigate(s.srv.URL+"/login?next=/hospital"),
		chromedp.WaitVisible(`input[name="user"]`),
		chromedp.SendKeys(`input[name="user"]`, nurse),
		chromedp.SendKeys(`input[name="password"]`, nurse+"-passwort"),
		chromedp.Click(`#login`),
		chromedp.WaitVisible(`#hv-overview`),
	)
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	stand, _ := chromedp.Run(ctx, chromedp.Text(`#datenstand`))
	if !strings.Contains(stand, "Datenstand: heute 10:30 (3 Minuten alt)") {
		t.Errorf("overview Datenstand: %q", stand)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(`a.hv-ward[data-ward="`+s.wardA.ID+`"]`),
		chromedp.WaitVisible(`#hv-ward-list`),
	)
	if err != nil {
		t.Fatalf("open the ward: %v", err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#hv-ward-list tbody tr').length`))
	if err != nil || rows != len(keys) {
		t.Errorf("ward list rows: %d %v; want %d", rows, err, len(keys))
	}
	firstRow, _ := chromedp.Run(ctx, chromedp.Text(`#hv-ward-list tbody tr:first-child`))
	if !strings.Contains(firstRow, rec.Patient.Name()) {
		t.Errorf("first row %q; want %s", firstRow, rec.Patient.Name())
	}
	stand, _ = chromedp.Run(ctx, chromedp.Text(`#datenstand`))
	if !strings.Contains(stand, "Datenstand") {
		t.Errorf("ward list without Datenstand: %q", stand)
	}

	err = chromedp.Do(ctx,
		chromedp.Click(`#hv-ward-list tbody tr:first-child td.hv-name a`),
		chromedp.WaitVisible(`#hv-patient`),
	)
	if err != nil {
		t.Fatalf("open the patient: %v", err)
	}
	name, _ := chromedp.Run(ctx, chromedp.Text(`#hv-patient-name`))
	if !strings.HasPrefix(name, rec.Patient.Name()) {
		t.Errorf("patient name %q; want %q", name, rec.Patient.Name())
	}
	firstSection, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#hv-patient section').id`))
	if firstSection != "allergies" {
		t.Errorf("first section of the summary: %q; want allergies", firstSection)
	}
	// The viewer's style sheet is loaded under the site's CSP: the
	// allergy box has its thick border and large type.
	border, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('#allergies')).borderTopWidth`))
	if border == "0px" || border == "" {
		t.Errorf("allergy box border %q; the viewer's CSS did not load", border)
	}
	allergies, _ := chromedp.Run(ctx, chromedp.Text(`#allergies`))
	switch sum.AllergyState {
	case fhir.AllergiesRecorded:
		if !strings.Contains(allergies, sum.Allergies[0].Code.Text) {
			t.Errorf("allergy box %q lacks %s", allergies, sum.Allergies[0].Code.Text)
		}
	default:
		if !strings.Contains(allergies, "Allergien") {
			t.Errorf("allergy box %q", allergies)
		}
	}
	meds, _ := chromedp.Run(ctx, chromedp.Text(`#medications`))
	for _, m := range sum.Medications {
		if !strings.Contains(meds, m.Medication) {
			t.Errorf("medication section lacks %s", m.Medication)
		}
	}
	stands, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.hv-stand').length`))
	if stands != 2 {
		t.Errorf("Datenstand lines on the summary: %d; want 2", stands)
	}

	// Print: the browser's print-out holds the summary without the site's
	// navigation.
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
	if err != nil {
		t.Fatalf("print to PDF: %v", err)
	}
	f := filepath.Join(t.TempDir(), "summary.pdf")
	os.WriteFile(f, pdf, 0o600)
	out, err := exec.Command(pdftotext, f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	printed := string(out)
	for _, want := range []string{rec.Patient.Family, "Allergien und Unverträglichkeiten", "Datenstand: heute 10:30", "Aktuelle Medikation"} {
		if !strings.Contains(printed, want) {
			t.Errorf("print-out lacks %q", want)
		}
	}
	if strings.Contains(printed, "Abmelden") || strings.Contains(printed, "Suchen") {
		t.Error("print-out shows the navigation or the search form")
	}

	// English.
	if err := chromedp.Do(ctx, chromedp.Click(`#lang-switch`)); err != nil {
		t.Fatalf("switch to English: %v", err)
	}
	// The click navigates; polls during the navigation fail and are
	// repeated.
	english := false
	for i := 0; i < 100 && !english; i++ {
		english, _ = chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('#allergies h2') && document.querySelector('#allergies h2').innerText.includes('Allergies')`))
		if !english {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !english {
		t.Fatal("the page did not switch to English")
	}
	stand, _ = chromedp.Run(ctx, chromedp.Text(`#datenstand`))
	if !strings.Contains(stand, "Data as of: today 10:30") {
		t.Errorf("English Datenstand: %q", stand)
	}
	if path := os.Getenv("LIFELINE_SCREENSHOT_HOSPITAL"); path != "" {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(path, png, 0o644)
		}
	}
	// Every view was logged: the ward list, the patient (twice: German
	// and English) and the print-out's page is the same view.
	log := s.logOf(nurse)
	views := 0
	for _, e := range log {
		if e.Action == fhir.ActionPatient && e.Patient == first {
			views++
		}
	}
	if views != 2 {
		t.Errorf("patient views logged: %d; want 2 (German and English)", views)
	}
}
