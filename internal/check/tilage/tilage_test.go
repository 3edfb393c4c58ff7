package tilage

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
)

// lagebild is a TI-Lagebild stand-in on loopback that counts requests.
type lagebild struct {
	srv      *httptest.Server
	requests atomic.Int32
	mu       sync.Mutex
	status   int
	body     []byte
	lastURL  string
	lastUA   string
}

func startLagebild(t *testing.T) *lagebild {
	t.Helper()
	l := &lagebild{status: http.StatusOK, body: Render(OutageNone)}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.requests.Add(1)
		l.mu.Lock()
		status, body := l.status, l.body
		l.lastURL, l.lastUA = r.URL.String(), r.UserAgent()
		l.mu.Unlock()
		if r.URL.Path != "/lageapi"+Path {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(l.srv.Close)
	return l
}

func (l *lagebild) set(status int, body []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status, l.body = status, body
}

func newProber(t *testing.T, url string, clk *clock.Fake) *Prober {
	t.Helper()
	spec := check.Spec{ID: "tilage", Kind: check.KindTILage, URL: url}
	spec.ApplyDefaults()
	p, err := New(spec, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if clk != nil {
		p.Now = clk.Now
	}
	return p
}

func probe(p *Prober) check.Result {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.Probe(ctx)
}

// TestProbeRateLimit walks through an afternoon of probes every minute and
// checks that the API sees at most one request per 5 minutes, while the
// results follow the TI-Lagebild.
func TestProbeRateLimit(t *testing.T) {
	l := startLagebild(t)
	clk := clock.NewFake(time.Date(2026, 3, 29, 1, 58, 0, 0, time.UTC)) // across a DST night
	p := newProber(t, l.srv.URL+"/lageapi?ciKim=CI-0000200", clk)

	steps := []struct {
		name         string
		advance      time.Duration
		set          []byte
		status       int
		wantRequests int32
		wantStatus   check.Status
		wantDE       string
	}{
		{name: "first probe asks", wantRequests: 1, wantStatus: check.StatusOK, wantDE: "E-Rezept ungestört (TI-Lagebild)"},
		{name: "a minute later is cached", advance: time.Minute, set: Render(OutagePartial), wantRequests: 1, wantStatus: check.StatusOK, wantDE: "E-Rezept ungestört (TI-Lagebild)"},
		{name: "4:59 after the request is cached", advance: 3*time.Minute + 59*time.Second, wantRequests: 1, wantStatus: check.StatusOK, wantDE: "E-Rezept ungestört (TI-Lagebild)"},
		{name: "5:00 after the request asks again", advance: time.Second, wantRequests: 2, wantStatus: check.StatusDegraded, wantDE: "E-Rezept teilweise gestört (TI-Lagebild)"},
		{name: "full outage", advance: 5 * time.Minute, set: Render(OutageFull), wantRequests: 3, wantStatus: check.StatusFail, wantDE: "E-Rezept ausgefallen (TI-Lagebild)"},
		{name: "server error fails", advance: 5 * time.Minute, set: []byte("oops"), status: 503, wantRequests: 4, wantStatus: check.StatusFail, wantDE: "TI-Lagebild nicht abrufbar (HTTP-Status 503)"},
		{name: "a failure is not retried early", advance: 2 * time.Minute, set: Render(OutageNone), wantRequests: 4, wantStatus: check.StatusFail, wantDE: "TI-Lagebild nicht abrufbar"},
		{name: "recovered", advance: 3 * time.Minute, wantRequests: 5, wantStatus: check.StatusOK, wantDE: "E-Rezept ungestört"},
		{name: "unknown outage value", advance: 6 * time.Minute, set: []byte(`{"appStatus":{"erezept":{"outage":"maybe"}},"cause":[]}`), wantRequests: 6, wantStatus: check.StatusUnknown, wantDE: `TI-Lagebild meldet einen unbekannten Zustand "maybe"`},
		{name: "clock set back is still cached", advance: -time.Hour, wantRequests: 6, wantStatus: check.StatusUnknown, wantDE: "TI-Lagebild meldet"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			clk.Advance(st.advance)
			if st.set != nil {
				status := st.status
				if status == 0 {
					status = http.StatusOK
				}
				l.set(status, st.set)
			}
			got := probe(p)
			if n := l.requests.Load(); n != st.wantRequests {
				t.Errorf("requests got %d; want %d", n, st.wantRequests)
			}
			if got.Status != st.wantStatus || !strings.HasPrefix(got.Message.DE, st.wantDE) {
				t.Errorf("got %v %q; want %v %q...", got.Status, got.Message.DE, st.wantStatus, st.wantDE)
			}
			if got.Message.EN == "" {
				t.Errorf("English message empty; want one")
			}
		})
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lastURL != "/lageapi/v2/tilage?ciKim=CI-0000200" {
		t.Errorf("request URL got %q; want %q", l.lastURL, "/lageapi/v2/tilage?ciKim=CI-0000200")
	}
	if !strings.HasPrefix(l.lastUA, "lifeline") {
		t.Errorf("User-Agent got %q; want it to name lifeline", l.lastUA)
	}
}

func TestProbeRealClockAsksOnce(t *testing.T) {
	l := startLagebild(t)
	p := newProber(t, l.srv.URL+"/lageapi/v2/tilage", nil)
	first := probe(p)
	for i := 0; i < 5; i++ {
		if got := probe(p); got.Status != first.Status || got.Message != first.Message {
			t.Errorf("cached probe %d got %v %q; want %v %q", i, got.Status, got.Message.DE, first.Status, first.Message.DE)
		}
	}
	if n := l.requests.Load(); n != 1 {
		t.Errorf("requests got %d after 6 probes; want 1", n)
	}
	if first.Latency <= 0 {
		t.Errorf("latency got %v; want > 0", first.Latency)
	}
}

func TestProbeFailures(t *testing.T) {
	l := startLagebild(t)
	tests := []struct {
		name    string
		url     string
		body    []byte
		timeout time.Duration
		delay   bool
		wantDE  string
	}{
		{name: "not JSON", url: l.srv.URL + "/lageapi", body: []byte("<html>"), wantDE: "TI-Lagebild liefert keine lesbare Antwort"},
		{name: "v1 array instead of v2", url: l.srv.URL + "/lageapi", body: []byte(`[{"ci":"CI-0000001"}]`), wantDE: "TI-Lagebild liefert keine lesbare Antwort"},
		{name: "wrong path gives 404", url: l.srv.URL + "/falsch", body: Render(OutageNone), wantDE: "TI-Lagebild nicht abrufbar (HTTP-Status 404)"},
		{name: "nobody listens", url: "http://127.0.0.1:1/lageapi", wantDE: "TI-Lagebild nicht erreichbar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.body != nil {
				l.set(http.StatusOK, tt.body)
			}
			got := probe(newProber(t, tt.url, clock.NewFake(time.Unix(0, 0))))
			if got.Status != check.StatusFail || !strings.HasPrefix(got.Message.DE, tt.wantDE) {
				t.Errorf("got %v %q; want fail %q...", got.Status, got.Message.DE, tt.wantDE)
			}
		})
	}
}

