package alert

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/check"
)

// t0 is a night in Berlin: 02:13 local time.
var t0 = time.Date(2026, 11, 24, 1, 13, 0, 0, time.UTC)

func lineSite() *site {
	return newSite(
		chk{id: "line", name: "Internetleitung", group: check.GroupNetwork},
		chk{id: "ups", name: "USV", group: check.GroupPower},
		chk{id: "konnektor", name: "Konnektor", group: check.GroupAccess, deps: []string{"line"}},
		chk{id: "erezept", name: "E-Rezept", group: check.GroupAccess, deps: []string{"konnektor"}},
		chk{id: "erp", name: "Warenwirtschaft", group: check.GroupERP, deps: []string{"line"}, affects: []string{"Kasse", "Bestellung"}},
		chk{id: "grosshandel", name: "Großhandel", group: check.GroupOther, deps: []string{"line"}},
		chk{id: "dns", name: "DNS", group: check.GroupNetwork, deps: []string{"line"}},
	)
}

func TestGrouping(t *testing.T) {
	type event struct {
		at    time.Duration
		id    string
		state check.State
	}
	tests := []struct {
		name    string
		groupBy string
		events  []event
		want    []string
		title   string
	}{
		{name: "two causes within group_wait make one message",
			events: []event{{0, "line", check.StateDown}, {10 * time.Second, "ups", check.StateDown}},
			want:   []string{"anna-push:firing"}, title: "2 Störungen: USV und Internetleitung"},
		{name: "a check that recovers within group_wait sends nothing",
			events: []event{{0, "line", check.StateDown}, {20 * time.Second, "line", check.StateOK}},
			want:   []string{}},
		{name: "group_by check makes one incident per cause", groupBy: GroupByCheck,
			events: []event{{0, "line", check.StateDown}, {10 * time.Second, "ups", check.StateDown}},
			want:   []string{"anna-push:firing", "anna-push:firing"}},
		{name: "degraded does not alert by default",
			events: []event{{0, "line", check.StateDegraded}},
			want:   []string{}},
		{name: "a cause joining after the first message sends one update after group_interval",
			events: []event{{0, "line", check.StateDown}, {time.Minute, "ups", check.StateDown}},
			want:   []string{"anna-push:firing", "anna-push:update"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig()
			cfg.Routes[0].GroupBy = tt.groupBy
			r := newRig(t, cfg, t0, lineSite())
			start := r.clk.Now()
			for _, ev := range tt.events {
				r.run(start.Add(ev.at).Sub(r.clk.Now()))
				r.set(ev.id, ev.state, "keine Antwort")
			}
			r.run(6 * time.Minute)
			r.wantLog(tt.want...)
			if tt.title != "" {
				if got := r.recv["anna-push"].messages()[0].Title; got != tt.title {
					t.Errorf("title: got %q; want %q", got, tt.title)
				}
			}
		})
	}
}

func TestGroupWaitTiming(t *testing.T) {
	r := newRig(t, baseConfig(), t0, lineSite())
	r.set("line", check.StateDown, "keine Antwort")
	r.run(29 * time.Second)
	r.wantLog()
	r.run(time.Second)
	r.wantLog("anna-push:firing")
	if got := r.only("anna-push").At.Sub(t0); got != 30*time.Second {
		t.Errorf("first message after %s; want 30s (group_wait)", got)
	}
}

func TestInhibitionThroughDependencyTree(t *testing.T) {
	deps := []string{"konnektor", "erezept", "erp", "grosshandel", "dns"}
	tests := []struct {
		name string
		// first lists the dependants that fail before the line (a probe
		// that happens to run earlier).
		first []string
	}{
		{name: "line first"},
		{name: "dependants noticed a few seconds before the line", first: []string{"konnektor", "erp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, baseConfig(), t0, lineSite())
			for _, id := range tt.first {
				r.set(id, check.StateDown, "Verbindung abgelehnt")
			}
			r.run(5 * time.Second)
			r.set("line", check.StateDown, "Router antwortet nicht")
			for _, id := range deps {
				if r.site.state[id] != check.StateDown {
					r.run(2 * time.Second)
					r.set(id, check.StateDown, "Zeitüberschreitung")
				}
			}
			r.run(10 * time.Minute)
			r.wantLog("anna-push:firing")
			m := r.only("anna-push")
			if len(m.Causes) != 1 || m.Causes[0].CheckID != "line" {
				t.Fatalf("causes: got %+v; want only the line", m.Causes)
			}
			want := "Internetleitung ausgefallen seit 02:13. Ursache: Router antwortet nicht. Betroffen: Konnektor, E-Rezept, Warenwirtschaft, Kasse, Bestellung, Großhandel, DNS."
			if !strings.Contains(m.Text, want) {
				t.Errorf("text:\n%s\nwant it to contain\n%s", m.Text, want)
			}
		})
	}
}

