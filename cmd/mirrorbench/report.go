package main

import (
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/mirror"
)

// loadAvg returns the 1-minute load average (Linux), to tell how busy the
// shared machine was.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "n/a"
}

type report struct {
	loadStart                     string
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
	r.loadStart = loadAvg()
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
	p("Load average (1 min) at start %s, at end %s: the machine is shared, other work competes for the 2 cores.\n\n", r.loadStart, loadAvg())
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
