// Command mirrorbench measures the downtime copy against plain SQLite on the
// same rows, in one run, and prints a Markdown report:
//
//   - full CSV import of N synthetic articles (time, peak memory), beside a
//     plain bulk insert of the same CSV rows into a table with the same
//     columns plus the same FTS5 index;
//   - PZN lookup p50/p99, beside a plain prepared SELECT by primary key;
//   - name search p50/p99 over Q queries (prefixes, two words, typos),
//     beside a plain FTS5 prefix MATCH (unranked) and a bm25-ranked one;
//   - an increment of 1,000 changed articles through the HTTP feed on
//     loopback, beside a plain UPDATE of 1,000 rows.
//
// Each import runs in a child process of its own, so its peak resident
// memory (getrusage maxrss) is its alone.
//
//	go run ./cmd/mirrorbench -n 1000000 -out docs/bench/mirror-results.md
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/csvsource"
	"github.com/lifeline-project/lifeline/internal/mirror/feed"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/mirror/synth"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

type options struct {
	n, queries, lookups, changes int
	dir, out, phase, cpuprofile  string
	seed                         uint64
	keep                         bool
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 1_000_000, "number of synthetic articles")
	flag.IntVar(&o.queries, "queries", 10_000, "name searches to time")
	flag.IntVar(&o.lookups, "lookups", 100_000, "PZN lookups to time")
	flag.IntVar(&o.changes, "changes", 1_000, "changed articles per increment")
	flag.StringVar(&o.dir, "dir", "", "work folder (default: a new temporary folder)")
	flag.StringVar(&o.out, "out", "", "also write the report to this file")
	flag.StringVar(&o.phase, "phase", "", "internal: run one import phase in a child process")
	flag.Uint64Var(&o.seed, "seed", 1, "generator seed")
	flag.BoolVar(&o.keep, "keep", false, "keep the work folder")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the search phase to this file")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("mirrorbench: ")
	if o.phase != "" {
		if err := childPhase(o); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(o); err != nil {
		log.Fatal(err)
	}
}

// phaseResult is what a child reports on stdout.
type phaseResult struct {
	Seconds float64 `json:"seconds"`
	Rows    int     `json:"rows"`
	MaxRSS  int64   `json:"max_rss_bytes"`
}

func childPhase(o options) error {
	csvPath := filepath.Join(o.dir, "articles.csv")
	start := time.Now()
	var rows int
	var err error
	switch o.phase {
	case "import":
		rows, err = importOurs(csvPath, filepath.Join(o.dir, "mirror.db"))
	case "baseline":
		rows, err = importPlain(csvPath, filepath.Join(o.dir, "plain.db"))
	default:
		err = fmt.Errorf("unknown phase %q", o.phase)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(phaseResult{Seconds: time.Since(start).Seconds(), Rows: rows})
}

func importOurs(csvPath, dbPath string) (int, error) {
	ctx := context.Background()
	db, err := mirrordb.Open(ctx, dbPath, nil, nil)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	src, err := csvsource.New(mirror.Articles, csvPath, nil)
	if err != nil {
		return 0, err
	}
	rep, err := mirror.Import(ctx, db, src, mirror.ImportOptions{})
	if err != nil {
		return 0, err
	}
	if rep.RejectedCount > 0 {
		return 0, fmt.Errorf("%d rows rejected, first: %v", rep.RejectedCount, rep.Rejected[0])
	}
	return rep.Imported, nil
}

const plainDSN = "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_pragma=busy_timeout(10000)"

// importPlain is the baseline: the same CSV rows read with encoding/csv
// (prices parsed, nothing validated) and inserted with one prepared
// statement in one transaction into a table with the same columns, then the
// same FTS5 index built in one pass.
func importPlain(csvPath, dbPath string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+dbPath+plainDSN)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE t (pzn INTEGER PRIMARY KEY, name TEXT, manufacturer TEXT, form TEXT, pack_size TEXT, norm_size TEXT,
			rx INTEGER, pharmacy_only INTEGER, btm INTEGER, avp INTEGER, festbetrag INTEGER, copay_exempt INTEGER)`,
		`CREATE VIRTUAL TABLE t_fts USING fts5(name, content='t', content_rowid='pzn', tokenize="unicode61 remove_diacritics 2", prefix='2 3')`,
	} {
		if _, err := db.Exec(q); err != nil {
			return 0, err
		}
	}
	f, err := os.Open(csvPath)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.Comma = ';'
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		return 0, err
	}
	tx, err := db.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	st, err := tx.Prepare(`INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return 0, err
	}
	price := func(s string) any {
		if s == "" {
			return nil
		}
		v, _ := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
		return int64(v*100 + 0.5)
	}
	n := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		pzn, _ := strconv.ParseInt(rec[0], 10, 64)
		if _, err := st.Exec(pzn, rec[1], rec[2], rec[3], rec[4], rec[5], rec[6] == "1", rec[7] == "1", rec[8] == "1",
			price(rec[9]), price(rec[10]), rec[11] == "1"); err != nil {
			return 0, err
		}
		n++
	}
	if _, err := tx.Exec(`INSERT INTO t_fts(t_fts) VALUES ('rebuild')`); err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// child runs one import phase in a fresh process and returns its result
