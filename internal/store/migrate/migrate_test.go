package migrate

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	_ "modernc.org/sqlite"
)

func TestApplyInOrderOnce(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fsys := fstest.MapFS{
		"m/0002_add.sql":   {Data: []byte(`ALTER TABLE t ADD COLUMN b TEXT;`)},
		"m/0001_table.sql": {Data: []byte(`CREATE TABLE t (a INTEGER);`)},
	}
	ctx := context.Background()
	for i := 0; i < 2; i++ { // the second run applies nothing
		if err := Apply(ctx, db, SQLite, fsys, "m"); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if _, err := db.Exec(`INSERT INTO t(a, b) VALUES (1, 'x')`); err != nil {
		t.Errorf("the table lacks the migrated column: %v", err)
	}
	var n int
	db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n)
	if n != 2 {
		t.Errorf("recorded migrations: got %d; want 2", n)
	}
}

func TestBadMigrationRollsBack(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fsys := fstest.MapFS{"m/0001_bad.sql": {Data: []byte(`CREATE TABLE ok (a INTEGER); CREATE TABLEX broken;`)}}
	err = Apply(context.Background(), db, SQLite, fsys, "m")
	if err == nil || !strings.Contains(err.Error(), "0001_bad.sql") {
		t.Fatalf("got %v; want an error naming 0001_bad.sql", err)
	}
	if _, err := db.Exec(`INSERT INTO ok VALUES (1)`); err == nil {
		t.Error("the half-applied migration's table exists; want it rolled back")
	}
}

func TestListRejectsBadNames(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"no number": {"m/init.sql": {}},
		"duplicate": {"m/0001_a.sql": {}, "m/0001_b.sql": {}},
	} {
		if _, err := List(fsys, "m"); err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
}
