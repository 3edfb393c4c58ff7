// Package sqlite is the SQLite adapter of the site node's stores. It uses the
// pure-Go modernc.org/sqlite driver (no cgo, so the Windows build needs no C
// toolchain), WAL mode, foreign keys, a busy timeout and one writer
// connection. The schema comes from embedded, numbered migrations recorded
// in the schema_migrations table.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/lifeline-project/lifeline/internal/store/migrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is an open site database. Writes go through W (one connection, so
// SQLite never sees two writers); reads use R (a small pool).
type DB struct {
	W    *sql.DB
	R    *sql.DB
	path string
}

// Open opens (creating when missing) the database at file and applies every
// pending migration.
func Open(ctx context.Context, file string) (*DB, error) {
	dsn := "file:" + file + "?_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", file, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", file, err)
	}
	r.SetMaxOpenConns(4)
	db := &DB{W: w, R: r, path: file}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close closes both pools.
func (db *DB) Close() error {
	err1 := db.R.Close()
	err2 := db.W.Close()
	if err1 != nil {
		return err1
	}
	return err2
}

func (db *DB) migrate(ctx context.Context) error {
	return migrate.Apply(ctx, db.W, migrate.SQLite, migrationFS, "migrations")
}

// ts formats a time for storage: UTC, RFC 3339 with nanoseconds, so that
// text order is time order.
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// parseTS reads a time written by ts.
func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