// with the peak resident memory.
func child(o options, phase string) (phaseResult, error) {
	cmd := exec.Command(os.Args[0], "-phase", phase, "-dir", o.dir)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return phaseResult{}, fmt.Errorf("phase %s: %w", phase, err)
	}
	var r phaseResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return r, fmt.Errorf("phase %s: %w (%q)", phase, err, out.String())
	}
	r.MaxRSS = maxRSS(cmd.ProcessState)
	return r, nil
}

func run(o options) error {
	if o.dir == "" {
		d, err := os.MkdirTemp("", "mirrorbench-")
		if err != nil {
			return err
		}
		o.dir = d
	}
	if !o.keep {
		defer os.RemoveAll(o.dir)
	}
	rep := &report{o: o}
	rep.env()

	log.Printf("generating %d articles", o.n)
	start := time.Now()
	csvPath := filepath.Join(o.dir, "articles.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	if err := synth.WriteCSV(f, o.n, o.seed); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fi, _ := os.Stat(csvPath)
	rep.genSeconds, rep.csvBytes = time.Since(start).Seconds(), fi.Size()

	log.Print("full CSV import (lifeline)")
	ours, err := child(o, "import")
	if err != nil {
		return err
	}
	log.Print("full CSV import (plain SQLite baseline)")
	plain, err := child(o, "baseline")
	if err != nil {
		return err
	}
	if ours.Rows != o.n || plain.Rows != o.n {
		return fmt.Errorf("imported %d and %d rows; want %d", ours.Rows, plain.Rows, o.n)
	}
	rep.ours, rep.plain = ours, plain
	rep.dbBytes = fileSize(filepath.Join(o.dir, "mirror.db")) + fileSize(filepath.Join(o.dir, "mirror.db-wal"))
	rep.plainBytes = fileSize(filepath.Join(o.dir, "plain.db")) + fileSize(filepath.Join(o.dir, "plain.db-wal"))

	ctx := context.Background()
	db, err := mirrordb.Open(ctx, filepath.Join(o.dir, "mirror.db"), nil, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	pdb, err := sql.Open("sqlite", "file:"+filepath.Join(o.dir, "plain.db")+plainDSN)
	if err != nil {
		return err
	}
	defer pdb.Close()

	arts := synth.Articles(o.n, o.seed) // the same rows, for picking keys and queries
	rng := rand.New(rand.NewPCG(o.seed, 99))

	log.Printf("%d PZN lookups", o.lookups)
	if err := benchLookups(ctx, rep, db, pdb, arts, rng); err != nil {
		return err
	}
	log.Printf("%d name searches", o.queries)
	if err := benchSearch(ctx, rep, db, pdb, arts, rng); err != nil {
		return err
	}
	log.Printf("increments of %d changed articles", o.changes)
	if err := benchIncrement(ctx, rep, db, pdb, arts, rng); err != nil {
		return err
	}
	text := rep.markdown()
	fmt.Print(text)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(text), 0o644)
	}
	return nil
}

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
		if _, err := db.Article(ctx, k); err != nil {
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
		if err := st.QueryRowContext(ctx, n).Scan(&pzn, &name, &man, &form, &ps, &norm, &rx, &po, &btm, &avp, &fb, &ce); err != nil {
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
	log.Put(arts[0]) // seq 1: the copy's cursor
	cursor := "1"
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

type report struct {
	o                             options
	cpu, goVersion, sqlite        string
	genSeconds                    float64
	csvBytes, dbBytes             int64
	plainBytes                    int64
	ours, plain                   phaseResult
	lookOurs, lookPlain           latency
	searchOurs, searchPlain       latency
	searchRanked                  latency
	rankedN                       int
	searchEmpty, searchPlainEmpty int
	sampleQueries                 []string
	slowest                       []string
	incOurs, incPlain             latency
}

func (r *report) env() {
	r.goVersion = runtime.Version()
	r.cpu = runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				r.cpu = strings.TrimSpace(l[strings.Index(l, ":")+1:])
				break
			}
		}
	}
	if db, err := sql.Open("sqlite", ":memory:"); err == nil {
		db.QueryRow(`SELECT sqlite_version()`).Scan(&r.sqlite)
		db.Close()
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d.Microseconds())/1000) }
func mib(b int64) string        { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	ratio := r.ours.Seconds / r.plain.Seconds
	p("## Downtime copy (mirror): %s synthetic articles\n\n", mirror.EnglishCount(r.o.n))
	p("Machine: %s, %d cores visible (GOMAXPROCS %d); %s; SQLite %s (modernc.org/sqlite, pure Go).\n\n",
		r.cpu, runtime.NumCPU(), runtime.GOMAXPROCS(0), r.goVersion, r.sqlite)
	p("Command: `go run ./cmd/mirrorbench -n %d -queries %d -lookups %d -changes %d -seed %d`\n\n",
		r.o.n, r.o.queries, r.o.lookups, r.o.changes, r.o.seed)
	p("Generated CSV: %s in %.1f s. Database after import: lifeline %s, plain %s.\n\n",
		mib(r.csvBytes), r.genSeconds, mib(r.dbBytes), mib(r.plainBytes))
	p("| measure | lifeline | plain SQLite baseline | goal | verdict |\n|---|---|---|---|---|\n")
	p("| full CSV import | %.1f s | %.1f s | < 20 s and < 2x baseline (%.2fx) | %s |\n",
		r.ours.Seconds, r.plain.Seconds, ratio, verdict(r.ours.Seconds < 20 && ratio < 2))
	p("| import peak memory (maxrss) | %s | %s | - | - |\n", mib(r.ours.MaxRSS), mib(r.plain.MaxRSS))
	p("| PZN lookup p50 / p99 (max) | %s / %s (%s) | %s / %s (%s) | p99 < 1 ms | %s |\n",
		ms(r.lookOurs.p50), ms(r.lookOurs.p99), ms(r.lookOurs.max), ms(r.lookPlain.p50), ms(r.lookPlain.p99), ms(r.lookPlain.max),
		verdict(r.lookOurs.p99 < time.Millisecond))
	p("| name search p50 / p99 (max), %s queries | %s / %s (%s) | %s / %s (%s) unranked | p99 < 20 ms | %s |\n",
		mirror.EnglishCount(r.o.queries), ms(r.searchOurs.p50), ms(r.searchOurs.p99), ms(r.searchOurs.max),
		ms(r.searchPlain.p50), ms(r.searchPlain.p99), ms(r.searchPlain.max), verdict(r.searchOurs.p99 < 20*time.Millisecond))
	p("| name search, bm25-ranked FTS5 (first %d queries) | - | %s / %s (%s) | - | - |\n",
		r.rankedN, ms(r.searchRanked.p50), ms(r.searchRanked.p99), ms(r.searchRanked.max))
	p("| increment of %s changed articles p50 (max), 10 rounds | %s (%s) via HTTP feed | %s (%s) plain UPDATE | copy < 60 s old | %s |\n",
		mirror.EnglishCount(r.o.changes), ms(r.incOurs.p50), ms(r.incOurs.max), ms(r.incPlain.p50), ms(r.incPlain.max),
		verdict(r.incOurs.max < 60*time.Second))
	p("\nSearches without any hit: lifeline %d of %d (typo queries are corrected), plain prefix MATCH %d of %d.\n",
		r.searchEmpty, r.o.queries, r.searchPlainEmpty, r.o.queries)
	p("Sample queries: `%s`.\n", strings.Join(r.sampleQueries, "`, `"))
	p("Slowest lifeline searches: %s.\n", strings.Join(r.slowest, ", "))
	return b.String()
}
