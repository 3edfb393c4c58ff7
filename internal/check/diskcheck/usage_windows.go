//go:build windows

package diskcheck

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// diskUsage reads the space of the drive holding path with
// GetDiskFreeSpaceEx, as available to this program (quotas included).
func diskUsage(path string) (usage, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return usage{}, fmt.Errorf("path %q: %w", path, err)
	}
	var freeToCaller, totalToCaller, totalFree uint64
	if err := windows.GetDiskFreeSpaceEx(p, &freeToCaller, &totalToCaller, &totalFree); err != nil {
		return usage{}, fmt.Errorf("GetDiskFreeSpaceEx %s: %w", path, err)
	}
	return usage{free: freeToCaller, total: totalToCaller}, nil
}
