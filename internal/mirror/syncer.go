package mirror

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
)

// SyncOptions configure a Syncer.
type SyncOptions struct {
	// Interval between increments (and between retries after a failure).
	Interval time.Duration
	// FullAt is the local time of the nightly full sync, in Location.
	FullAt   TimeOfDay
	Location *time.Location
	Clock    clock.Clock
	Logger   *slog.Logger
}

// Job is one configured source with its freshness threshold.
type Job struct {
	Source Source
	// MaxAge overrides the prober's threshold for this data set; zero
	// uses the prober's. Negative: the data set's age is not watched.
	MaxAge time.Duration
}

// Syncer keeps the copy current: increments from feeds every interval,
// re-imports of changed files, a full sync every night, retries after
// failures. Its Prober reports the copy's age as a check.
type Syncer struct {
	st   Store
	o    SyncOptions
	jobs []*job

	mu sync.Mutex // serialises Tick
}

type job struct {
	Job
	nextTry time.Time
}

// NewSyncer returns a syncer for the given jobs. A nil Clock means the real
// clock, a nil Location UTC, a nil Logger discards.
func NewSyncer(st Store, jobs []Job, o SyncOptions) *Syncer {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	s := &Syncer{st: st, o: o}
	for _, j := range jobs {
		s.jobs = append(s.jobs, &job{Job: j})
	}
	return s
}

// Run calls Tick every second until ctx ends. The schedule itself follows
// the injected clock.
func (s *Syncer) Run(ctx context.Context) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		s.Tick(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Trigger makes every source due at the next Tick ("Jetzt abgleichen").
func (s *Syncer) Trigger() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.jobs {
		j.nextTry = time.Time{}
	}
}

// Tick does the work that is due at the clock's now and returns a report
// for each sync it ran. Failures are logged and recorded in the data set's
// status; the old copy stays in use and the source is retried after the
// interval.
func (s *Syncer) Tick(ctx context.Context) []Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Clock.Now()
	var due []*job
	for _, j := range s.jobs {
		if !now.Before(j.nextTry) {
			due = append(due, j)
		}
	}
	if len(due) == 0 {
		return nil
	}
	states, err := s.st.Status(ctx)
	if err != nil {
		s.o.Logger.Error("mirror: read sync state", "err", err)
		return nil
	}
	byDS := map[Dataset]Status{}
	for _, st := range states {
		byDS[st.Dataset] = st
	}
	var reps []Report
	for _, j := range due {
		j.nextTry = now.Add(s.o.Interval)
		reps = append(reps, s.syncJob(ctx, j, byDS[j.Source.Dataset()], now)...)
	}
	return reps
}

func (s *Syncer) opts() ImportOptions {
	return ImportOptions{Clock: s.o.Clock, Logger: s.o.Logger}
}

// syncJob decides between full sync, increment, re-import or nothing.
func (s *Syncer) syncJob(ctx context.Context, j *job, st Status, now time.Time) []Report {
	src := j.Source
	full := st.SyncedAt.IsZero() || st.Source != src.String() ||
		FullSyncDue(now, s.o.FullAt, s.o.Location, st.FullAt)
	if inc, ok := src.(Incremental); ok {
		if full || st.Cursor == "" {
			return s.full(ctx, src)
		}
		var reps []Report
		cursor := st.Cursor
		for round := 0; round < 20; round++ {
			rep, err := Increment(ctx, s.st, inc, cursor, s.opts())
			if errors.Is(err, ErrCursorExpired) {
				s.o.Logger.Info("mirror: cursor expired; full sync", "dataset", src.Dataset(), "source", src.String())
				return append(reps, s.full(ctx, src)...)
			}
			if err != nil {
				s.fail(ctx, src, err)
				return append(reps, rep)
			}
			reps = append(reps, rep)
			if rep.CaughtUp {
				break
			}
			cursor = rep.Cursor
		}
		return reps
	}
	if v, ok := src.(Versioned); ok && !full {
		ver, err := v.Version(ctx)
		if err != nil {
			s.fail(ctx, src, err)
			return nil
		}
		full = ver != st.Cursor
	}
	if !full {
		return nil
	}
	return s.full(ctx, src)
}

