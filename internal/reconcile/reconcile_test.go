package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/reconcile/erpsim"
)

func TestReplay(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*erpsim.ERP)
	}{
		{name: "clean", setup: func(*erpsim.ERP) {}},
		{name: "connection drops", setup: func(e *erpsim.ERP) { e.DropEvery(3) }},
		{name: "ERP busy", setup: func(e *erpsim.ERP) { e.FailNext(4) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j := openJournal(t, dir)
			fill(t, j, 0, 40)
			erp, srv := newERP(t)
			tt.setup(erp)
			r, err := New(fastConfig(filepath.Join(dir, "state")), j, httpAdapter(t, srv.URL), nil, clock.NewFake(t0))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := r.Run(context.Background())
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			checkExactlyOnce(t, j, erp, rep)
			if rep.Refused != 4 || rep.Refusals[0].Number != 10 || !strings.Contains(rep.Refusals[0].ReasonDE, "unbekannt") {
				t.Errorf("refusals = %+v; want 4, the first no. 10 with the ERP's reason", rep.Refusals)
			}
			// A second run has nothing to do.
			rep2, err := r.Run(context.Background())
			if err != nil || rep2.BookedThisRun != 0 || rep2.Booked != rep.Booked {
				t.Errorf("second run = %+v, %v; want nothing new", rep2, err)
			}
		})
	}
}

func TestReplayResumesAfterOutage(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir)
	fill(t, j, 0, 30)
	erp, srv := newERP(t)
	cfg := fastConfig(filepath.Join(dir, "state"))
	cfg.MaxAttempts = 3
	r, err := New(cfg, j, httpAdapter(t, srv.URL), nil, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	erp.FailNext(1 << 20) // the ERP is down from the start
	rep, err := r.Run(context.Background())
	var re *Error
	if !errors.As(err, &re) || !re.Retry || re.Number != 1 {
		t.Fatalf("Run with the ERP down error = %v; want a retryable error at entry 1", err)
	}
	if rep == nil || rep.Stopped == nil || rep.Open != 30 || rep.Complete {
		t.Fatalf("report = %+v; want stopped with 30 open", rep)
	}
	if !strings.Contains(rep.Summary(time.UTC), "Unterbrochen") {
		t.Errorf("summary:\n%s\nwant it to say the run was interrupted", rep.Summary(time.UTC))
	}
	erp.FailNext(0)
	fill(t, j, 30, 5) // sales go on meanwhile
	rep, err = r.Run(context.Background())
	if err != nil {
		t.Fatalf("Run after the outage: %v", err)
	}
	checkExactlyOnce(t, j, erp, rep)
}

func TestReplayResumesAfterCrash(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir)
	fill(t, j, 0, 50)
	erp, srv := newERP(t)
	state := filepath.Join(dir, "state")
	for _, stopAfter := range []int{3, 11, 0, 17} {
		// Cancel in the middle of a run, as a crash would stop it: the
		// last outcomes are past the checkpoint.
		ctx, cancel := context.WithCancel(context.Background())
		ad := &cancelAfter{Adapter: httpAdapter(t, srv.URL), n: stopAfter, cancel: cancel}
		r, err := New(fastConfig(state), j, ad, nil, clock.NewFake(t0))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Run(ctx); err == nil {
			t.Fatalf("run cancelled after %d: no error; want one", stopAfter)
		}
		cancel()
		// Leave outcomes past the checkpoint, one whole and one torn, as a
		// crash between checkpoints would.
		f, _ := os.OpenFile(filepath.Join(state, outcomesFile), os.O_WRONLY|os.O_APPEND, 0)
		f.WriteString(`{"number":99,"id":"x","status":"booked"}` + "\n" + `{"number":100,"id":"x`)
		f.Close()
	}
	r, _ := New(fastConfig(state), j, httpAdapter(t, srv.URL), nil, clock.NewFake(t0))
	rep, err := r.Run(context.Background())
	if err != nil {
		t.Fatalf("final Run: %v", err)
	}
	checkExactlyOnce(t, j, erp, rep)
	b, err := os.ReadFile(filepath.Join(state, ReportJSON))
	var onDisk Report
	if err != nil || json.Unmarshal(b, &onDisk) != nil || onDisk.Booked != rep.Booked || len(onDisk.Outcomes) != 50 {
		t.Errorf("report.json = %d booked, %d outcomes, %v; want as returned", onDisk.Booked, len(onDisk.Outcomes), err)
	}
	txt, _ := os.ReadFile(filepath.Join(state, ReportText))
	for _, want := range []string{"Gebucht:    45 Verkäufe", "Abgelehnt:  5 Verkäufe", "Nr. 10 vom", "ist im ERP unbekannt", "Booked: 45, refused: 5, open: 0"} {
		if !strings.Contains(string(txt), want) {
			t.Errorf("report.txt:\n%s\nwant %q", txt, want)
		}
	}
}

