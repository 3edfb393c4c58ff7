package alert

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/monitor"
)

var berlin = mustLoc("Europe/Berlin")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// recorder is an in-memory Notifier that records what it accepts and can
// fail on demand.
type recorder struct {
	name string
	mu   sync.Mutex
	got  []Message
	// fail, when set, decides the outcome of each attempt (n counts from 1).
	fail     func(n int) (retry bool, err error)
	attempts int
}

func (r *recorder) Notify(_ context.Context, m Message) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if r.fail != nil {
		if retry, err := r.fail(r.attempts); err != nil {
			return retry, err
		}
	}
	r.got = append(r.got, m)
	return false, nil
}

func (r *recorder) messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.got...)
}

func (r *recorder) kinds() []string {
	var out []string
	for _, m := range r.messages() {
		out = append(out, string(m.Kind))
	}
	return out
}

// chk describes one check of a test overview.
type chk struct {
	id, name, group string
	deps            []string
	affects         []string
}

// site is a test double of the monitor: check states that build an
// Overview with the real dependency evaluation.
type site struct {
	checks []chk
	state  map[string]check.State
	since  map[string]time.Time
	reason map[string]check.Text
}

func newSite(checks ...chk) *site {
	s := &site{checks: checks, state: map[string]check.State{}, since: map[string]time.Time{}, reason: map[string]check.Text{}}
	for _, c := range checks {
		s.state[c.id] = check.StateOK
	}
	return s
}

func (s *site) set(id string, st check.State, at time.Time, reason string) {
	s.state[id], s.since[id] = st, at
	s.reason[id] = check.Msg(reason, reason)
}

func (s *site) overview(now time.Time) monitor.Overview {
	var nodes []check.Node
	for _, c := range s.checks {
		nodes = append(nodes, check.Node{ID: c.id, State: s.state[c.id], DependsOn: c.deps})
	}
	tree := check.Evaluate(nodes)
	ov := monitor.Overview{At: now, Overall: tree.Overall, RootCauses: tree.RootCauses}
	for _, c := range s.checks {
		g := c.group
		if g == "" {
			g = check.GroupOther
		}
		v := tree.Verdicts[c.id]
		ov.Checks = append(ov.Checks, monitor.CheckStatus{ID: c.id, Name: c.name, Group: g, State: s.state[c.id],
			Since: s.since[c.id], Message: s.reason[c.id], DependsOn: c.deps, Affects: c.affects,
			Consequence: v.Consequence, CausedBy: v.CausedBy})
	}
	return ov
}

// rig is an engine with recorders, a fake clock and a site.
type rig struct {
	t    *testing.T
	clk  *clock.Fake
	eng  *Engine
	st   *Store
	site *site
	recv map[string]*recorder
	dir  string
	cfg  Config
}

// baseConfig has two people (anna, ben), each with one receiver, and a
// catch-all route to anna.
func baseConfig() Config {
	return Config{
		PublicURL: "http://lifeline.test:8080",
		Receivers: []Receiver{{Name: "anna-push"}, {Name: "ben-push"}, {Name: "chef-push"}},
		People: []Person{
			{ID: "anna", Name: "Anna Becker", Receivers: []string{"anna-push"}},
			{ID: "ben", Name: "Ben Yilmaz", Receivers: []string{"ben-push"}},
			{ID: "chef", Name: "Clara Chef", Receivers: []string{"chef-push"}},
		},
		Routes: []Route{{People: []string{"anna"}}},
	}
}

func newRig(t *testing.T, cfg Config, start time.Time, s *site) *rig {
	t.Helper()
	dir := t.TempDir()
	st, err := OpenStore(context.Background(), filepath.Join(dir, "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &rig{t: t, clk: clock.NewFake(start), st: st, site: s, recv: map[string]*recorder{}, dir: dir, cfg: cfg}
	for _, rc := range cfg.Receivers {
		r.recv[rc.Name] = &recorder{name: rc.Name}
	}
	r.eng = r.build()
	return r
}

// build makes an engine over the rig's store (again, for restart tests).
func (r *rig) build() *Engine {
	r.t.Helper()
	cfg := r.cfg
	cfg.ApplyDefaults()
	key, err := LoadOrCreateKey(filepath.Join(r.dir, KeyFile))
	if err != nil {
		r.t.Fatal(err)
	}
	signer, err := NewSigner(key)
	if err != nil {
		r.t.Fatal(err)
	}
	ns := map[string]Notifier{}
	for k, v := range r.recv {
		ns[k] = v
	}
	e, err := New(context.Background(), Options{Config: cfg, Site: "Apotheke am Markt", Lang: "de", Location: berlin,
		Store: r.st, Notifiers: ns, Signer: signer, Clock: r.clk, Log: quietLog()})
	if err != nil {
		r.t.Fatal(err)
	}
	e.Update(r.site.overview(r.clk.Now()))
	return e
}

// set changes a check's state now and tells the engine.
func (r *rig) set(id string, st check.State, reason string) {
	r.site.set(id, st, r.clk.Now(), reason)
	r.eng.Update(r.site.overview(r.clk.Now()))
}

// run advances the clock by d in steps of one second, ticking and waiting
// for deliveries at each step, as the runtime does.
func (r *rig) run(d time.Duration) {
	end := r.clk.Now().Add(d)
	for {
		r.eng.Tick(r.clk.Now())
		r.eng.Wait()
		if !r.clk.Now().Before(end) {
			return
		}
		step := time.Second
		if rem := end.Sub(r.clk.Now()); rem < step {
			step = rem
		}
		r.clk.Advance(step)
	}
}

// jump advances the clock to just before the next thing due (or by d at
// most) and ticks: for long stretches (hours) without ticking every second.
func (r *rig) jump(d time.Duration) {
	end := r.clk.Now().Add(d)
	for {
		r.eng.Tick(r.clk.Now())
		r.eng.Wait()
		next := r.eng.NextDue()
		if next.IsZero() || next.After(end) {
			r.clk.Set(end)
			r.eng.Tick(end)
			r.eng.Wait()
			return
		}
		if next.After(r.clk.Now()) {
			r.clk.Set(next)
		} else {
			r.clk.Advance(time.Second)
		}
	}
}

// log is a compact record of every message accepted: "anna-push:firing".
func (r *rig) log() []string {
	type entry struct {
		at   time.Time
		id   string
		line string
	}
	var es []entry
	for name, rc := range r.recv {
		for _, m := range rc.messages() {
			es = append(es, entry{m.At, m.ID, name + ":" + string(m.Kind)})
		}
	}
	sort.Slice(es, func(i, j int) bool {
		if !es[i].at.Equal(es[j].at) {
			return es[i].at.Before(es[j].at)
		}
		return es[i].line < es[j].line
	})
	out := []string{}
	for _, e := range es {
		out = append(out, e.line)
	}
	return out
}

func (r *rig) wantLog(want ...string) {
	r.t.Helper()
	if want == nil {
		want = []string{}
	}
	got := r.log()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		r.t.Fatalf("messages:\n got %v\nwant %v", got, want)
	}
}

func (r *rig) only(name string) Message {
	r.t.Helper()
	ms := r.recv[name].messages()
	if len(ms) != 1 {
		r.t.Fatalf("%s got %d messages; want 1", name, len(ms))
	}
	return ms[0]
}

func dur(d time.Duration) check.Duration { return check.Duration(d) }

func ptrDur(d time.Duration) *check.Duration { v := check.Duration(d); return &v }

func fmtTimes(ts []time.Time, loc *time.Location) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, t.In(loc).Format("15:04:05"))
	}
	return fmt.Sprint(parts)
}
