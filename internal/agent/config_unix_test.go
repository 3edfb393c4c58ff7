//go:build !windows

package agent

import (
	"os"
	"path/filepath"
	"testing"
)

func TestConfigHookNotExecutable(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "install.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Config{Window: "So 02:00-05:00", Components: []Component{{Name: "erp", Install: p, Rollback: p}}}
	c.ApplyDefaults()
	ps := c.Validate()
	if len(ps) != 2 || ps[0].Key != "components[0].install" {
		t.Errorf("got %v; want install and rollback not executable", ps)
	}
}
