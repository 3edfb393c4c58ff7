//go:build !unix

package fleetsim

// RaiseFileLimit does nothing where there is no such limit to raise; it
// returns 0 (unknown).
func RaiseFileLimit() uint64 { return 0 }
