package konnektor

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// konnektorServer is an https server on loopback standing in for a
// Konnektor; body and status can be changed per test.
type konnektorServer struct {
	srv    *httptest.Server
	caFile string
	body   atomic.Value // []byte
	status atomic.Int32
	delay  atomic.Int64 // nanoseconds
	paths  chan string
}

func startKonnektor(t *testing.T) *konnektorServer {
	t.Helper()
	fixture, err := os.ReadFile("testdata/connector.sds")
	if err != nil {
		t.Fatal(err)
	}
	k := &konnektorServer{paths: make(chan string, 100)}
	k.body.Store(fixture)
	k.status.Store(http.StatusOK)
	k.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case k.paths <- r.URL.Path:
		default:
		}
		if d := time.Duration(k.delay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		if r.URL.Path != "/connector.sds" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(int(k.status.Load()))
		_, _ = w.Write(k.body.Load().([]byte))
	}))
	t.Cleanup(k.srv.Close)
	k.caFile = filepath.Join(t.TempDir(), "konnektor-ca.pem")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.srv.Certificate().Raw})
	if err := os.WriteFile(k.caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	return k
}

func probeSpec(t *testing.T, spec check.Spec, timeout time.Duration) check.Result {
	t.Helper()
	spec.ID, spec.Kind = "konnektor", check.KindKonnektor
	spec.ApplyDefaults()
	p, err := New(spec, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Probe(ctx)
}

func TestProbe(t *testing.T) {
	k := startKonnektor(t)
	fixture := k.body.Load().([]byte)
	tests := []struct {
		name       string
		status     int
		body       []byte
		spec       check.Spec
		wantStatus check.Status
		wantDE     string
		wantEN     string
	}{
		{
			name: "fixture is ok", status: 200, body: fixture,
			spec:       check.Spec{URL: k.srv.URL, CAFile: k.caFile},
			wantStatus: check.StatusOK,
			wantDE:     "Konnektor Muster Medizintechnik GmbH Musterkonnektor One FW 5.60.6, 8 Dienste",
			wantEN:     "Konnektor Muster Medizintechnik GmbH Musterkonnektor One FW 5.60.6, 8 services",
		},
		{
			name: "url with trailing slash and full path", status: 200, body: fixture,
			spec:       check.Spec{URL: k.srv.URL + "/connector.sds", CAFile: k.caFile},
			wantStatus: check.StatusOK, wantDE: "Konnektor Muster",
		},
		{
			name: "simulated document is ok", status: 200, body: SDSDocument("Demo AG", "Demokonnektor", "1.2.3", k.srv.URL),
			spec:       check.Spec{URL: k.srv.URL + "/", CAFile: k.caFile},
			wantStatus: check.StatusOK, wantDE: "Konnektor Demo AG Demokonnektor FW 1.2.3, 8 Dienste",
		},
		{
			name: "server error", status: 503, body: []byte("busy"),
			spec:       check.Spec{URL: k.srv.URL, CAFile: k.caFile},
			wantStatus: check.StatusFail, wantDE: "Konnektor antwortet mit HTTP-Status 503",
		},
		{
			name: "unparsable", status: 200, body: []byte("<html>Anmeldung</html>"),
			spec:       check.Spec{URL: k.srv.URL, CAFile: k.caFile},
			wantStatus: check.StatusFail, wantDE: "Konnektor liefert kein gültiges Dienstverzeichnis",
		},
		{
			name: "no event service", status: 200,
			body:       []byte(strings.Replace(string(fixture), `Name="EventService"`, `Name="OtherService"`, 1)),
			spec:       check.Spec{URL: k.srv.URL, CAFile: k.caFile},
			wantStatus: check.StatusFail, wantDE: "Konnektor Muster Medizintechnik GmbH Musterkonnektor One FW 5.60.6 meldet keinen Systeminformationsdienst",
		},
		{
			name: "unknown CA", status: 200, body: fixture,
			spec:       check.Spec{URL: k.srv.URL},
			wantStatus: check.StatusFail, wantDE: "Zertifikat des Konnektors wird nicht anerkannt",
		},
		{
			name: "wrong host name", status: 200, body: fixture,
			spec:       check.Spec{URL: k.srv.URL, CAFile: k.caFile, ServerName: "konnektor.falsch.local"},
			wantStatus: check.StatusFail, wantDE: "Zertifikat des Konnektors passt nicht zu seiner Adresse",
		},
		{
			name: "plain http to a TLS port", status: 200, body: fixture,
			spec:       check.Spec{URL: strings.Replace(k.srv.URL, "https://", "http://", 1)},
			wantStatus: check.StatusFail, wantDE: "Konnektor",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k.status.Store(int32(tt.status))
			k.body.Store(tt.body)
			got := probeSpec(t, tt.spec, 5*time.Second)
			if got.Status != tt.wantStatus || !strings.HasPrefix(got.Message.DE, tt.wantDE) {
				t.Errorf("got %v %q; want %v %q...", got.Status, got.Message.DE, tt.wantStatus, tt.wantDE)
			}
			if tt.wantEN != "" && got.Message.EN != tt.wantEN {
				t.Errorf("English got %q; want %q", got.Message.EN, tt.wantEN)
			}
			if got.Message.EN == "" {
				t.Errorf("English message empty; want one")
			}
			if got.Latency <= 0 {
				t.Errorf("latency got %v; want > 0", got.Latency)
			}
			if tt.wantStatus == check.StatusOK && got.Values["services"] != 8 {
				t.Errorf("services got %v; want 8", got.Values["services"])
			}
		})
	}
	// Every request asked for /connector.sds.
	close(k.paths)
	for p := range k.paths {
		if p != "/connector.sds" {
			t.Errorf("request path got %q; want /connector.sds", p)
		}
	}
}

