package reconcile

// The crash test of the emergency-mode journal and its replay. The test
// binary runs itself as a child process (TestMain switches on
// LIFELINE_CRASH_CHILD) and kills the child with SIGKILL (TerminateProcess
// on Windows) at random moments:
//
//  1. 200 times a child opens the journal (recovering from the previous
//     kill), serves the real HTTP API on loopback and books sales through
//     it from three clients, printing each sale only after its 201. Some
//     requests repeat keys of the previous child, as a till retrying after
//     a crash would.
//  2. Every acknowledged sale must then be in the journal exactly once,
//     with the number and hash it was acknowledged with, and both copies
//     must verify.
//  3. A child replays the journal to the simulated ERP, which drops every
//     fifth connection (before or after booking) and refuses one article;
//     it is killed several times, then a last run completes. Every sale is
//     booked exactly once, the refused ones not at all, and the report
//     agrees with the ERP.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/journal/httpapi"
	"github.com/lifeline-project/lifeline/internal/reconcile/erpsim"
)

const (
	envChild = "LIFELINE_CRASH_CHILD" // "journal" or "replay"
	envDir   = "LIFELINE_CRASH_DIR"
	envIter  = "LIFELINE_CRASH_ITER"
	envERP   = "LIFELINE_CRASH_ERP"

	crashKills    = 200
	replayKills   = 6
	crashClients  = 3
	crashNoteFrac = 5 // every 5th request repeats a key of the previous child
)

func TestMain(m *testing.M) {
	switch os.Getenv(envChild) {
	case "journal":
		os.Exit(journalChild())
	case "replay":
		os.Exit(replayChild())
	}
	os.Exit(m.Run())
}

func crashJournalConfig(dir string) journal.Config {
	return journal.Config{Dir: filepath.Join(dir, "primary"), MirrorDir: filepath.Join(dir, "mirror"),
		Till: "Kasse 1", RegisterSerial: "LL-CRASH-1"}
}

// crashBody is the sale for a key: the same key always gets the same body.
func crashBody(key string) string {
	sum := sha256.Sum256([]byte(key))
	n := binary.BigEndian.Uint32(sum[:4])
	pzn := "04877800"
	if n%17 == 0 {
		pzn = refusedPZN
	}
	price := 100 + n%5000
	copay := min(price, 500)
	return fmt.Sprintf(`{"items":[{"pzn":%q,"qty":%d,"price":"%d.%02d","copay":"%d.%02d"}],"payment":"cash"}`,
		pzn, 1+n%3, price/100, price%100, copay/100, copay%100)
}

// journalChild books sales through the HTTP API until it is killed.
func journalChild() int {
	dir, iter := os.Getenv(envDir), os.Getenv(envIter)
	it, _ := strconv.Atoi(iter)
	// Recovery steps go to stderr, for the parent to count.
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	j, err := journal.Open(crashJournalConfig(dir), log, nil)
	if err != nil {
		fmt.Printf("error open: %v\n", err)
		return 3
	}
	api, err := httpapi.New(j, httpapi.Options{Staff: func(*http.Request) string { return "Crash Test" }})
	if err != nil {
		fmt.Printf("error api: %v\n", err)
		return 3
	}
	mux := http.NewServeMux()
	api.Register(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Printf("error listen: %v\n", err)
		return 3
	}
	go http.Serve(ln, mux)
	url := "http://" + ln.Addr().String() + "/api/v1/sales"
	var out sync.Mutex
	say := func(s string) {
		out.Lock()
		os.Stdout.WriteString(s) // one write per line
		out.Unlock()
	}
	say("ready\n")
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for g := range crashClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				key := fmt.Sprintf("i%d-g%d-%d", it, g, n)
				if n%crashNoteFrac == crashNoteFrac-1 && it > 0 {
					key = fmt.Sprintf("i%d-g%d-%d", it-1, g, n/crashNoteFrac)
				}
				req, _ := http.NewRequest("POST", url, strings.NewReader(crashBody(key)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", key)
				res, err := client.Do(req)
				if err != nil {
					say(fmt.Sprintf("error post: %v\n", err))
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusCreated {
					say(fmt.Sprintf("error status %d: %s\n", res.StatusCode, bytes.TrimSpace(b)))
					return
				}
				var e journal.Entry
				if err := json.Unmarshal(b, &e); err != nil {
					say(fmt.Sprintf("error body: %v\n", err))
					return
				}
				say(fmt.Sprintf("ack %s %d %s\n", key, e.Number, e.Hash))
				time.Sleep(time.Duration(rand.IntN(1500)) * time.Microsecond)
			}
		}()
	}
	wg.Wait()
	return 4
}

