package fhirsim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type exportFile struct {
	typ, name string
	count     int
}

type exportJob struct {
	id       string
	dir      string
	txTime   time.Time
	request  string
	polls    int
	files    []exportFile
	deleted  []exportFile
	finished bool
}

func parseSince(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05.000Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("_since %q is not an instant", s)
}

func (s *Server) handleKickOff(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.KickOffs++
	s.mu.Unlock()
	if s.o.NoExport {
		outcome(w, http.StatusNotFound, "not-supported", "$export is not supported by this server")
		return
	}
	if r.Header.Get("Prefer") != "respond-async" {
		outcome(w, http.StatusBadRequest, "invalid", "Prefer: respond-async is required")
		return
	}
	q := r.URL.Query()
	if f := q.Get("_outputFormat"); f != "" && f != "application/fhir+ndjson" && f != "application/ndjson" && f != "ndjson" {
		outcome(w, http.StatusBadRequest, "not-supported", "only ndjson output")
		return
	}
	var since time.Time
	if v := q.Get("_since"); v != "" {
		t, err := parseSince(v)
		if err != nil {
			outcome(w, http.StatusBadRequest, "invalid", err.Error())
			return
		}
		since = t
	}
	var types map[string]bool
	if v := q.Get("_type"); v != "" {
		types = map[string]bool{}
		for _, t := range strings.Split(v, ",") {
			types[strings.TrimSpace(t)] = true
		}
	}
	job, err := s.export(since, types, baseURL(r)+r.URL.RequestURI())
	if err != nil {
		outcome(w, http.StatusInternalServerError, "exception", err.Error())
		return
	}
	w.Header().Set("Content-Location", baseURL(r)+"/fhir/_export/"+job.id)
	w.WriteHeader(http.StatusAccepted)
}

// export writes the files of a new job: a snapshot at the present.
func (s *Server) export(since time.Time, types map[string]bool, request string) (*exportJob, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextJob++
	job := &exportJob{id: fmt.Sprintf("job%d", s.nextJob), txTime: s.clk.Now(), request: request}
	job.dir = filepath.Join(s.o.WorkDir, job.id)
	if err := os.MkdirAll(job.dir, 0o700); err != nil {
		return nil, err
	}
	typeNames := make([]string, 0, len(s.byType))
	for t := range s.byType {
		typeNames = append(typeNames, t)
	}
	sort.Strings(typeNames)
	var dels []*entry
	for _, typ := range typeNames {
		if types != nil && !types[typ] {
			continue
		}
		var w *bufio.Writer
		var f *os.File
		lines, part := 0, 0
		closeFile := func() error {
			if f == nil {
				return nil
			}
			if err := w.Flush(); err != nil {
				return err
			}
			return f.Close()
		}
		for _, e := range s.byType[typ] {
			if !since.IsZero() && !e.updated.After(since) {
				continue
			}
			if e.deleted {
				if !since.IsZero() {
					dels = append(dels, e)
				}
				continue
			}
			if f == nil || lines >= s.o.FileLines {
				if err := closeFile(); err != nil {
					return nil, err
				}
				name := fmt.Sprintf("%s.%03d.ndjson", typ, part)
				part++
				var err error
				if f, err = os.Create(filepath.Join(job.dir, name)); err != nil {
					return nil, err
				}
				w, lines = bufio.NewWriterSize(f, 256<<10), 0
				job.files = append(job.files, exportFile{typ: typ, name: name})
			}
			b, err := s.body(e)
			if err != nil {
				return nil, err
			}
			w.Write(b)
			w.WriteByte('\n')
			lines++
			job.files[len(job.files)-1].count++
		}
		if err := closeFile(); err != nil {
			return nil, err
		}
	}
	if len(dels) > 0 {
		var b strings.Builder
		for i := 0; i < len(dels); i += 50 {
			var entries []map[string]any
			for _, e := range dels[i:min(i+50, len(dels))] {
				entries = append(entries, map[string]any{"request": map[string]string{"method": "DELETE", "url": e.typ + "/" + e.id}})
			}
			line, _ := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": entries})
			b.Write(line)
			b.WriteByte('\n')
		}
		if err := os.WriteFile(filepath.Join(job.dir, "Deleted.000.ndjson"), []byte(b.String()), 0o600); err != nil {
			return nil, err
		}
		job.deleted = append(job.deleted, exportFile{typ: "Bundle", name: "Deleted.000.ndjson", count: (len(dels) + 49) / 50})
	}
	s.jobs[job.id] = job
	return job, nil
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Polls++
	job, ok := s.jobs[r.PathValue("job")]
	if !ok || job.finished {
		s.mu.Unlock()
		outcome(w, http.StatusNotFound, "not-found", "no such export job")
		return
	}
	if job.polls < s.o.StatusPolls {
		job.polls++
		s.notBefore = s.clk.Now().Add(s.o.RetryAfter)
		s.mu.Unlock()
		w.Header().Set("Retry-After", retryAfter(s.o.RetryAfter))
		w.Header().Set("X-Progress", fmt.Sprintf("%d of %d steps", job.polls, s.o.StatusPolls+1))
		w.WriteHeader(http.StatusAccepted)
		return
	}
	s.mu.Unlock()
	base := baseURL(r) + "/fhir/_export/" + job.id + "/"
	list := func(fs []exportFile) []map[string]any {
		out := []map[string]any{}
		for _, f := range fs {
			out = append(out, map[string]any{"type": f.typ, "url": base + f.name, "count": f.count})
		}
		return out
	}
	m := map[string]any{
		"transactionTime":     job.txTime.UTC().Format("2006-01-02T15:04:05.000Z"),
		"request":             job.request,
		"requiresAccessToken": s.o.Bearer != "" || s.o.SMARTKey != nil,
		"output":              list(job.files),
		"deleted":             list(job.deleted),
		"error":               []any{},
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Expires", s.clk.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
	json.NewEncoder(w).Encode(m)
}

func (s *Server) handleDeleteJob(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	job, ok := s.jobs[r.PathValue("job")]
	if ok {
		job.finished = true
		delete(s.jobs, job.id)
	}
	s.mu.Unlock()
	if !ok {
		outcome(w, http.StatusNotFound, "not-found", "no such export job")
		return
	}
	os.RemoveAll(job.dir)
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	job, ok := s.jobs[r.PathValue("job")]
	s.stats.Downloads++
	ranged := r.Header.Get("Range") != ""
	if ranged {
		s.stats.RangeRequests++
	}
	s.mu.Unlock()
	name := r.PathValue("file")
	if !ok || strings.Contains(name, "/") || strings.Contains(name, "..") {
		outcome(w, http.StatusNotFound, "not-found", "no such file")
		return
	}
	f, err := os.Open(filepath.Join(job.dir, name))
	if err != nil {
		outcome(w, http.StatusNotFound, "not-found", "no such file")
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		outcome(w, http.StatusInternalServerError, "exception", err.Error())
		return
	}
	cut := int64(-1)
	s.mu.Lock()
	if !ranged && s.cuts > 0 && fi.Size() > s.cutAfter {
		s.cuts--
		s.stats.Cuts++
		cut = s.cutAfter
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/fhir+ndjson")
	if cut >= 0 {
		w.Header().Set("Content-Length", fmt.Sprint(fi.Size()))
		w.Header().Set("Accept-Ranges", "bytes")
		w.WriteHeader(http.StatusOK)
		buf := make([]byte, cut)
		if _, err := f.ReadAt(buf, 0); err == nil {
			w.Write(buf)
		}
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler) // the connection breaks off mid-file
	}
	http.ServeContent(w, r, name, job.txTime, f)
}