func TestRepeatAndAck(t *testing.T) {
	r := newRig(t, baseConfig(), t0, lineSite())
	r.set("line", check.StateDown, "keine Antwort")
	r.run(31 * time.Second)
	r.jump(4*time.Hour - 2*time.Second)
	r.wantLog("anna-push:firing")
	r.jump(2 * time.Second)
	r.wantLog("anna-push:firing", "anna-push:reminder")
	inc := r.eng.Incidents()[0]
	if _, err := r.eng.Ack(context.Background(), inc.ID, "Anna Becker"); err != nil {
		t.Fatal(err)
	}
	r.jump(10 * time.Hour)
	// Acknowledged without a policy: the default ack timeout (1 h)
	// re-fires, and then reminders come every 4 h again.
	r.wantLog("anna-push:firing", "anna-push:reminder", "anna-push:ack_expired", "anna-push:reminder", "anna-push:reminder")
}

func TestResolve(t *testing.T) {
	r := newRig(t, baseConfig(), t0, lineSite())
	r.set("line", check.StateDown, "keine Antwort")
	r.run(time.Minute)
	r.set("line", check.StateOK, "")
	r.run(time.Minute)
	r.set("line", check.StateDown, "keine Antwort") // flaps within resolve_wait
	r.run(3 * time.Minute)
	r.wantLog("anna-push:firing")
	r.set("line", check.StateOK, "")
	r.run(DefaultResolveWait - time.Second)
	r.wantLog("anna-push:firing")
	r.run(time.Second)
	r.wantLog("anna-push:firing", "anna-push:resolved")
	res := r.recv["anna-push"].messages()[1]
	if res.Title != "Wieder in Ordnung: Internetleitung" || res.AckURL != "" {
		t.Errorf("resolved: got title %q, ack %q; want the title and no ack link", res.Title, res.AckURL)
	}
	r.run(10 * time.Minute)
	r.wantLog("anna-push:firing", "anna-push:resolved")
	if n := len(r.eng.Incidents()); n != 0 {
		t.Errorf("open incidents: got %d; want 0", n)
	}
}

