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
//	go run ./cmd/mirrorbench -n 1000000 -out /tmp/mirror-bench.md
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"time"

	_ "modernc.org/sqlite"

	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/mirror/synth"
)

type options struct {
	n, queries, lookups, changes int
	dir, out, phase, cpuprofile  string
	seed                         uint64
	keep, reuse                  bool
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
	flag.BoolVar(&o.reuse, "reuse", false, "measure the databases a -keep run left in -dir, without generating and importing (tuning only; import figures read 0)")
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
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
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

	if !o.reuse {
		if err := generateAndImport(o, rep); err != nil {
			return err
		}
	}
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

// generateAndImport writes the CSV and runs both imports in child processes.
func generateAndImport(o options, rep *report) error {
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

	return nil
}
