//go:build !linux

package journal

import "os"

// syncData makes the file durable: fsync on Unix, FlushFileBuffers on
// Windows.
func syncData(f *os.File) error { return f.Sync() }
