package durable

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	for _, content := range []string{"first", "second, longer"} {
		if err := WriteFileAtomic(path, []byte(content), 0o600); err != nil {
			t.Fatalf("WriteFileAtomic: %v", err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("content = %q, %v; want %q", got, err, content)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("folder holds %d files; want only the target, no temporary left", len(entries))
	}
	if err := WriteFileAtomic(filepath.Join(t.TempDir(), "missing", "x"), nil, 0o600); err == nil {
		t.Error("WriteFileAtomic into a missing folder = nil; want an error")
	}
}

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	if locked, err := IsLocked(path); err != nil || locked {
		t.Fatalf("IsLocked(missing) = %v, %v; want false", locked, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("IsLocked created the lock file: %v", err)
	}
	l, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(path); !errors.Is(err, ErrLocked) {
		t.Errorf("second TryLock error = %v; want ErrLocked", err)
	}
	if locked, err := IsLocked(path); err != nil || !locked {
		t.Errorf("IsLocked while held = %v, %v; want true", locked, err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if locked, err := IsLocked(path); err != nil || locked {
		t.Errorf("IsLocked after Unlock = %v, %v; want false", locked, err)
	}
	l2, err := TryLock(path)
	if err != nil {
		t.Fatalf("TryLock after Unlock: %v", err)
	}
	l2.Unlock()
}

func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Errorf("SyncDir: %v", err)
	}
}
