// Package countertest builds the counter with real parts for tests: a
// site database in a temporary folder, a real journal with two copies, a
// downtime copy filled with known and synthetic articles, a data keyring,
// a monitor whose check states the test sets, a fake clock, optionally the
// simulated ERP's sales endpoint on loopback, and a web server with users.
// Nothing is mocked; only the probes are replaced by results the test
// records.
package countertest

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrortest"
	"github.com/lifeline-project/lifeline/internal/mirror/synth"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/reconcile/erpsim"
	"github.com/lifeline-project/lifeline/internal/seal"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

// Start is the fake clock's start: 01:14 UTC, 02:14 in Berlin.
var Start = time.Date(2026, 2, 3, 1, 14, 0, 0, time.UTC)

// Known articles with the co-payment examples of domain.md.
var (
	// Rx30 costs 30.00: co-payment 5.00 (minimum).
	Rx30 = mirror.Article{PZN: mirrortest.PZN(4877800), Name: "Testodol 400 mg Filmtabletten", Manufacturer: "Test Pharma",
		Form: "FTA", PackSize: "20 St", NormSize: mirror.N1, Rx: true, PharmacyOnly: true, AVP: 3000}
	// Rx7340 costs 73.40: co-payment 7.34.
	Rx7340 = mirror.Article{PZN: mirrortest.PZN(1234567), Name: "Cardiotest 10 mg Tabletten", Manufacturer: "Test Pharma",
		Form: "TAB", PackSize: "100 St", NormSize: mirror.N3, Rx: true, PharmacyOnly: true, AVP: 7340}
	// Festbetrag costs 95.00 with a Festbetrag of 80.00: co-payment 8.00
	// and Mehrkosten 15.00.
	Festbetrag = mirror.Article{PZN: mirrortest.PZN(7654321), Name: "Festomed 20 mg Hartkapseln", Manufacturer: "Test Pharma",
		Form: "HKP", PackSize: "50 St", NormSize: mirror.N2, Rx: true, PharmacyOnly: true, AVP: 9500, HasFestbetrag: true, Festbetrag: 8000}
	// OTC costs 4.20 without prescription.
	OTC = mirror.Article{PZN: mirrortest.PZN(2345678), Name: "Hustenlöser Sirup", Manufacturer: "Test Pharma",
		Form: "SIR", PackSize: "100 ml", PharmacyOnly: true, AVP: 420}
)

// Known returns the known articles.
func Known() []mirror.Article { return []mirror.Article{Rx30, Rx7340, Festbetrag, OTC} }

// Options tune New.
type Options struct {
	// Config changes the counter section before the service is built.
	Config func(c *counter.Config)
	// NoJournal, NoKeys and NoArticles leave the part out.
	NoJournal, NoKeys, NoArticles bool
	// ERP starts the simulated ERP's sales endpoint and sets the hand-over
	// to it.
	ERP bool
	// Synthetic is the number of generated articles besides the known
	// ones (default 300).
	Synthetic int
	// Log receives the parts' logs; nil discards them.
	Log io.Writer
}

// Env is a counter with real parts.
type Env struct {
	T       testing.TB
	Dir     string
	Clock   *clock.Fake
	Log     *slog.Logger
	DB      *sqlite.DB
	Journal *journal.Journal
	Mirror  *mirrordb.DB
	Keys    *seal.Keyring
	Monitor *monitor.Monitor
	Service *counter.Service
	Config  counter.Config
	// ERP is the simulated ERP's sales endpoint (Options.ERP).
	ERP    *erpsim.ERP
	ERPURL string
	// Synthetic are the generated articles in the copy.
	Synthetic []mirror.Article
}

// Check ids of the env's monitor.
const (
	CheckERP       = "erp"
	CheckKonnektor = "konnektor"
	CheckERezept   = "erezept"
)

