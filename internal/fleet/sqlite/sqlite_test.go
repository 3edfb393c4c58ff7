package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (fleet.Store, fleet.Store) {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "fleet.db"))
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s, s
	})
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "fleet.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddAudit(ctx, fleet.AuditEntry{At: time.Now(), Actor: "a", Action: "x", Target: "y"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, file) // migrations are not applied twice
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.Audit(ctx, "", 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("after reopen: got %d entries, %v; want 1", len(got), err)
	}
}
