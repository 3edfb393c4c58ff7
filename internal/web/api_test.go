package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/monitor"
)

func TestHealthz(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(e.client(), "GET", "/healthz", nil, nil)
	var got map[string]string
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || r.status != http.StatusOK {
		t.Fatalf("healthz: status %d body %q err %v", r.status, r.body, err)
	}
	if diff := cmp.Diff(map[string]string{"status": "ok"}, got); diff != "" {
		t.Errorf("healthz (-want +got):\n%s", diff)
	}
}

func TestStatusJSON(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client()
	e.login(c, "vera")
	r := e.do(c, "GET", "/api/v1/status", nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d; want 200", r.status)
	}
	// The exact set of keys.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.body), &raw); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if diff := cmp.Diff([]string{"checks", "overall", "root_causes", "sentence"}, sortedKeys(raw)); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
	var checks []map[string]json.RawMessage
	if err := json.Unmarshal(raw["checks"], &checks); err != nil || len(checks) == 0 {
		t.Fatalf("checks: %v (%d)", err, len(checks))
	}
	wantKeys := []string{"caused_by", "consequence", "depends_on", "group", "id", "kind", "latency_ms", "message", "name", "since", "state"}
	for _, ck := range checks {
		if diff := cmp.Diff(wantKeys, sortedKeys(ck)); diff != "" {
			t.Errorf("check keys (-want +got):\n%s", diff)
		}
	}
	if !strings.Contains(r.body, `"depends_on":[]`) || !strings.Contains(r.body, `"caused_by":[]`) || strings.Contains(r.body, "null") {
		t.Errorf("empty lists must be [], never null:\n%s", r.body)
	}

	var got statusJSON
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	o := testOverview()
	if got.Overall != "down" || got.Sentence != o.Sentence("de", e.loc) {
		t.Errorf("overall %q sentence %q; want down and %q", got.Overall, got.Sentence, o.Sentence("de", e.loc))
	}
	if diff := cmp.Diff([]string{"erp", "konnektor"}, got.RootCauses); diff != "" {
		t.Errorf("root_causes (-want +got):\n%s", diff)
	}
	since := testNow.Add(-17 * time.Minute).Format(time.RFC3339)
	want := checkJSON{ID: "erezept", Name: "E-Rezept", Kind: "http", Group: "access", State: "down", Since: &since,
		LatencyMS: 1.5, Message: "Zeitüberschreitung", DependsOn: []string{"konnektor"}, Consequence: true, CausedBy: []string{"konnektor"}}
	var erezept checkJSON
	for _, ck := range got.Checks {
		if ck.ID == "erezept" {
			erezept = ck
		}
	}
	if diff := cmp.Diff(want, erezept); diff != "" {
		t.Errorf("erezept (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(since, "Z") {
		t.Errorf("since %q is not UTC", since)
	}
}

func TestStatusJSONEmpty(t *testing.T) {
	e := newEnv(t, nil)
	e.src.set(monitor.Overview{At: testNow})
	c := e.client()
	e.login(c, "vera")
	r := e.do(c, "GET", "/api/v1/status", nil, nil)
	want := `{"overall":"unknown","root_causes":[],"sentence":"Keine Prüfungen eingerichtet.","checks":[]}` + "\n"
	if r.body != want {
		t.Errorf("status without checks = %s; want %s", r.body, want)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestStatusJSONLanguage(t *testing.T) {
	tests := []struct {
		name       string
		defaultLng string
		query      string
		accept     string
		want       string
	}{
		{"default German", "", "", "", "Verbindung abgelehnt"},
		{"configured English", "en", "", "", "Connection refused"},
		{"query en", "", "?lang=en", "", "Connection refused"},
		{"query de beats header", "", "?lang=de", "en-US,en;q=0.9", "Verbindung abgelehnt"},
		{"Accept-Language en", "", "", "en-GB,en;q=0.9,de;q=0.5", "Connection refused"},
		{"Accept-Language weights", "", "", "en;q=0.3,de-DE;q=0.8", "Verbindung abgelehnt"},
		{"Accept-Language unsupported", "en", "", "fr-FR", "Connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Language = tc.defaultLng })
			c := e.client()
			e.login(c, "vera")
			h := map[string]string{}
			if tc.accept != "" {
				h["Accept-Language"] = tc.accept
			}
			r := e.do(c, "GET", "/api/v1/status"+tc.query, nil, h)
			var got statusJSON
			if err := json.Unmarshal([]byte(r.body), &got); err != nil {
				t.Fatalf("decode: %v", err)
			}
			for _, ck := range got.Checks {
				if ck.ID == "konnektor" && ck.Message != tc.want {
					t.Errorf("message %q; want %q", ck.Message, tc.want)
				}
			}
		})
	}
}

func TestHistory(t *testing.T) {
	e := newEnv(t, nil)
	e.src.transitions["konnektor"] = []check.Transition{
		{CheckID: "konnektor", From: check.StateUnknown, To: check.StateOK, At: testNow.Add(-30 * time.Hour), Reason: check.Msg("alt", "old")},
		{CheckID: "konnektor", From: check.StateOK, To: check.StateDown, At: testNow.Add(-18 * time.Minute), Reason: check.Msg("Verbindung abgelehnt", "Connection refused")},
	}
	e.src.samples["konnektor"] = []monitor.Sample{
		{CheckID: "konnektor", At: testNow.Add(-20 * time.Minute), Status: check.StatusOK, Latency: 40 * time.Millisecond, Message: "OK"},
		{CheckID: "konnektor", At: testNow.Add(-19 * time.Minute), Status: check.StatusFail, Latency: 5 * time.Second, Message: "Verbindung abgelehnt"},
	}
	c := e.client()
	e.login(c, "vera")

	r := e.do(c, "GET", "/api/v1/checks/konnektor/history", nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d; want 200\n%s", r.status, r.body)
	}
	var got historyJSON
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	want := historyJSON{
		ID: "konnektor",
		Transitions: []transitionJSON{
			{At: testNow.Add(-18 * time.Minute).Format(time.RFC3339), From: "ok", To: "down", Reason: "Verbindung abgelehnt"},
		},
		Samples: []sampleJSON{
			{At: testNow.Add(-20 * time.Minute).Format(time.RFC3339), Status: "ok", LatencyMS: 40, Message: "OK"},
			{At: testNow.Add(-19 * time.Minute).Format(time.RFC3339), Status: "fail", LatencyMS: 5000, Message: "Verbindung abgelehnt"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history, default 24 h (-want +got):\n%s", diff)
	}
	if !e.src.lastSince.Equal(testNow.Add(-24 * time.Hour)) {
		t.Errorf("default since %v; want %v", e.src.lastSince, testNow.Add(-24*time.Hour))
	}

	since := testNow.Add(-48 * time.Hour).Format(time.RFC3339)
	r = e.do(c, "GET", "/api/v1/checks/konnektor/history?lang=en&since="+url.QueryEscape(since), nil, nil)
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(got.Transitions) != 2 || got.Transitions[0].Reason != "old" {
		t.Errorf("since=%s, lang=en: transitions %+v; want both, reasons in English", since, got.Transitions)
	}

	empty := e.do(c, "GET", "/api/v1/checks/backup/history", nil, nil)
	if !strings.Contains(empty.body, `"transitions":[]`) || !strings.Contains(empty.body, `"samples":[]`) {
		t.Errorf("history without data must have [] lists: %s", empty.body)
	}

	errs := []struct {
		path string
		want int
	}{
		{"/api/v1/checks/nope/history", http.StatusNotFound},
		{"/api/v1/checks/konnektor/history?since=yesterday", http.StatusBadRequest},
		{"/api/v1/nothing", http.StatusNotFound},
		{"/api/v1/test/fail", http.StatusConflict},
	}
	for _, tc := range errs {
		r := e.do(c, "GET", tc.path, nil, nil)
		if r.status != tc.want {
			t.Errorf("GET %s: status %d; want %d", tc.path, r.status, tc.want)
		}
		assertJSONError(t, r)
	}
}

func TestMetrics(t *testing.T) {
	tests := []struct {
		name       string
		public     bool
		login      bool
		wantStatus int
	}{
		{"public, anonymous", true, false, http.StatusOK},
		{"private, anonymous", false, false, http.StatusUnauthorized},
		{"private, logged in", false, true, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.MetricsPublic = tc.public })
			c := e.client()
			if tc.login {
				e.login(c, "vera")
			}
			r := e.do(c, "GET", "/metrics", nil, nil)
			if r.status != tc.wantStatus {
				t.Fatalf("status %d; want %d", r.status, tc.wantStatus)
			}
			if tc.wantStatus != http.StatusOK {
				return
			}
			for _, want := range []string{
				`lifeline_check_up{check="ups"} 1`,
				`lifeline_check_up{check="erp"} 1`, // degraded counts as up
				`lifeline_check_up{check="konnektor"} 0`,
				`lifeline_check_up{check="erezept"} 0`,
				`lifeline_check_up{check="backup"} 0`, // unknown counts as not up
				`lifeline_check_state{check="konnektor",state="down"} 1`,
				`lifeline_check_state{check="konnektor",state="ok"} 0`,
				`lifeline_check_state{check="backup",state="unknown"} 1`,
				`lifeline_check_state{check="erp",state="degraded"} 1`,
				`lifeline_probe_duration_seconds{check="ups"} 0.003`,
				`lifeline_probe_duration_seconds{check="konnektor"} 5`,
				`lifeline_build_info{version="v0.1.0-test"} 1`,
				"# TYPE lifeline_check_up gauge",
			} {
				if !strings.Contains(r.body, want) {
					t.Errorf("metrics lack %s", want)
				}
			}
			if strings.Contains(r.body, `lifeline_probe_duration_seconds{check="backup"}`) {
				t.Errorf("a check never probed has a probe duration")
			}
			// Built from the Overview on each scrape.
			o := testOverview()
			o.Checks[2].State = check.StateOK
			e.src.set(o)
			r = e.do(c, "GET", "/metrics", nil, nil)
			if !strings.Contains(r.body, `lifeline_check_up{check="konnektor"} 1`) {
				t.Errorf("metrics do not follow the overview: konnektor still not up")
			}
		})
	}
}
