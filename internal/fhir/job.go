package fhir

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"
)

// job is an export in progress, persisted in <work>/job.json after every
// step, so that a restart resumes it: polling goes on at the status URL,
// finished files are not fetched again, a file cut off resumes with a
// Range request. It holds no patient data (the files are sealed).
type job struct {
	ID        string    `json:"id"`
	Full      bool      `json:"full"`
	Since     string    `json:"since,omitempty"`
	KickoffAt time.Time `json:"kickoff_at"`
	StatusURL string    `json:"status_url"`
	Manifest  *Manifest `json:"manifest,omitempty"`
	// Done marks the files (index into files()) downloaded completely.
	Done map[int]bool `json:"done,omitempty"`
}

// jobFile is one file of a job to fetch: output or deleted.
type jobFile struct {
	ManifestFile
	Deleted bool
}

// files lists the output files of wanted types, then the deleted files.
func (j *job) files(want func(string) bool) []jobFile {
	if j.Manifest == nil {
		return nil
	}
	var out []jobFile
	for _, f := range j.Manifest.Output {
		if want(f.Type) {
			out = append(out, jobFile{ManifestFile: f})
		}
	}
	for _, f := range j.Manifest.Deleted {
		out = append(out, jobFile{ManifestFile: f, Deleted: true})
	}
	return out
}

func newJobID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Syncer) jobPath() string { return filepath.Join(s.o.WorkDir, "job.json") }

func (s *Syncer) partPath(j *job, idx int) string {
	return filepath.Join(s.o.WorkDir, j.ID, strconv.Itoa(idx)+".part")
}

// loadJob returns the persisted job, nil when there is none.
func (s *Syncer) loadJob() (*job, error) {
	b, err := os.ReadFile(s.jobPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read export job %s: %w", s.jobPath(), err)
	}
	var j job
	if err := json.Unmarshal(b, &j); err != nil || j.ID == "" {
		s.o.Log.Warn("fhir: export job file damaged; starting a new export", "file", s.jobPath())
		s.dropJob(nil)
		return nil, nil
	}
	return &j, nil
}

func (s *Syncer) saveJob(j *job) error {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(s.jobPath(), b, 0o600)
}

// dropJob removes the job file and the job's downloads.
func (s *Syncer) dropJob(j *job) {
	os.Remove(s.jobPath())
	if j != nil && j.ID != "" {
		os.RemoveAll(filepath.Join(s.o.WorkDir, j.ID))
	}
}

// WriteFileAtomic writes data to path so that a crash leaves either the old
// or the new file: a temporary file beside it, fsync, rename, and (on
// Unix) fsync of the folder.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create folder %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replace %s: %w", path, err)
	}
	if runtime.GOOS != "windows" {
		if d, err := os.Open(dir); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}
