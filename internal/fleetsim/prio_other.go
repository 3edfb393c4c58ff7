//go:build !linux

package fleetsim

// lowerPriority does nothing where the process priority is not set this
// way.
func lowerPriority() bool { return false }
