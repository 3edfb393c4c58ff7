//go:build linux

package journal

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// syncData makes the file's data durable, with the metadata needed to read
// it back (its size), but not its times: fdatasync(2).
func syncData(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
