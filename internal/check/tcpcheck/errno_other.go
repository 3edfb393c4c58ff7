//go:build !windows

package tcpcheck

import "syscall"

// The error numbers behind refused, unreachable and reset connections.
func errRefused() []syscall.Errno { return []syscall.Errno{syscall.ECONNREFUSED} }
func errHostUnreach() []syscall.Errno {
	return []syscall.Errno{syscall.EHOSTUNREACH, syscall.EHOSTDOWN}
}
func errNetUnreach() []syscall.Errno { return []syscall.Errno{syscall.ENETUNREACH} }
func errReset() []syscall.Errno      { return []syscall.Errno{syscall.ECONNRESET, syscall.ECONNABORTED} }
