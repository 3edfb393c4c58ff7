package fhir

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/seal"
)

// MaxExportWait is how long the Syncer polls one export before it gives
// up and kicks off a new one.
const MaxExportWait = 2 * time.Hour

// SyncOptions configure a Syncer.
type SyncOptions struct {
	Client *Client
	Store  Store
	// Keys seal the downloads while they wait for the import.
	Keys *seal.Keyring
	// WorkDir holds the export job and its sealed downloads.
	WorkDir string
	// Mode is auto, bulk or search (default auto).
	Mode string
	// Types are the resource types copied (default Types()).
	Types []string
	// Interval between increments (default 5 minutes).
	Interval time.Duration
	// FullEvery is how often a full export replaces the copy (default 24h).
	FullEvery time.Duration
	// Recent is the retention of finished data (see Keep; default 30 days).
	Recent time.Duration
	Clock  clock.Clock
	// Sleep waits between syncs and between retries; nil uses a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	Log   *slog.Logger
}

// Syncer keeps the copy current: a full export first, then increments
// with _since, a full export every FullEvery; the search fallback when the
// server has no $export. One sync runs at a time.
type Syncer struct {
	o    SyncOptions
	want map[string]bool
	mu   sync.Mutex
}

// Report says what one sync did.
type Report struct {
	Mode            string
	Full            bool
	Resumed         bool
	TransactionTime string
	Counts          ImportCounts
	Problems        []LineError
	ProblemCount    int
}