func TestProbeHonoursContext(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	p := newProber(t, slow.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	got := p.Probe(ctx)
	if got.Status != check.StatusFail || got.Message.DE != "TI-Lagebild antwortet nicht rechtzeitig" {
		t.Errorf("got %v %q; want fail \"TI-Lagebild antwortet nicht rechtzeitig\"", got.Status, got.Message.DE)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Probe took %v; want about 200ms", d)
	}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name       string
		doc        string
		wantStatus check.Status
		wantDE     string
		wantEN     string
	}{
		{"none", `{"appStatus":{"erezept":{"outage":"none"}}}`, check.StatusOK, "E-Rezept ungestört (TI-Lagebild)", "E-Rezept working (TI-Lagebild)"},
		{"partial", `{"appStatus":{"erezept":{"outage":"partial"}}}`, check.StatusDegraded, "E-Rezept teilweise gestört (TI-Lagebild)", "E-Rezept partly disrupted (TI-Lagebild)"},
		{"partial maintenance", `{"appStatus":{"erezept":{"outage":"partial","hasMaintenance":true}}}`, check.StatusDegraded, "E-Rezept teilweise gestört wegen Wartung (TI-Lagebild)", "E-Rezept partly disrupted due to maintenance (TI-Lagebild)"},
		{"full", `{"appStatus":{"erezept":{"outage":"full"}}}`, check.StatusFail, "E-Rezept ausgefallen (TI-Lagebild): Ersatzverfahren mit Papierrezept", "E-Rezept down (TI-Lagebild): use the paper prescription fallback"},
		{"empty outage", `{"appStatus":{"erezept":{}}}`, check.StatusUnknown, `TI-Lagebild meldet einen unbekannten Zustand "" für das E-Rezept`, `TI-Lagebild reports an unknown state "" for the E-Rezept`},
		{"no erezept", `{"appStatus":{"kim":{"outage":"full"}}}`, check.StatusUnknown, "TI-Lagebild nennt das E-Rezept nicht", "TI-Lagebild does not mention the E-Rezept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := ParseDocument(strings.NewReader(tt.doc))
			if err != nil {
				t.Fatalf("ParseDocument: %v", err)
			}
			got := Judge(doc)
			if got.Status != tt.wantStatus || got.Message.DE != tt.wantDE || got.Message.EN != tt.wantEN {
				t.Errorf("got %v %q / %q; want %v %q / %q", got.Status, got.Message.DE, got.Message.EN, tt.wantStatus, tt.wantDE, tt.wantEN)
			}
		})
	}
}

