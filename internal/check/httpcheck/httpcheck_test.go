package httpcheck

import (
	"context"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// testHandler serves the cases of the status, body, JSON and redirect tests.
func testHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Kasse bereit")
	})
	mux.HandleFunc("/unavailable", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "wartung", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":{"db":"ok","count":3,"up":true,"note":null},"items":[{"state":"running"}]}`)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "head-marker")
		fmt.Fprint(w, strings.Repeat("a", 2*MaxBody))
		fmt.Fprint(w, "tail-marker")
	})
	// /r/N redirects N times, then answers 200.
	mux.HandleFunc("/r/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n <= 0 {
			fmt.Fprint(w, "angekommen")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/r/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	return mux
}

func probe(t *testing.T, spec check.Spec, timeout time.Duration) check.Result {
	t.Helper()
	spec.ID, spec.Kind = "web", check.KindHTTP
	spec.ApplyDefaults()
	p, err := New(spec, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	got := p.Probe(ctx)
	t.Logf("%v: %s | %s", got.Status, got.Message.DE, got.Message.EN)
	return got
}

func checkResult(t *testing.T, got check.Result, wantStatus check.Status, wantMsg string) {
	t.Helper()
	if got.Status != wantStatus {
		t.Errorf("status: got %v (%s); want %v", got.Status, got.Message.DE, wantStatus)
	}
	if !strings.Contains(got.Message.DE, wantMsg) {
		t.Errorf("message: got %q; want it to contain %q", got.Message.DE, wantMsg)
	}
	if got.Message.EN == "" {
		t.Errorf("English message empty; want a translation of %q", got.Message.DE)
	}
}

func TestProbeAnswers(t *testing.T) {
	srv := httptest.NewServer(testHandler())
	t.Cleanup(srv.Close)
	tests := []struct {
		name       string
		spec       check.Spec
		wantStatus check.Status
		wantMsg    string
		wantCode   float64
	}{
		{"200", check.Spec{URL: "/ok"}, check.StatusOK, "Antwort 200 in", 200},
		{"503", check.Spec{URL: "/unavailable"}, check.StatusFail, "Antwort 503 statt 200 (Dienst vorübergehend nicht verfügbar)", 503},
		{"404", check.Spec{URL: "/missing"}, check.StatusFail, "Antwort 404 statt 200 (Seite nicht gefunden)", 404},
		{"503 expected", check.Spec{URL: "/unavailable", ExpectStatus: 503}, check.StatusOK, "Antwort 503", 503},
		{"200 but 204 expected", check.Spec{URL: "/ok", ExpectStatus: 204}, check.StatusFail, "Antwort 200 statt 204", 200},
		{"body contains", check.Spec{URL: "/ok", BodyContains: "Kasse bereit"}, check.StatusOK, "Antwort 200", 200},
		{"body lacks text", check.Spec{URL: "/ok", BodyContains: "Fehler"}, check.StatusFail, "Erwarteter Text „Fehler“ fehlt", 200},
		{"body read up to 1 MiB", check.Spec{URL: "/big", BodyContains: "head-marker"}, check.StatusOK, "Antwort 200", 200},
		{"body beyond 1 MiB not read", check.Spec{URL: "/big", BodyContains: "tail-marker"}, check.StatusFail, "fehlt in der Antwort", 200},
		{"json field exists", check.Spec{URL: "/json", JSONField: "status.db"}, check.StatusOK, "Antwort 200", 200},
		{"json string equal", check.Spec{URL: "/json", JSONField: "status.db", JSONValue: "ok"}, check.StatusOK, "Antwort 200", 200},
		{"json number equal", check.Spec{URL: "/json", JSONField: "status.count", JSONValue: "3"}, check.StatusOK, "Antwort 200", 200},
		{"json bool equal", check.Spec{URL: "/json", JSONField: "status.up", JSONValue: "true"}, check.StatusOK, "Antwort 200", 200},
		{"json null exists", check.Spec{URL: "/json", JSONField: "status.note"}, check.StatusOK, "Antwort 200", 200},
		{"json array index", check.Spec{URL: "/json", JSONField: "items.0.state", JSONValue: "running"}, check.StatusOK, "Antwort 200", 200},
		{"json value wrong", check.Spec{URL: "/json", JSONField: "status.db", JSONValue: "down"}, check.StatusFail, "Feld „status.db“ ist „ok“ statt „down“", 200},
		{"json field missing", check.Spec{URL: "/json", JSONField: "status.cache"}, check.StatusFail, "Feld „status.cache“ fehlt", 200},
		{"json path through a string", check.Spec{URL: "/json", JSONField: "status.db.x"}, check.StatusFail, "Feld „status.db.x“ fehlt", 200},
		{"not json", check.Spec{URL: "/ok", JSONField: "status"}, check.StatusFail, "kein gültiges JSON", 200},
		{"3 redirects followed", check.Spec{URL: "/r/3", BodyContains: "angekommen"}, check.StatusOK, "Antwort 200", 200},
		{"4 redirects too many", check.Spec{URL: "/r/4"}, check.StatusFail, "Zu viele Weiterleitungen", 0},
		{"redirect itself expected", check.Spec{URL: "/r/5", ExpectStatus: http.StatusFound}, check.StatusOK, "Antwort 302", 302},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spec.URL = srv.URL + tt.spec.URL
			got := probe(t, tt.spec, 5*time.Second)
			checkResult(t, got, tt.wantStatus, tt.wantMsg)
			if code := got.Values["status_code"]; code != tt.wantCode {
				t.Errorf("status_code: got %v; want %v", code, tt.wantCode)
			}
		})
	}
}

