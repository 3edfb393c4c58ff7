//go:build !windows

package mirrorsite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrorsite"
)

// TestBadKeyFileKeepsPrices: on Unix a key file readable by others is
// refused; the copy still opens for prices and reports the key problem.
func TestBadKeyFileKeepsPrices(t *testing.T) {
	dir := t.TempDir()
	kf := filepath.Join(dir, "data.key")
	if err := os.WriteFile(kf, []byte("not a key\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := mirror.Config{KeyFile: kf}
	cfg.ApplyDefaults()
	n, err := mirrorsite.Open(context.Background(), mirrorsite.Options{Config: cfg, DataDir: dir, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatalf("Open with a bad key file: %v; want the copy to open for prices", err)
	}
	defer n.Close()
	if n.KeyErr == nil || !strings.Contains(n.KeyErr.Error(), "chmod 600") {
		t.Errorf("KeyErr = %v; want the rights refusal", n.KeyErr)
	}
	if _, err := n.DB.Patients(context.Background()); mirror.ErrorCode(err) != mirror.EKEY {
		t.Errorf("Patients: %v; want EKEY", err)
	}
}
