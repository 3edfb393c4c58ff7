package fleet

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/rollout"
)

// planner executes rollouts around the pure rollout.Advance: it feeds the
// sites' reports and heartbeats in as outcomes, persists the new state and
// enqueues the resulting commands in one transaction. One replica at a
// time plans (Store.TryPlannerLock).
type planner struct {
	s       *Service
	mu      sync.Mutex
	tracks  map[int64]*tracker // by rollout ID
	windows map[string]rollout.Window
	zones   map[string]*time.Location
}

func newPlanner(s *Service) *planner {
	return &planner{s: s, tracks: map[int64]*tracker{}, windows: map[string]rollout.Window{}, zones: map[string]*time.Location{}}
}

// tracker follows what the sites reported about one rollout.
type tracker struct {
	cursor int64
	sites  map[string]*siteTrack
}

// siteTrack is one site's progress in one rollout.
type siteTrack struct {
	// installCmd is the install command of the current attempt.
	installCmd int64
	started    time.Time
	reported   rollout.Report
	reportedAt time.Time
	lastStatus string
	message    string
	// rolledBack is when the site reported its rollback done;
	// rollbackFailed when the rollback itself failed.
	rolledBack     time.Time
	rollbackFailed bool
}

// begun lists the statuses that mean a site started working on an
// install: from then on it counts in the gate.
func begun(status string) bool {
	switch status {
	case ReportDownloading, ReportInstalling, ReportInstalled, ReportFailed, ReportRolledBack:
		return true
	}
	return false
}

// apply feeds one report into the tracker.
func (t *tracker) apply(r Report) {
	st := t.sites[r.SiteID]
	if st == nil {
		st = &siteTrack{}
		t.sites[r.SiteID] = st
	}
	switch r.Kind {
	case CommandInstall:
		if !begun(r.Status) {
			return
		}
		if r.CommandID != st.installCmd {
			// A new attempt (after a halt and resume): start over.
			*st = siteTrack{installCmd: r.CommandID, started: r.At}
		}
		st.lastStatus, st.message = r.Status, r.Message
		switch r.Status {
		case ReportInstalled:
			st.reported, st.reportedAt = rollout.ReportOK, r.At
		case ReportFailed, ReportRolledBack:
			st.reported, st.reportedAt = rollout.ReportFailed, r.At
		}
	case CommandRollback:
		switch r.Status {
		case ReportRolledBack, ReportInstalled:
			st.rolledBack = r.At
		case ReportFailed:
			st.rollbackFailed = true
		}
	}
}

// tracker returns the rollout's tracker, fed with the reports that came
// since the last call.
func (p *planner) tracker(ctx context.Context, rolloutID int64) (*tracker, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.tracks[rolloutID]
	if t == nil {
		t = &tracker{sites: map[string]*siteTrack{}}
		p.tracks[rolloutID] = t
	}
	for {
		reps, err := p.s.store.Reports(ctx, rolloutID, t.cursor, 5000)
		if err != nil {
			return nil, err
		}
		for _, r := range reps {
			t.apply(r)
			t.cursor = r.ID
		}
		if len(reps) < 5000 {
			return t, nil
		}
	}
}

// snapshot copies the tracker's site map (so that callers read it without
// holding the lock).
func (p *planner) snapshot(t *tracker) map[string]siteTrack {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]siteTrack, len(t.sites))
	for id, st := range t.sites {
		out[id] = *st
	}
	return out
}

func (p *planner) window(s string) (rollout.Window, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w, ok := p.windows[s]; ok {
		return w, true
	}
	w, err := rollout.ParseWindow(s)
	if err != nil {
		return rollout.Window{}, false
	}
	p.windows[s] = w
	return w, true
}

