package incident_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

func kinds(t *testing.T, s *site, id int64) string {
	t.Helper()
	es, err := s.st.Entries(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, string(e.Kind))
	}
	return strings.Join(out, " ")
}

func TestRecorderRules(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 3, 29, 1, 0, 0, 0, berlin(t))
	tests := []struct {
		name string
		run  func(t *testing.T, s *site)
	}{
		{"degraded opens nothing by default", func(t *testing.T, s *site) {
			s.probers["erp"].set(check.Result{Status: check.StatusDegraded, Message: check.Msg("langsam", "slow")})
			s.round()
			s.round()
			if n := len(s.rec.Open()); n != 0 {
				t.Fatalf("%d incidents for a slow ERP; want none", n)
			}
		}},
		{"two independent root causes, two incidents", func(t *testing.T, s *site) {
			s.fail("usv", "Netzausfall", "mains lost")
			s.fail("erp", "keine Antwort", "no answer")
			s.round()
			s.round()
			open := s.rec.Open()
			if len(open) != 2 || open[0].RootCauses[0].CheckID != "usv" || open[1].RootCauses[0].CheckID != "erp" {
				t.Fatalf("open %+v; want one incident per root cause", open)
			}
			s.heal("usv")
			s.round()
			s.round()
			if open := s.rec.Open(); len(open) != 1 || open[0].RootCauses[0].CheckID != "erp" {
				t.Fatalf("after the UPS came back: %+v; want only the ERP incident", open)
			}
		}},
		{"a consequence outlasting its cause keeps the incident", func(t *testing.T, s *site) {
			s.fail("internet", "weg", "gone")
			s.fail("konnektor", "weg", "gone")
			s.round()
			s.round()
			s.heal("internet")
			s.round()
			s.round()
			open := s.rec.Open()
			if len(open) != 1 || len(open[0].RootCauses) != 1 || open[0].RootCauses[0].CheckID != "internet" {
				t.Fatalf("open %+v; want the line's incident going on for the Konnektor", open)
			}
			s.heal("konnektor")
			s.round()
			s.round()
			if len(s.rec.Open()) != 0 {
				t.Fatal("incident not closed when the Konnektor came back")
			}
			if got := kinds(t, s, 1); got != "opened state state state closed" {
				t.Fatalf("timeline %s", got)
			}
		}},
		{"alerts and acknowledgements are recorded once", func(t *testing.T, s *site) {
			s.fail("erp", "keine Antwort", "no answer")
			s.round()
			s.round()
			a := incident.AlertSent{DeliveryID: "d1", AlertIncident: "a1", Receiver: "anna-push", Kind: "firing", Title: "Warenwirtschaft ausgefallen", CheckIDs: []string{"erp"}}
			for i := 0; i < 2; i++ {
				if err := s.rec.AlertSent(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			ack := incident.AlertAck{AlertIncident: "a1", By: "Anna Becker", At: s.clk.Now(), CheckIDs: []string{"erp"}}
			for i := 0; i < 2; i++ {
				if err := s.rec.AlertAcked(ctx, ack); err != nil {
					t.Fatal(err)
				}
			}
			s.heal("erp")
			s.round()
			s.round()
			// The all-clear comes after the incident closed; it still belongs to it.
			a.DeliveryID, a.Kind, a.Title = "d2", "resolved", "Wieder in Ordnung: Warenwirtschaft"
			if err := s.rec.AlertSent(ctx, a); err != nil {
				t.Fatal(err)
			}
			if got := kinds(t, s, 1); got != "opened alert_sent alert_acked state closed alert_sent" {
				t.Fatalf("timeline %s", got)
			}
		}},
		{"emergency mode without an incident opens one by hand", func(t *testing.T, s *site) {
			at := s.clk.Now().Add(-time.Minute)
			for i := 0; i < 2; i++ {
				if _, err := s.rec.EmergencyModeAt(ctx, true, "anna", "Kasse hängt", at); err != nil {
					t.Fatal(err)
				}
			}
			open := s.rec.Open()
			if len(open) != 1 || open[0].Source != incident.SourceManual || !open[0].Emergency {
				t.Fatalf("open %+v; want one manual incident in emergency mode", open)
			}
			if got := kinds(t, s, open[0].ID); got != "opened emergency_on" {
				t.Fatalf("timeline %s; the same switch recorded twice?", got)
			}
			// The monitor does not close it; staff do.
			s.round()
			if len(s.rec.Open()) != 1 {
				t.Fatal("the monitor closed a manual incident")
			}
			if _, err := s.rec.CloseManual(ctx, open[0].ID, "anna", "Neustart"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.rec.CloseManual(ctx, open[0].ID, "anna", ""); incident.ErrorCode(err) != incident.ECONFLICT {
				t.Fatalf("closing twice: %v; want ECONFLICT", err)
			}
		}},
		{"retrospective only after the end, once", func(t *testing.T, s *site) {
			s.fail("erp", "keine Antwort", "no answer")
			s.round()
			s.round()
			rt := incident.Retro{WhatHappened: "a", WhatHelped: "b"}
			if _, err := s.rec.Retrospective(ctx, 1, "anna", rt); incident.ErrorCode(err) != incident.ECONFLICT {
				t.Fatalf("retro while open: %v; want ECONFLICT", err)
			}
			s.heal("erp")
			s.round()
			s.round()
			if _, err := s.rec.Retrospective(ctx, 1, "anna", incident.Retro{WhatHappened: "a", WhatHelped: "b", Improvement: "c"}); incident.ErrorCode(err) != incident.EINVALID {
				t.Fatalf("improvement without owner: %v; want EINVALID", err)
			}
			if _, err := s.rec.Retrospective(ctx, 1, "anna", incident.Retro{Skipped: true}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.rec.Retrospective(ctx, 1, "anna", rt); incident.ErrorCode(err) != incident.ECONFLICT {
				t.Fatalf("second retro: %v; want ECONFLICT", err)
			}
			if p, err := s.rec.PendingRetros(ctx, 24*time.Hour); err != nil || len(p) != 0 {
				t.Fatalf("pending retros %v %v; want none", p, err)
			}
		}},
		{"bad input is refused with a sentence", func(t *testing.T, s *site) {
			s.fail("erp", "keine Antwort", "no answer")
			s.round()
			s.round()
			for name, err := range map[string]error{
				"empty note":     second(s.rec.Note(ctx, 1, "anna", incident.NoteMeasure, "  ")),
				"control chars":  second(s.rec.Note(ctx, 1, "anna", incident.NoteMeasure, "a\x00b")),
				"negative wait":  second(s.rec.HotlineCall(ctx, 1, "anna", incident.HotlineCall{Whom: "x", Waited: -time.Minute})),
				"zero cost":      second(s.rec.Cost(ctx, 1, "anna", "x", 0)),
				"unknown step":   second(s.rec.ChecklistStep(ctx, 1, "anna", incident.StepRecord{})),
				"bad retro date": second(s.rec.Retrospective(ctx, 1, "anna", incident.Retro{WhatHappened: "a", WhatHelped: "b", Due: "morgen"})),
			} {
				if incident.ErrorCode(err) != incident.EINVALID {
					t.Errorf("%s: %v; want EINVALID", name, err)
				}
			}
			if _, err := s.rec.Note(ctx, 99, "anna", incident.NoteMeasure, "x"); incident.ErrorCode(err) != incident.ENOTFOUND {
				t.Errorf("note to a missing incident: %v; want ENOTFOUND", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, start, nil)
			s.round()
			tc.run(t, s)
			rep, err := incident.Verify(ctx, s.st)
			if err != nil || !rep.OK() {
				t.Fatalf("chain after the test: %+v %v", rep.Problems, err)
			}
		})
	}
}

func second[T any](_ T, err error) error { return err }

// TestRestartResumes restarts the site during an outage: a new monitor
// restores the states from the database, a new recorder loads the open
// incident; the outage goes on in the same incident, which closes once the
// check is fine, and the chain stays intact.
func TestRestartResumes(t *testing.T) {
	ctx := context.Background()
	s := newSite(t, time.Date(2026, 10, 25, 1, 40, 0, 0, berlin(t)), nil)
	s.round()
	s.fail("erp", "keine Antwort", "no answer")
	s.round()
	s.round()

	// Restart: the old monitor and recorder are gone.
	probers := map[string]check.Prober{}
	for id, p := range s.probers {
		probers[id] = p
	}
	m2, err := monitor.New(monitor.Config{Specs: s.specs, Probers: probers, Store: sqlite.NewMonitorStore(s.db), Clock: s.clk, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	rec2, err := incident.NewRecorder(ctx, incident.Options{Store: s.st, Location: berlin(t), Clock: s.clk, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec2.Sync(ctx, m2.Overview()); err != nil {
		t.Fatal(err)
	}
	m2.OnTransition(rec2.Observe)
	if open := rec2.Open(); len(open) != 1 || open[0].ID != 1 {
		t.Fatalf("after restart %+v; want incident 1 going on", open)
	}
	s.heal("erp")
	s.clk.Advance(time.Hour)
	for i := 0; i < 2; i++ {
		for _, sp := range s.specs {
			m2.ProbeOnce(ctx, sp.ID, probers[sp.ID])
		}
		s.clk.Advance(30 * time.Second)
	}
	if len(rec2.Open()) != 0 {
		t.Fatal("incident not closed after the restart")
	}
	if got := kinds(t, s, 1); got != "opened state closed" {
		t.Fatalf("timeline %s", got)
	}
	incs, err := s.st.Incidents(ctx, incident.Query{})
	if err != nil || len(incs) != 1 {
		t.Fatalf("incidents %d %v; want 1", len(incs), err)
	}
	if rep, err := incident.Verify(ctx, s.st); err != nil || !rep.OK() {
		t.Fatalf("chain: %+v %v", rep.Problems, err)
	}
}
