//go:build unix

package fleetsim

import "syscall"

// RaiseFileLimit raises the soft limit of open files to the hard limit:
// every emulated site holds a connection.
func RaiseFileLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
	}
	return uint64(l.Cur)
}
