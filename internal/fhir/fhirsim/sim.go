// Package fhirsim is a simulated EHR that speaks FHIR R4 Bulk Data, for
// tests, benchmarks and the demo. It serves NDJSON files of a folder (the
// Synthea sample of 10 patients, or data from package gen) and speaks:
//
//	GET    /fhir/$export, /fhir/Patient/$export, /fhir/Group/{id}/$export
//	       kick-off (Prefer: respond-async; _type, _since) -> 202 + Content-Location
//	GET    /fhir/_export/{job}          202 with Retry-After and X-Progress while
//	                                    "running", then 200 and the manifest
//	DELETE /fhir/_export/{job}          the client is done
//	GET    /fhir/_export/{job}/{file}   NDJSON, with Range requests (206) for resume
//	GET    /fhir/{Type}?_lastUpdated=ge<t>&_count=n   searchset Bundles with next links
//	POST   /auth/token                  SMART backend services (client_credentials
//	                                    with a signed JWT client assertion)
//
// Changes made with Put and Delete carry the simulator's clock time as
// meta.lastUpdated; an export with _since returns them, and deletions in
// deleted[] as Bundles of DELETE entries. With Options.Admit the
// simulator adds, for the living patients of the folder, current stays on
// wards (package gen), so that historic data shows ward lists.
//
// Faults for tests: Fail answers the next requests of a phase with 429 or
// 503 and a Retry-After; CutDownloads breaks off file transfers; every
// request that comes before a Retry-After has passed is counted as early
// (Stats.Early) and refused again. Times come from the injected clock, so
// a test with a fake clock checks that the client waited without sleeping.
package fhirsim

import (
	"bufio"
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fhir/gen"
)

// Phases of the protocol, for fault injection.
type Phase string

// The phases.
const (
	PhaseKickOff  Phase = "kickoff"
	PhaseStatus   Phase = "status"
	PhaseDownload Phase = "download"
	PhaseSearch   Phase = "search"
	PhaseToken    Phase = "token"
)

// Options configure the simulator.
type Options struct {
	// Dir holds the base data: NDJSON files named Type.NNN.ndjson.
	Dir string
	// Admit adds current stays for the living patients of Dir.
	Admit bool
	// AdmitSeed seeds the stays.
	AdmitSeed uint64
	Clock     clock.Clock
	// WorkDir receives the export files (default: a new temporary folder,
	// removed by Close).
	WorkDir string
	// FileLines splits export files after this many lines (default 2000).
	FileLines int
	// StatusPolls is how many status requests answer "in progress" before
	// the manifest (default 1).
	StatusPolls int
	// RetryAfter is the Retry-After of "in progress" answers (default 2s).
	RetryAfter time.Duration
	// NoExport makes $export answer 404, for the search fallback.
	NoExport bool
	// Bearer, when set, is the one access token accepted.
	Bearer string
	// SMARTClientID and SMARTKey enable the token endpoint: assertions of
	// this client signed with the private key of SMARTKey are accepted and
	// the tokens it issues are required.
	SMARTClientID string
	SMARTKey      crypto.PublicKey
	Log           *slog.Logger
}

// Stats count the simulator's requests.
type Stats struct {
	KickOffs, Polls, Downloads, RangeRequests, Cuts, Searches, Tokens int
	// Unauthorized counts refused requests without a valid token.
	Unauthorized int
	// Early counts requests that came before a Retry-After had passed.
	Early int
	// Failed counts injected 429/503 answers.
	Failed int
}

// entry is one resource: in a base file (raw nil) or in memory.
type entry struct {
	typ, id string
	file    string
	off     int64
	n       int
	raw     []byte
	updated time.Time
	deleted bool
	// malformed marks a base line that is no resource.
	malformed bool
}

type fault struct {
	status int
	retry  time.Duration
}

// Server is the simulated EHR. It is safe for concurrent use.
type Server struct {
	o   Options
	clk clock.Clock
	log *slog.Logger
	t0  time.Time

	mu        sync.Mutex
	byType    map[string][]*entry
	byKey     map[string]*entry
	jobs      map[string]*exportJob
	faults    map[Phase][]fault
	cuts      int
	cutAfter  int64
	notBefore time.Time
	tokens    map[string]time.Time
	jtis      map[string]bool
	stats     Stats
	tmpDir    bool
	nextJob   int
	down      bool
}

// New loads the base data and prepares the simulator.
func New(o Options) (*Server, error) {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.FileLines <= 0 {
		o.FileLines = 2000
	}
	if o.StatusPolls == 0 {
		o.StatusPolls = 1
	}
	if o.RetryAfter == 0 {
		o.RetryAfter = 2 * time.Second
	}
	s := &Server{o: o, clk: o.Clock, log: o.Log, t0: o.Clock.Now(), byType: map[string][]*entry{}, byKey: map[string]*entry{},
		jobs: map[string]*exportJob{}, faults: map[Phase][]fault{}, tokens: map[string]time.Time{}, jtis: map[string]bool{}}
	if s.o.WorkDir == "" {
		d, err := os.MkdirTemp("", "fhirsim-*")
		if err != nil {
			return nil, err
		}
		s.o.WorkDir, s.tmpDir = d, true
	}
	living, err := s.load(o.Dir)
	if err != nil {
		s.Close()
		return nil, err
	}
	if o.Admit {
		var ps []gen.Admittee
		for _, id := range living {
			ps = append(ps, gen.Admittee{ID: id})
		}
		_, err := gen.Admit(gen.AdmitOptions{Seed: o.AdmitSeed, Now: s.t0}, ps, func(typ string, res []byte) error {
			return s.putLocked(typ, res, s.t0)
		})
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("fhirsim: admit patients: %w", err)
		}
	}
	return s, nil
}

