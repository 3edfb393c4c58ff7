//go:build windows

package tcpcheck

import (
	"syscall"

	"golang.org/x/sys/windows"
)

// The error numbers behind refused, unreachable and reset connections.
// Windows reports socket errors as WSA codes, which errors.Is does not map
// to the syscall.E* values.
func errRefused() []syscall.Errno {
	return []syscall.Errno{windows.WSAECONNREFUSED, syscall.ECONNREFUSED}
}
func errHostUnreach() []syscall.Errno {
	return []syscall.Errno{windows.WSAEHOSTUNREACH, windows.WSAEHOSTDOWN}
}
func errNetUnreach() []syscall.Errno {
	return []syscall.Errno{windows.WSAENETUNREACH, syscall.ENETUNREACH}
}
func errReset() []syscall.Errno {
	return []syscall.Errno{windows.WSAECONNRESET, windows.WSAECONNABORTED, syscall.ECONNRESET}
}