// cancelAfter cancels the run's context after n bookings.
type cancelAfter struct {
	Adapter
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Book(ctx context.Context, e journal.Entry) (Result, bool, error) {
	if c.n == 0 {
		c.cancel()
		return Result{}, true, ctx.Err()
	}
	c.n--
	return c.Adapter.Book(ctx, e)
}

func TestReplayFatal(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir)
	fill(t, j, 0, 3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer srv.Close()
	r, _ := New(fastConfig(filepath.Join(dir, "state")), j, httpAdapter(t, srv.URL), nil, clock.NewFake(t0))
	rep, err := r.Run(context.Background())
	var re *Error
	if !errors.As(err, &re) || re.Retry || re.Number != 1 || !strings.Contains(re.DE, "IT verständigen") {
		t.Fatalf("Run against 401 error = %v; want a fatal error at entry 1 telling to call IT", err)
	}
	if rep.Stopped == nil || rep.Stopped.Retry || rep.Open != 3 {
		t.Errorf("report stopped %+v open %d; want fatal, 3 open", rep.Stopped, rep.Open)
	}
}

func TestReplayJournalReplaced(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, filepath.Join(dir, "j1"))
	fill(t, j, 0, 3)
	_, srv := newERP(t)
	state := filepath.Join(dir, "state")
	r, _ := New(fastConfig(state), j, httpAdapter(t, srv.URL), nil, nil)
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	other := openJournal(t, filepath.Join(dir, "j2"))
	fill(t, other, 100, 5)
	r, _ = New(fastConfig(state), other, httpAdapter(t, srv.URL), nil, nil)
	_, err := r.Run(context.Background())
	var re *Error
	if !errors.As(err, &re) || re.Number != 3 || !strings.Contains(re.DE, "passt nicht zum Journal") {
		t.Fatalf("Run on another journal error = %v; want a mismatch at entry 3", err)
	}
}

func TestRunLocked(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir)
	_, srv := newERP(t)
	state := filepath.Join(dir, "state")
	r, _ := New(fastConfig(state), j, httpAdapter(t, srv.URL), nil, nil)
	block := make(chan struct{})
	started := make(chan struct{})
	fill(t, j, 0, 1)
	r2, _ := New(fastConfig(state), j, &blockingAdapter{started: started, release: block}, nil, nil)
	done := make(chan error)
	go func() { _, err := r2.Run(context.Background()); done <- err }()
	<-started
	_, err := r.Run(context.Background())
	var re *Error
	if !errors.As(err, &re) || !re.Retry || !strings.Contains(re.DE, "anderer Abgleich") {
		t.Errorf("concurrent Run error = %v; want 'another reconciliation is running'", err)
	}
	close(block)
	if err := <-done; err != nil {
		t.Errorf("first Run: %v", err)
	}
}

type blockingAdapter struct {
	started, release chan struct{}
}

func (b *blockingAdapter) Name() string { return "blocking" }

func (b *blockingAdapter) Book(ctx context.Context, e journal.Entry) (Result, bool, error) {
	close(b.started)
	<-b.release
	return Result{Status: Booked, BookingID: "x"}, false, nil
}

func TestHTTPAdapterAnswers(t *testing.T) {
	tests := []struct {
		status     int
		body       string
		wantStatus Status
		wantRetry  bool
		wantErr    bool
	}{
		{201, `{"booking_id":"B-1"}`, Booked, false, false},
		{200, `{"booking_id":"B-1","replayed":true}`, Booked, false, false},
		{200, `{}`, "", true, true},
		{422, `{"reason":"gesperrt","reason_en":"locked"}`, Refused, false, false},
		{400, `oops`, Refused, false, false},
		{409, `{"reason":"Konflikt"}`, Refused, false, false},
		{429, ``, "", true, true},
		{503, ``, "", true, true},
		{500, ``, "", true, true},
		{401, ``, "", false, true},
		{404, ``, "", false, true},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Idempotency-Key") != "entry-id" || r.Header.Get("Authorization") != "Bearer tok" {
				t.Errorf("headers %v; want Idempotency-Key entry-id and the bearer token", r.Header)
			}
			w.WriteHeader(tt.status)
			w.Write([]byte(tt.body))
		}))
		a, _ := NewHTTPAdapter(HTTPConfig{BaseURL: srv.URL + "/", Token: "tok"}, nil)
		res, retry, err := a.Book(context.Background(), journal.Entry{Number: 1, ID: "entry-id"})
		if res.Status != tt.wantStatus || retry != tt.wantRetry || (err != nil) != tt.wantErr {
			t.Errorf("answer %d %s: got %+v retry %v err %v; want %s retry %v err %v", tt.status, tt.body, res, retry, err, tt.wantStatus, tt.wantRetry, tt.wantErr)
		}
		srv.Close()
	}
	if _, err := NewHTTPAdapter(HTTPConfig{BaseURL: "ftp://erp"}, nil); err == nil {
		t.Error("NewHTTPAdapter(ftp://erp) = nil error; want one")
	}
	a, _ := NewHTTPAdapter(HTTPConfig{BaseURL: "http://127.0.0.1:1"}, nil)
	if _, retry, err := a.Book(context.Background(), journal.Entry{ID: "x"}); err == nil || !retry {
		t.Errorf("Book to a closed port: retry %v err %v; want a retryable error", retry, err)
	}
}
