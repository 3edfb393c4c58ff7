// Package durable holds the small file-system primitives that the offline
// sales journal and the reconciler need to survive a crash or a power cut:
// syncing a directory after creating a file in it, writing a file
// atomically (temp + fsync + rename), and an exclusive, non-blocking lock
// so that two processes never write the same journal.
//
// The operating-system specific parts live in files with build tags; on
// Windows a directory cannot be synced and NTFS journals its metadata, so
// SyncDir is a no-op there.
package durable

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrLocked reports that another process (or another handle in this
// process) holds the lock. A retry helps once the other holder has stopped.
var ErrLocked = errors.New("locked by another process")

// WriteFileAtomic replaces the file at path with data so that after a crash
// the file holds either the old or the new content, never a mixture: it
// writes a temporary file in the same directory, syncs it, renames it over
// path and syncs the directory.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: create temporary file: %w", path, err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if !isWindows { // on Windows Chmod only toggles the read-only flag
		if err := tmp.Chmod(perm); err != nil {
			return fmt.Errorf("write %s: set permissions: %w", path, err)
		}
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: close: %w", path, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("write %s: rename into place: %w", path, err)
	}
	ok = true
	if err := SyncDir(dir); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Lock is an exclusive lock on a lock file, held until Unlock. The
// operating system releases it when the process dies, also after SIGKILL.
type Lock struct {
	f *os.File
}

// TryLock takes the exclusive lock on the file at path, creating the file
// when missing. It does not wait: when someone else holds the lock it
// returns an error wrapping ErrLocked.
func TryLock(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock. The lock file stays in place.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err1 := unlockFile(l.f)
	err2 := l.f.Close()
	l.f = nil
	if err1 != nil {
		return fmt.Errorf("unlock: %w", err1)
	}
	if err2 != nil {
		return fmt.Errorf("unlock: %w", err2)
	}
	return nil
}

// IsLocked reports whether someone holds the lock on the file at path. A
// missing file counts as not locked; IsLocked never creates the file.
func IsLocked(path string) (bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check lock %s: %w", path, err)
	}
	defer f.Close()
	err = lockFile(f)
	if errors.Is(err, ErrLocked) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("check lock %s: %w", path, err)
	}
	_ = unlockFile(f)
	return false, nil
}
