package fhir

import (
	"context"
	"time"
)

// syncSearch copies with paged searches: every resource of every type on
// a full pass, else those updated since the last pass.
func (s *Syncer) syncSearch(ctx context.Context, prev SyncState, full bool) (Report, error) {
	start := time.Now()
	kick := s.o.Clock.Now()
	rep := Report{Mode: ModeSearch, Full: full}
	counts := ImportCounts{Full: full}
	imp, err := s.o.Store.BeginImport(ctx, full)
	if err != nil {
		return rep, err
	}
	defer imp.Rollback()
	var since time.Time
	if !full {
		since = prev.SearchCursor
	}
	var cursor time.Time
	var problems []LineError
	for _, typ := range s.o.Types {
		n := 0
		t, err := s.o.Client.Search(ctx, typ, since, func(raw []byte) error {
			n++
			r, err := ParseResource(raw)
			if err != nil {
				problems = append(problems, LineError{File: "search " + typ, Line: n, Reason: err.Error()})
				return nil
			}
			return s.apply(ctx, imp, r, full, kick, &counts)
		})
		if err != nil {
			return rep, err
		}
		if cursor.IsZero() || t.Before(cursor) {
			cursor = t
		}
	}
	counts.Duration = time.Since(start)
	st := SyncState{Mode: ModeSearch, SearchCursor: cursor, DataAsOf: kick, LastFull: prev.LastFull,
		LastAttempt: s.o.Clock.Now(), LastImport: counts,
		Problems: problems[:min(len(problems), MaxProblems)], ProblemCount: len(problems)}
	if full {
		st.LastFull = kick
	}
	if err := imp.Commit(ctx, st); err != nil {
		return rep, err
	}
	rep.Counts, rep.Problems, rep.ProblemCount = counts, st.Problems, len(problems)
	return rep, nil
}
