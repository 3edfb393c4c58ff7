package siteapp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/binder"
	"github.com/lifeline-project/lifeline/internal/certcal"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/drill"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/incidentsql"
	"github.com/lifeline-project/lifeline/internal/incident/incidentweb"
	"github.com/lifeline-project/lifeline/internal/incident/webkit"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/runbook"
)

// incidentParts are the site's incident features: the evidence log, the
// recovery checklists, the paper binder, the certificate calendar and
// drills. They are built in three steps, because they reach into the
// monitor's probers and the alert engine's notifiers:
//
//  1. prepareIncidents, in Open before the monitor is built: store,
//     drills, calendar and recorder; the probers are wrapped (drills make
//     checks fail, tls checks feed the calendar) and the calendar's check
//     is added.
//  2. incidentNotifiers, in openAlerts between alert.Build and alert.New:
//     every delivered message is recorded, drill messages reach only the
//     drill receivers.
//  3. openIncidents, after openAlerts: the recorder follows the monitor,
//     runbook and binder are built, the pages are mounted.
//
// runIncidents, started by Run, makes the daily binder, ends forgotten
// drills and records acknowledged alerts.
type incidentParts struct {
	store    *incidentsql.Store
	recorder *incident.Recorder
	drills   *drill.Controller
	calendar *certcal.Calendar
	book     *runbook.Book
	binder   *binder.Generator
	clk      clock.Clock
	// mode is the counter's emergency mode last recorded.
	mode counter.ModeState
}

// prepareIncidents builds the incident features over the site database,
// wraps the probers and adds the certificate calendar's check. It returns
// the checks with the calendar's.
func (a *App) prepareIncidents(ctx context.Context, o Options, specs []check.Spec, probers map[string]check.Prober) ([]check.Spec, error) {
	cfg := a.Config
	ic := cfg.Incident
	if slices.ContainsFunc(specs, func(s check.Spec) bool { return s.ID == certcal.CheckID }) {
		return nil, fmt.Errorf("the check id %q is reserved for the certificate calendar; please rename that check", certcal.CheckID)
	}
	clk := o.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	p := &incidentParts{store: incidentsql.NewStore(a.DB), clk: clk}
	var err error
	if p.drills, err = drill.New(ctx, drill.Options{Store: p.store, Config: ic.Drill, Specs: specs, Clock: clk, Log: a.Log}); err != nil {
		return nil, err
	}
	var tlsSpecs []check.Spec
	for _, s := range specs {
		if s.Kind == check.KindTLS {
			tlsSpecs = append(tlsSpecs, s)
		}
	}
	if p.calendar, err = certcal.New(ctx, certcal.Options{Store: p.store, Config: ic.Certificates, TLSChecks: tlsSpecs,
		Location: cfg.Location(), Clock: clk, Log: a.Log}); err != nil {
		return nil, err
	}
	if p.recorder, err = incident.NewRecorder(ctx, incident.Options{Store: p.store, Site: cfg.SiteName, Location: cfg.Location(),
		Clock: clk, Log: a.Log, OpenOnDegraded: ic.OpenOnDegraded, Ignore: append(slices.Clone(ic.Ignore), certcal.CheckID),
		Drills: p.drills}); err != nil {
		return nil, err
	}
	p.drills.SetRecorder(p.recorder)
	for _, s := range specs {
		pr := probers[s.ID]
		if s.Kind == check.KindTLS {
			pr = p.calendar.WrapTLS(s.ID, pr)
		}
		probers[s.ID] = p.drills.WrapProber(s.ID, pr)
	}
	spec := certcal.CheckSpec()
	probers[spec.ID] = p.calendar.Prober()
	a.inc = p
	return append(specs, spec), nil
}

// incidentNotifiers wraps the alert engine's notifiers: deliveries are
// recorded in the incidents, drill messages reach only drill receivers.
func (a *App) incidentNotifiers(ns map[string]notify.Notifier) map[string]notify.Notifier {
	if a.inc == nil {
		return ns
	}
	return a.inc.drills.Guard(incident.RecordDeliveries(ns, a.inc.recorder))
}

