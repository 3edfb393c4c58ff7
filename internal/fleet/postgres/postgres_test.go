package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/storetest"
)

// EnvDSN names the environment variable with the test database's DSN.
const EnvDSN = "LIFELINE_TEST_POSTGRES"

const defaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func dsn() string {
	if v := os.Getenv(EnvDSN); v != "" {
		return v
	}
	return defaultDSN
}

// openTest opens a store in a fresh random schema and drops it after the
// test. It fails (never skips) when PostgreSQL cannot be reached.
func openTest(t testing.TB) (*Store, *Store) {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "fleettest_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, dsn(), Options{Schema: schema, MaxConns: 4})
	if err != nil {
		t.Fatalf("PostgreSQL for the store contract test is not reachable at %s (set %s to its DSN): %v", dsn(), EnvDSN, err)
	}
	s2, err := Open(ctx, dsn(), Options{Schema: schema, MaxConns: 4})
	if err != nil {
		s.Close()
		t.Fatalf("second handle: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		s2.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := DropSchema(ctx, dsn(), schema); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return s, s2
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (fleet.Store, fleet.Store) { return openTest(t) })
}

func TestBadSchemaName(t *testing.T) {
	_, err := Open(context.Background(), dsn(), Options{Schema: "x; DROP TABLE y"})
	if err == nil {
		t.Fatal("schema with SQL in it: got no error")
	}
}
