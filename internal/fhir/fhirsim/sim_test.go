package fhirsim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirsim"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirtest"
)

func get(t *testing.T, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestBulkProtocol(t *testing.T) {
	clk := clock.NewFake(fhirtest.Start())
	sim, err := fhirsim.New(fhirsim.Options{Dir: fhirtest.SampleDir(t), Clock: clk, FileLines: 500, StatusPolls: 1, RetryAfter: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	base := srv.URL + "/fhir"

	if r, _ := get(t, base+"/$export", nil); r.StatusCode != http.StatusBadRequest {
		t.Errorf("kick-off without Prefer: %d; want 400", r.StatusCode)
	}
	r, _ := get(t, base+"/$export?_type=Patient,Condition", map[string]string{"Prefer": "respond-async"})
	status := r.Header.Get("Content-Location")
	if r.StatusCode != http.StatusAccepted || !strings.HasPrefix(status, base+"/_export/") {
		t.Fatalf("kick-off: %d %q", r.StatusCode, status)
	}
	r, _ = get(t, status, nil)
	if r.StatusCode != http.StatusAccepted || r.Header.Get("Retry-After") != "3" || r.Header.Get("X-Progress") == "" {
		t.Errorf("first poll: %d Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r, _ := get(t, status, nil); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("poll before Retry-After: %d; want 429", r.StatusCode)
	}
	clk.Advance(3 * time.Second)
	r, body := get(t, status, nil)
	var m fhir.Manifest
	if r.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &m) != nil {
		t.Fatalf("manifest: %d %s", r.StatusCode, body)
	}
	var types []string
	for _, f := range m.Output {
		types = append(types, f.Type)
	}
	if strings.Join(types, ",") != "Condition,Condition,Patient" || m.TransactionTime != "2026-02-03T09:30:00.000Z" {
		t.Errorf("manifest: %v %s; want Condition split in two files of 500 lines and Patient", types, m.TransactionTime)
	}
	if st := sim.Stats(); st.Early != 1 {
		t.Errorf("early polls: %d; want 1", st.Early)
	}
	// Range requests.
	r, part := get(t, m.Output[2].URL, map[string]string{"Range": "bytes=10-19"})
	if r.StatusCode != http.StatusPartialContent || len(part) != 10 || r.Header.Get("Content-Range") == "" {
		t.Errorf("range: %d %q", r.StatusCode, part)
	}

	// An increment holds only what changed, and the deletions.
	clk.Advance(time.Minute)
	sim.Delete(fhir.TypePatient, sim.IDs(fhir.TypePatient)[0])
	raw, _ := sim.Resource(fhir.TypeCondition, sim.IDs(fhir.TypeCondition)[0])
	sim.Put(raw)
	clk.Advance(time.Minute)
	r, _ = get(t, base+"/$export?_since="+m.TransactionTime, map[string]string{"Prefer": "respond-async"})
	status = r.Header.Get("Content-Location")
	get(t, status, nil)
	clk.Advance(3 * time.Second)
	_, body = get(t, status, nil)
	json.Unmarshal([]byte(body), &m)
	if len(m.Output) != 1 || m.Output[0].Type != fhir.TypeCondition || m.Output[0].Count != 1 || len(m.Deleted) != 1 {
		t.Fatalf("increment manifest: %s", body)
	}
	_, del := get(t, m.Deleted[0].URL, nil)
	if !strings.Contains(del, `"method":"DELETE"`) || !strings.Contains(del, `"url":"Patient/`) {
		t.Errorf("deleted file: %s", del)
	}
	_, cond := get(t, m.Output[0].URL, nil)
	if !strings.Contains(cond, `"lastUpdated":"2026-02-03T09:31:03.000Z"`) {
		t.Errorf("changed resource without its lastUpdated: %s", cond)
	}
}

func TestSearchPaging(t *testing.T) {
	clk := clock.NewFake(fhirtest.Start())
	sim, err := fhirsim.New(fhirsim.Options{Dir: fhirtest.SampleDir(t), Clock: clk, NoExport: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	next, n, pages := srv.URL+"/fhir/Condition?_count=200", 0, 0
	for next != "" {
		_, body := get(t, next, nil)
		var b struct {
			Entry []json.RawMessage
			Link  []struct{ Relation, URL string }
		}
		json.Unmarshal([]byte(body), &b)
		n += len(b.Entry)
		pages++
		next = ""
		for _, l := range b.Link {
			if l.Relation == "next" {
				next = l.URL
			}
		}
	}
	if n != 555 || pages != 3 {
		t.Errorf("paged search: %d conditions in %d pages; want 555 in 3", n, pages)
	}
	if r, _ := get(t, srv.URL+"/fhir/$export", map[string]string{"Prefer": "respond-async"}); r.StatusCode != http.StatusNotFound {
		t.Errorf("kick-off on a server without export: %d; want 404", r.StatusCode)
	}
}

func TestDemoServer(t *testing.T) {
	for _, dir := range []string{fhirtest.SampleDir(t), ""} {
		d, err := fhirsim.StartDemo(fhirsim.DemoOptions{Dir: dir, WorkDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		r, body := get(t, d.BaseURL+"/metadata", nil)
		if r.StatusCode != http.StatusOK || !strings.Contains(body, `"name":"export"`) {
			t.Errorf("metadata: %d %s", r.StatusCode, body)
		}
		if d.Generated != (dir == "") {
			t.Errorf("dir %q: generated %v", dir, d.Generated)
		}
		if n := len(d.Sim.IDs(fhir.TypePatient)); (dir != "" && n != 13) || (dir == "" && n != 60) {
			t.Errorf("dir %q: %d patients", dir, n)
		}
		d.Sim.SetDown(true)
		if r, _ := get(t, d.BaseURL+"/metadata", nil); r.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("EHR down: %d; want 503", r.StatusCode)
		}
		d.Close()
	}
}
