//go:build linux

package fleetsim

import "syscall"

// lowerPriority lowers this process's CPU priority (nice 10), so that on
// a machine shared with the fleet processes the emulator yields to the
// fleet under test.
func lowerPriority() bool {
	return syscall.Setpriority(syscall.PRIO_PROCESS, 0, 10) == nil
}
