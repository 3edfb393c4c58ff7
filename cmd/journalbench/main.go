// Command journalbench measures the offline sales journal of the emergency
// mode and prints a Markdown report:
//
//   - a durable sale (both copies written and synced before the answer),
//     one client at a time: p50/p99 latency and sales per second, through
//     journal.Append and through POST /api/v1/sales on loopback;
//   - the same with several clients at once (group commit);
//   - the baseline in the same run: a plain SQLite insert of the same record
//     with synchronous=FULL, each in its own transaction, in WAL and in the
//     default rollback-journal mode;
//   - the replay of 10,000 sales to the simulated ERP over HTTP.
//
// Usage:
//
//	go run ./cmd/journalbench [-dir D] [-n 2000] [-clients 8] [-replay 10000]
//
// -dir should be on the disk whose speed matters (the journal's); both
// copies go below it, so a real second disk would only be faster.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/journal/httpapi"
	"github.com/lifeline-project/lifeline/internal/reconcile"
	"github.com/lifeline-project/lifeline/internal/reconcile/erpsim"
)

func main() {
	dir := flag.String("dir", "", "folder for the test files (default: a new temporary folder)")
	n := flag.Int("n", 2000, "sales per sequential measurement")
	clients := flag.Int("clients", 8, "clients in the concurrent measurement")
	replayN := flag.Int("replay", 10000, "sales replayed to the simulated ERP")
	flag.Parse()
	if err := run(os.Stdout, *dir, *n, *clients, *replayN); err != nil {
		fmt.Fprintln(os.Stderr, "journalbench:", err)
		os.Exit(1)
	}
}

// stats summarises one measurement.
type stats struct {
	name          string
	n             int
	p50, p99, max time.Duration
	perSec        float64
}

func summarize(name string, lat []time.Duration, elapsed time.Duration) stats {
	slices.Sort(lat)
	return stats{name: name, n: len(lat), p50: lat[len(lat)/2], p99: lat[(len(lat)*99)/100], max: lat[len(lat)-1],
		perSec: float64(len(lat)) / elapsed.Seconds()}
}

func run(w io.Writer, base string, n, clients, replayN int) error {
	if base == "" {
		d, err := os.MkdirTemp("", "journalbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		base = d
	}
	fmt.Fprintf(w, "## Offline sales journal: measurements\n\n")
	fmt.Fprintf(w, "%s, %s/%s, %d CPUs, files in %s, %s\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), base,
		time.Now().UTC().Format("2006-01-02 15:04 UTC"))

	var rows []stats
	line := sampleLine()

	seqRows, err := benchInterleaved(base, n, line)
	if err != nil {
		return err
	}
	rows = append(rows, seqRows[0])
	s, err := benchHTTP(filepath.Join(base, "http"), n)
	if err != nil {
		return err
	}
	rows = append(rows, s)
	s, err = benchConcurrent(filepath.Join(base, "conc"), n, clients)
	if err != nil {
		return err
	}
	rows = append(rows, s)
	rows = append(rows, seqRows[1:]...)

	fmt.Fprintf(w, "| measurement | sales | p50 | p99 | max | sales/s |\n|---|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %.0f |\n", r.name, r.n, ms(r.p50), ms(r.p99), ms(r.max), r.perSec)
	}
	seq, wal := rows[0], rows[3]
	fmt.Fprintf(w, "\nThe 1-client rows were measured in turns, one operation of each per round; sales/s there is 1 / mean latency.\n")
	fmt.Fprintf(w, "\nDurable sale (1 client) against the SQLite WAL insert: latency p50 %.2fx, p99 %.2fx of SQLite's; throughput %.2fx of SQLite's.\n",
		ratio(seq.p50, wal.p50), ratio(seq.p99, wal.p99), seq.perSec/wal.perSec)

	elapsed, rep, err := benchReplay(filepath.Join(base, "replay"), replayN)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nReplay of %d sales to the simulated ERP (HTTP on loopback, one at a time, progress checkpoint every 100): %s, %.0f sales/s; booked %d, refused %d.\n",
		replayN, elapsed.Round(time.Millisecond), float64(replayN)/elapsed.Seconds(), rep.Booked, rep.Refused)
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func benchSale(i int) journal.Sale {
	return journal.Sale{IdempotencyKey: fmt.Sprintf("bench-%d", i), Staff: "Frau Becker", Payment: journal.PaymentCash,
		Items: []journal.Item{
			{PZN: "04877800", Qty: 2, Price: journal.Cents(420), Copay: journal.Cents(420)},
			{PZN: "12345678", Qty: 1, Price: journal.Cents(7340), Copay: journal.Cents(734)},
		}}
}

func openJournal(dir string) (*journal.Journal, error) {
	return journal.Open(journal.Config{Dir: filepath.Join(dir, "primary"), MirrorDir: filepath.Join(dir, "mirror"),
		Till: "Kasse 1", RegisterSerial: "LL-BENCH-1"}, slog.New(slog.DiscardHandler), clock.Real{})
}

// sampleLine is a journal record as written, for the SQLite baseline.
func sampleLine() []byte {
	d, _ := os.MkdirTemp("", "journalbench-line-")
	defer os.RemoveAll(d)
	j, err := openJournal(d)
	if err != nil {
		return bytes.Repeat([]byte("x"), 600)
	}
	defer j.Close()
	j.Append(context.Background(), benchSale(0))
	p, _ := j.Paths()
	b, _ := os.ReadFile(p)
	return bytes.TrimSpace(b)
}