// openIncidents connects the recorder to the monitor, builds the runbook
// (with the handbook of the downtime copy) and the binder (with the copy
// and the sales journal), and mounts the pages with their least roles.
// Call it after openMirror, openAlerts and openCounter.
func (a *App) openIncidents(ctx context.Context, o Options) error {
	p := a.inc
	if p == nil {
		return errors.New("siteapp: prepareIncidents was not called before openIncidents")
	}
	cfg := a.Config
	if err := p.recorder.Sync(ctx, a.Monitor.Overview()); err != nil {
		a.Log.Warn("incidents not brought up to date with the current states", "err", err)
	}
	a.Monitor.OnTransition(p.recorder.Observe)
	var hb runbook.Handbook
	var bm binder.Mirror
	if a.Mirror != nil && a.Mirror.DB != nil {
		hb, bm = a.Mirror.DB, a.Mirror.DB
	}
	var top binder.Combined
	if f := cfg.Incident.Binder.TopSellersFile; f != "" {
		top = append(top, binder.FileSales{Path: f})
	}
	if a.Journal != nil {
		top = append(top, binder.JournalSales{Journal: a.Journal})
	}
	var sales binder.Sales
	if len(top) > 0 {
		sales = top
	}
	if a.Counter != nil {
		p.mode = a.Counter.Mode()
	}
	p.book = runbook.NewBook(hb, a.Log)
	var err error
	if p.binder, err = binder.New(binder.Options{Site: cfg.SiteName, Config: cfg.Incident.Binder, Patients: cfg.Incident.BinderPatients(),
		DataDir: cfg.DataDir, Mirror: bm, Sales: sales, Runbook: p.book, Calendar: p.calendar, Log: p.store,
		Location: cfg.Location(), Clock: p.clk, Logger: a.Log, Lang: cfg.Language}); err != nil {
		return err
	}
	kit := webkit.Kit{Server: a.Web, Clock: p.clk, Location: cfg.Location(), Log: a.Log}
	incidentweb.New(kit, p.recorder).Mount(a.Web)
	runbook.NewWeb(kit, p.book, p.recorder).Mount(a.Web)
	binder.NewWeb(kit, p.binder).Mount(a.Web)
	certcal.NewWeb(kit, p.calendar).Mount(a.Web)
	drill.NewWeb(kit, p.drills, p.store).Mount(a.Web)
	return nil
}

// runIncidents makes the daily binder, ends drills that run too long and
// records acknowledged alerts and the counter's emergency mode in the
// incidents, until ctx ends.
func (a *App) runIncidents(ctx context.Context) {
	p := a.inc
	if p == nil || p.binder == nil {
		return
	}
	go p.binder.Run(ctx)
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	seen := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.drills.Tick(ctx)
		a.recordAcks(ctx, seen)
		a.recordCounterMode(ctx)
	}
}

// recordCounterMode records a switch of the counter's emergency mode in
// the incidents, with the time it was made. (With a hook in the counter
// for switches this poll goes.)
func (a *App) recordCounterMode(ctx context.Context) {
	if a.Counter == nil {
		return
	}
	m := a.Counter.Mode()
	if m.Active == a.inc.mode.Active && m.Since.Equal(a.inc.mode.Since) {
		return
	}
	if _, err := a.inc.recorder.EmergencyModeAt(ctx, m.Active, m.By, m.Reason, m.Since); err != nil {
		a.Log.Error("record the counter's emergency mode", "err", err)
		return
	}
	a.inc.mode = m
}

// recordAcks records each acknowledgement of an open alert incident once.
// (With a hook in the alert engine for acknowledgements this poll goes.)
func (a *App) recordAcks(ctx context.Context, seen map[string]bool) {
	if a.Alerts == nil {
		return
	}
	for _, ai := range a.Alerts.Incidents() {
		if !ai.Acked() {
			continue
		}
		key := ai.ID + "@" + ai.AckedAt.UTC().Format(incident.TimeFormat)
		if seen[key] {
			continue
		}
		ids := make([]string, len(ai.Alerts))
		for i, al := range ai.Alerts {
			ids[i] = al.CheckID
		}
		if err := a.inc.recorder.AlertAcked(ctx, incident.AlertAck{AlertIncident: ai.ID, By: ai.AckedBy, At: ai.AckedAt, CheckIDs: ids}); err != nil {
			a.Log.Error("record alert acknowledgement", "alert_incident", ai.ID, "err", err)
			continue
		}
		seen[key] = true
	}
}

