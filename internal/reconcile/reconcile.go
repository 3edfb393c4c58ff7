// Package reconcile replays the offline sales journal to the ERP once it is
// back (Nachbuchung): entry by entry, in order, each under its own
// idempotency key (the entry's id), through an Adapter for the kind of ERP.
//
// Progress is recorded in a state folder so that a crash or a lost
// connection resumes where it stopped without booking anything twice: the
// outcome of every entry is appended to outcomes.jsonl, and at checkpoints
// the log is synced and progress.json (last entry handed over, size of the
// log) is replaced atomically. After a crash the log is cut back to the
// last checkpoint and the entries after it are sent again; the ERP
// recognises their idempotency keys and answers with the first booking.
//
// Every run writes a reconciliation report (report.json, and report.txt in
// German with English): booked, refused and why, still open.
package reconcile

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/journal/durable"
)

// Source is where the reconciler reads the journal; *journal.Journal is one.
type Source interface {
	// Since returns up to limit entries with numbers above after, in order.
	Since(after int64, limit int) ([]journal.Entry, error)
}

var _ Source = (*journal.Journal)(nil)

// File names in Config.StateDir.
const (
	progressFile = "progress.json"
	outcomesFile = "outcomes.jsonl"
	lockFile     = "reconcile.lock"
	ReportJSON   = "report.json"
	ReportText   = "report.txt"
)

// Config tunes a reconciler. Zero values take the defaults.
type Config struct {
	// StateDir holds progress, outcomes and reports. Required.
	StateDir string
	// BatchSize is how many entries are read from the journal at once.
	// Default 200.
	BatchSize int
	// CheckpointEvery and CheckpointInterval say how often progress is
	// recorded: after this many entries or this much time, whichever comes
	// first. Defaults 100 and 1 s. A crash repeats at most the entries
	// since the last checkpoint, which the ERP recognises.
	CheckpointEvery    int
	CheckpointInterval time.Duration
	// MaxAttempts bounds the tries per entry while the ERP answers with a
	// passing failure; then the run stops and a later run resumes.
	// Default 8.
	MaxAttempts int
	// Backoff is the wait before the first retry; it doubles up to
	// MaxBackoff. Defaults 200 ms and 10 s.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Location gives the times in report.txt. Default: the local time
	// zone of the machine.
	Location *time.Location
}

