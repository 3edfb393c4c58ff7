package drill_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert"
	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/alert/webhook"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/drill"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/sitetest"
)

type rig struct {
	site *sitetest.Site
	ctl  *drill.Controller
	rec  *incident.Recorder
}

// newRig wires a drill controller into a real site as `lifeline site`
// does: probers wrapped, recorder with the controller as its drill state,
// notifiers recorded and guarded.
func newRig(t *testing.T, start time.Time, receivers []string) *rig {
	t.Helper()
	ctx := context.Background()
	r := &rig{}
	r.site = sitetest.New(t, start, sitetest.DefaultSpecs(), nil, func(id string, p check.Prober) check.Prober {
		return check.ProberFunc(func(ctx context.Context) check.Result { return r.ctl.WrapProber(id, p).Probe(ctx) })
	})
	var err error
	r.ctl, err = drill.New(ctx, drill.Options{Store: r.site.Store, Config: incident.DrillConfig{Receivers: receivers}, Specs: r.site.Specs,
		Clock: r.site.Clock, Log: sitetest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	r.rec, err = incident.NewRecorder(ctx, incident.Options{Store: r.site.Store, Site: "Apotheke am Markt", Location: sitetest.Berlin(t),
		Clock: r.site.Clock, Log: sitetest.Quiet(), Drills: r.ctl})
	if err != nil {
		t.Fatal(err)
	}
	r.ctl.SetRecorder(r.rec)
	r.site.Monitor.OnTransition(r.rec.Observe)
	recvs := []alert.Receiver{r.site.Hook("anna"), r.site.Hook("uebung")}
	r.site.StartAlerts(alert.Config{Receivers: recvs, Routes: []alert.Route{{Receivers: []string{"anna"}}}},
		func(ns map[string]notify.Notifier) map[string]notify.Notifier {
			return r.ctl.Guard(incident.RecordDeliveries(ns, r.rec))
		})
	return r
}

func payloadCauses(p webhook.Payload) []string {
	var out []string
	for _, c := range p.Causes {
		out = append(out, c.CheckID)
	}
	return out
}

// TestDrillDoesNotAlertRealReceivers runs a drill of an ERP outage through
// the real monitor and the real alert engine: the drill's messages reach
// only the drill receiver, marked as a drill; a real UPS failure during the
// drill still reaches the real receiver; the drill's timings are measured.
func TestDrillDoesNotAlertRealReceivers(t *testing.T) {
	ctx := context.Background()
	loc := sitetest.Berlin(t)
	r := newRig(t, time.Date(2026, 3, 28, 23, 30, 0, 0, loc), []string{"uebung"}) // through the night the clocks go forward
	s := r.site
	s.Live(time.Minute, 10*time.Second)

	d, err := r.ctl.Start(ctx, "warenwirtschaft", "chef")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ctl.Start(ctx, "strom", "chef"); incident.ErrorCode(err) != incident.ECONFLICT {
		t.Fatalf("second drill: %v; want ECONFLICT", err)
	}
	s.Live(2*time.Minute, 10*time.Second)
	open := r.rec.Open()
	if len(open) != 1 || open[0].DrillID != d.ID || !strings.HasPrefix(open[0].Title.DE, "ÜBUNG – Warenwirtschaft") {
		t.Fatalf("open incidents %+v; want the drill's ERP incident marked as a drill", open)
	}
	if n := len(s.Hooks["anna"].Payloads()); n != 0 {
		t.Fatalf("the real receiver got %d drill messages", n)
	}
	drillMsgs := s.Hooks["uebung"].Payloads()
	if len(drillMsgs) != 1 || drillMsgs[0].Kind != notify.KindFiring || !strings.HasPrefix(drillMsgs[0].Title, "ÜBUNG – ") ||
		!strings.Contains(drillMsgs[0].Text, "Im Ernstfall ginge diese Meldung an „anna“") {
		t.Fatalf("drill receiver got %+v; want one marked firing message", drillMsgs)
	}

	// Staff react as in a real outage.
	if _, err := r.rec.EmergencyMode(ctx, true, "anna", "Übung: Notkasse"); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(3 * time.Minute)
	if _, err := r.rec.ChecklistStep(ctx, open[0].ID, "anna", incident.StepRecord{Checklist: "mensch", Step: "leitung",
		ChecklistTitle: check.Msg("Mensch", "People"), Text: check.Msg("Festlegen, wer entscheidet", "Decide who is in charge")}); err != nil {
		t.Fatal(err)
	}

	// Real trouble during the drill reaches the real receiver.
	s.Switches["usv"].Fail("Netzausfall")
	s.Live(6*time.Minute, 10*time.Second)
	real := s.Hooks["anna"].Payloads()
	if len(real) == 0 {
		t.Fatal("the real UPS failure during the drill alerted nobody")
	}
	for _, p := range real {
		if !strings.Contains(strings.Join(payloadCauses(p), ","), "usv") || strings.HasPrefix(p.Title, "ÜBUNG") {
			t.Fatalf("real receiver got %q (causes %v); want only messages about the real UPS failure", p.Title, payloadCauses(p))
		}
	}
	s.Switches["usv"].Heal()
	s.Live(4*time.Minute, 10*time.Second)
	realBefore := len(s.Hooks["anna"].Payloads())

	// The drill ends; the ERP works for real again; the all-clear goes to
	// the drill receiver too.
	if _, err := r.ctl.Stop(ctx, "chef"); err != nil {
		t.Fatal(err)
	}
	s.Live(5*time.Minute, 10*time.Second)
	for _, p := range s.Hooks["anna"].Payloads()[realBefore:] {
		if !strings.Contains(strings.Join(payloadCauses(p), ","), "usv") {
			t.Fatalf("after the drill the real receiver got %q (causes %v)", p.Title, payloadCauses(p))
		}
	}
	var resolved bool
	for _, p := range s.Hooks["uebung"].Payloads() {
		if !strings.HasPrefix(p.Title, "ÜBUNG – ") {
			t.Fatalf("drill receiver got an unmarked message %q", p.Title)
		}
		resolved = resolved || p.Kind == notify.KindResolved
	}
	if !resolved {
		t.Fatal("the drill's all-clear did not reach the drill receiver")
	}
	if open := r.rec.Open(); len(open) != 0 {
		t.Fatalf("incidents still open after the drill: %+v", open)
	}

	rep, err := r.ctl.Report(ctx, d.ID, s.Store)
	if err != nil {
		t.Fatal(err)
	}
	// Probes at the start and 10 s later: down after the second (fail_after 2).
	if !rep.Detected.OK || rep.Detected.After != 10*time.Second {
		t.Errorf("detected %+v; want after 10 s", rep.Detected)
	}
	if !rep.FirstAlert.OK || rep.FirstAlert.After != 40*time.Second {
		t.Errorf("first alert %+v; want 30 s (group_wait) after detection", rep.FirstAlert)
	}
	if !rep.Emergency.OK || rep.Emergency.By != "anna" || rep.Emergency.After != 2*time.Minute {
		t.Errorf("emergency mode %+v; want by anna after 2 minutes", rep.Emergency)
	}
	if rep.StepsDone != 1 || len(rep.Steps) != 1 || rep.Steps[0].After != 5*time.Minute {
		t.Errorf("steps %+v; want one after 5 minutes", rep.Steps)
	}
	if !rep.Over.OK {
		t.Errorf("report says the drill's incident is not over: %+v", rep.Over)
	}
	entries, err := s.Store.Entries(ctx, rep.Incidents[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var drillSent, endNote bool
	for _, e := range entries {
		if e.Kind == incident.KindAlertSent && e.Data["drill"] == "true" && e.Data["receiver"] == "uebung" && strings.Contains(e.Text.DE, "statt an anna") {
			drillSent = true
		}
		endNote = endNote || (e.Kind == incident.KindDrill && strings.Contains(e.Text.DE, "Übung beendet (chef)"))
	}
	if !drillSent || !endNote {
		t.Fatalf("drill incident timeline lacks the redirected alert (%v) or the end of the drill (%v)", drillSent, endNote)
	}
}

func TestDrillWithoutReceiversSendsNothing(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC), nil)
	r.site.Live(time.Minute, 10*time.Second)
	if _, err := r.ctl.Start(ctx, "internet", "chef"); err != nil {
		t.Fatal(err)
	}
	r.site.Live(3*time.Minute, 10*time.Second)
	if a, u := len(r.site.Hooks["anna"].Payloads()), len(r.site.Hooks["uebung"].Payloads()); a != 0 || u != 0 {
		t.Fatalf("messages: real %d, drill %d; want none without drill receivers", a, u)
	}
	if len(r.rec.Open()) != 1 {
		t.Fatalf("the drill opened no incident")
	}
}

func TestDrillEndsByItself(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC), []string{"uebung"})
	if _, err := r.ctl.Start(ctx, "strom", "chef"); err != nil {
		t.Fatal(err)
	}
	r.site.Clock.Advance(drill.MaxDuration - time.Minute)
	r.ctl.Tick(ctx)
	if _, ok := r.ctl.Active(); !ok {
		t.Fatal("drill ended before its time")
	}
	r.site.Clock.Advance(2 * time.Minute)
	r.ctl.Tick(ctx)
	if _, ok := r.ctl.Active(); ok {
		t.Fatal("a forgotten drill keeps running")
	}
}

func TestScenarios(t *testing.T) {
	specs := sitetest.DefaultSpecs()
	got := drill.Scenarios(incident.DrillConfig{Scenarios: []incident.ScenarioConfig{
		{ID: "kasse", Title: "Kasse und Konnektor", Checks: []string{"erp", "konnektor", "gibt-es-nicht"}},
		{ID: "leer", Title: "Nichts", Checks: []string{"gibt-es-nicht"}},
	}}, specs)
	var ids []string
	for _, s := range got {
		ids = append(ids, s.ID+":"+strings.Join(s.Checks, "+"))
	}
	want := "strom:usv internet:internet ti:konnektor warenwirtschaft:erp kasse:erp+konnektor"
	if strings.Join(ids, " ") != want {
		t.Fatalf("scenarios %v; want %s", ids, want)
	}
}