// DemoIncident plays one complete incident for the demo, with real
// components: fail takes a simulated dependency down, the monitor opens
// the incident, the demo's staff note what they see, switch to emergency
// mode, call the hotline, tick checklist steps and enter a cost; heal
// brings the dependency back, the incident closes, the retrospective is
// answered, and the binder is made. pause spaces the staff's steps, so
// that the timeline reads like a morning at the counter. It returns the
// incident's number.
func (a *App) DemoIncident(ctx context.Context, fail, heal func() error, pause time.Duration) (int64, error) {
	p := a.inc
	if p == nil || p.binder == nil {
		return 0, errors.New("siteapp: incidents are not open")
	}
	before := map[int64]bool{}
	for _, inc := range p.recorder.Open() {
		before[inc.ID] = true
	}
	if err := fail(); err != nil {
		return 0, err
	}
	var inc incident.Incident
	if err := waitFor(ctx, 2*time.Minute, func() bool {
		for _, i := range p.recorder.Open() {
			if !before[i.ID] {
				inc = i
				return true
			}
		}
		return false
	}); err != nil {
		return 0, fmt.Errorf("demo incident: the monitor opened no incident: %w", err)
	}
	rec := p.recorder
	steps := []func() error{
		func() error {
			_, err := rec.Note(ctx, inc.ID, "admin", incident.NoteObservation, "Kasse zeigt „Server nicht erreichbar“; Kundschaft wartet.")
			return err
		},
		func() error { _, err := rec.EmergencyMode(ctx, true, "admin", "Papierliste und Notkasse"); return err },
		func() error {
			_, err := p.book.Record(ctx, rec, inc.ID, "mensch", "leitung", "admin", false)
			return err
		},
		func() error {
			_, err := rec.HotlineCall(ctx, inc.ID, "admin", incident.HotlineCall{Whom: "Hotline Warenwirtschaft", Waited: 51 * time.Minute,
				Outcome: "Dienst auf dem Server neu gestartet"})
			return err
		},
		func() error { _, err := rec.Cost(ctx, inc.ID, "admin", "Überstunden Nacherfassung", 8500); return err },
	}
	for _, s := range steps {
		select {
		case <-ctx.Done():
			return inc.ID, ctx.Err()
		case <-time.After(pause):
		}
		if err := s(); err != nil {
			return inc.ID, err
		}
	}
	if err := heal(); err != nil {
		return inc.ID, err
	}
	if err := waitFor(ctx, 2*time.Minute, func() bool {
		got, err := p.store.Incident(ctx, inc.ID)
		return err == nil && !got.Open()
	}); err != nil {
		return inc.ID, fmt.Errorf("demo incident %d did not close: %w", inc.ID, err)
	}
	if _, err := rec.Retrospective(ctx, inc.ID, "admin", incident.Retro{WhatHappened: "Dienst der Warenwirtschaft hing nach dem Update.",
		WhatHelped: "Papierliste und die Notkasse.", Improvement: "Updates nur außerhalb der Öffnungszeiten einspielen lassen.",
		Owner: "Inhaberin", Due: p.clk.Now().In(a.Config.Location()).AddDate(0, 1, 0).Format("2006-01-02")}); err != nil {
		return inc.ID, err
	}
	hasArticles := slices.ContainsFunc(a.Config.Mirror.Sources, func(s mirror.SourceConfig) bool { return s.Dataset == string(mirror.Articles) })
	if a.Mirror != nil && a.Mirror.DB != nil && hasArticles {
		// The binder lists the articles of the downtime copy: give its
		// first import a minute.
		_ = waitFor(ctx, time.Minute, func() bool {
			st, err := a.Mirror.DB.Status(ctx)
			if err != nil {
				return false
			}
			for _, s := range st {
				if s.Dataset == mirror.Articles {
					return s.Rows > 0
				}
			}
			return false
		})
	}
	if _, err := p.binder.Generate(ctx, "admin", binder.ReasonManual); err != nil {
		return inc.ID, err
	}
	return inc.ID, nil
}

// waitFor polls cond every 200 ms until it holds, ctx ends or limit
// passes (wall-clock time: the demo runs with the real clock).
func waitFor(ctx context.Context, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}
