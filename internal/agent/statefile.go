package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// StateFile is the name of the state file in the agent's folder.
const StateFile = "state.json"

// loadState reads the state file in dir; a missing file is a fresh
// state. A file of a newer schema is refused: retrying does not help, an
// agent of that version must run.
func loadState(dir string) (File, error) {
	data, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return File{Schema: SchemaVersion}, nil
	}
	if err != nil {
		return File{}, fmt.Errorf("read the agent state: %w", err)
	}
	var head struct {
		Schema int `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return File{}, fmt.Errorf("the agent state %s is damaged (%v); move it away to start without the update in progress", filepath.Join(dir, StateFile), err)
	}
	if head.Schema > SchemaVersion || head.Schema < 1 {
		return File{}, fmt.Errorf("the agent state %s has format version %d; this lifeline reads version %d (was a newer lifeline installed and then an older one?)",
			filepath.Join(dir, StateFile), head.Schema, SchemaVersion)
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return File{}, fmt.Errorf("the agent state %s is damaged (%v); move it away to start without the update in progress", filepath.Join(dir, StateFile), err)
	}
	f.Schema = SchemaVersion
	return f, nil
}

// saveState writes f to dir/state.json atomically: a temporary file in the
// same folder, synced, renamed over the old one, and the folder synced, so
// that a crash leaves either the old or the new state, never a mix.
func saveState(dir string, f File) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the agent state: %w", err)
	}
	return writeAtomic(filepath.Join(dir, StateFile), data, 0o600)
}

// writeAtomic writes data to path by temp file, fsync and rename.
func writeAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if runtime.GOOS != "windows" {
		if err := f.Chmod(perm); err != nil {
			return fail(err)
		}
	}
	if _, err := f.Write(data); err != nil {
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
		return fmt.Errorf("write %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable (not possible, and not needed, on
// Windows).
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