func TestProbeTimeoutAndRefused(t *testing.T) {
	k := startKonnektor(t)
	k.delay.Store(int64(5 * time.Second))
	start := time.Now()
	got := probeSpec(t, check.Spec{URL: k.srv.URL, CAFile: k.caFile}, 300*time.Millisecond)
	if got.Status != check.StatusFail || got.Message.DE != "Konnektor antwortet nicht rechtzeitig" {
		t.Errorf("slow Konnektor got %v %q; want fail \"Konnektor antwortet nicht rechtzeitig\"", got.Status, got.Message.DE)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Probe took %v; want it to stop at the 300ms deadline", d)
	}

	url := k.srv.URL
	k.srv.Close()
	got = probeSpec(t, check.Spec{URL: url, CAFile: k.caFile}, 2*time.Second)
	if got.Status != check.StatusFail || got.Message.DE != "Konnektor nicht erreichbar" {
		t.Errorf("closed Konnektor got %v %q; want fail \"Konnektor nicht erreichbar\"", got.Status, got.Message.DE)
	}
}

func TestNewRejectsBadSpecs(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		spec    check.Spec
		wantErr string
	}{
		{"no url", check.Spec{ID: "k"}, "not a Konnektor address"},
		{"ftp url", check.Spec{ID: "k", URL: "ftp://konnektor"}, "not a Konnektor address"},
		{"missing ca file", check.Spec{ID: "k", URL: "https://konnektor", CAFile: filepath.Join(dir, "nope.pem")}, "read ca_file"},
		{"ca file not PEM", check.Spec{ID: "k", URL: "https://konnektor", CAFile: notPEM}, "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.spec, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New error got %v; want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestProbeHTTPSToPlainServer(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()
	url := strings.Replace(plain.URL, "http://", "https://", 1)
	got := probeSpec(t, check.Spec{URL: url}, 2*time.Second)
	if got.Status != check.StatusFail || !strings.HasPrefix(got.Message.DE, "Konnektor spricht kein TLS") {
		t.Errorf("got %v %q; want fail \"Konnektor spricht kein TLS...\"", got.Status, got.Message.DE)
	}
}
