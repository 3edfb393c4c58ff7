package incident_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/pdftest"
)

// TestScenarioOutageToReport plays a simulated outage through a real
// monitor: the internet line fails and takes the Konnektor with it; staff
// note, switch to emergency mode, call the hotline, work the checklist and
// enter a cost; the line comes back; the incident closes; the export's PDF
// holds the key facts.
func TestScenarioOutageToReport(t *testing.T) {
	ctx := context.Background()
	loc := berlin(t)
	start := time.Date(2026, 3, 12, 9, 0, 0, 0, loc)
	s := newSite(t, start, nil)

	s.round()
	s.round()
	if got := s.rec.Open(); len(got) != 0 {
		t.Fatalf("open incidents while everything works: %+v", got)
	}

	// 09:01: the line fails; the Konnektor behind it fails too.
	s.fail("internet", "Verbindung abgelehnt", "connection refused")
	s.fail("konnektor", "keine Antwort", "no answer")
	s.round()
	s.round() // the second failure turns both down (fail_after 2)
	open := s.rec.Open()
	if len(open) != 1 {
		t.Fatalf("got %d open incidents; want 1 for the one root cause", len(open))
	}
	inc := open[0]
	if len(inc.RootCauses) != 1 || inc.RootCauses[0].CheckID != "internet" {
		t.Fatalf("root causes %+v; want only internet", inc.RootCauses)
	}
	if !inc.Involves("konnektor") {
		t.Fatalf("involved %v; want the Konnektor as a consequence", inc.Involved)
	}
	wantOpened := start.Add(90 * time.Second) // the fourth round
	if !inc.OpenedAt.Equal(wantOpened) {
		t.Fatalf("opened at %s; want %s", inc.OpenedAt.In(loc), wantOpened)
	}

	// Staff act.
	s.clk.Advance(2 * time.Minute)
	mustOK(t)(s.rec.Note(ctx, inc.ID, "anna", incident.NoteObservation, "Kartenterminal zeigt „keine Verbindung“."))
	s.clk.Advance(time.Minute)
	if _, err := s.rec.EmergencyMode(ctx, true, "anna", "Kasse auf Papier"); err != nil {
		t.Fatal(err)
	}
	s.clk.Advance(time.Minute)
	mustOK(t)(s.rec.HotlineCall(ctx, inc.ID, "anna", incident.HotlineCall{Whom: "Hotline Telekom", Waited: 51 * time.Minute, Outcome: "Störung im Ortsnetz, Techniker kommt"}))
	mustOK(t)(s.rec.ChecklistStep(ctx, inc.ID, "jonas", incident.StepRecord{Checklist: "netz", Step: "router-neu-starten", Phase: "network",
		ChecklistTitle: check.Msg("Netz", "Network"), Text: check.Msg("Router neu starten", "Restart the router")}))
	if _, err := s.rec.ChecklistStep(ctx, inc.ID, "jonas", incident.StepRecord{Checklist: "netz", Step: "router-neu-starten",
		ChecklistTitle: check.Msg("Netz", "Network"), Text: check.Msg("Router neu starten", "Restart the router")}); incident.ErrorCode(err) != incident.ECONFLICT {
		t.Fatalf("the same step twice: got %v; want ECONFLICT", err)
	}
	mustOK(t)(s.rec.ChecklistStep(ctx, inc.ID, "jonas", incident.StepRecord{Checklist: "netz", Step: "zweite-leitung", Phase: "network",
		ChecklistTitle: check.Msg("Netz", "Network"), Text: check.Msg("Auf die zweite Leitung umschalten", "Switch to the second line"), Skipped: true}))
	mustOK(t)(s.rec.Cost(ctx, inc.ID, "anna", "Techniker-Einsatz", 12000))
	mustOK(t)(s.rec.Note(ctx, inc.ID, "anna", incident.NoteMeasure, "E-Rezepte auf Papier notiert."))
	s.clk.Advance(40 * time.Minute)
	if _, err := s.rec.EmergencyMode(ctx, false, "anna", ""); err != nil {
		t.Fatal(err)
	}

	// The line comes back.
	s.heal("internet")
	s.heal("konnektor")
	s.round()
	s.round()
	if got := s.rec.Open(); len(got) != 0 {
		t.Fatalf("incident still open after recovery: %+v", got)
	}
	closed, err := s.st.Incident(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if closed.Open() || closed.CostCents != 12000 {
		t.Fatalf("closed incident %+v; want closed with 120.00 EUR", closed)
	}
	if _, err := s.rec.Retrospective(ctx, inc.ID, "anna", incident.Retro{WhatHappened: "Leitung im Ortsnetz gestört", WhatHelped: "Papierliste für E-Rezepte",
		Improvement: "Zweite Leitung (LTE) bestellen", Owner: "Anna Becker", Due: "2026-04-30"}); err != nil {
		t.Fatal(err)
	}

	// The timeline holds everything, in order.
	entries, err := s.st.Entries(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, string(e.Kind))
	}
	want := []string{"opened", "state", "note", "emergency_on", "hotline", "checklist_step", "checklist_step", "cost", "note",
		"emergency_off", "state", "state", "closed", "retrospective"}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Fatalf("timeline\n got %v\nwant %v", kinds, want)
	}
	for i := 1; i < len(entries); i++ {
		if entries[i].At.Before(entries[i-1].At) || entries[i].Seq <= entries[i-1].Seq {
			t.Fatalf("entry %d (%s at %s) comes before entry %d (%s at %s)", i, entries[i].Kind, entries[i].At, i-1, entries[i-1].Kind, entries[i-1].At)
		}
	}
	if e := entries[1]; e.Data["check_id"] != "konnektor" || e.Data["to"] != "down" {
		t.Fatalf("second entry %+v; want the Konnektor going down", e)
	}
	if e := entries[12]; !strings.Contains(e.Text.DE, "Dauer: 45 Minuten") {
		t.Fatalf("closing entry %q; want the duration", e.Text.DE)
	}
	ims, err := s.st.Improvements(ctx, incident.ImprovementQuery{OpenOnly: true})
	if err != nil || len(ims) != 1 || ims[0].Owner != "Anna Becker" || ims[0].Due != "2026-04-30" {
		t.Fatalf("improvements %+v, %v; want the one from the retrospective", ims, err)
	}

	// Export.
	gen := s.clk.Now()
	rep, err := incident.LoadReport(ctx, s.st, inc.ID, "Apotheke am Markt", loc, "de", gen)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Chain.OK() {
		t.Fatalf("chain not intact: %+v", rep.Chain.Problems)
	}
	seq, hash := rep.ChainHash()
	pdf, err := rep.PDF()
	if err != nil {
		t.Fatal(err)
	}
	text := pdftest.Text(t, pdf)
	flat := pdftest.Squash(text)
	for _, wantText := range []string{
		"Störungsbericht Nr. 1", "Apotheke am Markt",
		"Beginn 12.03.2026 09:01:30 CET", // start
		"Ende 12.03.2026 09:46:30 CET",   // end: two rounds after the heal
		"Dauer 45 Minuten",
		"Ursache Internetleitung (Grund: Verbindung abgelehnt)",
		"Konnektor", "E-Rezept",
		"Notbetrieb begonnen: Kasse auf Papier",
		"Wartezeit 51 Minuten",
		"Router neu starten – erledigt",
		"E-Rezepte auf Papier notiert",
		"Techniker-Einsatz", "120,00 €",
		"Papierliste für E-Rezepte", "Zweite Leitung (LTE) bestellen",
		hash,
	} {
		if !strings.Contains(flat, wantText) {
			t.Errorf("PDF text lacks %q", wantText)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("PDF text:\n%s", text)
	}
	if !strings.Contains(flat, "Hash-Kette bis Eintrag") || pdftest.Pages(text) < 1 {
		t.Errorf("PDF pages lack the chain footer")
	}

	// JSON and CSV carry the same facts.
	var jb bytes.Buffer
	if err := rep.WriteJSON(&jb); err != nil {
		t.Fatal(err)
	}
	var js struct {
		Site            string `json:"site"`
		DurationSeconds int64  `json:"duration_seconds"`
		CostTotalCents  int64  `json:"cost_total_cents"`
		Measures        []any  `json:"measures"`
		RootCauses      []struct {
			CheckID string `json:"check_id"`
		} `json:"root_causes"`
		Chain struct {
			LastSeq  int64  `json:"last_seq"`
			LastHash string `json:"last_hash"`
			Verified bool   `json:"verified"`
		} `json:"chain"`
	}
	if err := json.Unmarshal(jb.Bytes(), &js); err != nil {
		t.Fatalf("JSON export: %v\n%s", err, jb.String())
	}
	if js.Site != "Apotheke am Markt" || js.DurationSeconds != 45*60 || js.CostTotalCents != 12000 || len(js.Measures) != 5 ||
		len(js.RootCauses) != 1 || js.RootCauses[0].CheckID != "internet" || js.Chain.LastHash != hash || js.Chain.LastSeq != seq || !js.Chain.Verified {
		t.Fatalf("JSON export %+v", js)
	}
	var cb bytes.Buffer
	if err := rep.WriteCSV(&cb); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(cb.Bytes(), []byte("\uFEFF")) {
		t.Fatal("CSV without BOM: German Excel would garble the umlauts")
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(cb.Bytes(), []byte("\uFEFF"))))
	cr.Comma, cr.FieldsPerRecord = ';', -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("CSV export: %v", err)
	}
	facts := map[string]string{}
	timeline := 0
	for _, r := range rows {
		if len(r) == 2 {
			facts[r[0]] = r[1]
		}
		if len(r) == 8 && r[0] != "Nr" {
			timeline++
		}
	}
	if facts["Apotheke"] != "Apotheke am Markt" || facts["Kosten gesamt"] != "120,00 €" || facts["Hash"] != hash || timeline != len(entries) {
		t.Fatalf("CSV facts %v, %d timeline rows; want site, cost, hash and %d rows", facts, timeline, len(entries))
	}
}

func mustOK(t *testing.T) func(incident.Entry, error) {
	return func(_ incident.Entry, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}
