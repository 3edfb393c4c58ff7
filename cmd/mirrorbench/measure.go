package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/feed"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// percentiles returns p50, p99 and max of durations.
func percentiles(ds []time.Duration) (p50, p99, mx time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	return at(0.50), at(0.99), ds[len(ds)-1]
}

func benchLookups(ctx context.Context, rep *report, db *mirrordb.DB, pdb *sql.DB, arts []mirror.Article, rng *rand.Rand) error {
	keys := make([]pharma.PZN, rep.o.lookups)
	for i := range keys {
		keys[i] = arts[rng.IntN(len(arts))].PZN
	}
	ours := make([]time.Duration, len(keys))
	for i, k := range keys {
		t := time.Now()
		// A -reuse run may miss articles delisted by an earlier
		// increment; a miss costs the same lookup.
		if _, err := db.Article(ctx, k); err != nil && mirror.ErrorCode(err) != mirror.ENOTFOUND {
			return fmt.Errorf("lookup %s: %w", k, err)
		}
		ours[i] = time.Since(t)
	}
	st, err := pdb.PrepareContext(ctx, `SELECT pzn, name, manufacturer, form, pack_size, norm_size, rx, pharmacy_only, btm, avp, festbetrag, copay_exempt FROM t WHERE pzn = ?`)
	if err != nil {
		return err
	}
	defer st.Close()
	plain := make([]time.Duration, len(keys))
	for i, k := range keys {
		n, _ := strconv.ParseInt(string(k), 10, 64)
		t := time.Now()
		var pzn, rx, po, btm, ce int64
		var name, man, form, ps, norm string
		var avp int64
		var fb sql.NullInt64
		if err := st.QueryRowContext(ctx, n).Scan(&pzn, &name, &man, &form, &ps, &norm, &rx, &po, &btm, &avp, &fb, &ce); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		plain[i] = time.Since(t)
	}
	rep.lookOurs = stats(ours)
	rep.lookPlain = stats(plain)
	return nil
}

type latency struct{ p50, p99, max time.Duration }

func stats(ds []time.Duration) latency {
	a, b, c := percentiles(ds)
	return latency{a, b, c}
}

// queries makes search queries from the article names: first-word prefixes
// (40 %), a prefix and a strength (30 %), a word with one typo (20 %) and
// a later word's prefix (10 %).
func queries(arts []mirror.Article, n int, rng *rand.Rand) []string {
	out := make([]string, 0, n)
	for len(out) < n {
		a := arts[rng.IntN(len(arts))]
		words := strings.Fields(a.Name)
		w := words[0]
		switch r := rng.IntN(10); {
		case r < 4:
			out = append(out, w[:min(len(w), 3+rng.IntN(6))])
		case r < 7:
			if len(words) > 2 {
				out = append(out, w[:min(len(w), 4+rng.IntN(4))]+" "+words[len(words)-2])
			} else {
				out = append(out, w)
			}
		case r < 9:
			rs := []rune(strings.ToLower(w))
			if len(rs) < 7 {
				out = append(out, string(rs))
				continue
			}
			i := 1 + rng.IntN(len(rs)-2)
			rs[i], rs[i+1] = rs[i+1], rs[i] // swap two neighbours
			out = append(out, string(rs))
		default:
			v := words[len(words)-1]
			out = append(out, v[:min(len(v), 4)])
		}
	}
	return out
}

func ftsPrefix(q string) string {
	var parts []string
	for _, t := range mirror.Tokens(q) {
		parts = append(parts, `"`+t+`"*`)
	}
	return strings.Join(parts, " AND ")
}

