//go:build linux || darwin || freebsd

package diskcheck

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// diskUsage reads the space of the file system holding path with statfs.
// Free is what an unprivileged program may use (f_bavail); total is used
// plus that, as df counts it.
func diskUsage(path string) (usage, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return usage{}, fmt.Errorf("statfs %s: %w", path, err)
	}
	bsize := uint64(st.Bsize) // block sizes are positive
	avail := uint64(0)
	if st.Bavail > 0 { // int64 on FreeBSD, where it can go negative
		avail = uint64(st.Bavail)
	}
	blocks, bfree := uint64(st.Blocks), uint64(st.Bfree)
	used := uint64(0)
	if blocks > bfree {
		used = blocks - bfree
	}
	return usage{free: avail * bsize, total: (used + avail) * bsize}, nil
}