func TestRenderMatchesGematikShape(t *testing.T) {
	for _, o := range []Outage{OutageNone, OutagePartial, OutageFull} {
		t.Run(string(o), func(t *testing.T) {
			b := Render(o)
			doc, err := ParseDocument(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("ParseDocument(Render(%s)): %v", o, err)
			}
			if got := doc.AppStatus[AppERezept].Outage; got != o {
				t.Errorf("erezept outage got %q; want %q", got, o)
			}
			for _, app := range []string{AppEPA, AppKIM, AppWANDA, AppOGD, AppVSDM, AppTIAnschluss} {
				if doc.AppStatus[app].Outage != OutageNone {
					t.Errorf("%s outage got %q; want none", app, doc.AppStatus[app].Outage)
				}
			}
			for _, key := range []string{`"appStatus"`, `"cause"`, `"hasMaintenance"`, `"hasSubComponentMaintenance"`, `"affectedFunctions"`} {
				if !bytes.Contains(b, []byte(key)) {
					t.Errorf("document lacks %s; want the gematik v2 shape", key)
				}
			}
		})
	}
}

func TestNewURLs(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "", want: "https://ti-lage.prod.ccs.gematik.solutions/lageapi/v2/tilage"},
		{in: "https://ti-lage.prod.ccs.gematik.solutions/lageapi", want: "https://ti-lage.prod.ccs.gematik.solutions/lageapi/v2/tilage"},
		{in: "https://ti-lage.prod.ccs.gematik.solutions/lageapi/v2/tilage/", want: "https://ti-lage.prod.ccs.gematik.solutions/lageapi/v2/tilage/"},
		{in: "http://127.0.0.1:8080/?ciAccess=CI-0000128", want: "http://127.0.0.1:8080/v2/tilage?ciAccess=CI-0000128"},
		{in: "ftp://x", wantErr: true},
		{in: "not a url", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := New(check.Spec{ID: "t", Kind: check.KindTILage, URL: tt.in}, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New(%q) error = %v; want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && p.URL() != tt.want {
				t.Errorf("URL got %q; want %q", p.URL(), tt.want)
			}
		})
	}
}

// FuzzParseDocument checks that arbitrary answers never panic the parser
// or the verdict.
func FuzzParseDocument(f *testing.F) {
	f.Add(Render(OutageNone))
	f.Add(Render(OutageFull))
	f.Add([]byte(`{"appStatus":{"erezept":{"outage":"partial"}}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"appStatus":null}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := ParseDocument(bytes.NewReader(b))
		if err != nil {
			return
		}
		r := Judge(doc)
		if r.Message.DE == "" || r.Message.EN == "" {
			t.Fatalf("Judge gave an empty message for %q", b)
		}
	})
}