// New builds the env; everything is closed when the test ends.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	var w io.Writer = io.Discard
	if o.Log != nil {
		w = o.Log
	}
	e := &Env{T: t, Dir: dir, Clock: clock.NewFake(Start), Log: slog.New(slog.NewTextHandler(w, nil))}
	var err error
	if e.DB, err = sqlite.Open(ctx, filepath.Join(dir, "site.db")); err != nil {
		t.Fatalf("open site database: %v", err)
	}
	t.Cleanup(func() { e.DB.Close() })

	specs := []check.Spec{
		{ID: CheckKonnektor, Name: "Konnektor", Kind: check.KindKonnektor, Group: check.GroupAccess},
		{ID: CheckERezept, Name: "E-Rezept", Kind: check.KindDNS, Group: check.GroupAccess, DependsOn: []string{CheckKonnektor}},
		{ID: CheckERP, Name: "Warenwirtschaft", Kind: check.KindHTTP, Group: check.GroupERP},
	}
	probers := map[string]check.Prober{}
	for i := range specs {
		specs[i].ApplyDefaults()
		specs[i].FailAfter, specs[i].RecoverAfter = 1, 1
		probers[specs[i].ID] = check.ProberFunc(func(context.Context) check.Result { return check.OK(0, "ok", "ok") })
	}
	if e.Monitor, err = monitor.New(monitor.Config{Specs: specs, Probers: probers, Store: sqlite.NewMonitorStore(e.DB), Clock: e.Clock, Log: e.Log}); err != nil {
		t.Fatalf("monitor: %v", err)
	}
	for _, s := range specs {
		e.Set(s.ID, check.StatusOK)
	}

	var opts counter.Options
	if !o.NoJournal {
		jc := journal.Config{Dir: filepath.Join(dir, "journal"), MirrorDir: filepath.Join(dir, "journal-copy"), RegisterSerial: "TEST-KASSE-1", TSESerial: "TEST-TSE-1"}
		jc.ApplyDefaults(dir)
		if e.Journal, err = journal.Open(jc, e.Log, e.Clock); err != nil {
			t.Fatalf("open journal: %v", err)
		}
		t.Cleanup(func() { e.Journal.Close() })
		opts.Journal = e.Journal
	}
	if !o.NoKeys {
		k, err := seal.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if e.Keys, err = seal.NewKeyring(k); err != nil {
			t.Fatal(err)
		}
	}
	if !o.NoArticles {
		e.fillMirror(o.Synthetic)
		opts.Articles = e.Mirror
	}
	if o.ERP {
		e.ERP = erpsim.New(e.Clock, e.Log)
		srv := httptest.NewServer(e.ERP)
		t.Cleanup(srv.Close)
		e.ERPURL = srv.URL
	}
	e.Config = counter.Config{Receipt: counter.ReceiptConfig{Header: []string{"Apotheke am Markt", "Marktplatz 1, 12345 Musterstadt"}}}
	if o.ERP {
		e.Config.Replay.ERPURL = e.ERPURL
	}
	if o.Config != nil {
		o.Config(&e.Config)
	}
	e.Config.ApplyDefaults(dir)
	if ps := e.Config.Validate(); len(ps) > 0 {
		t.Fatalf("counter config: %v", ps)
	}
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	opts.Config, opts.Checks, opts.Store, opts.Keys = e.Config, specs, sqlite.NewCounterStore(e.DB), e.Keys
	opts.Status, opts.SiteName, opts.Location, opts.Clock, opts.Logger = e.Monitor.Overview, "Apotheke am Markt", loc, e.Clock, e.Log
	if e.Service, err = counter.New(ctx, opts); err != nil {
		t.Fatalf("counter.New: %v", err)
	}
	t.Cleanup(e.Service.Close)
	return e
}

func (e *Env) fillMirror(n int) {
	t := e.T
	ctx := context.Background()
	var err error
	if e.Mirror, err = mirrordb.Open(ctx, filepath.Join(e.Dir, mirrordb.FileName), e.Keys, e.Log); err != nil {
		t.Fatalf("open downtime copy: %v", err)
	}
	t.Cleanup(func() { e.Mirror.Close() })
	if n == 0 {
		n = 300
	}
	e.Synthetic = synth.Articles(n, 7)
	known := map[string]bool{}
	for _, a := range Known() {
		known[string(a.PZN)] = true
	}
	err = e.Mirror.Replace(ctx, mirror.Articles, func(w mirror.Writer) (mirror.Commit, error) {
		for _, a := range append(Known(), e.Synthetic...) {
			if a.Name != "" && known[string(a.PZN)] && !isKnown(a) {
				continue // a generated article with a known PZN
			}
			if err := w.Put(ctx, a); err != nil {
				return mirror.Commit{}, err
			}
		}
		now := e.Clock.Now()
		return mirror.Commit{Source: "countertest", SyncedAt: now.Add(-3 * time.Minute), At: now}, nil
	})
	if err != nil {
		t.Fatalf("fill downtime copy: %v", err)
	}
}

func isKnown(a mirror.Article) bool {
	for _, k := range Known() {
		if k == a {
			return true
		}
	}
	return false
}

// Set records one probe result of a check; the monitor's checks switch
// after one result.
func (e *Env) Set(id string, st check.Status) {
	e.Monitor.Record(id, check.Result{Status: st, Message: check.Msg(st.String(), st.String())}, e.Clock.Now())
}

// ERezeptScan returns the content of a printout's DataMatrix with
// prescriptions n, n+1, ... (count of them), valid by the gematik rules.
func ERezeptScan(n, count int) string {
	s := `{"urls":[`
	for i := range count {
		if i > 0 {
			s += ","
		}
		first15 := "160000000000" + pad3(n+i)
		id := first15[:3] + "." + first15[3:6] + "." + first15[6:9] + "." + first15[9:12] + "." + first15[12:15]
		s += `"Task/` + id + "." + pharmaCheck(first15) + `/$accept?ac=` + accessCode(n+i) + `"`
	}
	return s + "]}"
}

// Files returns the content of files, for tests that look for what must
// not be there.
func (e *Env) Files(paths ...string) string {
	var all []byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			e.T.Fatalf("read %s: %v", p, err)
		}
		all = append(all, b...)
	}
	return string(all)
}
