//go:build windows

package seal

import "io/fs"

const isWindows = true

// checkPerm does nothing on Windows: access is governed by the folder's ACL,
// which the installer restricts to the service account and administrators.
func checkPerm(string, fs.FileInfo) error { return nil }

// syncDir does nothing on Windows, where directories cannot be synced.
func syncDir(string) {}
