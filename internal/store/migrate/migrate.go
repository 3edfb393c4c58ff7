// Package migrate applies embedded, numbered SQL migrations
// ("0001_name.sql", "0002_other.sql", ...) in order, each in its own
// transaction, recording them in a schema_migrations table. Every store of
// lifeline (site, downtime copy, alerts, FHIR copy, fleet) migrates through
// it, on SQLite and on PostgreSQL.
package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Dialect selects the SQL placeholders.
type Dialect int

// The supported databases.
const (
	SQLite Dialect = iota
	Postgres
)

// Migration is one numbered migration file.
type Migration struct {
	Version int
	Name    string
}

// List returns the migrations in dir of fsys in order, or an error naming a
// file whose name does not start with a number, or two sharing a number.
func List(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: the name must start with a number and an underscore", base)
		}
		out = append(out, Migration{v, base})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share number %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

// Apply runs every migration of dir in fsys that db has not recorded yet.
func Apply(ctx context.Context, db *sql.DB, d Dialect, fsys fs.FS, dir string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	migs, err := List(fsys, dir)
	if err != nil {
		return err
	}
	for _, m := range migs {
		if err := apply(ctx, db, d, fsys, dir, m); err != nil {
			return err
		}
	}
	return nil
}

func apply(ctx context.Context, db *sql.DB, d Dialect, fsys fs.FS, dir string, m Migration) error {
	q := func(s string) string {
		if d == Postgres {
			for i := 1; strings.Contains(s, "?"); i++ {
				s = strings.Replace(s, "?", "$"+strconv.Itoa(i), 1)
			}
		}
		return s
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.Version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(fsys, path.Join(dir, m.Name))
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, q(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)`),
		m.Version, m.Name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	return nil
}