func (c *Config) defaults() {
	if c.BatchSize <= 0 {
		c.BatchSize = 200
	}
	if c.CheckpointEvery <= 0 {
		c.CheckpointEvery = 100
	}
	if c.CheckpointInterval <= 0 {
		c.CheckpointInterval = time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.Backoff <= 0 {
		c.Backoff = 200 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 10 * time.Second
	}
	if c.Location == nil {
		c.Location = time.Local
	}
}

// Error is the error type of a run. Retry says whether running again later
// can help; Number names the entry the run stopped at, 0 when none.
type Error struct {
	Retry  bool
	Number int64
	DE, EN string
	Err    error
}

// Error returns the English message and the cause.
func (e *Error) Error() string {
	s := "reconcile: " + e.EN
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Reconciler replays a journal to an ERP through an adapter.
type Reconciler struct {
	cfg Config
	src Source
	ad  Adapter
	log *slog.Logger
	clk clock.Clock
}

// New returns a reconciler. It creates the state folder when missing.
func New(cfg Config, src Source, ad Adapter, log *slog.Logger, clk clock.Clock) (*Reconciler, error) {
	if cfg.StateDir == "" || src == nil || ad == nil {
		return nil, errors.New("reconcile: state folder, journal and adapter are required")
	}
	cfg.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clk == nil {
		clk = clock.Real{}
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, &Error{Retry: true, DE: "Ordner für den Abgleich nicht anlegbar: " + cfg.StateDir,
			EN: "cannot create the reconciliation folder " + cfg.StateDir, Err: err}
	}
	return &Reconciler{cfg: cfg, src: src, ad: ad, log: log, clk: clk}, nil
}

// progress is what progress.json records.
type progress struct {
	Version      int       `json:"version"`
	LastNumber   int64     `json:"last_number"`
	LastHash     string    `json:"last_hash"`
	OutcomesSize int64     `json:"outcomes_size"`
	Updated      time.Time `json:"updated"`
}

// run is the state of one Run.
type run struct {
	r        *Reconciler
	p        progress
	out      *os.File
	w        *bufio.Writer
	written  int64 // bytes of outcomes written, flushed or not
	sinceCP  int
	lastCP   time.Time
	outcomes []Outcome // of this run
}

// Run hands every entry not yet handed over to the ERP, records progress,
// and writes the report. It returns the report also when it stops early;
// the error then says whether a later run can go on (Retry).
func (r *Reconciler) Run(ctx context.Context) (*Report, error) {
	lock, err := durable.TryLock(filepath.Join(r.cfg.StateDir, lockFile))
	if err != nil {
		return nil, &Error{Retry: errors.Is(err, durable.ErrLocked), DE: "Ein anderer Abgleich läuft gerade.",
			EN: "another reconciliation is running", Err: err}
	}
	defer lock.Unlock()
	ru, err := r.start()
	if err != nil {
		return nil, err
	}
	defer ru.out.Close()
	runErr := ru.loop(ctx)
	if runErr == nil {
		if err := ru.checkpoint(); err != nil {
			runErr = err
		}
	} else if err := ru.checkpoint(); err != nil {
		r.log.Error("reconcile: cannot record progress after a failed run", "err", err)
	}
	if runErr == nil {
		if f, ok := r.ad.(Finisher); ok {
			if err := f.Finish(); err != nil {
				runErr = &Error{Retry: true, DE: "Übergabe an das ERP nicht abschließbar.", EN: "cannot finish the hand-over to the ERP", Err: err}
			}
		}
	}
	rep, err := r.report(ru, runErr)
	if err != nil {
		return nil, errors.Join(runErr, err)
	}
	if runErr != nil {
		return rep, runErr
	}
	return rep, nil
}

// start loads the progress, cuts the outcome log back to the last
// checkpoint and checks that the journal still matches.
func (r *Reconciler) start() (*run, error) {
	ru := &run{r: r, p: progress{Version: 1}, lastCP: r.clk.Now()}
	b, err := os.ReadFile(filepath.Join(r.cfg.StateDir, progressFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, stateErr(err)
	default:
		if err := json.Unmarshal(b, &ru.p); err != nil || ru.p.Version != 1 {
			return nil, &Error{DE: "Fortschrittsdatei des Abgleichs ist beschädigt: " + progressFile,
				EN: "the reconciliation progress file is damaged", Err: err}
		}
	}
	path := filepath.Join(r.cfg.StateDir, outcomesFile)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, stateErr(err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if err := durable.SyncDir(r.cfg.StateDir); err != nil {
			f.Close()
			return nil, stateErr(err)
		}
	}
	st, err := f.Stat()
	if err == nil && st.Size() != ru.p.OutcomesSize {
		if st.Size() < ru.p.OutcomesSize {
			err = fmt.Errorf("outcome log shorter (%d bytes) than recorded (%d)", st.Size(), ru.p.OutcomesSize)
		} else {
			r.log.Info("reconcile: resuming after an interruption; entries after the last checkpoint are sent again",
				"after_number", ru.p.LastNumber)
			err = f.Truncate(ru.p.OutcomesSize)
		}
	}
	if err != nil {
		f.Close()
		return nil, stateErr(err)
	}
	if _, err := f.Seek(ru.p.OutcomesSize, 0); err != nil {
		f.Close()
		return nil, stateErr(err)
	}
	ru.out, ru.w, ru.written = f, bufio.NewWriterSize(f, 64<<10), ru.p.OutcomesSize
	if ru.p.LastNumber > 0 {
		es, err := r.src.Since(ru.p.LastNumber-1, 1)
		if err != nil {
			f.Close()
			return nil, journalErr(err)
		}
		if len(es) == 0 || es[0].Hash != ru.p.LastHash {
			f.Close()
			return nil, &Error{Number: ru.p.LastNumber,
				DE: fmt.Sprintf("Der Abgleich passt nicht zum Journal: Eintrag %d ist nicht mehr der, der übergeben wurde. Wurde das Journal ersetzt? Bitte IT verständigen.", ru.p.LastNumber),
				EN: fmt.Sprintf("the reconciliation does not match the journal: entry %d is not the one handed over; was the journal replaced?", ru.p.LastNumber)}
		}
	}
	return ru, nil
}

func stateErr(err error) *Error {
	return &Error{Retry: true, DE: "Ordner des Abgleichs nicht les- oder beschreibbar.", EN: "reconciliation folder not readable or writable", Err: err}
}

func journalErr(err error) *Error {
	return &Error{Retry: journal.Retryable(err), DE: "Journal nicht lesbar.", EN: "cannot read the journal", Err: err}
}

func (ru *run) loop(ctx context.Context) error {
	r := ru.r
	for {
		es, err := r.src.Since(ru.p.LastNumber, r.cfg.BatchSize)
		if err != nil {
			return journalErr(err)
		}
		if len(es) == 0 {
			return nil
		}
		for _, e := range es {
			if e.Number != ru.p.LastNumber+1 {
				return &Error{Number: e.Number, DE: fmt.Sprintf("Journal lückenhaft: nach Nummer %d folgt %d.", ru.p.LastNumber, e.Number),
					EN: fmt.Sprintf("journal has a gap: %d follows %d", e.Number, ru.p.LastNumber)}
			}
			res, err := ru.book(ctx, e)
			if err != nil {
				return err
			}
			if err := ru.record(e, res); err != nil {
				return err
			}
			ru.sinceCP++
			if ru.sinceCP >= r.cfg.CheckpointEvery || r.clk.Now().Sub(ru.lastCP) >= r.cfg.CheckpointInterval {
				if err := ru.checkpoint(); err != nil {
					return err
				}
			}
		}
	}
}

// book hands one entry over, retrying passing failures with backoff.
func (ru *run) book(ctx context.Context, e journal.Entry) (Result, error) {
	r := ru.r
	wait := r.cfg.Backoff
	for attempt := 1; ; attempt++ {
		res, retry, err := r.ad.Book(ctx, e)
		if err == nil {
			if res.Status != Booked && res.Status != Refused {
				return Result{}, &Error{Number: e.Number, DE: "Unerwartete Antwort des ERP-Adapters.", EN: fmt.Sprintf("adapter returned status %q", res.Status)}
			}
			return res, nil
		}
		if ctx.Err() != nil {
			return Result{}, &Error{Retry: true, Number: e.Number, DE: "Abgleich abgebrochen.", EN: "reconciliation cancelled", Err: ctx.Err()}
		}
		if !retry {
			r.log.Error("reconcile: the ERP adapter failed; a retry cannot help", "adapter", r.ad.Name(), "number", e.Number, "err", err)
			return Result{}, &Error{Number: e.Number,
				DE: fmt.Sprintf("Übergabe an das ERP gescheitert bei Verkauf Nr. %d; erneutes Versuchen hilft nicht (Adresse, Zugang?). Bitte IT verständigen.", e.Number),
				EN: fmt.Sprintf("hand-over to the ERP failed at sale %d; retrying cannot help (address, access?)", e.Number), Err: err}
		}
		if attempt >= r.cfg.MaxAttempts {
			return Result{}, &Error{Retry: true, Number: e.Number,
				DE: fmt.Sprintf("ERP nicht erreichbar (Verkauf Nr. %d, %d Versuche). Der Abgleich macht später dort weiter.", e.Number, attempt),
				EN: fmt.Sprintf("ERP unreachable (sale %d, %d attempts); the reconciliation resumes there later", e.Number, attempt), Err: err}
		}
		r.log.Warn("reconcile: ERP not reachable, retrying", "adapter", r.ad.Name(), "number", e.Number, "attempt", attempt, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return Result{}, &Error{Retry: true, Number: e.Number, DE: "Abgleich abgebrochen.", EN: "reconciliation cancelled", Err: ctx.Err()}
		case <-t.C:
		}
		wait = min(2*wait, r.cfg.MaxBackoff)
	}
}

func (ru *run) record(e journal.Entry, res Result) error {
	o := Outcome{Number: e.Number, ID: e.ID, SaleKey: e.IdempotencyKey, Start: e.Start, Total: e.Total,
		Status: res.Status, BookingID: res.BookingID, ReasonDE: res.ReasonDE, ReasonEN: res.ReasonEN,
		Adapter: ru.r.ad.Name(), At: ru.r.clk.Now().UTC()}
	if res.Status == Refused {
		ru.r.log.Warn("reconcile: the ERP refused a sale", "number", e.Number, "reason", res.ReasonEN)
	}
	b, err := json.Marshal(o)
	if err != nil {
		return &Error{Number: e.Number, DE: "Interner Fehler.", EN: "cannot encode an outcome", Err: err}
	}
	b = append(b, '\n')
	if _, err := ru.w.Write(b); err != nil {
		return stateErr(err)
	}
	ru.written += int64(len(b))
	ru.p.LastNumber, ru.p.LastHash = e.Number, e.Hash
	ru.outcomes = append(ru.outcomes, o)
	return nil
}

// checkpoint makes the outcomes durable, then records the progress.
func (ru *run) checkpoint() error {
	if f, ok := ru.r.ad.(Flusher); ok {
		if err := f.Flush(); err != nil {
			return &Error{Retry: true, DE: "Übergabe an das ERP nicht sicherbar.", EN: "cannot flush the hand-over to the ERP", Err: err}
		}
	}
	if err := ru.w.Flush(); err != nil {
		return stateErr(err)
	}
	if err := ru.out.Sync(); err != nil {
		return stateErr(err)
	}
	ru.p.OutcomesSize = ru.written
	ru.p.Updated = ru.r.clk.Now().UTC()
	b, err := json.MarshalIndent(ru.p, "", "  ")
	if err != nil {
		return stateErr(err)
	}
	if err := durable.WriteFileAtomic(filepath.Join(ru.r.cfg.StateDir, progressFile), b, 0o600); err != nil {
		return stateErr(err)
	}
	ru.sinceCP, ru.lastCP = 0, ru.r.clk.Now()
	return nil
}
