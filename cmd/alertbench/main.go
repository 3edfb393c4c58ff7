// Command alertbench measures how long an alert takes from a check's state
// change to the message accepted by a local SMTP server (STARTTLS and
// login) and by a local webhook receiver (signature verified), over many
// alerts, and prints p50/p99 beside group_wait. Everything runs in this
// process on loopback: the alert engine with its SQLite file, a go-smtp
// server and an HTTP receiver.
//
//	go run ./cmd/alertbench -alerts 1000 -group-wait 30s -spread 50s
//
// Each alert is one check going down; a route with group_by: check gives
// each its own incident, so that every alert is measured on its own. The
// alerts start evenly over -spread, so the run takes about group_wait +
// spread.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert"
	"github.com/lifeline-project/lifeline/internal/alert/alerttest"
	"github.com/lifeline-project/lifeline/internal/alert/email"
	"github.com/lifeline-project/lifeline/internal/alert/mailcatcher"
	"github.com/lifeline-project/lifeline/internal/alert/webhook"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/monitor"
)

func main() {
	n := flag.Int("alerts", 1000, "number of alerts")
	groupWait := flag.Duration("group-wait", 30*time.Second, "group_wait of the alert route")
	spread := flag.Duration("spread", 50*time.Second, "time over which the alerts start")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "alertbench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*n, *groupWait, *spread, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "alertbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// arrivals records when each check's message arrived at one receiver.
type arrivals struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (a *arrivals) add(id string, t time.Time) {
	a.mu.Lock()
	if _, ok := a.at[id]; !ok {
		a.at[id] = t
	}
	a.mu.Unlock()
}

func (a *arrivals) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.at)
}

func run(n int, groupWait, spread time.Duration, out io.Writer) error {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, err := os.MkdirTemp("", "alertbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	mails := &arrivals{at: map[string]time.Time{}}
	hooks := &arrivals{at: map[string]time.Time{}}
	srvTLS, pool, err := alerttest.Cert()
	if err != nil {
		return err
	}
	mc, err := mailcatcher.Start(mailcatcher.Config{TLS: srvTLS, Users: map[string]string{"bench": "pw"}, Keep: 10,
		OnMail: func(m mailcatcher.Mail) {
			// Subject: "[Bench] c0001 ausgefallen seit 12:00"
			if _, rest, ok := strings.Cut(m.Subject, "] "); ok {
				mails.add(strings.Fields(rest)[0], m.At)
			}
		}}, log)
	if err != nil {
		return err
	}
	defer mc.Close()
	const secret = "bench-secret-0123456789"
	hook := alerttest.NewWebhook(secret)
	defer hook.Close()
	hook.OnPayload = func(p webhook.Payload, at time.Time) {
		if len(p.Causes) > 0 {
			hooks.add(p.Causes[0].CheckID, at)
		}
	}

	cfg := alert.Config{
		PublicURL: "http://127.0.0.1:8080",
		GroupWait: check.Duration(groupWait),
		Receivers: []alert.Receiver{
			{Name: "mail", Email: &email.Config{Host: "127.0.0.1", Port: mc.Port(), Username: "bench", Password: "pw",
				From: "lifeline@bench.test", To: []string{"team@bench.test"}, RootCAs: pool}},
			{Name: "hook", Webhook: &webhook.Config{URL: hook.URL, Secret: secret}},
		},
		Routes: []alert.Route{{Receivers: []string{"mail", "hook"}, GroupBy: alert.GroupByCheck}},
	}
	cfg.ApplyDefaults()
	if ps := cfg.Validate(); len(ps) > 0 {
		return fmt.Errorf("config: %v", ps)
	}
	st, err := alert.OpenStore(context.Background(), filepath.Join(dir, "alerts.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	key, err := alert.LoadOrCreateKey(filepath.Join(dir, alert.KeyFile))
	if err != nil {
		return err
	}
	signer, _ := alert.NewSigner(key)
	ns, err := alert.Build(cfg, log)
	if err != nil {
		return err
	}
	eng, err := alert.New(context.Background(), alert.Options{Config: cfg, Site: "Bench", Lang: "de", Location: time.UTC,
		Store: st, Notifiers: ns, Signer: signer, Clock: clock.Real{}, Log: log})
	if err != nil {
		return err
	}
	checks := make([]monitor.CheckStatus, n)
	for i := range checks {
		checks[i] = monitor.CheckStatus{ID: fmt.Sprintf("c%04d", i), Name: fmt.Sprintf("c%04d", i), Group: check.GroupOther, State: check.StateOK}
	}
	snapshot := func() monitor.Overview {
		return monitor.Overview{At: time.Now(), Checks: slices.Clone(checks)}
	}
	eng.Update(snapshot())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { eng.Run(ctx); close(done) }()

	fmt.Fprintf(out, "alertbench: %d alerts over %s, group_wait %s, GOMAXPROCS %d, %s/%s\n", n, spread, groupWait, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	changed := make(map[string]time.Time, n)
	start := time.Now()
	gap := spread / time.Duration(max(n, 1))
	for i := range checks {
		time.Sleep(time.Until(start.Add(time.Duration(i) * gap)))
		now := time.Now()
		checks[i].State, checks[i].Since = check.StateDown, now
		checks[i].Message = check.Msg("Verbindung abgelehnt", "connection refused")
		changed[checks[i].ID] = now
		eng.Observe(check.Transition{CheckID: checks[i].ID, From: check.StateOK, To: check.StateDown, At: now}, snapshot())
	}
	deadline := time.Now().Add(groupWait + 2*time.Minute)
	for (mails.count() < n || hooks.count() < n) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	<-done
	fmt.Fprintf(out, "run took %s\n\n", time.Since(start).Round(time.Second))
	fmt.Fprintf(out, "| receiver | received | p50 | p99 | max | p99 - group_wait |\n|---|---|---|---|---|---|\n")
	for _, r := range []struct {
		name string
		a    *arrivals
	}{{"SMTP (STARTTLS, login)", mails}, {"webhook (HMAC verified)", hooks}} {
		var lat []time.Duration
		r.a.mu.Lock()
		for id, at := range r.a.at {
			lat = append(lat, at.Sub(changed[id]))
		}
		r.a.mu.Unlock()
		slices.Sort(lat)
		if len(lat) == 0 {
			fmt.Fprintf(out, "| %s | 0 | - | - | - | - |\n", r.name)
			continue
		}
		p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
		ms := func(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }
		fmt.Fprintf(out, "| %s | %d/%d | %s | %s | %s | %s |\n", r.name, len(lat), n, ms(p(0.50)), ms(p(0.99)), ms(lat[len(lat)-1]), ms(p(0.99)-groupWait))
	}
	if mails.count() < n || hooks.count() < n {
		return fmt.Errorf("not every alert arrived: %d mails, %d webhook messages of %d", mails.count(), hooks.count(), n)
	}
	return nil
}
