//go:build !windows

package service

import "errors"

// IsService reports whether the process runs under the Windows service
// manager; never on this system.
func IsService() bool { return false }

// Run is only available on Windows.
func Run(fn RunFunc) error { return errUnsupported }

var errUnsupported = errors.New("Windows services exist only on Windows; on Linux use the systemd unit in examples/lifeline-site.service")

// Install is only available on Windows.
func Install(config string) error { return errUnsupported }

// Uninstall is only available on Windows.
func Uninstall() error { return errUnsupported }
