package incident

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/monitor"
)

// DrillState tells the recorder which outages a running drill simulates.
type DrillState interface {
	// DrillFor returns the id of the running drill that makes the check
	// fail, and false when no drill does.
	DrillFor(checkID string) (drillID int64, ok bool)
}

// Options configure a Recorder.
type Options struct {
	Store Store
	// Site is the site's name, for reports.
	Site string
	// Location is the site's zone: times in entry texts and reports.
	Location *time.Location
	Clock    clock.Clock
	Log      *slog.Logger
	// OpenOnDegraded opens incidents for degraded root causes too.
	OpenOnDegraded bool
	// Ignore lists checks that never open an incident.
	Ignore []string
	// Drills, when set, marks incidents simulated by a drill.
	Drills DrillState
}

// Recorder opens, extends and closes incidents. Its methods are safe for
// concurrent use; writes are serialised, so the chain grows in one line.
type Recorder struct {
	o   Options
	st  Store
	clk clock.Clock
	log *slog.Logger
	loc *time.Location

	mu   sync.Mutex
	open map[int64]*Incident
}

// recentlyClosed is how long after closing an incident still takes the
// alerts about its checks (the resolved message comes after resolve_wait).
const recentlyClosed = 6 * time.Hour

// NewRecorder returns a recorder and loads the open incidents.
func NewRecorder(ctx context.Context, o Options) (*Recorder, error) {
	if o.Store == nil {
		return nil, errors.New("incident: no store")
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	r := &Recorder{o: o, st: o.Store, clk: o.Clock, log: o.Log, loc: o.Location, open: map[int64]*Incident{}}
	incs, err := o.Store.Incidents(ctx, Query{OpenOnly: true})
	if err != nil {
		return nil, fmt.Errorf("load open incidents: %w", err)
	}
	for i := range incs {
		inc := incs[i]
		r.open[inc.ID] = &inc
	}
	return r, nil
}

// Store returns the recorder's store, for reading.
func (r *Recorder) Store() Store { return r.st }

// Site returns the site's name.
func (r *Recorder) Site() string { return r.o.Site }

// Location returns the site's zone.
func (r *Recorder) Location() *time.Location { return r.loc }

// Clock returns the recorder's clock.
func (r *Recorder) Clock() clock.Clock { return r.clk }

// Open returns the open incidents, oldest first.
func (r *Recorder) Open() []Incident {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.openLocked()
}

func (r *Recorder) openLocked() []Incident {
	out := make([]Incident, 0, len(r.open))
	for _, inc := range r.open {
		out = append(out, *inc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Observe takes a transition and the overview after it; register it with
// monitor.OnTransition. It writes at once (a few milliseconds), so the
// timeline keeps the order in which things happened.
func (r *Recorder) Observe(tr check.Transition, ov monitor.Overview) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.apply(ctx, &tr, ov); err != nil {
		r.log.Error("record incident", "check", tr.CheckID, "err", err)
	}
}

// Sync brings the open incidents in line with an overview without a
// transition: call it at start, after the monitor restored its states, so
// an outage that began before the start gets its incident and one that
// ended while the site was off is closed.
func (r *Recorder) Sync(ctx context.Context, ov monitor.Overview) error {
	return r.apply(ctx, nil, ov)
}

func trouble(s check.State) bool { return s == check.StateDown || s == check.StateDegraded }

func (r *Recorder) ignored(id string) bool { return slices.Contains(r.o.Ignore, id) }

func (r *Recorder) opens(s check.State) bool {
	return s == check.StateDown || (r.o.OpenOnDegraded && s == check.StateDegraded)
}

// apply is the heart of the recorder: attach failing checks to the
// incidents of their root causes, open incidents for new root causes,
// record the transition, and close incidents whose checks are all fine.
func (r *Recorder) apply(ctx context.Context, tr *check.Transition, ov monitor.Overview) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	at := ov.At
	if tr != nil {
		at = tr.At
	}
	if at.IsZero() {
		at = r.clk.Now()
	}
	byID := make(map[string]monitor.CheckStatus, len(ov.Checks))
	for _, c := range ov.Checks {
		byID[c.ID] = c
	}
	var errs []error
	open := r.openLocked()

	// 1. Failing checks join the incidents of their root causes.
	for i := range open {
		inc := r.open[open[i].ID]
		if inc.Source != SourceMonitor {
			continue
		}
		for _, c := range ov.Checks {
			if !trouble(c.State) || inc.Involves(c.ID) || r.ignored(c.ID) {
				continue
			}
			for _, root := range c.CausedBy {
				if inc.Involves(root) {
					inc.Involved = append(inc.Involved, c.ID)
					inc.Affected = addWords(inc.Affected, append([]string{c.Name}, c.Affects...)...)
					break
				}
			}
		}
	}

	// 2. Root causes open an incident unless one involves them already (a
	// consequence that outlasts its cause stays part of that incident).
	created := map[string]int64{}
	for _, rid := range ov.RootCauses {
		c, ok := byID[rid]
		if !ok || r.ignored(rid) || !r.opens(c.State) {
			continue
		}
		found := false
		for _, inc := range r.open {
			if inc.Source == SourceMonitor && inc.Involves(rid) {
				found = true
				break
			}
		}
		if found {
			continue
		}
		inc, err := r.create(ctx, c, byID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		created[rid] = inc.ID
	}

	// 3. The transition itself, in every incident it belongs to.
	if tr != nil {
		c := byID[tr.CheckID]
		name := c.Name
		if name == "" {
			name = tr.CheckID
		}
		for _, inc := range r.sortedOpen() {
			if !inc.Involves(tr.CheckID) || created[tr.CheckID] == inc.ID {
				continue
			}
			why, whyEN := reasonSuffix(tr.Reason.DE, "de"), reasonSuffix(tr.Reason.EN, "en")
			if tr.To == check.StateOK {
				why, whyEN = "", ""
			}
			d := Draft{IncidentID: inc.ID, At: tr.At, Kind: KindState, Actor: ActorMonitor, Text: check.Msg(
				fmt.Sprintf("%s: %s → %s%s.", name, tr.From.Words().DE, tr.To.Words().DE, why),
				fmt.Sprintf("%s: %s → %s%s.", name, tr.From.Words().EN, tr.To.Words().EN, whyEN)),
				Data: map[string]string{"check_id": tr.CheckID, "name": name, "from": string(tr.From), "to": string(tr.To)}}
			if _, _, err := r.appendLocked(ctx, d, nil); err != nil {
				errs = append(errs, err)
			}
		}
	}

	// 4. Close what is over: every involved check fine again. A check in
	// state unknown (no data yet after a restart) holds the incident open.
	for _, inc := range r.sortedOpen() {
		if inc.Source != SourceMonitor {
			continue
		}
		over := true
		for _, id := range inc.Involved {
			if c, ok := byID[id]; ok && (trouble(c.State) || c.State == check.StateUnknown) {
				over = false
				break
			}
		}
		if !over {
			continue
		}
		if err := r.closeLocked(ctx, inc, at, ActorMonitor, check.Msg(
			"alle betroffenen Prüfungen wieder in Ordnung", "every check involved working again")); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Recorder) sortedOpen() []*Incident {
	out := make([]*Incident, 0, len(r.open))
	for _, inc := range r.open {
		out = append(out, inc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func reasonSuffix(reason, lang string) string {
	reason = strings.TrimSuffix(strings.TrimSpace(reason), ".")
	if reason == "" {
		return ""
	}
	if lang == "en" {
		return " (reason: " + reason + ")"
	}
	return " (Grund: " + reason + ")"
}

func addWords(list []string, words ...string) []string {
	for _, w := range words {
		if w != "" && !slices.Contains(list, w) {
			list = append(list, w)
		}
	}
	return list
}

// create opens an incident for root cause c.
func (r *Recorder) create(ctx context.Context, c monitor.CheckStatus, byID map[string]monitor.CheckStatus) (*Incident, error) {
	opened := c.Since
	if opened.IsZero() {
		opened = r.clk.Now()
	}
	inc := Incident{Source: SourceMonitor, OpenedAt: opened,
		RootCauses: []Cause{{CheckID: c.ID, Name: c.Name, Group: c.Group, Reason: c.Message}},
		Involved:   []string{c.ID}, Affected: addWords(nil, c.Affects...)}
	for _, o := range byID {
		if o.ID != c.ID && trouble(o.State) && slices.Contains(o.CausedBy, c.ID) && !r.ignored(o.ID) {
			inc.Involved = append(inc.Involved, o.ID)
			inc.Affected = addWords(inc.Affected, append([]string{o.Name}, o.Affects...)...)
		}
	}
	sort.Strings(inc.Involved[1:])
	prefix := check.Msg("", "")
	if r.o.Drills != nil {
		if id, ok := r.o.Drills.DrillFor(c.ID); ok {
			inc.DrillID = id
			prefix = check.Msg("ÜBUNG – ", "DRILL – ")
		}
	}
	inc.Title = check.Msg(prefix.DE+c.Name+" "+c.State.Words().DE, prefix.EN+c.Name+" "+c.State.Words().EN)
	affDE, affEN := "", ""
	if len(inc.Affected) > 0 {
		affDE = " Betroffen: " + strings.Join(inc.Affected, ", ") + "."
		affEN = " Affected: " + strings.Join(inc.Affected, ", ") + "."
	}
	when := FormatTime(opened, r.loc, "de")
	whenEN := FormatTime(opened, r.loc, "en")
	first := Draft{At: opened, Kind: KindOpened, Actor: ActorMonitor, Text: check.Msg(
		fmt.Sprintf("%sStörung erkannt: %s %s seit %s%s.%s", prefix.DE, c.Name, c.State.Words().DE, when, reasonSuffix(c.Message.DE, "de"), affDE),
		fmt.Sprintf("%sIncident detected: %s %s since %s%s.%s", prefix.EN, c.Name, c.State.Words().EN, whenEN, reasonSuffix(c.Message.EN, "en"), affEN)),
		Data: map[string]string{"check_id": c.ID, "name": c.Name, "group": c.Group, "state": string(c.State)}}
	if inc.DrillID != 0 {
		first.Data["drill_id"] = fmt.Sprint(inc.DrillID)
	}
	got, e, err := r.st.Create(ctx, inc, first)
	if err != nil {
		return nil, fmt.Errorf("open incident for %s: %w", c.ID, err)
	}
	got.LastSeq, got.LastHash = e.Seq, e.Hash
	r.open[got.ID] = &got
	r.log.Info("incident opened", "incident", got.ID, "root_cause", c.ID, "drill", got.DrillID, "chain_seq", e.Seq)
	return &got, nil
}

// closeLocked writes the closing entry and drops the incident from the
// open ones. The chain's hash is logged, an anchor outside the database.
func (r *Recorder) closeLocked(ctx context.Context, inc *Incident, at time.Time, actor string, why check.Text) error {
	cp := *inc
	cp.ClosedAt = at.UTC()
	dur := FormatDuration(cp.Duration(at))
	roots := make([]string, len(cp.RootCauses))
	for i, c := range cp.RootCauses {
		roots[i] = c.CheckID
	}
	d := Draft{IncidentID: cp.ID, At: at, Kind: KindClosed, Actor: actor, Text: check.Msg(
		fmt.Sprintf("Störung beendet: %s. Dauer: %s.", why.DE, dur.DE),
		fmt.Sprintf("Incident over: %s. Duration: %s.", why.EN, dur.EN)),
		Data: map[string]string{"duration_seconds": fmt.Sprint(int64(cp.Duration(at) / time.Second)),
			"root_causes": strings.Join(roots, ","), "affected": strings.Join(cp.Affected, "; ")}}
	e, _, err := r.appendLocked(ctx, d, &cp)
	if err != nil {
		return fmt.Errorf("close incident %d: %w", cp.ID, err)
	}
	delete(r.open, cp.ID)
	r.log.Info("incident closed", "incident", cp.ID, "duration", cp.Duration(at).String(), "chain_seq", e.Seq, "chain_hash", e.Hash)
	return nil
}

// appendLocked appends d (At defaults to now) and saves inc, or the
// incident as the recorder holds it in memory when it is open. It returns
// false without an error when d.Ref is recorded already. Call with r.mu
// held.
func (r *Recorder) appendLocked(ctx context.Context, d Draft, inc *Incident) (Entry, bool, error) {
	if d.At.IsZero() {
		d.At = r.clk.Now()
	}
	if c := r.open[d.IncidentID]; inc == nil && c != nil {
		cp := *c
		inc = &cp
	}
	if d.Ref != "" {
		has, err := r.st.HasRef(ctx, d.IncidentID, d.Ref)
		if err != nil {
			return Entry{}, false, err
		}
		if has {
			return Entry{}, false, nil
		}
	}
	e, err := r.st.Append(ctx, d, inc)
	if err != nil {
		return Entry{}, false, err
	}
	if c := r.open[d.IncidentID]; c != nil {
		if inc != nil {
			*c = *inc
		}
		c.LastSeq, c.LastHash = e.Seq, e.Hash
	}
	return e, true, nil
}

// incidentLocked returns the incident from the open ones or the store.
func (r *Recorder) incidentLocked(ctx context.Context, id int64) (Incident, error) {
	if c := r.open[id]; c != nil {
		return *c, nil
	}
	return r.st.Incident(ctx, id)
}
