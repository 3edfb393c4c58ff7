package incidentcli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/cli/incidentcli"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/incidentsql"
	"github.com/lifeline-project/lifeline/internal/incident/pdftest"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

// record writes a closed incident into a real site database in dir, as
// the running site does, and returns its last hash.
func record(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "site.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	loc, _ := time.LoadLocation("Europe/Berlin")
	clk := clock.NewFake(time.Date(2026, 10, 25, 1, 50, 0, 0, loc))
	rec, err := incident.NewRecorder(ctx, incident.Options{Store: incidentsql.NewStore(db), Location: loc, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	down := monitor.Overview{At: clk.Now(), RootCauses: []string{"erp"}, Checks: []monitor.CheckStatus{
		{ID: "erp", Name: "Warenwirtschaft", State: check.StateDown, Since: clk.Now(), Message: check.Msg("keine Antwort", "no answer")}}}
	rec.Observe(check.Transition{CheckID: "erp", From: check.StateOK, To: check.StateDown, At: clk.Now()}, down)
	clk.Advance(90 * time.Minute) // through the hour that happens twice
	if _, err := rec.Note(ctx, 1, "anna", incident.NoteMeasure, "Papierliste geführt"); err != nil {
		t.Fatal(err)
	}
	up := monitor.Overview{At: clk.Now(), Checks: []monitor.CheckStatus{{ID: "erp", Name: "Warenwirtschaft", State: check.StateOK, Since: clk.Now()}}}
	rec.Observe(check.Transition{CheckID: "erp", From: check.StateDown, To: check.StateOK, At: clk.Now()}, up)
	incs, err := incidentsql.NewStore(db).Incidents(ctx, incident.Query{})
	if err != nil || len(incs) != 1 || incs[0].Open() {
		t.Fatalf("incidents %+v %v; want one closed", incs, err)
	}
	return incs[0].LastHash
}

func TestVerifyAndExport(t *testing.T) {
	dir := t.TempDir()
	hash := record(t, dir)
	loc, _ := time.LoadLocation("Europe/Berlin")
	env := incidentcli.Env{DataDir: dir, SiteName: "Apotheke am Markt", Location: loc, Clock: clock.NewFake(time.Date(2026, 10, 26, 9, 0, 0, 0, loc))}

	var out, errOut bytes.Buffer
	if code := incidentcli.Verify(nil, env, &out, &errOut); code != 0 || !strings.Contains(out.String(), "Kette in Ordnung: 4 Einträge in 1 Störung(en)") || !strings.Contains(out.String(), hash) {
		t.Fatalf("verify: %d\n%s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := incidentcli.List(nil, env, &out, &errOut); code != 0 || !strings.Contains(out.String(), "1  25.10.2026 01:50 – 25.10.2026 02:20  (1 Stunde 30 Minuten)  Warenwirtschaft ausgefallen") {
		t.Fatalf("list: %d\n%s", code, out.String())
	}

	pdfFile := filepath.Join(dir, "bericht.pdf")
	if code := incidentcli.Export([]string{"--id", "1", "--format", "pdf", "--out", pdfFile}, env, &out, &errOut); code != 0 {
		t.Fatalf("export pdf: %d\n%s", code, errOut.String())
	}
	b, err := os.ReadFile(pdfFile)
	if err != nil {
		t.Fatal(err)
	}
	text := pdftest.Squash(pdftest.Text(t, b))
	for _, want := range []string{"Apotheke am Markt", "Beginn 25.10.2026 01:50:00 CEST", "Ende 25.10.2026 02:20:00 CET", "Dauer 1 Stunde 30 Minuten", "Papierliste geführt", hash} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	out.Reset()
	if code := incidentcli.Export([]string{"--id", "1", "--format", "json"}, env, &out, &errOut); code != 0 {
		t.Fatalf("export json: %d", code)
	}
	var js struct {
		DurationSeconds int64 `json:"duration_seconds"`
	}
	if err := json.Unmarshal(out.Bytes(), &js); err != nil || js.DurationSeconds != 5400 {
		t.Fatalf("JSON: %v %s", err, out.String())
	}
	for _, bad := range [][]string{{"--id", "7", "--format", "pdf"}, {"--format", "pdf"}, {"--id", "1", "--format", "docx"}} {
		if code := incidentcli.Export(bad, env, &out, &errOut); code != 2 {
			t.Errorf("export %v: %d; want 2", bad, code)
		}
	}

	// Somebody edits the database by hand: verify says so and exits 1.
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "site.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER incident_entries_no_update`, `UPDATE incident_entries SET text_de = 'Maßnahme: nichts' WHERE seq = 2`} {
		if _, err := db.W.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	out.Reset()
	if code := incidentcli.Verify(nil, env, &out, &errOut); code != 1 || !strings.Contains(out.String(), "Eintrag/entry 2") || !strings.Contains(out.String(), "verändert") {
		t.Fatalf("verify after tampering: %d\n%s", code, out.String())
	}
	if code := incidentcli.Verify(nil, incidentcli.Env{DataDir: filepath.Join(dir, "gibt-es-nicht")}, &out, &errOut); code != 2 {
		t.Fatalf("verify without a database: %d; want 2", code)
	}
}