// replayChild replays the journal to the ERP and exits 0 when done.
func replayChild() int {
	dir := os.Getenv(envDir)
	j, err := journal.Open(crashJournalConfig(dir), nil, nil)
	if err != nil {
		fmt.Printf("error open: %v\n", err)
		return 3
	}
	ad, err := NewHTTPAdapter(HTTPConfig{BaseURL: os.Getenv(envERP), Timeout: 5 * time.Second}, nil)
	if err != nil {
		fmt.Printf("error adapter: %v\n", err)
		return 3
	}
	r, err := New(crashReplayConfig(dir), j, ad, nil, nil)
	if err != nil {
		fmt.Printf("error reconciler: %v\n", err)
		return 3
	}
	os.Stdout.WriteString("ready\n")
	if _, err := r.Run(context.Background()); err != nil {
		fmt.Printf("error run: %v\n", err)
		return 3
	}
	os.Stdout.WriteString("done\n")
	return 0
}

func crashReplayConfig(dir string) Config {
	return Config{StateDir: filepath.Join(dir, "state"), CheckpointEvery: 50, Backoff: time.Millisecond,
		MaxBackoff: 20 * time.Millisecond, MaxAttempts: 50}
}

// child is a running child process and what it printed.
type child struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	ready  chan struct{}
	done   chan struct{} // stdout closed
	lines  []string
	t      *testing.T
}

func startChild(t *testing.T, mode, dir string, iter int, erpURL string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+mode, envDir+"="+dir, envIter+"="+strconv.Itoa(iter), envERP+"="+erpURL)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stderr: &stderr, ready: make(chan struct{}), done: make(chan struct{}), t: t}
	go func() {
		defer close(c.done)
		br := bufio.NewReader(stdout)
		readyOnce := sync.OnceFunc(func() { close(c.ready) })
		defer readyOnce()
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return // EOF; a line without "\n" was cut by the kill and does not count
			}
			l = strings.TrimSuffix(l, "\n")
			if l == "ready" {
				readyOnce()
				continue
			}
			c.lines = append(c.lines, l)
		}
	}()
	return c
}

// kill kills the child hard, waits for it and returns its complete lines.
func (c *child) kill() []string {
	c.cmd.Process.Kill() // SIGKILL; TerminateProcess on Windows
	<-c.done
	c.cmd.Wait()
	return c.lines
}

