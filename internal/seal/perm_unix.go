//go:build !windows

package seal

import (
	"fmt"
	"io/fs"
	"os"
)

const isWindows = false

// checkPerm refuses a key file that group or others may read or write.
func checkPerm(path string, fi fs.FileInfo) error {
	if p := fi.Mode().Perm(); p&0o077 != 0 {
		return fmt.Errorf("Schlüsseldatei %s hat die Rechte %04o; erlaubt sind nur 0600 (nur der Besitzer). Abhilfe: chmod 600 %s (key file has mode %04o; only 0600 is allowed: run chmod 600 on it)", path, p, path, p)
	}
	return nil
}

// syncDir flushes a directory entry after a rename; errors are ignored
// because some file systems do not support it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