// Close removes the export files.
func (s *Server) Close() {
	if s.tmpDir {
		os.RemoveAll(s.o.WorkDir)
	}
}

type head struct {
	ResourceType     string `json:"resourceType"`
	ID               string `json:"id"`
	DeceasedDateTime string `json:"deceasedDateTime"`
	DeceasedBoolean  bool   `json:"deceasedBoolean"`
}

// load indexes the base files and returns the living patients' ids.
func (s *Server) load(dir string) ([]string, error) {
	if dir == "" {
		return nil, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("fhirsim: no NDJSON files in %s", dir)
	}
	sort.Strings(files)
	var living []string
	for _, file := range files {
		typ, _, _ := strings.Cut(filepath.Base(file), ".")
		if typ == "log" {
			continue
		}
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		r := bufio.NewReaderSize(f, 1<<20)
		var off int64
		for {
			line, err := r.ReadBytes('\n')
			if len(bytes.TrimSpace(line)) > 0 {
				var h head
				e := &entry{typ: typ, file: file, off: off, n: len(bytes.TrimRight(line, "\r\n")), updated: s.t0}
				if jerr := json.Unmarshal(line, &h); jerr != nil || h.ID == "" || h.ResourceType == "" {
					// A malformed line is served as it is, in full exports
					// only: the client must report it and import the rest.
					e.id, e.malformed = fmt.Sprintf("malformed-%s-%d", filepath.Base(file), off), true
				} else {
					e.typ, e.id = h.ResourceType, h.ID
				}
				s.add(e)
				if h.ResourceType == "Patient" && h.DeceasedDateTime == "" && !h.DeceasedBoolean {
					living = append(living, h.ID)
				}
			}
			off += int64(len(line))
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				f.Close()
				return nil, err
			}
		}
		f.Close()
	}
	return living, nil
}

func (s *Server) add(e *entry) {
	key := e.typ + "/" + e.id
	if old, ok := s.byKey[key]; ok {
		*old = *e
		return
	}
	s.byKey[key] = e
	s.byType[e.typ] = append(s.byType[e.typ], e)
}

// body returns an entry's JSON.
func (s *Server) body(e *entry) ([]byte, error) {
	if e.raw != nil {
		return e.raw, nil
	}
	f, err := os.Open(e.file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, e.n)
	if _, err := f.ReadAt(b, e.off); err != nil {
		return nil, err
	}
	return b, nil
}

// Put adds or replaces a resource; its meta.lastUpdated becomes the
// simulator's present.
func (s *Server) Put(res []byte) error {
	var h head
	if err := json.Unmarshal(res, &h); err != nil || h.ResourceType == "" || h.ID == "" {
		return errors.New("fhirsim: Put needs a resource with resourceType and id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putLocked(h.ResourceType, res, s.clk.Now())
}

func (s *Server) putLocked(typ string, res []byte, at time.Time) error {
	var m map[string]any
	if err := json.Unmarshal(res, &m); err != nil {
		return err
	}
	meta, _ := m["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	meta["lastUpdated"] = at.UTC().Format("2006-01-02T15:04:05.000Z")
	m["meta"] = meta
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	s.add(&entry{typ: typ, id: m["id"].(string), raw: b, updated: at})
	return nil
}

// Delete removes a resource; an export with _since lists it in deleted[].
func (s *Server) Delete(typ, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byKey[typ+"/"+id]
	if !ok || e.deleted {
		return fmt.Errorf("fhirsim: no %s/%s", typ, id)
	}
	e.deleted, e.raw, e.updated = true, nil, s.clk.Now()
	e.file = ""
	return nil
}

// Resource returns the current JSON of a resource.
func (s *Server) Resource(typ, id string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byKey[typ+"/"+id]
	if !ok || e.deleted {
		return nil, false
	}
	b, err := s.body(e)
	return b, err == nil
}

// IDs returns the ids of the resources of a type that are not deleted.
func (s *Server) IDs(typ string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.byType[typ] {
		if !e.deleted {
			out = append(out, e.id)
		}
	}
	return out
}

// Fail makes the next times requests of phase answer status (429 or 503)
// with Retry-After retry (none when 0).
func (s *Server) Fail(p Phase, status int, retry time.Duration, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < times; i++ {
		s.faults[p] = append(s.faults[p], fault{status, retry})
	}
}

// CutDownloads breaks off the next n file transfers that start at the
// beginning of a file, after afterBytes bytes.
func (s *Server) CutDownloads(n int, afterBytes int64) {
	s.mu.Lock()
	s.cuts, s.cutAfter = n, afterBytes
	s.mu.Unlock()
}

// SetDown makes every request fail with 503 (an EHR outage) until it is
// called with false.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// Stats returns the request counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}