// NewSyncer returns a Syncer.
func NewSyncer(o SyncOptions) (*Syncer, error) {
	if o.Client == nil || o.Store == nil || o.Keys == nil || o.WorkDir == "" {
		return nil, errors.New("fhir syncer: client, store, keys and work folder are required")
	}
	if o.Mode == "" {
		o.Mode = ModeAuto
	}
	if len(o.Types) == 0 {
		o.Types = Types()
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.FullEvery == 0 {
		o.FullEvery = DefaultFullEvery
	}
	if o.Recent == 0 {
		o.Recent = DefaultRecent
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(o.WorkDir, 0o700); err != nil {
		return nil, fmt.Errorf("create the FHIR work folder %s: %w", o.WorkDir, err)
	}
	s := &Syncer{o: o, want: map[string]bool{}}
	for _, t := range o.Types {
		s.want[t] = true
	}
	return s, nil
}

// Run syncs at once (resuming an interrupted export) and then every
// interval until ctx ends. Failures are recorded in the state and logged;
// the next interval tries again.
func (s *Syncer) Run(ctx context.Context) error {
	for {
		if rep, err := s.SyncOnce(ctx); err != nil && ctx.Err() == nil {
			s.o.Log.Warn("fhir: sync failed; the copy keeps its last state", "err", err)
		} else if err == nil {
			s.o.Log.Info("fhir: copy updated", "mode", rep.Mode, "full", rep.Full, "put", rep.Counts.Put,
				"deleted", rep.Counts.Deleted, "malformed_lines", rep.ProblemCount)
		}
		if err := s.o.Sleep(ctx, s.o.Interval); err != nil {
			return nil
		}
	}
}

// SyncOnce brings the copy up to date once.
func (s *Syncer) SyncOnce(ctx context.Context) (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.o.Store.State(ctx)
	if err != nil {
		return Report{}, err
	}
	rep, err := s.sync(ctx, st)
	if err != nil {
		st.LastAttempt, st.LastError = s.o.Clock.Now(), err.Error()
		if serr := s.o.Store.SaveState(context.WithoutCancel(ctx), st); serr != nil {
			s.o.Log.Error("fhir: record the failed sync", "err", serr)
		}
	}
	return rep, err
}

func (s *Syncer) needFull(st SyncState, mode string, now time.Time) bool {
	if st.DataAsOf.IsZero() || now.Sub(st.LastFull) >= s.o.FullEvery {
		return true
	}
	if mode == ModeSearch {
		return st.Mode != ModeSearch || st.SearchCursor.IsZero()
	}
	return st.Mode != ModeBulk || st.TransactionTime == ""
}

func (s *Syncer) sync(ctx context.Context, st SyncState) (Report, error) {
	now := s.o.Clock.Now()
	j, err := s.loadJob()
	if err != nil {
		return Report{}, err
	}
	resumed := j != nil
	if j == nil {
		mode := s.o.Mode
		if mode == ModeAuto {
			mode = ModeBulk
			if st.Mode == ModeSearch && !s.needFull(st, ModeSearch, now) {
				mode = ModeSearch // the server had no $export; ask again at the next full sync
			}
		}
		full := s.needFull(st, mode, now)
		if mode == ModeSearch {
			return s.syncSearch(ctx, st, full)
		}
		j = &job{ID: newJobID(), Full: full, KickoffAt: now}
		if !full {
			j.Since = st.TransactionTime
		}
		j.StatusURL, err = s.o.Client.KickOff(ctx, ExportRequest{Since: j.Since, Types: s.o.Types})
		if errors.Is(err, ErrExportUnsupported) && s.o.Mode == ModeAuto {
			s.o.Log.Info("fhir: the server has no Bulk Data export; using paged searches", "err", err)
			return s.syncSearch(ctx, st, s.needFull(st, ModeSearch, now))
		}
		if err != nil {
			return Report{}, err
		}
		if err := s.saveJob(j); err != nil {
			return Report{}, err
		}
	}
	rep := Report{Mode: ModeBulk, Full: j.Full, Resumed: resumed}
	if j.Manifest == nil {
		pctx, cancel := context.WithTimeout(ctx, MaxExportWait)
		m, err := s.o.Client.Poll(pctx, j.StatusURL, nil)
		cancel()
		if err != nil {
			if ctx.Err() == nil && !IsTransient(err) {
				s.dropJob(j) // failed or expired on the server: kick off anew next time
			}
			return rep, err
		}
		j.Manifest = m
		if err := s.saveJob(j); err != nil {
			return rep, err
		}
	}
	rep.TransactionTime = j.Manifest.TransactionTime
	files := j.files(func(t string) bool { return s.want[t] })
	if err := os.MkdirAll(filepath.Join(s.o.WorkDir, j.ID), 0o700); err != nil {
		return rep, fmt.Errorf("create download folder: %w", err)
	}
	if j.Done == nil {
		j.Done = map[int]bool{}
	}
	for i, f := range files {
		if j.Done[i] {
			continue
		}
		if err := s.download(ctx, j, i, f); err != nil {
			if ctx.Err() == nil && !IsTransient(err) {
				s.dropJob(j)
			}
			return rep, err
		}
		j.Done[i] = true
		if err := s.saveJob(j); err != nil {
			return rep, err
		}
	}
	counts, problems, err := s.importJob(ctx, j, files, st)
	rep.Counts, rep.ProblemCount = counts, len(problems)
	rep.Problems = problems[:min(len(problems), MaxProblems)]
	if err != nil {
		return rep, err
	}
	s.o.Client.Finish(ctx, j.StatusURL)
	s.dropJob(j)
	return rep, nil
}

// download fetches file i of job j into its sealed part file, resuming
// after interruptions with Range requests.
func (s *Syncer) download(ctx context.Context, j *job, i int, f jobFile) error {
	sf, err := openSealedFile(s.partPath(j, i), s.o.Keys, j.ID, i)
	if err != nil {
		return err
	}
	defer sf.Close()
	stalls := 0
	for {
		off := sf.Size()
		_, err := s.o.Client.Download(ctx, f.URL, j.Manifest.RequiresAccessToken, off, sf)
		if ferr := sf.Flush(); ferr != nil {
			return ferr
		}
		if err == nil {
			return nil
		}
		if !IsTransient(err) || ctx.Err() != nil {
			return err
		}
		if sf.Size() > off {
			stalls = 0
		} else {
			stalls++
		}
		if stalls > 6 {
			return err
		}
		s.o.Log.Info("fhir: download interrupted; resuming", "file", redactURL(f.URL), "at_byte", sf.Size(), "err", err)
		if err := s.o.Sleep(ctx, backoff(stalls)); err != nil {
			return err
		}
	}
}

// fileName names a manifest file in problem reports: the last part of its
// URL path ("Condition.000.ndjson").
func fileName(f jobFile, i int) string {
	p := f.URL
	if u, err := url.Parse(f.URL); err == nil {
		p = u.Path
	}
	if b := path.Base(p); b != "" && b != "." && b != "/" {
		if k := len(b); k > 80 {
			b = b[k-80:]
		}
		return b
	}
	return f.Type + "." + strconv.Itoa(i) + ".ndjson"
}

// apply puts a parsed resource into an import, or drops it when it is of
// another type or past retention.
func (s *Syncer) apply(ctx context.Context, imp Import, r *Resource, full bool, now time.Time, c *ImportCounts) error {
	if !s.want[r.Type] {
		c.Skipped++
		return nil
	}
	c.Bytes += int64(len(r.JSON))
	if Keep(r, now, s.o.Recent) {
		c.Put++
		return imp.Put(ctx, r)
	}
	c.Dropped++
	if full {
		return nil // a full import removes what it does not put
	}
	return imp.Delete(ctx, r.Type, r.ID)
}

func (s *Syncer) importJob(ctx context.Context, j *job, files []jobFile, prev SyncState) (ImportCounts, []LineError, error) {
	start := time.Now()
	now := s.o.Clock.Now()
	counts := ImportCounts{Full: j.Full}
	imp, err := s.o.Store.BeginImport(ctx, j.Full)
	if err != nil {
		return counts, nil, err
	}
	defer imp.Rollback()
	var problems []LineError
	for i, f := range files {
		cr, err := openChunkReader(s.partPath(j, i), s.o.Keys, j.ID, i)
		if err != nil {
			return counts, problems, err
		}
		name := fileName(f, i)
		var ps []LineError
		if f.Deleted {
			ps, err = ReadDeleted(cr, name, func(d Deletion) error {
				counts.Deleted++
				return imp.Delete(ctx, d.Type, d.ID)
			})
		} else {
			ps, err = ReadResources(cr, name, func(r *Resource) error {
				return s.apply(ctx, imp, r, j.Full, now, &counts)
			})
		}
		cr.Close()
		problems = append(problems, ps...)
		if err != nil {
			return counts, problems, err
		}
	}
	for _, p := range problems {
		s.o.Log.Warn("fhir: malformed line skipped", "file", p.File, "line", p.Line, "reason", p.Reason)
	}
	counts.Duration = time.Since(start)
	st := SyncState{Mode: ModeBulk, TransactionTime: j.Manifest.TransactionTime, DataAsOf: j.KickoffAt,
		LastFull: prev.LastFull, LastAttempt: s.o.Clock.Now(), LastImport: counts,
		Problems: problems[:min(len(problems), MaxProblems)], ProblemCount: len(problems)}
	if j.Full {
		st.LastFull = j.KickoffAt
	}
	if err := imp.Commit(ctx, st); err != nil {
		return counts, problems, err
	}
	return counts, problems, nil
}
