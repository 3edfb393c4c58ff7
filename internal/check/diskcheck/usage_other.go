//go:build !linux && !darwin && !freebsd && !windows

package diskcheck

import (
	"errors"
	"fmt"
)

// diskUsage is not implemented on this operating system.
func diskUsage(path string) (usage, error) {
	return usage{}, fmt.Errorf("free space of %s: %w", path, errors.ErrUnsupported)
}