func TestSilences(t *testing.T) {
	t.Run("config silence mutes until its expiry", func(t *testing.T) {
		cfg := baseConfig()
		cfg.Silences = []SilenceRule{{Checks: []string{"line"}, Comment: "Telekom tauscht den Anschluss", Until: "2026-11-24 03:00"}}
		r := newRig(t, cfg, t0, lineSite())
		r.set("line", check.StateDown, "keine Antwort")
		r.jump(46 * time.Minute) // 02:59 local
		r.wantLog()
		r.jump(2 * time.Minute) // past 03:00: unmuted, group_wait counts from the failure
		r.wantLog("anna-push:firing")
		if at := r.only("anna-push").At.In(berlin).Format("15:04"); at != "03:00" {
			t.Errorf("message at %s; want 03:00, right at the silence's end", at)
		}
	})
	t.Run("a dashboard silence ends an incident quietly", func(t *testing.T) {
		r := newRig(t, baseConfig(), t0, lineSite())
		r.set("line", check.StateDown, "keine Antwort")
		r.run(time.Minute)
		sl, err := r.eng.AddSilence(context.Background(), Silence{Groups: []string{check.GroupNetwork}, Comment: "Techniker vor Ort", CreatedBy: "anna", Ends: r.clk.Now().Add(2 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		r.jump(time.Hour)
		r.wantLog("anna-push:firing")
		if err := r.eng.EndSilence(context.Background(), sl.ID); err != nil {
			t.Fatal(err)
		}
		r.run(time.Second)
		r.wantLog("anna-push:firing", "anna-push:firing")
	})
	t.Run("a silence needs a comment and a future end", func(t *testing.T) {
		r := newRig(t, baseConfig(), t0, lineSite())
		for _, s := range []Silence{{Ends: t0.Add(time.Hour)}, {Comment: "x", Ends: t0.Add(-time.Hour)}} {
			var ae *Error
			if _, err := r.eng.AddSilence(context.Background(), s); !errors.As(err, &ae) || ae.Code != EINVALID {
				t.Errorf("AddSilence(%+v): got %v; want an EINVALID error", s, err)
			}
		}
	})
}

func TestMaintenanceWindowAcrossDST(t *testing.T) {
	cfg := baseConfig()
	// The ERP vendor's nightly update: Sundays 02:00 to 04:00 local time.
	cfg.MaintenanceWindows = []MaintenanceWindow{{Name: "Update", Checks: []string{"line"}, Days: []string{"sun"}, Start: "02:00", End: "04:00"}}
	tests := []struct {
		name    string
		failAt  time.Time // local
		wantMsg bool
	}{
		{"spring night, 03:10 summer time is inside", time.Date(2026, 3, 29, 3, 10, 0, 0, berlin), false},
		{"spring night, 04:00 is outside", time.Date(2026, 3, 29, 4, 0, 0, 0, berlin), true},
		{"autumn night, first 02:30 (summer time) is inside", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), false},
		{"autumn night, second 02:30 (winter time) is inside", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), false},
		{"a Saturday is outside", time.Date(2026, 10, 24, 3, 0, 0, 0, berlin), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, cfg, tt.failAt, lineSite())
			r.set("line", check.StateDown, "keine Antwort")
			r.run(20 * time.Minute)
			if got := len(r.log()) > 0; got != tt.wantMsg {
				t.Errorf("failure at %s: message sent = %v; want %v", tt.failAt.In(berlin), got, tt.wantMsg)
			}
		})
	}
}

func escalationConfig() Config {
	cfg := baseConfig()
	cfg.EscalationPolicies = []Policy{{ID: "nacht", Loops: 1, LoopDelay: dur(15 * time.Minute), Steps: []Step{
		{People: []string{"anna"}},
		{Delay: dur(10 * time.Minute), People: []string{"ben"}},
		{Delay: dur(10 * time.Minute), People: []string{"chef"}},
	}}}
	cfg.Routes = []Route{{Escalation: "nacht"}}
	return cfg
}

// timeline is the log with offsets from t0: "10m30s ben-push:escalation".
func (r *rig) timeline() []string {
	var out []string
	for name, rc := range r.recv {
		for _, m := range rc.messages() {
			out = append(out, fmt.Sprintf("%s %s:%s", m.At.Sub(t0), name, m.Kind))
		}
	}
	sortByOffset(out)
	return out
}

func sortByOffset(lines []string) {
	key := func(s string) time.Duration {
		d, _ := time.ParseDuration(strings.Fields(s)[0])
		return d
	}
	for i := 1; i < len(lines); i++ {
		for j := i; j > 0 && (key(lines[j]) < key(lines[j-1]) || key(lines[j]) == key(lines[j-1]) && lines[j] < lines[j-1]); j-- {
			lines[j], lines[j-1] = lines[j-1], lines[j]
		}
	}
}

