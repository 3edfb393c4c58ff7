// Package alert wakes the right person when the site's IT fails: once, with
// the cause and what to do, and the next person when nobody reacts.
//
// The Engine is fed by the monitor (Observe, registered with
// monitor.OnTransition) and driven by a clock (Tick, called every second or
// earlier by Run, and by tests with a fake clock; it never sleeps). It
// follows Alertmanager's model: only root causes alert (checks that depend
// on a failed check are listed inside the message, not sent on their own);
// alerts are routed by check, group and severity; a route collects the
// alerts of the site into one incident for group_wait; an incident repeats
// after repeat_interval and ends with one resolved message; silences and
// recurring maintenance windows mute. On top of that come on-call rotas
// (layers in local time with overrides) and escalation policies (ordered
// steps, loops, acknowledgement by dashboard or signed one-time link, an
// acknowledgement timeout that re-fires).
//
// Every channel is a Notifier in its own package (email, webhook, ntfy,
// sms), built by Build. Deliveries are retried with backoff when the
// failure is transient, logged in the delivery log, and kept with the
// incidents in the engine's own SQLite file (Store).
package alert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/monitor"
)

// AckPath is where the acknowledgement link points, below Config.PublicURL.
const AckPath = "/alert/ack"

// Options configure an Engine.
type Options struct {
	// Config is the alert section, defaults applied and validated.
	Config Config
	// Site is the site's name shown in messages; Lang is "de" or "en";
	// Location is the site's zone (rotas, windows, times in messages).
	Site     string
	Lang     string
	Location *time.Location
	// Store keeps incidents, deliveries, silences and used links.
	Store *Store
	// Notifiers holds one notifier per receiver name (see Build).
	Notifiers map[string]Notifier
	// Signer signs the acknowledgement links (see LoadOrCreateKey).
	Signer *Signer
	Clock  clock.Clock
	Log    *slog.Logger
	// Concurrency bounds the deliveries in flight per receiver (default 4).
	Concurrency int
}

// Engine turns check states into messages. Its methods are safe for
// concurrent use.
type Engine struct {
	o    Options
	cfg  Config
	plan *plan
	loc  *time.Location
	log  *slog.Logger
	clk  clock.Clock
	st   *Store

	mu        sync.Mutex
	ov        monitor.Overview
	haveOV    bool
	ovVersion int
	silVer    int
	cache     groupCache
	incidents map[string]*Incident // open ones, by key
	silences  []Silence            // made on the dashboard
	queue     map[string]*Delivery // pending and retrying
	inflight  map[string]bool
	health    map[string]*ReceiverHealth
	sem       map[string]chan struct{}
	lastPrune time.Time

	wg   sync.WaitGroup
	wake chan struct{}
}