// benchInterleaved times a durable sale and the SQLite baselines in turns,
// one operation of each per round, so that a busy machine slows all of
// them alike.
func benchInterleaved(base string, n int, line []byte) ([]stats, error) {
	j, err := openJournal(filepath.Join(base, "seq"))
	if err != nil {
		return nil, err
	}
	defer j.Close()
	modes := []string{"WAL", "DELETE"}
	var inserts []func(i int) error
	for _, mode := range modes {
		ins, closeDB, err := sqliteInserter(filepath.Join(base, "sqlite-"+strings.ToLower(mode)), mode, line)
		if err != nil {
			return nil, err
		}
		defer closeDB()
		inserts = append(inserts, ins)
	}
	lat := make([][]time.Duration, 1+len(modes))
	busy := make([]time.Duration, 1+len(modes))
	for i := range n {
		t := time.Now()
		if _, _, err := j.Append(context.Background(), benchSale(i)); err != nil {
			return nil, err
		}
		d := time.Since(t)
		lat[0], busy[0] = append(lat[0], d), busy[0]+d
		for k, ins := range inserts {
			t := time.Now()
			if err := ins(i); err != nil {
				return nil, err
			}
			d := time.Since(t)
			lat[k+1], busy[k+1] = append(lat[k+1], d), busy[k+1]+d
		}
	}
	out := []stats{summarize("durable sale, journal.Append, 1 client", lat[0], busy[0])}
	for k, mode := range modes {
		out = append(out, summarize("baseline: SQLite insert, journal_mode="+mode+", synchronous=FULL, 1 client", lat[k+1], busy[k+1]))
	}
	return out, nil
}

// sqliteInserter opens a database in dir and returns a function inserting
// the record under key i, each insert its own transaction.
func sqliteInserter(dir, mode string, line []byte) (func(int) error, func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	dsn := "file:" + filepath.Join(dir, "bench.db") + "?_pragma=journal_mode(" + mode + ")&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE sales (number INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, record TEXT NOT NULL)`); err != nil {
		db.Close()
		return nil, nil, err
	}
	stmt, err := db.Prepare(`INSERT INTO sales (key, record) VALUES (?, ?)`)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	rec := string(line)
	ins := func(i int) error {
		_, err := stmt.Exec(fmt.Sprintf("bench-%d", i), rec)
		return err
	}
	return ins, func() { stmt.Close(); db.Close() }, nil
}

func benchHTTP(dir string, n int) (stats, error) {
	j, err := openJournal(dir)
	if err != nil {
		return stats{}, err
	}
	defer j.Close()
	api, err := httpapi.New(j, httpapi.Options{Staff: func(*http.Request) string { return "Frau Becker" }})
	if err != nil {
		return stats{}, err
	}
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	body := `{"items":[{"pzn":"04877800","qty":2,"price":"4.20","copay":"4.20"},{"pzn":"12345678","qty":1,"price":"73.40","copay":"7.34"}],"payment":"cash"}`
	lat := make([]time.Duration, 0, n)
	start := time.Now()
	for i := range n {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/sales", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("http-%d", i))
		t := time.Now()
		res, err := srv.Client().Do(req)
		if err != nil {
			return stats{}, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			return stats{}, fmt.Errorf("POST answered %d", res.StatusCode)
		}
		lat = append(lat, time.Since(t))
	}
	return summarize("durable sale, POST /api/v1/sales, 1 client", lat, time.Since(start)), nil
}

func benchConcurrent(dir string, n, clients int) (stats, error) {
	j, err := openJournal(dir)
	if err != nil {
		return stats{}, err
	}
	defer j.Close()
	var (
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, n)
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make(chan error, clients)
	)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				t := time.Now()
				if _, _, err := j.Append(context.Background(), benchSale(i)); err != nil {
					errs <- err
					return
				}
				d := time.Since(t)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return stats{}, err
	}
	return summarize(fmt.Sprintf("durable sale, journal.Append, %d clients (group commit)", clients), lat, elapsed), nil
}

func benchReplay(dir string, n int) (time.Duration, *reconcile.Report, error) {
	j, err := openJournal(dir)
	if err != nil {
		return 0, nil, err
	}
	defer j.Close()
	// Fill the journal quickly, with 16 clients sharing group commits.
	var next atomic.Int64
	var wg sync.WaitGroup
	var fillErr atomic.Value
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				if _, _, err := j.Append(context.Background(), benchSale(i)); err != nil {
					fillErr.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := fillErr.Load().(error); err != nil {
		return 0, nil, err
	}
	erp := erpsim.New(nil, nil)
	srv := httptest.NewServer(erp)
	defer srv.Close()
	ad, err := reconcile.NewHTTPAdapter(reconcile.HTTPConfig{BaseURL: srv.URL}, srv.Client())
	if err != nil {
		return 0, nil, err
	}
	r, err := reconcile.New(reconcile.Config{StateDir: filepath.Join(dir, "state")}, j, ad, nil, nil)
	if err != nil {
		return 0, nil, err
	}
	start := time.Now()
	rep, err := r.Run(context.Background())
	elapsed := time.Since(start)
	if err != nil {
		return 0, nil, err
	}
	if got := len(erp.Bookings()); got != n {
		return 0, nil, fmt.Errorf("the ERP booked %d sales; want %d", got, n)
	}
	return elapsed, rep, nil
}
