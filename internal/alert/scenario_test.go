package alert

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/alerttest"
	"github.com/lifeline-project/lifeline/internal/alert/email"
	"github.com/lifeline-project/lifeline/internal/alert/mailcatcher"
	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/alert/webhook"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

const hookSecret = "s3cr3t-s3cr3t-s3cr3t"

// localReceivers starts an SMTP server with STARTTLS and login, and a
// webhook receiver that verifies signatures, and returns the receivers'
// configuration for them.
func localReceivers(t *testing.T) (*mailcatcher.Catcher, *alerttest.Webhook, Receiver, Receiver) {
	t.Helper()
	srvTLS, pool, err := alerttest.Cert()
	if err != nil {
		t.Fatal(err)
	}
	mc, err := mailcatcher.Start(mailcatcher.Config{TLS: srvTLS, Users: map[string]string{"apotheke": "mail-pw"}}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mc.Close() })
	hook := alerttest.NewWebhook(hookSecret)
	t.Cleanup(hook.Close)
	mailRecv := Receiver{Name: "anna-mail", Email: &email.Config{Host: "127.0.0.1", Port: mc.Port(), Username: "apotheke", Password: "mail-pw",
		From: "lifeline@apotheke.test", To: []string{"anna@apotheke.test"}, RootCAs: pool}}
	hookRecv := Receiver{Name: "ben-hook", Webhook: &webhook.Config{URL: hook.URL, Secret: hookSecret}}
	return mc, hook, mailRecv, hookRecv
}

