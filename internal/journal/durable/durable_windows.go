//go:build windows

package durable

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

const isWindows = true

// SyncDir is a no-op on Windows: a directory handle cannot be flushed, and
// NTFS journals its metadata so a created or renamed file survives a crash
// once the file itself was flushed.
func SyncDir(dir string) error { return nil }

// The lock covers one byte far beyond any real file size, so that it never
// blocks reads or writes of the file's content by other handles.
const lockOffset = 0x7fffffff

func lockFile(f *os.File) error {
	ol := new(windows.Overlapped)
	ol.Offset = lockOffset
	err := windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
		return ErrLocked
	}
	return err
}

func unlockFile(f *os.File) error {
	ol := new(windows.Overlapped)
	ol.Offset = lockOffset
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol)
}