// New returns an engine and loads its state from the store: open incidents,
// pending deliveries, silences, the last result of each receiver.
func New(ctx context.Context, o Options) (*Engine, error) {
	if o.Store == nil {
		return nil, errors.New("alert: no store")
	}
	if o.Signer == nil {
		return nil, errors.New("alert: no signer for acknowledgement links")
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Lang != "en" {
		o.Lang = "de"
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Notifiers == nil {
		o.Notifiers = map[string]Notifier{}
	}
	p, err := compile(o.Config, o.Location)
	if err != nil {
		return nil, fmt.Errorf("alert: %w", err)
	}
	e := &Engine{
		o: o, cfg: o.Config, plan: p, loc: o.Location, log: o.Log, clk: o.Clock, st: o.Store,
		incidents: map[string]*Incident{}, queue: map[string]*Delivery{}, inflight: map[string]bool{},
		health: map[string]*ReceiverHealth{}, sem: map[string]chan struct{}{},
		wake: make(chan struct{}, 1),
	}
	incs, err := o.Store.OpenIncidents(ctx)
	if err != nil {
		return nil, err
	}
	for _, inc := range incs {
		e.incidents[inc.Key] = inc
	}
	pend, err := o.Store.PendingDeliveries(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range pend {
		e.queue[d.ID] = d
	}
	if e.silences, err = o.Store.Silences(ctx, o.Clock.Now()); err != nil {
		return nil, err
	}
	last, err := o.Store.LastDeliveries(ctx)
	if err != nil {
		return nil, err
	}
	for name, d := range last {
		h := e.healthOf(name)
		if d.Status == StatusSent {
			h.LastOK = d.SentAt
		} else {
			h.LastFailure, h.LastError = d.NextAt, d.LastError
			if h.LastFailure.IsZero() {
				h.LastFailure = d.Created
			}
		}
	}
	return e, nil
}

// Observe takes a transition and the overview after it; register it with
// monitor.OnTransition. It only records the overview: the work happens in
// Tick, so the monitor is never held up.
func (e *Engine) Observe(_ check.Transition, ov monitor.Overview) { e.Update(ov) }

// Update records the site's current overview. Call it once at start, after
// the monitor restored its states, and on every transition (Observe).
func (e *Engine) Update(ov monitor.Overview) {
	e.mu.Lock()
	e.ov, e.haveOV = ov, true
	e.ovVersion++
	e.mu.Unlock()
	e.poke()
}

func (e *Engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run calls Tick whenever something is due (at least every second) until
// ctx ends, then waits for deliveries in flight.
func (e *Engine) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			e.wg.Wait()
			return nil
		case <-timer.C:
		case <-e.wake:
		}
		now := e.clk.Now()
		e.Tick(now)
		wait := time.Second
		if next := e.NextDue(); !next.IsZero() {
			if d := next.Sub(e.clk.Now()); d < wait {
				wait = max(d, time.Millisecond)
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
	}
}

// Wait blocks until the deliveries in flight are finished. Tests call it
// after Tick.
func (e *Engine) Wait() { e.wg.Wait() }

// NextDue returns the earliest time at which Tick has something to do, or
// zero when nothing is scheduled.
func (e *Engine) NextDue() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, inc := range e.incidents {
		if !inc.Notified() {
			consider(inc.NotifyAt)
			continue
		}
		if !inc.ClearSince.IsZero() {
			consider(inc.ClearSince.Add(e.cfg.ResolveWait.D()))
			continue
		}
		if inc.Acked() {
			if to := e.ackTimeout(inc); to > 0 {
				consider(inc.AckedAt.Add(to))
			}
			continue
		}
		consider(inc.NextStepAt)
		consider(inc.RepeatAt)
	}
	for id, d := range e.queue {
		if !e.inflight[id] {
			consider(d.NextAt)
		}
	}
	now := e.clk.Now()
	for _, ss := range [][]Silence{e.plan.silences, e.silences} {
		for _, s := range ss {
			if s.Starts.After(now) {
				consider(s.Starts)
			}
			if s.Ends.After(now) {
				consider(s.Ends)
			}
		}
	}
	return next
}

// group is the alerts of one incident key at one moment.
type group struct {
	route  int
	alerts []Alert
	muted  int
	sig    string
}

// groupCache keeps the result of groups while neither the overview nor
// the silences changed, within one second (silences and maintenance
// windows are checked again every second).
type groupCache struct {
	ovVersion, silVer int
	second            int64
	groups            map[string]*group
	hold              map[string]bool
	valid             bool
}

// Tick does what is due at now: opens, notifies, escalates, repeats and
// resolves incidents, and starts the deliveries that are due. Deliveries
// run in goroutines; Wait waits for them.
func (e *Engine) Tick(now time.Time) {
	e.mu.Lock()
	var changed []*Incident
	var created []*Delivery
	if e.haveOV {
		c := &e.cache
		if !c.valid || c.ovVersion != e.ovVersion || c.silVer != e.silVer || c.second != now.Unix() {
			c.groups, c.hold = e.groups(now)
			c.ovVersion, c.silVer, c.second, c.valid = e.ovVersion, e.silVer, now.Unix(), true
		}
		groups, hold := c.groups, c.hold
		keys := make([]string, 0, len(e.incidents)+len(groups))
		for k := range e.incidents {
			keys = append(keys, k)
		}
		for k, g := range groups {
			if _, ok := e.incidents[k]; !ok && len(g.alerts) > 0 {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			inc, g := e.incidents[k], groups[k]
			if inc == nil {
				inc = e.open(k, g, now)
				e.incidents[k] = inc
				changed = append(changed, inc)
			}
			ds, dirty := e.step(inc, g, hold[k], now)
			created = append(created, ds...)
			if dirty && (len(changed) == 0 || changed[len(changed)-1] != inc) {
				changed = append(changed, inc)
			}
			if !inc.Open() {
				delete(e.incidents, k)
			}
		}
	}
	for _, d := range created {
		e.queue[d.ID] = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.st.SaveIncidents(ctx, changed); err != nil {
		e.log.Error("save alert incidents", "err", err)
	}
	if err := e.st.SaveDeliveries(ctx, created); err != nil {
		e.log.Error("save deliveries", "err", err)
	}
	due := e.due(now)
	prune := now.Sub(e.lastPrune) >= time.Hour
	if prune {
		e.lastPrune = now
	}
	e.mu.Unlock()
	for _, d := range due {
		e.start(d)
	}
	if prune {
		if err := e.st.Prune(ctx, now.Add(-90*24*time.Hour)); err != nil {
			e.log.Error("prune alert history", "err", err)
		}
	}
}

// groups collects the firing root causes by incident key. hold marks keys
// whose previous alerts are now unknown (after a restart, before the first
// probe): such an incident neither resolves nor changes.
func (e *Engine) groups(now time.Time) (map[string]*group, map[string]bool) {
	ov := e.ov
	out := map[string]*group{}
	byID := make(map[string]monitor.CheckStatus, len(ov.Checks))
	for _, c := range ov.Checks {
		byID[c.ID] = c
	}
	// consequences[root] lists the checks explained by root, in order.
	consequences := map[string][]int{}
	for i, c := range ov.Checks {
		for _, r := range c.CausedBy {
			if r != c.ID {
				consequences[r] = append(consequences[r], i)
			}
		}
	}
	var alerts []Alert
	var muted []Alert
	for _, c := range ov.Checks {
		if (c.State != check.StateDown && c.State != check.StateDegraded) || c.Consequence {
			continue
		}
		a := Alert{CheckID: c.ID, Name: c.Name, Group: c.Group, State: c.State, Since: c.Since, Reason: c.Message}
		a.Affected = append(a.Affected, c.Affects...)
		for _, i := range consequences[c.ID] {
			d := ov.Checks[i]
			a.Affected = append(a.Affected, d.Name)
			a.Affected = append(a.Affected, d.Affects...)
		}
		a.Affected = dedupe(a.Affected)
		if e.mutedAt(c.ID, c.Group, now) {
			muted = append(muted, a)
			continue
		}
		alerts = append(alerts, a)
	}
	route := func(a Alert, isMuted bool) {
		for i, r := range e.plan.routes {
			if !r.matches(a) {
				continue
			}
			key := r.key
			if r.GroupBy == GroupByCheck {
				key += "/" + a.CheckID
			}
			g := out[key]
			if g == nil {
				g = &group{route: i}
				out[key] = g
			}
			if isMuted {
				g.muted++
			} else {
				g.alerts = append(g.alerts, a)
			}
			if !r.Continue {
				return
			}
		}
	}
	for _, a := range alerts {
		route(a, false)
	}
	for _, a := range muted {
		route(a, true)
	}
	for _, g := range out {
		sortAlerts(g.alerts)
		g.sig = signature(g.alerts)
	}
	hold := map[string]bool{}
	for k, inc := range e.incidents {
		for _, a := range inc.Alerts {
			if c, ok := byID[a.CheckID]; ok && c.State == check.StateUnknown {
				hold[k] = true
			}
		}
	}
	return out, hold
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// mutedAt reports whether a silence or a maintenance window mutes a check.
func (e *Engine) mutedAt(checkID, group string, now time.Time) bool {
	for _, s := range e.plan.silences {
		if s.Active(now) && s.Matches(checkID, group) {
			return true
		}
	}
	for _, s := range e.silences {
		if s.Active(now) && s.Matches(checkID, group) {
			return true
		}
	}
	_, ok := e.plan.maintenance(checkID, group, now)
	return ok
}

func newID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// open starts an incident for a new group.
func (e *Engine) open(key string, g *group, now time.Time) *Incident {
	first := now
	for _, a := range g.alerts {
		if !a.Since.IsZero() && a.Since.Before(first) {
			first = a.Since
		}
	}
	r := e.plan.routes[g.route]
	wait := e.cfg.GroupWait.D()
	if r.policy != nil && len(r.policy.Steps) > 0 {
		wait += r.policy.Steps[0].Delay.D()
	}
	inc := &Incident{ID: newID(), Key: key, Route: g.route, Opened: now, NotifyAt: first.Add(wait), Alerts: g.alerts}
	inc.event(now, "Störung erkannt: "+joinList(inc.Names(), "de"), "Incident detected: "+joinList(inc.Names(), "en"))
	return inc
}

func (e *Engine) ackTimeout(inc *Incident) time.Duration {
	if inc.Route >= len(e.plan.routes) {
		return DefaultAckTimeout
	}
	if pol := e.plan.routes[inc.Route].policy; pol != nil && pol.AckTimeout != nil {
		return pol.AckTimeout.D()
	}
	return DefaultAckTimeout
}

// step advances one incident to now. It returns the deliveries to make and
// whether the incident changed.
func (e *Engine) step(inc *Incident, g *group, hold bool, now time.Time) ([]*Delivery, bool) {
	var out []*Delivery
	if inc.Route >= len(e.plan.routes) {
		// The route is gone from the configuration: close quietly.
		e.close(inc, now, "route removed")
		return nil, true
	}
	r := e.plan.routes[inc.Route]
	var alerts []Alert
	muted, sig := 0, ""
	if g != nil {
		alerts, muted, sig = g.alerts, g.muted, g.sig
	}
	if len(alerts) == 0 {
		switch {
		case hold:
			return nil, false
		case !inc.Notified():
			// Recovered (or flapped) within group_wait: nobody is woken.
			e.close(inc, now, "recovered before notification")
			return nil, true
		case muted > 0:
			e.close(inc, now, "silenced")
			inc.event(now, "Stummgeschaltet; keine weiteren Nachrichten.", "Silenced; no further messages.")
			return nil, true
		case inc.ClearSince.IsZero():
			inc.ClearSince = now
			return nil, true
		case now.Sub(inc.ClearSince) >= e.cfg.ResolveWait.D():
			out = e.send(inc, notifyResolved, e.notified(inc), now)
			inc.event(now, "Wieder in Ordnung.", "Resolved.")
			e.close(inc, now, "resolved")
			return out, true
		}
		return nil, false
	}
	dirty := false
	if !inc.ClearSince.IsZero() {
		inc.ClearSince = time.Time{}
		dirty = true
	}
	if sig != inc.alertSig() {
		dirty = true
	}
	inc.Alerts, inc.sig = alerts, sig
	if !inc.Notified() {
		if now.Before(inc.NotifyAt) {
			return nil, dirty
		}
		out = e.fire(inc, r, 0, notifyFiring, now)
		return out, true
	}
	switch {
	case inc.Acked():
		if to := e.ackTimeout(inc); to > 0 && now.Sub(inc.AckedAt) >= to {
			inc.event(now, "Bestätigung von "+inc.AckedBy+" abgelaufen; die Störung besteht weiter.",
				"Acknowledgement by "+inc.AckedBy+" timed out; the incident goes on.")
			out = e.fire(inc, r, 0, notifyAckExpired, now)
			inc.AckedAt, inc.Loop = time.Time{}, 0
			// fire recorded the names; AckedBy stays for the message history.
			dirty = true
		}
	case !inc.NextStepAt.IsZero() && !now.Before(inc.NextStepAt):
		out = e.escalate(inc, r, now)
		dirty = true
	case !inc.RepeatAt.IsZero() && !now.Before(inc.RepeatAt):
		out = e.send(inc, notifyReminder, e.stepReceivers(inc, r, inc.Step, now), now)
		inc.RepeatAt = now.Add(e.cfg.RepeatInterval.D())
		inc.event(now, "Erinnerung verschickt.", "Reminder sent.")
		dirty = true
	}
	if len(out) == 0 && inc.alertSig() != inc.SentSig && now.Sub(inc.LastMsgAt) >= e.cfg.GroupInterval.D() {
		out = e.send(inc, notifyUpdate, e.notified(inc), now)
		inc.event(now, "Aktualisierung verschickt: "+joinList(inc.Names(), "de"), "Update sent: "+joinList(inc.Names(), "en"))
		dirty = true
	}
	return out, dirty
}

func (e *Engine) close(inc *Incident, now time.Time, reason string) {
	inc.Closed, inc.ClosedReason = now, reason
	inc.NextStepAt, inc.RepeatAt = time.Time{}, time.Time{}
}

// fire alerts the targets of escalation step (or the route's targets) and
// schedules what follows.
func (e *Engine) fire(inc *Incident, r routePlan, stepIdx int, kind notifyKind, now time.Time) []*Delivery {
	inc.Step = stepIdx
	recv := e.stepReceivers(inc, r, stepIdx, now)
	out := e.send(inc, kind, recv, now)
	if !inc.Notified() {
		inc.NotifiedAt = now
		inc.event(now, "Erste Nachricht verschickt.", "First message sent.")
	}
	inc.RepeatAt = now.Add(e.cfg.RepeatInterval.D())
	e.scheduleNext(inc, r, now)
	return out
}

// escalate moves to the next step (or the next loop) of the policy.
func (e *Engine) escalate(inc *Incident, r routePlan, now time.Time) []*Delivery {
	pol := r.policy
	if pol == nil {
		inc.NextStepAt = time.Time{}
		return nil
	}
	next := inc.Step + 1
	if next >= len(pol.Steps) {
		if inc.Loop >= pol.Loops {
			inc.NextStepAt = time.Time{}
			return nil
		}
		inc.Loop++
		next = 0
	}
	inc.Step = next
	recv := e.stepReceivers(inc, r, next, now)
	out := e.send(inc, notifyEscalation, recv, now)
	inc.event(now, fmt.Sprintf("Niemand hat bestätigt: Stufe %d alarmiert.", next+1), fmt.Sprintf("Nobody acknowledged: step %d alerted.", next+1))
	inc.RepeatAt = now.Add(e.cfg.RepeatInterval.D())
	e.scheduleNext(inc, r, now)
	return out
}

func (e *Engine) scheduleNext(inc *Incident, r routePlan, now time.Time) {
	inc.NextStepAt = time.Time{}
	pol := r.policy
	if pol == nil {
		return
	}
	switch {
	case inc.Step+1 < len(pol.Steps):
		inc.NextStepAt = now.Add(pol.Steps[inc.Step+1].Delay.D())
	case inc.Loop < pol.Loops:
		inc.NextStepAt = now.Add(pol.LoopDelay.D() + pol.Steps[0].Delay.D())
	}
}

// stepReceivers resolves the targets of a step now.
func (e *Engine) stepReceivers(inc *Incident, r routePlan, stepIdx int, now time.Time) []target {
	var people, rotas, receivers []string
	if r.policy != nil && stepIdx < len(r.policy.Steps) {
		s := r.policy.Steps[stepIdx]
		people, rotas, receivers = s.People, s.Rotas, s.Receivers
	} else {
		people, rotas, receivers = r.People, r.Rotas, r.Receivers
	}
	ts, gap := e.plan.resolve(people, rotas, receivers, now)
	for _, g := range gap {
		e.log.Warn("nobody on call in rota; alerting everybody in it", "rota", g, "incident", inc.ID)
		inc.event(now, "Im Dienstplan "+g+" ist gerade niemand eingeteilt; alle darin werden alarmiert.",
			"Nobody is on call in rota "+g+" right now; everybody in it is alerted.")
	}
	return ts
}

// notified returns the receivers that got a message about the incident.
func (e *Engine) notified(inc *Incident) []target {
	out := make([]target, 0, len(inc.Receivers))
	for _, r := range inc.Receivers {
		t := target{receiver: r}
		for _, p := range e.o.Config.People {
			if contains(p.Receivers, r) {
				t.person = p.ID
				break
			}
		}
		out = append(out, t)
	}
	return out
}

// ReceiverHealth is the last result of a receiver, for the dashboard.
type ReceiverHealth struct {
	Receiver    string
	LastOK      time.Time
	LastFailure time.Time
	LastError   string
}

// Failing reports whether the receiver's last delivery failed for good.
func (h ReceiverHealth) Failing() bool { return h.LastFailure.After(h.LastOK) }

func (e *Engine) healthOf(name string) *ReceiverHealth {
	h := e.health[name]
	if h == nil {
		h = &ReceiverHealth{Receiver: name}
		e.health[name] = h
	}
	return h
}
