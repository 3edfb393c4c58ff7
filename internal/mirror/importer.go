package mirror

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
)

// ImportOptions control an import or sync.
type ImportOptions struct {
	// Strict rejects the whole import on the first bad row.
	Strict bool
	// Clock gives the commit time; nil means the real clock.
	Clock clock.Clock
	// Logger receives a summary; nil means no logging.
	Logger *slog.Logger
	// MaxListed caps Report.Rejected (default 100,000); RejectedCount is
	// always complete, so no bad row goes unreported.
	MaxListed int
	// OnReject, when set, is called for every bad row as it is found.
	OnReject func(RowError)
}

// Report says what an import or sync did.
type Report struct {
	Dataset Dataset
	Source  string
	// Full is true for a full import or sync (the data set was replaced).
	Full bool
	// Imported counts records written, Deleted records removed.
	Imported int
	Deleted  int
	// Rejected lists the bad rows, one entry per bad field (at most
	// MaxListed); RejectedCount counts the rows.
	Rejected      []RowError
	RejectedCount int
	// Cursor is where the source stands; CaughtUp is false when an
	// increment stopped with more changes waiting.
	Cursor   string
	CaughtUp bool
	// SyncedAt is the freshness recorded for the copy (zero when it did
	// not change).
	SyncedAt time.Time
	Duration time.Duration
}

// Summary returns the one-line result for people: "1.234 Artikel
// übernommen, 3 Zeilen fehlerhaft".
func (r Report) Summary() check.Text {
	n := r.Dataset.Noun()
	de := fmt.Sprintf("%s %s übernommen", GermanCount(r.Imported), n.DE)
	en := fmt.Sprintf("%s %s imported", EnglishCount(r.Imported), n.EN)
	if r.Deleted > 0 {
		de += fmt.Sprintf(", %s gelöscht", GermanCount(r.Deleted))
		en += fmt.Sprintf(", %s deleted", EnglishCount(r.Deleted))
	}
	switch r.RejectedCount {
	case 0:
	case 1:
		de += ", 1 Zeile fehlerhaft"
		en += ", 1 row rejected"
	default:
		de += fmt.Sprintf(", %s Zeilen fehlerhaft", GermanCount(r.RejectedCount))
		en += fmt.Sprintf(", %s rows rejected", EnglishCount(r.RejectedCount))
	}
	return check.Msg(de, en)
}

// ErrStrict is returned when --strict rejected an import because of a bad
// row; the old copy stays in use.
var ErrStrict = &Error{Code: EINVALID, Message: check.Msg(
	"Import abgebrochen: fehlerhafte Zeile im strengen Modus (--strict); der bisherige Stand bleibt in Gebrauch",
	"import aborted: bad row in strict mode (--strict); the previous copy stays in use")}

// ErrNothingImported is returned when a full import found no good record;
// the old copy stays in use.
var ErrNothingImported = &Error{Code: EINVALID, Message: check.Msg(
	"keine gültige Zeile gefunden; der bisherige Stand bleibt in Gebrauch",
	"no valid row found; the previous copy stays in use")}

// keyField names the column holding a data set's key, for duplicate
// reports.
func keyField(d Dataset) string {
	switch d {
	case Articles:
		return "pzn"
	case Contacts:
		return "id"
	case Duty:
		return "start"
	case Patients:
		return "customer_no"
	default:
		return "slug"
	}
}

type importSink struct {
	w       Writer
	rep     *Report
	opts    ImportOptions
	lastBad Pos
	anyBad  bool
}

var _ Sink = (*importSink)(nil)

func (s *importSink) Put(ctx context.Context, r Record, pos Pos) error {
	if r.Dataset() != s.rep.Dataset {
		return fmt.Errorf("source %s sent a %s record into data set %s", s.rep.Source, r.Dataset(), s.rep.Dataset)
	}
	err := s.w.Put(ctx, r)
	if ErrorCode(err) == ECONFLICT {
		return s.Reject(RowError{Pos: pos, Field: keyField(s.rep.Dataset), Reason: check.Msg(
			fmt.Sprintf("%q kommt mehrfach vor; die erste Zeile gilt", clip(r.Key())),
			fmt.Sprintf("%q appears more than once; the first row counts", clip(r.Key())))})
	}
	if err != nil {
		return err
	}
	s.rep.Imported++
	return nil
}

func (s *importSink) Delete(ctx context.Context, key string, _ Pos) error {
	if err := s.w.Delete(ctx, key); err != nil {
		return err
	}
	s.rep.Deleted++
	return nil
}