func TestCrashJournalAndReplay(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	type ack struct {
		number int64
		hash   string
		iter   int
	}
	acked := map[string]ack{}
	var total, repeats, torn, levelled int
	phase := time.Now()
	for iter := range crashKills {
		c := startChild(t, "journal", dir, iter, "")
		if rng.IntN(5) == 0 {
			// Early: during start-up and the recovery of the last crash.
			time.Sleep(time.Duration(rng.IntN(15000)) * time.Microsecond)
		} else {
			select {
			case <-c.ready:
			case <-time.After(20 * time.Second):
				t.Fatalf("child %d not ready: %v", iter, c.kill())
			}
			time.Sleep(time.Duration(rng.IntN(25000)) * time.Microsecond)
		}
		lines := c.kill()
		torn += strings.Count(c.stderr.String(), "incomplete last record removed")
		levelled += strings.Count(c.stderr.String(), "bringing a lagging copy level")
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) != 4 || f[0] != "ack" {
				t.Fatalf("child %d: %s", iter, l)
			}
			n, _ := strconv.ParseInt(f[2], 10, 64)
			a := ack{number: n, hash: f[3], iter: iter}
			if prev, ok := acked[f[1]]; ok {
				repeats++
				if prev.number != a.number || prev.hash != a.hash {
					t.Fatalf("key %s acknowledged as %d %s by child %d and as %d %s by child %d",
						f[1], prev.number, prev.hash, prev.iter, a.number, a.hash, iter)
				}
				continue
			}
			acked[f[1]] = a
			total++
		}
	}
	t.Logf("%d kills in %v, %d sales acknowledged, %d repeated keys acknowledged again; recoveries: %d torn records cut, %d copies levelled",
		crashKills, time.Since(phase).Round(time.Millisecond), total, repeats, torn, levelled)
	if total < crashKills {
		t.Fatalf("only %d sales acknowledged in %d runs; the children hardly booked", total, crashKills)
	}

	// Recovery once more, then every acknowledged sale exactly once.
	j, err := journal.Open(crashJournalConfig(dir), nil, nil)
	if err != nil {
		t.Fatalf("Open after the last kill: %v", err)
	}
	es, err := j.Since(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]journal.Entry{}
	for _, e := range es {
		if _, dup := byKey[e.IdempotencyKey]; dup {
			t.Fatalf("key %s twice in the journal", e.IdempotencyKey)
		}
		byKey[e.IdempotencyKey] = e
	}
	for k, a := range acked {
		e, ok := byKey[k]
		if !ok {
			t.Errorf("acknowledged sale %s (number %d) missing from the journal", k, a.number)
			continue
		}
		if e.Number != a.number || e.Hash != a.hash {
			t.Errorf("sale %s acknowledged as %d %s; journal has %d %s", k, a.number, a.hash, e.Number, e.Hash)
		}
	}
	primary, mirror := j.Paths()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if rep, err := journal.Verify(primary, mirror); err != nil {
		t.Fatalf("Verify: %v (%+v)", err, rep.Problems)
	}
	t.Logf("journal: %d entries (%d acknowledged, the rest written but killed before the answer)", len(es), total)

	// Replay with connection drops and killed reconcilers.
	erp := erpsim.New(nil, nil)
	erp.Refuse(refusedPZN, "PZN "+refusedPZN+" ist im ERP unbekannt", "PZN "+refusedPZN+" unknown to the ERP")
	erp.DropEvery(5)
	srv := httptest.NewServer(erp)
	defer srv.Close()
	killedMidway := 0
	phase = time.Now()
	for k := range replayKills {
		c := startChild(t, "replay", dir, k, srv.URL)
		select {
		case <-c.ready:
		case <-time.After(20 * time.Second):
			t.Fatalf("replay child %d not ready: %v", k, c.kill())
		}
		// The first kill comes early, well before ~2000 sales can be
		// booked; the later ones at random.
		wait := time.Duration(10+rng.IntN(50)) * time.Millisecond
		if k > 0 {
			wait = time.Duration(10+rng.IntN(200)) * time.Millisecond
		}
		time.Sleep(wait)
		lines := c.kill()
		if len(lines) == 0 {
			killedMidway++
		}
		for _, l := range lines {
			if l != "done" {
				t.Fatalf("replay child %d: %s", k, l)
			}
		}
	}
	if killedMidway == 0 {
		t.Fatalf("no replay child was killed mid-run; the test did not exercise resuming")
	}
	j, err = journal.Open(crashJournalConfig(dir), nil, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ad, _ := NewHTTPAdapter(HTTPConfig{BaseURL: srv.URL, Timeout: 5 * time.Second}, nil)
	r, err := New(crashReplayConfig(dir), j, ad, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Run(context.Background())
	if err != nil {
		t.Fatalf("final replay: %v", err)
	}
	checkExactlyOnce(t, j, erp, rep)
	requests, dropped, _ := erp.Stats()
	t.Logf("replay in %v: %d of %d replay children killed mid-run; %d booked, %d refused, %d requests, %d connections dropped",
		time.Since(phase).Round(time.Millisecond), killedMidway, replayKills, rep.Booked, rep.Refused, requests, dropped)
	if dropped == 0 || rep.Refused == 0 {
		t.Errorf("dropped %d, refused %d; want the replay to have met both", dropped, rep.Refused)
	}
}
