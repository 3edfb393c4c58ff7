package sqlstore

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

// Migrate applies every numbered migration in dir of fsys ("0001_x.sql")
// that the schema_migrations table does not list yet, each in its own
// transaction. lock, when not empty, is run first in each transaction (the
// PostgreSQL backend takes an advisory transaction lock, so that replicas
// starting together migrate one after the other).
func Migrate(ctx context.Context, db *sql.DB, fsys fs.FS, dir string, numbered bool, lock string) error {
	ph := func(n int) string {
		if numbered {
			return "$" + strconv.Itoa(n)
		}
		return "?"
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return err
	}
	type mig struct {
		v    int
		name string
	}
	var migs []mig
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("migration %s: name must start with a number and an underscore", base)
		}
		migs = append(migs, mig{v, base})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].v < migs[j].v })
	for i := 1; i < len(migs); i++ {
		if migs[i].v == migs[i-1].v {
			return fmt.Errorf("migrations %s and %s share number %d", migs[i-1].name, migs[i].name, migs[i].v)
		}
	}
	for _, m := range migs {
		if err := applyOne(ctx, db, fsys, dir, m.v, m.name, ph, lock); err != nil {
			return err
		}
	}
	return nil
}

func applyOne(ctx context.Context, db *sql.DB, fsys fs.FS, dir string, v int, name string, ph func(int) string, lock string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	defer tx.Rollback()
	if lock != "" {
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return fmt.Errorf("migration %s: lock: %w", name, err)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = `+ph(1), v).Scan(&n); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(fsys, dir+"/"+name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES (`+ph(1)+`, `+ph(2)+`, `+ph(3)+`)`,
		v, name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	return nil
}