func (s *importSink) Reject(e RowError) error {
	// A row with several bad fields is reported once per field and
	// counted once.
	if !s.anyBad || e.Pos != s.lastBad || e.Line == 0 {
		s.rep.RejectedCount++
	}
	s.anyBad, s.lastBad = true, e.Pos
	if len(s.rep.Rejected) < s.opts.MaxListed {
		s.rep.Rejected = append(s.rep.Rejected, e)
	}
	if s.opts.OnReject != nil {
		s.opts.OnReject(e)
	}
	if s.opts.Strict {
		return fmt.Errorf("%s: %w", e.Error(), ErrStrict)
	}
	return nil
}

func (o *ImportOptions) defaults() {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.MaxListed <= 0 {
		o.MaxListed = 100_000
	}
}

// Import replaces a data set with a full read of src, in one transaction.
// Bad rows are reported and skipped (or, with Strict, abort the import);
// when the read fails, is cancelled, or finds no good row, the previous copy
// stays in use and the report says what was found.
func Import(ctx context.Context, st Store, src Source, o ImportOptions) (Report, error) {
	o.defaults()
	start := o.Clock.Now()
	rep := Report{Dataset: src.Dataset(), Source: src.String(), Full: true, CaughtUp: true}
	err := st.Replace(ctx, rep.Dataset, func(w Writer) (Commit, error) {
		sink := &importSink{w: w, rep: &rep, opts: o}
		m, err := src.Snapshot(ctx, sink)
		if err != nil {
			return Commit{}, err
		}
		if err := ctx.Err(); err != nil {
			return Commit{}, err
		}
		if rep.Imported == 0 {
			return Commit{}, ErrNothingImported
		}
		rep.Cursor = m.Cursor
		rep.SyncedAt = asOf(m.AsOf, o.Clock.Now())
		return Commit{Source: rep.Source, Cursor: m.Cursor, SyncedAt: rep.SyncedAt, Rejected: rep.RejectedCount, At: o.Clock.Now()}, nil
	})
	rep.Duration = o.Clock.Now().Sub(start)
	if err != nil {
		rep.SyncedAt = time.Time{}
		logf(o.Logger, slog.LevelWarn, "mirror: import failed; previous copy kept", rep, err)
		return rep, fmt.Errorf("import %s from %s: %w", rep.Dataset, rep.Source, err)
	}
	logf(o.Logger, slog.LevelInfo, "mirror: import done", rep, nil)
	return rep, nil
}

// Increment applies the changes of src after cursor, in one transaction.
// The copy counts as current (SyncedAt) only when the source has caught up.
// On any error nothing is applied and the cursor stays where it was.
func Increment(ctx context.Context, st Store, src Incremental, cursor string, o ImportOptions) (Report, error) {
	o.defaults()
	o.Strict = false
	start := o.Clock.Now()
	rep := Report{Dataset: src.Dataset(), Source: src.String()}
	err := st.Update(ctx, rep.Dataset, func(w Writer) (Commit, error) {
		sink := &importSink{w: w, rep: &rep, opts: o}
		m, caught, err := src.Changes(ctx, cursor, sink)
		if err != nil {
			return Commit{}, err
		}
		rep.Cursor, rep.CaughtUp = m.Cursor, caught
		c := Commit{Source: rep.Source, Cursor: m.Cursor, Rejected: rep.RejectedCount, At: o.Clock.Now()}
		if caught {
			rep.SyncedAt = asOf(m.AsOf, o.Clock.Now())
			c.SyncedAt = rep.SyncedAt
		}
		return c, nil
	})
	rep.Duration = o.Clock.Now().Sub(start)
	if err != nil {
		rep.SyncedAt = time.Time{}
		if !errors.Is(err, ErrCursorExpired) {
			logf(o.Logger, slog.LevelWarn, "mirror: increment failed; copy unchanged", rep, err)
		}
		return rep, fmt.Errorf("increment %s from %s: %w", rep.Dataset, rep.Source, err)
	}
	if rep.Imported+rep.Deleted+rep.RejectedCount > 0 {
		logf(o.Logger, slog.LevelInfo, "mirror: increment applied", rep, nil)
	}
	return rep, nil
}

// asOf returns the source's time, but never later than now.
func asOf(src, now time.Time) time.Time {
	if src.IsZero() || src.After(now) {
		return now
	}
	return src
}

func logf(l *slog.Logger, level slog.Level, msg string, r Report, err error) {
	if l == nil {
		return
	}
	attrs := []any{"dataset", r.Dataset, "source", r.Source, "imported", r.Imported, "deleted", r.Deleted,
		"rejected", r.RejectedCount, "duration", r.Duration.Round(time.Millisecond)}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	l.Log(context.Background(), level, msg, attrs...)
}
