package incident_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/incident"
)

// outage records two incidents through the real monitor and returns the
// site.
func outage(t *testing.T) *site {
	t.Helper()
	ctx := context.Background()
	s := newSite(t, time.Date(2026, 10, 25, 1, 30, 0, 0, berlin(t)), nil) // across the night the clocks go back
	s.round()
	s.fail("erp", "Server antwortet nicht", "server does not answer")
	s.round()
	s.round()
	inc := s.rec.Open()[0]
	for i := 0; i < 3; i++ {
		if _, err := s.rec.Note(ctx, inc.ID, "anna", incident.NoteObservation, "Notiz "+string(rune('A'+i))); err != nil {
			t.Fatal(err)
		}
		s.clk.Advance(20 * time.Minute)
	}
	s.heal("erp")
	s.round()
	s.round()
	s.fail("usv", "Netzausfall, Akku 80 %", "on battery, 80 %")
	s.round()
	s.round()
	if len(s.rec.Open()) != 1 {
		t.Fatalf("want the second incident open")
	}
	return s
}

func TestVerifyIntactChain(t *testing.T) {
	s := outage(t)
	rep, err := incident.Verify(context.Background(), s.st)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Incidents != 2 || rep.Entries != 7 || rep.Head.Seq != rep.LastSeq {
		t.Fatalf("verify %+v; want an intact chain of 2 incidents", rep)
	}
	// The store refuses changes to entries by itself.
	if _, err := s.db.W.Exec(`UPDATE incident_entries SET text_de = 'x' WHERE seq = 2`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("update of an entry: got %v; want the append-only refusal", err)
	}
	if _, err := s.db.W.Exec(`DELETE FROM incident_entries WHERE seq = 2`); err == nil {
		t.Fatal("delete of an entry was allowed")
	}
}

// TestVerifyFindsTampering changes the stored evidence around the
// store's guards, as somebody with the database file could, and expects
// Verify to name the place.
func TestVerifyFindsTampering(t *testing.T) {
	cases := []struct {
		name    string
		sql     []string
		wantSeq int64 // 0: a problem without an entry (head, incident row)
		want    string
	}{
		{name: "changed text", sql: []string{`UPDATE incident_entries SET text_de = 'Alles war in Ordnung.' WHERE seq = 3`},
			wantSeq: 3, want: "verändert"},
		{name: "changed time", sql: []string{`UPDATE incident_entries SET at = '2026-10-25T00:59:00.000000000Z' WHERE seq = 4`},
			wantSeq: 4, want: "verändert"},
		{name: "changed actor", sql: []string{`UPDATE incident_entries SET actor = 'jonas' WHERE seq = 2`},
			wantSeq: 2, want: "verändert"},
		{name: "removed entry", sql: []string{`DELETE FROM incident_entries WHERE seq = 3`},
			wantSeq: 4, want: "fehlen"},
		{name: "removed last entries", sql: []string{`DELETE FROM incident_entries WHERE seq >= (SELECT MAX(seq) FROM incident_entries) - 1`},
			wantSeq: 0, want: "Ende der Kette fehlt"},
		{name: "inserted entry", sql: []string{`UPDATE incident_entries SET seq = seq + 100 WHERE seq >= 3`,
			`INSERT INTO incident_entries(seq, incident_id, at, kind, actor, text_de, text_en, data, ref, prev_hash, hash)
			 SELECT 3, incident_id, at, 'note', 'anna', 'Eingefügt', 'inserted', 'null', '', hash, hash FROM incident_entries WHERE seq = 2`,
			`UPDATE incident_entries SET seq = seq - 99 WHERE seq >= 103`},
			wantSeq: 3, want: "verändert"},
		{name: "changed incident start", sql: []string{`UPDATE incidents SET opened_at = '2026-10-25T00:00:00.000000000Z' WHERE id = 1`},
			wantSeq: 0, want: "Beginn der Störung 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := outage(t)
			ctx := context.Background()
			for _, q := range append([]string{`DROP TRIGGER incident_entries_no_update`, `DROP TRIGGER incident_entries_no_delete`}, tc.sql...) {
				if _, err := s.db.W.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			rep, err := incident.Verify(ctx, s.st)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatalf("verify found nothing after %q", tc.name)
			}
			found := false
			for _, p := range rep.Problems {
				if p.Seq == tc.wantSeq && strings.Contains(p.Text.DE, tc.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("problems %+v; want one at entry %d saying %q", rep.Problems, tc.wantSeq, tc.want)
			}
		})
	}
}

func TestHashCoversEveryField(t *testing.T) {
	base := incident.Entry{Seq: 5, IncidentID: 2, At: time.Date(2026, 3, 29, 1, 59, 59, 123, time.UTC), Kind: incident.KindNote,
		Actor: "anna", Text: check.Msg("de", "en"), Data: map[string]string{"a": "1"}, Ref: "r", PrevHash: "p"}
	h := incident.HashEntry(base)
	mods := map[string]func(e *incident.Entry){
		"seq":      func(e *incident.Entry) { e.Seq++ },
		"incident": func(e *incident.Entry) { e.IncidentID++ },
		"at":       func(e *incident.Entry) { e.At = e.At.Add(time.Nanosecond) },
		"kind":     func(e *incident.Entry) { e.Kind = incident.KindCost },
		"actor":    func(e *incident.Entry) { e.Actor = "jonas" },
		"text de":  func(e *incident.Entry) { e.Text.DE = "DE" },
		"text en":  func(e *incident.Entry) { e.Text.EN = "EN" },
		"data":     func(e *incident.Entry) { e.Data = map[string]string{"a": "2"} },
		"ref":      func(e *incident.Entry) { e.Ref = "s" },
		"prev":     func(e *incident.Entry) { e.PrevHash = "q" },
	}
	for name, mod := range mods {
		e := base
		e.Data = map[string]string{"a": "1"}
		mod(&e)
		if incident.HashEntry(e) == h {
			t.Errorf("changing %s keeps the hash", name)
		}
	}
	// The same instant in another zone is the same entry.
	e := base
	e.At = base.At.In(time.FixedZone("CEST", 2*3600))
	if incident.HashEntry(e) != h {
		t.Error("the zone of the time changes the hash")
	}
}
