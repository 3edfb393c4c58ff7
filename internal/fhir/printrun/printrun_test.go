package printrun_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirtest"
	"github.com/lifeline-project/lifeline/internal/fhir/gen"
	"github.com/lifeline-project/lifeline/internal/fhir/printrun"
)

// pdfText extracts the text of a PDF with poppler's pdftotext, page by
// page.
func pdfText(t *testing.T, file string) []string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext missing: run `make test`, which installs Debian's poppler-utils")
	}
	out, err := exec.Command(bin, "-layout", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", file, err)
	}
	pages := strings.Split(strings.TrimRight(string(out), "\f\n"), "\f")
	return pages
}

func runner(t *testing.T, e *fhirtest.Env, cfg fhir.PrintConfig) *printrun.Runner {
	t.Helper()
	loc, _ := time.LoadLocation("Europe/Berlin")
	r, err := printrun.New(printrun.Options{Reader: e.DB, Access: e.DB, Config: cfg, MaxAge: 15 * time.Minute,
		Site: "Klinikum Test", Location: loc, Clock: e.Clock})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPrintRunWritesWardAndMedicationLists(t *testing.T) {
	e := fhirtest.New(t, fhirtest.Options{})
	ctx := context.Background()
	r := runner(t, e, fhir.PrintConfig{Folders: []string{filepath.Join(t.TempDir(), "lokal"), filepath.Join(t.TempDir(), "share")}})
	if _, err := r.RunOnce(ctx); !errors.Is(err, printrun.ErrNoCopy) {
		t.Fatalf("a print run before the first copy: %v; want ErrNoCopy", err)
	}
	e.Sync()
	e.Clock.Advance(3 * time.Minute)
	res, err := r.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	census, _ := fhir.CensusOf(ctx, e.DB)
	occupied := 0
	for _, w := range census.Wards {
		if w.Patients > 0 {
			occupied++
		}
	}
	if res.Wards != occupied || res.Patients != 10 || len(res.Files) != occupied*2*2 {
		t.Fatalf("result: %d wards, %d patients, %d files; want %d wards, 10 patients, 2 lists × 2 folders each", res.Wards, res.Patients, len(res.Files), occupied)
	}
	var all strings.Builder
	for _, f := range res.Files {
		if !strings.HasSuffix(f, ".pdf") {
			t.Errorf("file %s", f)
		}
		for i, page := range pdfText(t, f) {
			if !strings.Contains(page, "Datenstand: heute 10:30 (3 Minuten alt)") || !strings.Contains(page, "Gedruckt: 03.02.2026 10:33") {
				t.Errorf("%s page %d lacks the Datenstand and print date:\n%s", filepath.Base(f), i+1, page)
			}
			if !strings.Contains(page, "Seite") {
				t.Errorf("%s page %d has no page number", filepath.Base(f), i+1)
			}
		}
		all.WriteString(strings.Join(pdfText(t, f), "\n"))
	}
	text := all.String()
	for _, want := range []string{"Stationsliste", "Medikationsliste", "Cummings51, Yvone889", "Penicillin (HOCH; Anaphylaxie)",
		"Pantoprazol", "keine bekannt", "Klinikum Test"} {
		if !strings.Contains(text, want) && !(want == "keine bekannt" && strings.Contains(text, "nicht erfasst")) {
			t.Errorf("print-outs lack %q", want)
		}
	}
	for _, dir := range []string{filepath.Dir(res.Files[0]), filepath.Dir(res.Files[1])} {
		entries, _ := os.ReadDir(dir)
		for _, en := range entries {
			if strings.HasPrefix(en.Name(), ".") {
				t.Errorf("temporary file left: %s", en.Name())
			}
		}
	}
	log, err := e.DB.AccessLog(ctx, fhir.Key{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 20 || log[0].User != "printrun" || log[0].Action != fhir.ActionPrintRun || !strings.HasSuffix(log[0].Detail, ".pdf") {
		t.Errorf("access log: %d entries, first %+v; want 20 (10 patients × 2 lists) by printrun", len(log), log[0])
	}

	// An hour later without a new copy, every page warns.
	e.Clock.Advance(time.Hour)
	if _, err := r.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	for _, page := range pdfText(t, res.Files[0]) {
		if !strings.Contains(page, "ACHTUNG: Kopie veraltet") || !strings.Contains(page, "(1 Stunde alt)") {
			t.Errorf("stale copy without warning:\n%s", page)
		}
	}
}

func TestPrintRunConfiguredWardsAcrossPages(t *testing.T) {
	dir := t.TempDir()
	if _, err := gen.WriteDir(dir, gen.Options{Patients: 70, Seed: 5, Now: fhirtest.Start(), Wards: 1, BedsPerWard: 60, InpatientShare: 1}); err != nil {
		t.Fatal(err)
	}
	e := fhirtest.New(t, fhirtest.Options{Dir: dir, NoAdmit: true})
	e.Sync()
	out := t.TempDir()
	r := runner(t, e, fhir.PrintConfig{Folders: []string{out}, Wards: []string{"station 1a innere medizin", "Station 9"}})
	res, err := r.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Patients != 60 || len(res.Missing) != 1 || res.Missing[0] != "Station 9" {
		t.Fatalf("result: %+v; want the 60 patients of the full ward and Station 9 reported missing", res)
	}
	pages := pdfText(t, filepath.Join(out, "Station-1A-Innere-Medizin_Stationsliste.pdf"))
	if len(pages) < 3 {
		t.Fatalf("ward list of 60 patients has %d pages; want several", len(pages))
	}
	beds := 0
	for i, p := range pages {
		if !strings.Contains(p, "Datenstand: heute 10:30") {
			t.Errorf("page %d of %d lacks the Datenstand", i+1, len(pages))
		}
		if !strings.Contains(p, "Seite "+itoa(i+1)+" von "+itoa(len(pages))) {
			t.Errorf("page %d lacks 'Seite %d von %d'", i+1, i+1, len(pages))
		}
		beds += strings.Count(p, "Zimmer 1")
	}
	if beds != 60 {
		t.Errorf("ward list shows %d beds; want 60", beds)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestRunRepeatsEveryInterval(t *testing.T) {
	e := fhirtest.New(t, fhirtest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	loc, _ := time.LoadLocation("Europe/Berlin")
	r, err := printrun.New(printrun.Options{Reader: e.DB, Access: e.DB, Location: loc, Clock: e.Clock,
		Config: fhir.PrintConfig{Folders: []string{t.TempDir()}, Every: check.Duration(2 * time.Hour)},
		Sleep: func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			if len(waits) == 1 {
				e.Sync() // the first copy arrives while the runner waits for it
			}
			e.Clock.Advance(d)
			if len(waits) == 4 {
				cancel()
				return ctx.Err()
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	r.Run(ctx)
	want := []time.Duration{printrun.NoCopyWait, 2 * time.Hour, 2 * time.Hour, 2 * time.Hour}
	if len(waits) != len(want) || waits[0] != want[0] || waits[1] != want[1] || waits[3] != want[3] {
		t.Errorf("waits: %v; want %v (look for the copy soon, then print every 2h)", waits, want)
	}
	log, _ := e.DB.AccessLog(context.Background(), fhir.Key{}, 1000)
	if len(log) != 3*20 {
		t.Errorf("access log: %d entries; want 3 runs × 20", len(log))
	}
}

func TestFileName(t *testing.T) {
	tests := map[string]string{
		"Station 1A Innere Medizin":   "Station-1A-Innere-Medizin_Stationsliste.pdf",
		"Intensivstation (ITS) / Süd": "Intensivstation-ITS-Sued_Stationsliste.pdf",
		"../../etc":                   "etc_Stationsliste.pdf",
		"":                            "Station_Stationsliste.pdf",
	}
	for in, want := range tests {
		if got := printrun.FileName(in, "Stationsliste"); got != want {
			t.Errorf("FileName(%q) = %q; want %q", in, got, want)
		}
	}
}