// zone returns the location named tz (cached: loading parses the zone
// database, and a round looks up every site's zone).
func (p *planner) zone(tz string) *time.Location {
	p.mu.Lock()
	defer p.mu.Unlock()
	if loc, ok := p.zones[tz]; ok {
		return loc
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	p.zones[tz] = loc
	return loc
}

// TickResult says what one planner round did.
type TickResult struct {
	// Planned is false when another replica holds the planner lock.
	Planned  bool
	Rollouts int
	// Commands counts the commands enqueued, by site.
	Commands map[string]int
	// Silent lists the sites found silent in this round (their contacts
	// are being alerted).
	Silent []string
}

// lockPlanner waits (up to 30 s) for the planner lock.
func (s *Service) lockPlanner(ctx context.Context) (func(), error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		unlock, ok, err := s.store.TryPlannerLock(ctx)
		if err != nil {
			return nil, err
		}
		if ok {
			return unlock, nil
		}
		if time.Now().After(deadline) {
			return nil, Errorf(ECONFLICT, "Der Planer ist gerade beschäftigt. Bitte gleich erneut versuchen.",
				"The planner is busy. Please try again in a moment.")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Tick is one planner round: when this replica gets the planner lock, it
// refreshes the TUF timestamp and advances every active rollout.
func (s *Service) Tick(ctx context.Context) (TickResult, error) {
	res := TickResult{Commands: map[string]int{}}
	unlock, ok, err := s.store.TryPlannerLock(ctx)
	if err != nil {
		return res, err
	}
	if !ok {
		return res, nil
	}
	defer unlock()
	res.Planned = true
	if _, err := s.tuf.Refresh(ctx); err != nil {
		s.log.Error("fleet: TUF timestamp refresh failed", "err", err)
	}
	if res.Silent, err = s.DetectSilences(ctx); err != nil {
		s.log.Error("fleet: silence detection failed; retrying next round", "err", err)
	}
	s.bc.expire(s.clk.Now())
	recs, err := s.store.ActiveRollouts(ctx)
	if err != nil {
		return res, err
	}
	if len(recs) == 0 {
		return res, nil
	}
	in, err := s.inputs(ctx)
	if err != nil {
		return res, err
	}
	var errs []error
	for _, rec := range recs {
		n, err := s.advance(ctx, rec, in, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("rollout %d: %w", rec.ID, err))
			continue
		}
		res.Rollouts++
		for id, c := range n {
			res.Commands[id] += c
		}
	}
	if len(errs) > 0 {
		return res, errs[0]
	}
	return res, nil
}

// inputs is what every rollout's step needs: sites and heartbeats.
type inputs struct {
	sites map[string]rollout.Site
	hbs   map[string]Heartbeat
}

func (s *Service) inputs(ctx context.Context) (inputs, error) {
	sites, err := s.store.AllSites(ctx)
	if err != nil {
		return inputs{}, err
	}
	hbs := map[string]Heartbeat{}
	stored, err := s.store.Heartbeats(ctx)
	if err != nil {
		return inputs{}, err
	}
	for _, hb := range stored {
		hbs[hb.SiteID] = hb
	}
	for id, hb := range s.hb.lastSeen() {
		if hb.ReceivedAt.After(hbs[id].ReceivedAt) {
			hbs[id] = hb
		}
	}
	in := inputs{sites: make(map[string]rollout.Site, len(sites)), hbs: hbs}
	for _, st := range sites {
		w, ok := s.pl.window(st.Window)
		if !ok {
			continue
		}
		hb := hbs[st.ID]
		in.sites[st.ID] = rollout.Site{ID: st.ID, Location: s.pl.zone(st.Timezone), State: st.State, Window: w,
			Paused: hb.UpdatesPaused, PauseReason: hb.PauseReason}
	}
	return in, nil
}

// decoded is a rollout record with its plan and state decoded.
type decoded struct {
	rec   RolloutRecord
	plan  rollout.Plan
	state rollout.State
}

func decode(rec RolloutRecord) (decoded, error) {
	d := decoded{rec: rec}
	if err := json.Unmarshal(rec.Plan, &d.plan); err != nil {
		return d, fmt.Errorf("decode plan of rollout %d: %w", rec.ID, err)
	}
	if err := json.Unmarshal(rec.State, &d.state); err != nil {
		return d, fmt.Errorf("decode state of rollout %d: %w", rec.ID, err)
	}
	return d, nil
}

// advance runs one step of a rollout, optionally after a transition by
// hand (change), and persists state and commands. It returns the number
// of commands per site.
func (s *Service) advance(ctx context.Context, rec RolloutRecord, in inputs, change func(rollout.State) (rollout.State, error)) (map[string]int, error) {
	d, err := decode(rec)
	if err != nil {
		return nil, err
	}
	rel, err := s.store.Release(ctx, rec.ReleaseID)
	if err != nil {
		return nil, err
	}
	now := s.clk.Now().UTC()
	st := d.state
	if change != nil {
		if st, err = change(st); err != nil {
			return nil, err
		}
	}
	t, err := s.pl.tracker(ctx, rec.ID)
	if err != nil {
		return nil, err
	}
	tracks := s.pl.snapshot(t)
	outs := make(map[string]rollout.Outcome, len(tracks)+len(in.hbs))
	for _, ring := range d.plan.Sites {
		for _, id := range ring {
			o := rollout.Outcome{SiteID: id, LastHeartbeat: in.hbs[id].ReceivedAt}
			if tr, ok := tracks[id]; ok {
				o.InstallStarted, o.Reported, o.ReportedAt = tr.started, tr.reported, tr.reportedAt
			}
			outs[id] = o
		}
	}
	next, rcmds := rollout.Advance(d.plan, st, rollout.Inputs{Sites: in.sites, Calendar: s.cal, Outcomes: outs}, now)
	cmds := make([]Command, 0, len(rcmds))
	count := map[string]int{}
	for _, c := range rcmds {
		cmds = append(cmds, Command{SiteID: c.SiteID, Kind: string(c.Kind), Component: rel.Component, Version: rel.Version,
			TargetPath: rel.TargetPath, Length: rel.Length, SHA256: rel.SHA256, InstallHook: rel.InstallHook,
			RollbackHook: rel.RollbackHook, NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
			Reason: c.Reason.In("de"), CreatedAt: now})
		count[c.SiteID]++
	}
	state, err := json.Marshal(next)
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	prevStatus := rec.Status
	rec.Status, rec.Reason = string(next.Status), next.Reason.In(s.cfg.Language)
	rec.ReportCursor = t.cursor
	if len(cmds) == 0 && change == nil && bytes.Equal(state, rec.State) && rec.Status == prevStatus {
		return count, nil // nothing changed: spare the write
	}
	rec.State, rec.UpdatedAt = state, now
	if _, err := s.store.UpdateRollout(ctx, rec, cmds); err != nil {
		return nil, err
	}
	// This process sees its own commands at once; the store's notice
	// (asynchronous) also wakes the long-polls here and on other replicas.
	for _, c := range cmds {
		s.queues.enqueued(c.SiteID)
	}
	if rec.Status != prevStatus && change == nil {
		s.audit(ctx, "planner", "rollout."+rec.Status, fmt.Sprintf("rollout:%d", rec.ID), next.Reason.In("en"))
	}
	return count, nil
}

// StartOptions adjust a new rollout.
type StartOptions struct {
	// Rings replace the default rings (rollout.DefaultRings). A ring with
	// neither sites nor a percentage takes the sites pinned to its name
	// (Site.Ring); "test" in the defaults.
	Rings []rollout.Ring
	// Seed chooses which sites come first in the percentage rings; empty:
	// a new random seed per rollout.
	Seed string
}

// StartRollout plans a rollout of a release over every enrolled site and
// takes its first step. ECONFLICT when another rollout of the component is
// active, ENOTFOUND for an unknown release, EINVALID for bad rings.
func (s *Service) StartRollout(ctx context.Context, actor string, releaseID int64, o StartOptions) (RolloutRecord, error) {
	rel, err := s.store.Release(ctx, releaseID)
	if err != nil {
		return RolloutRecord{}, err
	}
	unlock, err := s.lockPlanner(ctx)
	if err != nil {
		return RolloutRecord{}, err
	}
	defer unlock()
	active, err := s.store.ActiveRollouts(ctx)
	if err != nil {
		return RolloutRecord{}, err
	}
	for _, a := range active {
		ar, err := s.store.Release(ctx, a.ReleaseID)
		if err == nil && ar.Component == rel.Component {
			return RolloutRecord{}, Err(ECONFLICT,
				fmt.Sprintf("Für %s läuft schon die Verteilung %d (Version %s). Bitte erst abschließen oder abbrechen.", rel.Component, a.ID, ar.Version),
				fmt.Sprintf("Rollout %d (version %s) of %s is still active. Please finish or abort it first.", a.ID, ar.Version, rel.Component))
		}
	}
	sites, err := s.store.AllSites(ctx)
	if err != nil {
		return RolloutRecord{}, err
	}
	var ids []string
	pinned := map[string][]string{}
	for _, st := range sites {
		if !st.HasToken {
			continue // not enrolled (or revoked): it cannot take part
		}
		ids = append(ids, st.ID)
		if st.Ring != "" {
			pinned[st.Ring] = append(pinned[st.Ring], st.ID)
		}
	}
	rings := o.Rings
	if rings == nil {
		rings = rollout.DefaultRings(nil)
	}
	rings = append([]rollout.Ring(nil), rings...)
	for i := range rings {
		if len(rings[i].Sites) == 0 && rings[i].Percent == 0 {
			rings[i].Sites = pinned[rings[i].Name]
		}
	}
	planID, err := randomID()
	if err != nil {
		return RolloutRecord{}, err
	}
	seed := o.Seed
	if seed == "" {
		seed = planID
	}
	plan, err := rollout.NewPlan(planID, rel.Component+" "+rel.Version, rings, ids, seed)
	if err != nil {
		return RolloutRecord{}, Err(EINVALID, "Der Plan ist ungültig: "+rolloutMessage(err, "de"), "The plan is invalid: "+rolloutMessage(err, "en"))
	}
	plan.HeartbeatDeadline = s.cfg.DeadManDeadline.D()
	now := s.clk.Now().UTC()
	st, err := rollout.Begin(plan, now, actor)
	if err != nil {
		return RolloutRecord{}, Err(EINVALID, "Der Plan ist ungültig: "+rolloutMessage(err, "de"), "The plan is invalid: "+rolloutMessage(err, "en"))
	}
	pj, err := json.Marshal(plan)
	if err != nil {
		return RolloutRecord{}, err
	}
	sj, err := json.Marshal(st)
	if err != nil {
		return RolloutRecord{}, err
	}
	rec, err := s.store.CreateRollout(ctx, RolloutRecord{ReleaseID: rel.ID, Status: string(st.Status), Plan: pj, State: sj,
		CreatedAt: now, UpdatedAt: now, CreatedBy: actor})
	if err != nil {
		return RolloutRecord{}, err
	}
	s.audit(ctx, actor, "rollout.start", fmt.Sprintf("rollout:%d", rec.ID), fmt.Sprintf("%s %s to %d sites in %d rings", rel.Component, rel.Version, len(ids), len(rings)))
	in, err := s.inputs(ctx)
	if err != nil {
		return rec, err
	}
	if _, err := s.advance(ctx, rec, in, nil); err != nil {
		return rec, err
	}
	return s.store.Rollout(ctx, rec.ID)
}

func randomID() (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return "r" + hex.EncodeToString(b), nil
}

// Transition names a change of a rollout by hand.
type Transition string

// Transitions by hand.
const (
	Pause  Transition = "pause"
	Resume Transition = "resume"
	Abort  Transition = "abort"
)

// ChangeRollout pauses, resumes or aborts a rollout by hand, with a reason,
// and takes the next step at once (a pause cancels the slots of sites that
// have not begun). EINVALID without a reason, ECONFLICT when the rollout's
// status does not allow it, ENOTFOUND.
func (s *Service) ChangeRollout(ctx context.Context, actor string, id int64, tr Transition, reason string) error {
	unlock, err := s.lockPlanner(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	rec, err := s.store.Rollout(ctx, id)
	if err != nil {
		return err
	}
	now := s.clk.Now().UTC()
	change := func(st rollout.State) (rollout.State, error) {
		var out rollout.State
		var err error
		switch tr {
		case Pause:
			out, err = st.Pause(now, actor, reason)
		case Resume:
			out, err = st.Resume(now, actor, reason)
		case Abort:
			out, err = st.Abort(now, actor, reason)
		default:
			return st, Errorf(EINVALID, "Unbekannte Aktion.", "Unknown action.")
		}
		if err != nil {
			code := EINVALID
			if rollout.ErrorCode(err) == rollout.ECONFLICT {
				code = ECONFLICT
			}
			return st, Err(code, rolloutMessage(err, "de"), rolloutMessage(err, "en"))
		}
		return out, nil
	}
	in, err := s.inputs(ctx)
	if err != nil {
		return err
	}
	if _, err := s.advance(ctx, rec, in, change); err != nil {
		return err
	}
	s.audit(ctx, actor, "rollout."+string(tr), fmt.Sprintf("rollout:%d", id), reason)
	return nil
}