func TestProbeTLS(t *testing.T) {
	srv := httptest.NewTLSServer(testHandler())
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		spec       check.Spec
		wantStatus check.Status
		wantMsg    string
	}{
		{"trusted", check.Spec{URL: srv.URL + "/ok", CAFile: caFile}, check.StatusOK, "Antwort 200"},
		{"trusted with server name", check.Spec{URL: srv.URL + "/ok", CAFile: caFile, ServerName: "example.com"}, check.StatusOK, "Antwort 200"},
		{"unknown authority", check.Spec{URL: srv.URL + "/ok"}, check.StatusFail, "unbekannte Zertifizierungsstelle"},
		{"wrong host name", check.Spec{URL: srv.URL + "/ok", CAFile: caFile, ServerName: "erp.apotheke.test"}, check.StatusFail, "gehört nicht zu „erp.apotheke.test“"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResult(t, probe(t, tt.spec, 5*time.Second), tt.wantStatus, tt.wantMsg)
		})
	}
}

func TestProbeConnectionFailures(t *testing.T) {
	plain := httptest.NewServer(testHandler())
	t.Cleanup(plain.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name       string
		url        string
		timeout    time.Duration
		wantStatus check.Status
		wantMsg    string
	}{
		{"refused", "http://" + closed + "/", 2 * time.Second, check.StatusFail, "Verbindung abgelehnt"},
		{"handler too slow", plain.URL + "/slow", 200 * time.Millisecond, check.StatusFail, "Zeitüberschreitung"},
		{"https to plain http", strings.Replace(plain.URL, "http://", "https://", 1) + "/ok", 2 * time.Second, check.StatusFail, "spricht kein HTTPS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			checkResult(t, probe(t, check.Spec{URL: tt.url}, tt.timeout), tt.wantStatus, tt.wantMsg)
			if el := time.Since(start); el > tt.timeout+time.Second {
				t.Errorf("probe took %v; want it to end at the %v timeout", el, tt.timeout)
			}
		})
	}

	t.Run("cancelled", func(t *testing.T) {
		p, err := New(check.Spec{ID: "web", URL: plain.URL + "/slow"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		checkResult(t, p.Probe(ctx), check.StatusUnknown, "abgebrochen")
	})
}

func TestFreshConnectionPerProbe(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(testHandler())
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	p, err := New(check.Spec{ID: "web", URL: srv.URL + "/ok"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if r := p.Probe(context.Background()); r.Status != check.StatusOK {
			t.Fatalf("probe: got %v (%s); want ok", r.Status, r.Message.DE)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("connections: got %d; want 3 (one per probe)", n)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		spec check.Spec
	}{
		{"unparsable url", check.Spec{URL: "http://[::1"}},
		{"no scheme", check.Spec{URL: "erp.local/health"}},
		{"ftp", check.Spec{URL: "ftp://erp.local/"}},
		{"no host", check.Spec{URL: "http:///health"}},
		{"missing ca file", check.Spec{URL: "https://erp.local/", CAFile: filepath.Join(t.TempDir(), "nope.pem")}},
		{"bad expect status", check.Spec{URL: "https://erp.local/", ExpectStatus: 2000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.spec, nil); err == nil {
				t.Errorf("New(%+v): got nil error; want an error", tt.spec)
			}
		})
	}
}