func benchSearch(ctx context.Context, rep *report, db *mirrordb.DB, pdb *sql.DB, arts []mirror.Article, rng *rand.Rand) error {
	qs := queries(arts, rep.o.queries, rng)
	if rep.o.cpuprofile != "" {
		f, err := os.Create(rep.o.cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	ours := make([]time.Duration, len(qs))
	empty := 0
	for i, q := range qs {
		t := time.Now()
		hits, err := db.SearchArticles(ctx, q, 20)
		if err != nil {
			return fmt.Errorf("search %q: %w", q, err)
		}
		ours[i] = time.Since(t)
		if len(hits) == 0 {
			empty++
		}
	}
	if rep.o.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	rep.searchOurs, rep.searchEmpty = stats(ours), empty
	idx := make([]int, len(qs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return ours[idx[a]] > ours[idx[b]] })
	for _, i := range idx[:min(5, len(idx))] {
		rep.slowest = append(rep.slowest, fmt.Sprintf("%s (%s)", qs[i], ms(ours[i])))
	}

	runPlain := func(q string, n int) ([]time.Duration, int, error) {
		ds := make([]time.Duration, 0, n)
		emptyPlain := 0
		for _, s := range qs[:n] {
			m := ftsPrefix(s)
			t := time.Now()
			rows, err := pdb.QueryContext(ctx, q, m)
			if err != nil {
				return nil, 0, err
			}
			k := 0
			for rows.Next() {
				var id int64
				var name string
				rows.Scan(&id, &name)
				k++
			}
			rows.Close()
			ds = append(ds, time.Since(t))
			if k == 0 {
				emptyPlain++
			}
		}
		return ds, emptyPlain, nil
	}
	ds, e, err := runPlain(`SELECT t.pzn, t.name FROM t_fts JOIN t ON t.pzn = t_fts.rowid WHERE t_fts MATCH ? LIMIT 20`, len(qs))
	if err != nil {
		return err
	}
	rep.searchPlain, rep.searchPlainEmpty = stats(ds), e
	rep.rankedN = min(500, len(qs))
	ds, _, err = runPlain(`SELECT t.pzn, t.name FROM t_fts JOIN t ON t.pzn = t_fts.rowid WHERE t_fts MATCH ? ORDER BY rank LIMIT 20`, rep.rankedN)
	if err != nil {
		return err
	}
	rep.searchRanked = stats(ds)
	rep.sampleQueries = qs[:8]
	return nil
}

func benchIncrement(ctx context.Context, rep *report, db *mirrordb.DB, pdb *sql.DB, arts []mirror.Article, rng *rand.Rand) error {
	const rounds = 10
	log := feed.NewMemLog(mirror.Articles, nil)
	srv := httptest.NewServer(feed.NewHandler(log, feed.HandlerOptions{}))
	defer srv.Close()
	src, err := feed.New(feed.Options{Dataset: mirror.Articles, URL: srv.URL})
	if err != nil {
		return err
	}
	log.Put(arts[0])             // seq 1: the copy's cursor
	cursor := log.Epoch() + "-1" // the position after arts[0]
	var ours, plain []time.Duration
	for range rounds {
		var recs []mirror.Record
		var deletes []string
		picked := map[int]bool{}
		for j := range rep.o.changes {
			i := rng.IntN(len(arts))
			for picked[i] {
				i = rng.IntN(len(arts))
			}
			picked[i] = true
			a := arts[i]
			switch {
			case j%200 == 0: // 0.5 % delisted
				deletes = append(deletes, string(a.PZN))
				continue
			case j%200 == 1: // 0.5 % renamed
				a.Name += " neu"
			}
			a.AVP += mirror.Cents(1 + rng.IntN(50))
			arts[i] = a
			recs = append(recs, a)
		}
		log.Put(recs...)
		log.Delete(deletes...)
		t := time.Now()
		r, err := mirror.Increment(ctx, db, src, cursor, mirror.ImportOptions{})
		if err != nil {
			return err
		}
		ours = append(ours, time.Since(t))
		if !r.CaughtUp || r.Imported+r.Deleted != rep.o.changes {
			return fmt.Errorf("increment applied %d+%d; want %d", r.Imported, r.Deleted, rep.o.changes)
		}
		cursor = r.Cursor

		t = time.Now()
		tx, err := pdb.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		st, err := tx.Prepare(`UPDATE t SET avp = ? WHERE pzn = ?`)
		if err != nil {
			return err
		}
		for _, r := range recs {
			n, _ := strconv.ParseInt(r.Key(), 10, 64)
			if _, err := st.Exec(int64(r.(mirror.Article).AVP), n); err != nil {
				return err
			}
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
		plain = append(plain, time.Since(t))
	}
	rep.incOurs, rep.incPlain = stats(ours), stats(plain)
	return nil
}