func (s *Syncer) full(ctx context.Context, src Source) []Report {
	rep, err := Import(ctx, s.st, src, s.opts())
	if err != nil {
		s.fail(ctx, src, err)
	}
	return []Report{rep}
}

func (s *Syncer) fail(ctx context.Context, src Source, err error) {
	msg := ErrorMessage(err)
	text := msg.DE
	var e *Error
	if !errors.As(err, &e) {
		text = "Abgleich fehlgeschlagen: " + err.Error()
	}
	s.o.Logger.Warn("mirror: sync failed; old copy stays in use", "dataset", src.Dataset(), "source", src.String(), "err", err)
	if rerr := s.st.RecordError(ctx, src.Dataset(), s.o.Clock.Now(), text); rerr != nil {
		s.o.Logger.Error("mirror: record sync error", "dataset", src.Dataset(), "err", rerr)
	}
}

// watched returns the data sets the prober watches and their thresholds:
// every job's data set (feeds and article files by default, other files
// only with their own max_age) and the articles in any case.
func (s *Syncer) watched(def time.Duration) map[Dataset]time.Duration {
	w := map[Dataset]time.Duration{Articles: def}
	for _, j := range s.jobs {
		ds := j.Source.Dataset()
		_, inc := j.Source.(Incremental)
		switch {
		case j.MaxAge < 0:
			delete(w, ds)
		case j.MaxAge > 0:
			w[ds] = j.MaxAge
		case inc || ds == Articles:
			w[ds] = def
		}
	}
	return w
}

// Prober returns the freshness check of the copy: degraded ("Preisdaten 3
// Stunden alt") when a watched data set is older than maxAge or was never
// filled, ok otherwise. Values carry "age_seconds", the oldest watched age.
func (s *Syncer) Prober(maxAge time.Duration) check.Prober {
	return check.ProberFunc(func(ctx context.Context) check.Result {
		start := time.Now()
		states, err := s.st.Status(ctx)
		if err != nil {
			return check.Fail(time.Since(start), "Downtime-Kopie nicht lesbar: "+err.Error(), "downtime copy not readable: "+err.Error())
		}
		return freshness(states, s.watched(maxAge), s.o.Clock.Now(), time.Since(start))
	})
}

// freshness judges the states of the watched data sets at now.
func freshness(states []Status, watched map[Dataset]time.Duration, now time.Time, latency time.Duration) check.Result {
	var staleDE, staleEN, okDE, okEN []string
	oldest := time.Duration(0)
	for _, st := range states {
		limit, ok := watched[st.Dataset]
		if !ok {
			continue
		}
		title := st.Dataset.Title()
		age, filled := st.Age(now)
		if !filled {
			staleDE = append(staleDE, fmt.Sprintf("Noch keine %s vorhanden", title.DE))
			staleEN = append(staleEN, fmt.Sprintf("no %s yet", strings.ToLower(title.EN)))
			continue
		}
		oldest = max(oldest, age)
		a, l := check.AgeWords(age), check.AgeWords(limit)
		if age > limit {
			de := fmt.Sprintf("%s %s alt (erlaubt %s)", title.DE, a.DE, l.DE)
			en := fmt.Sprintf("%s %s old (limit %s)", title.EN, a.EN, l.EN)
			if st.LastError != "" && !st.LastErrorAt.Before(st.SyncedAt) {
				de += "; letzter Fehler: " + st.LastError
				en += "; last error: " + st.LastError
			}
			staleDE, staleEN = append(staleDE, de), append(staleEN, en)
			continue
		}
		okDE = append(okDE, fmt.Sprintf("%s %s alt", title.DE, a.DE))
		okEN = append(okEN, fmt.Sprintf("%s %s old", title.EN, a.EN))
	}
	r := check.Result{Latency: latency, Values: map[string]float64{"age_seconds": oldest.Seconds()}}
	if len(staleDE) > 0 {
		r.Status = check.StatusDegraded
		r.Message = check.Msg(strings.Join(staleDE, "; "), strings.Join(staleEN, "; "))
		return r
	}
	r.Status = check.StatusOK
	r.Message = check.Msg(strings.Join(okDE, "; "), strings.Join(okEN, "; "))
	return r
}