// TestScenarioInternetLineDown is the scenario with the real
// monitor, a real SMTP server and a real webhook receiver: the internet line
// goes down with five checks depending on it -> exactly one message naming
// the line as the cause; nobody acknowledges -> the second person gets it
// after the configured delay; acknowledged -> no further messages; line
// back -> one resolved message to each person alerted.
func TestScenarioInternetLineDown(t *testing.T) {
	mc, hook, mailRecv, hookRecv := localReceivers(t)
	cfg := Config{
		PublicURL: "http://192.168.1.10:8080",
		Receivers: []Receiver{mailRecv, hookRecv},
		People: []Person{
			{ID: "anna", Name: "Anna Becker", Receivers: []string{"anna-mail"}},
			{ID: "ben", Name: "Ben Yilmaz", Receivers: []string{"ben-hook"}},
		},
		EscalationPolicies: []Policy{{ID: "nacht", Steps: []Step{{People: []string{"anna"}}, {Delay: dur(10 * time.Minute), People: []string{"ben"}}}}},
		Routes:             []Route{{Escalation: "nacht"}},
	}
	cfg.ApplyDefaults()
	if ps := cfg.Validate(); len(ps) > 0 {
		t.Fatalf("config: %v", ps)
	}
	start := time.Date(2026, 3, 29, 0, 13, 0, 0, time.UTC) // 01:13 CET, the spring DST night
	clk := clock.NewFake(start)

	// The monitor with the site's store, fed by Record.
	specs := []check.Spec{
		{ID: "line", Name: "Internetleitung", Kind: check.KindTCP, Group: check.GroupNetwork},
		{ID: "konnektor", Name: "Konnektor", Kind: check.KindTCP, DependsOn: []string{"line"}},
		{ID: "erezept", Name: "E-Rezept", Kind: check.KindTILage, DependsOn: []string{"konnektor"}},
		{ID: "erp", Name: "Warenwirtschaft (Cloud)", Kind: check.KindHTTP, DependsOn: []string{"line"}, Affects: []string{"Kasse", "Bestellung"}},
		{ID: "grosshandel", Name: "Großhandel", Kind: check.KindHTTP, DependsOn: []string{"line"}},
		{ID: "dns", Name: "DNS", Kind: check.KindDNS, DependsOn: []string{"line"}},
	}
	probers := map[string]check.Prober{}
	for i := range specs {
		specs[i].FailAfter, specs[i].RecoverAfter = 1, 1
		specs[i].ApplyDefaults()
		probers[specs[i].ID] = check.ProberFunc(func(context.Context) check.Result { return check.Result{} })
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "site.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	mon, err := monitor.New(monitor.Config{Specs: specs, Probers: probers, Store: sqlite.NewMonitorStore(db), Clock: clk, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	st, err := OpenStore(context.Background(), filepath.Join(dir, "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := LoadOrCreateKey(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := NewSigner(key)
	ns, err := Build(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	eng, err := New(context.Background(), Options{Config: cfg, Site: "Apotheke am Markt", Lang: "de", Location: berlin,
		Store: st, Notifiers: ns, Signer: signer, Clock: clk, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	mon.OnTransition(eng.Observe)
	eng.Update(mon.Overview())

	probe := func(id string, ok bool) {
		if ok {
			mon.Record(id, check.OK(time.Millisecond, "Antwort", "answer"), clk.Now())
		} else {
			mon.Record(id, check.Fail(time.Millisecond, "Router antwortet nicht", "router does not answer"), clk.Now())
		}
	}
	run := func(d time.Duration) {
		end := clk.Now().Add(d)
		for {
			eng.Tick(clk.Now())
			eng.Wait()
			if !clk.Now().Before(end) {
				return
			}
			clk.Advance(time.Second)
		}
	}
	for _, s := range specs {
		probe(s.ID, true)
	}
	run(10 * time.Second)

	// 01:13:10: the line goes down; the five dependants fail within seconds.
	probe("line", false)
	for _, s := range specs[1:] {
		run(time.Second)
		probe(s.ID, false)
	}
	run(time.Minute)
	if n := mc.Count(); n != 1 {
		t.Fatalf("after the line went down: got %d mails; want exactly 1", n)
	}
	if all, _ := hook.Requests(); all != 0 {
		t.Fatalf("webhook got %d requests before the escalation delay; want 0", all)
	}
	mail := mc.Mails()[0]
	if !mail.TLS || mail.AuthUser != "apotheke" {
		t.Errorf("mail: TLS %v, login %q; want STARTTLS and login apotheke", mail.TLS, mail.AuthUser)
	}
	wantSubject := "[Apotheke am Markt] Internetleitung ausgefallen seit 01:13"
	if mail.Subject != wantSubject {
		t.Errorf("subject: got %q; want %q", mail.Subject, wantSubject)
	}
	for _, want := range []string{
		"Internetleitung ausgefallen seit 01:13. Ursache: Router antwortet nicht. Betroffen: Konnektor, E-Rezept, Warenwirtschaft (Cloud), Kasse, Bestellung, Großhandel, DNS.",
		"Erster Schritt: Router und Modem prüfen",
		"Ich kümmere mich (bestätigen): http://192.168.1.10:8080/alert/ack?t=",
		"Dashboard: http://192.168.1.10:8080/",
	} {
		if !strings.Contains(mail.Body, want) {
			t.Errorf("mail body lacks %q:\n%s", want, mail.Body)
		}
	}

	// Nobody acknowledges: ben gets it 10 minutes after the first message.
	run(8 * time.Minute)
	if all, _ := hook.Requests(); all != 0 {
		t.Fatalf("webhook: got %d requests 9 minutes after the first message; want 0", all)
	}
	run(2 * time.Minute)
	ps := hook.Payloads()
	if len(ps) != 1 || ps[0].Kind != notify.KindEscalation || len(ps[0].Causes) != 1 || ps[0].Causes[0].CheckID != "line" {
		t.Fatalf("webhook payloads: got %+v; want one escalation naming the line", ps)
	}
	if _, bad := hook.Requests(); bad != 0 {
		t.Errorf("webhook: %d requests with a bad signature", bad)
	}

	// Ben acknowledges through the link in his message.
	token := strings.SplitN(ps[0].AckURL, "?t=", 2)[1]
	inc, err := eng.AckLink(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	if inc.AckedBy != "Ben Yilmaz" {
		t.Errorf("acknowledged by %q; want Ben Yilmaz", inc.AckedBy)
	}
	run(40 * time.Minute)
	if n, m := mc.Count(), len(hook.Payloads()); n != 1 || m != 1 {
		t.Fatalf("after the acknowledgement: got %d mails and %d webhook messages; want 1 and 1", n, m)
	}

	// The line is back: one resolved message to each person alerted.
	probe("line", true)
	for _, s := range specs[1:] {
		probe(s.ID, true)
	}
	run(DefaultResolveWait + 10*time.Second)
	run(30 * time.Minute)
	if n := mc.Count(); n != 2 {
		t.Fatalf("after recovery: got %d mails; want 2 (firing, resolved)", n)
	}
	if got := mc.Mails()[1].Subject; got != "[Apotheke am Markt] Wieder in Ordnung: Internetleitung" {
		t.Errorf("resolved subject: got %q", got)
	}
	ps = hook.Payloads()
	if len(ps) != 2 || ps[1].Kind != notify.KindResolved {
		t.Fatalf("webhook after recovery: got %d payloads; want escalation and resolved", len(ps))
	}
	if !strings.Contains(ps[1].Text, "Bestätigt von Ben Yilmaz.") {
		t.Errorf("resolved text lacks who acknowledged:\n%s", ps[1].Text)
	}
}

// TestRealReceiverFailures: a webhook that fails twice then succeeds gets
// exactly one message; one that always fails shows as failing.
func TestRealReceiverFailures(t *testing.T) {
	tests := []struct {
		name       string
		failFirst  int
		failAlways int
		wantOK     int
		wantFail   bool
	}{
		{name: "fails twice then succeeds", failFirst: 2, wantOK: 1},
		{name: "always 401", failAlways: 401, wantFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, hook, _, hookRecv := localReceivers(t)
			hook.FailFirst, hook.FailAlways = tt.failFirst, tt.failAlways
			cfg := baseConfig()
			cfg.Receivers = []Receiver{hookRecv}
			cfg.People = []Person{{ID: "ben", Name: "Ben", Receivers: []string{"ben-hook"}}}
			cfg.Routes = []Route{{People: []string{"ben"}}}
			cfg.ApplyDefaults()
			r := newRig(t, cfg, t0, lineSite())
			ns, err := Build(cfg, quietLog())
			if err != nil {
				t.Fatal(err)
			}
			r.eng.o.Notifiers = ns
			r.set("line", check.StateDown, "keine Antwort")
			r.jump(10 * time.Minute)
			if got := len(hook.Payloads()); got != tt.wantOK {
				t.Errorf("accepted messages: got %d; want %d", got, tt.wantOK)
			}
			h := r.eng.Health()
			if len(h) != 1 || h[0].Failing() != tt.wantFail {
				t.Errorf("health: got %+v; want failing=%v", h, tt.wantFail)
			}
			ds, _ := r.eng.Deliveries(context.Background(), 5)
			if len(ds) != 1 {
				t.Fatalf("delivery log: got %d entries; want 1", len(ds))
			}
			if tt.wantFail && (ds[0].Status != StatusFailed || ds[0].Attempts != 1 || !strings.Contains(ds[0].LastError, "401")) {
				t.Errorf("delivery: got %s after %d attempts (%s); want failed after 1 with the 401", ds[0].Status, ds[0].Attempts, ds[0].LastError)
			}
		})
	}
}