func TestEscalation(t *testing.T) {
	tests := []struct {
		name  string
		ackAt time.Duration // 0: nobody acknowledges
		ackBy string
		okAt  time.Duration // when the line comes back
		until time.Duration
		want  []string
	}{
		{name: "nobody acknowledges: steps, one loop, then reminders to the last step", until: 5 * time.Hour, okAt: 0, want: []string{
			"30s anna-push:firing", "10m30s ben-push:escalation", "20m30s chef-push:escalation",
			"35m30s anna-push:escalation", "45m30s ben-push:escalation", "55m30s chef-push:escalation",
			"4h55m30s chef-push:reminder",
		}},
		{name: "acknowledged after the first step: nothing more, one resolved each", ackAt: 5 * time.Minute, ackBy: "Anna Becker",
			okAt: 40 * time.Minute, until: 3 * time.Hour, want: []string{
				"30s anna-push:firing", "42m0s anna-push:resolved",
			}},
		{name: "acknowledgement times out after 1 h and re-fires from the first step", ackAt: 12 * time.Minute, ackBy: "Ben Yilmaz",
			until: 1*time.Hour + 30*time.Minute, want: []string{
				"30s anna-push:firing", "10m30s ben-push:escalation",
				"1h12m0s anna-push:ack_expired", "1h22m0s ben-push:escalation",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, escalationConfig(), t0, lineSite())
			r.set("line", check.StateDown, "keine Antwort")
			type act struct {
				at time.Duration
				do func()
			}
			var acts []act
			if tt.ackAt > 0 {
				acts = append(acts, act{tt.ackAt, func() {
					inc := r.eng.Incidents()[0]
					if _, err := r.eng.Ack(context.Background(), inc.ID, tt.ackBy); err != nil {
						t.Fatal(err)
					}
				}})
			}
			if tt.okAt > 0 {
				acts = append(acts, act{tt.okAt, func() { r.set("line", check.StateOK, "") }})
			}
			for _, a := range acts {
				r.jump(t0.Add(a.at).Sub(r.clk.Now()))
				a.do()
			}
			r.jump(t0.Add(tt.until).Sub(r.clk.Now()))
			got := r.timeline()
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("timeline:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestRestartResumesEscalation(t *testing.T) {
	r := newRig(t, escalationConfig(), t0, lineSite())
	r.set("line", check.StateDown, "keine Antwort")
	r.run(time.Minute)
	r.wantLog("anna-push:firing")
	r.eng.Wait()
	// The node restarts; the monitor restores the line as down.
	r.eng = r.build()
	r.jump(10 * time.Minute)
	if got, want := r.timeline(), []string{"30s anna-push:firing", "10m30s ben-push:escalation"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after restart: got %v; want %v", got, want)
	}
}

func TestUnknownAfterRestartHoldsIncident(t *testing.T) {
	r := newRig(t, baseConfig(), t0, lineSite())
	r.set("line", check.StateDown, "keine Antwort")
	r.run(time.Minute)
	// After a restart without restored states every check is unknown until
	// probed: that is no recovery.
	r.set("line", check.StateUnknown, "")
	r.run(10 * time.Minute)
	r.wantLog("anna-push:firing")
	if n := len(r.eng.Incidents()); n != 1 {
		t.Errorf("open incidents: got %d; want 1", n)
	}
}

func TestRetries(t *testing.T) {
	transient := func(n int) (bool, error) { return true, errors.New("503 Service Unavailable") }
	tests := []struct {
		name       string
		fail       func(n int) (bool, error)
		wantMsgs   int
		wantStatus DeliveryStatus
		wantTries  int
		failing    bool
	}{
		{name: "fails twice then succeeds: exactly one message", fail: func(n int) (bool, error) {
			if n <= 2 {
				return true, errors.New("503 Service Unavailable")
			}
			return false, nil
		}, wantMsgs: 1, wantStatus: StatusSent, wantTries: 3},
		{name: "fatal failure is not retried", fail: func(int) (bool, error) { return false, errors.New("401 Unauthorized") },
			wantStatus: StatusFailed, wantTries: 1, failing: true},
		{name: "transient failure gives up after the attempts", fail: transient,
			wantStatus: StatusFailed, wantTries: DefaultRetryAttempts, failing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, baseConfig(), t0, lineSite())
			r.recv["anna-push"].fail = tt.fail
			r.set("line", check.StateDown, "keine Antwort")
			r.jump(time.Hour)
			if got := len(r.recv["anna-push"].messages()); got != tt.wantMsgs {
				t.Errorf("messages accepted: got %d; want %d", got, tt.wantMsgs)
			}
			ds, err := r.eng.Deliveries(context.Background(), 10)
			if err != nil || len(ds) != 1 {
				t.Fatalf("delivery log: got %d entries, %v; want 1", len(ds), err)
			}
			if ds[0].Status != tt.wantStatus || ds[0].Attempts != tt.wantTries {
				t.Errorf("delivery: got %s after %d attempts; want %s after %d", ds[0].Status, ds[0].Attempts, tt.wantStatus, tt.wantTries)
			}
			h := r.eng.Health()
			if len(h) != 1 || h[0].Failing() != tt.failing {
				t.Errorf("health: got %+v; want failing=%v", h, tt.failing)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	cfg := Config{}
	cfg.ApplyDefaults()
	e := &Engine{cfg: cfg}
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 5 * time.Minute, 5 * time.Minute}
	for i, w := range want {
		if got := e.backoff(i + 1); got != w {
			t.Errorf("backoff after attempt %d: got %s; want %s", i+1, got, w)
		}
	}
}

func TestAckLink(t *testing.T) {
	r := newRig(t, escalationConfig(), t0, lineSite())
	r.set("line", check.StateDown, "keine Antwort")
	r.run(time.Minute)
	m := r.only("anna-push")
	if !strings.HasPrefix(m.AckURL, "http://lifeline.test:8080"+AckPath+"?t=") {
		t.Fatalf("ack url: got %q", m.AckURL)
	}
	token := strings.TrimPrefix(m.AckURL, "http://lifeline.test:8080"+AckPath+"?t=")
	ctx := context.Background()
	bad := token[:len(token)-2] + "AA"
	if _, err := r.eng.AckLink(ctx, bad); !errors.Is(err, ErrBadLink) {
		t.Errorf("tampered link: got %v; want ErrBadLink", err)
	}
	if _, err := r.eng.Inspect(ctx, token); err != nil {
		t.Fatalf("inspect: %v", err)
	}
	inc, err := r.eng.AckLink(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if inc.AckedBy != "Anna Becker" {
		t.Errorf("acked by: got %q; want Anna Becker", inc.AckedBy)
	}
	if _, err := r.eng.AckLink(ctx, token); !errors.Is(err, ErrUsed) {
		t.Errorf("second use: got %v; want ErrUsed", err)
	}
	r.jump(30 * time.Minute)
	r.wantLog("anna-push:firing") // no escalation to ben
	// A link of a later message expires after ack_link_valid.
	r.clk.Advance(2 * time.Hour)
	r.run(time.Second) // ack timeout: re-fires to anna with a new link
	ms := r.recv["anna-push"].messages()
	last := ms[len(ms)-1]
	if last.Kind != notify.KindAckExpired {
		t.Fatalf("last message: got %s; want ack_expired", last.Kind)
	}
	tok2 := strings.TrimPrefix(last.AckURL, "http://lifeline.test:8080"+AckPath+"?t=")
	r.clk.Advance(DefaultAckLinkValid)
	if _, err := r.eng.AckLink(ctx, tok2); !errors.Is(err, ErrExpired) {
		t.Errorf("after 24 h: got %v; want ErrExpired", err)
	}
}

func TestAckAfterResolve(t *testing.T) {
	r := newRig(t, baseConfig(), t0, lineSite())
	r.set("line", check.StateDown, "keine Antwort")
	r.run(time.Minute)
	token := strings.SplitN(r.only("anna-push").AckURL, "?t=", 2)[1]
	r.set("line", check.StateOK, "")
	r.run(5 * time.Minute)
	if _, err := r.eng.AckLink(context.Background(), token); !errors.Is(err, ErrResolved) {
		t.Errorf("ack after resolve: got %v; want ErrResolved", err)
	}
	if _, err := r.eng.Ack(context.Background(), "nope", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ack of unknown incident: got %v; want ErrNotFound", err)
	}
}

func TestRotaGapAlertsEverybody(t *testing.T) {
	cfg := baseConfig()
	cfg.Rotas = []Rota{{ID: "tag", Layers: []Layer{{Start: "08:00", End: "18:00", People: []string{"anna", "ben"}, Rotate: RotateDaily}}}}
	cfg.Routes = []Route{{Rotas: []string{"tag"}}}
	r := newRig(t, cfg, t0, lineSite()) // 02:13: nobody on call
	r.set("line", check.StateDown, "keine Antwort")
	r.run(time.Minute)
	r.wantLog("anna-push:firing", "ben-push:firing")
}
