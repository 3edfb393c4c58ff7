// Package fhirdb stores the hospital downtime copy in its own SQLite file
// (<data_dir>/fhir.db) through the pure-Go modernc.org/sqlite driver: WAL,
// one writer connection, a pool of read-only readers, embedded numbered
// migrations.
//
// Patient data never reaches SQLite in plain. Each resource's JSON is
// sealed with package seal (XChaCha20-Poly1305, associated data binding it
// to its row); rows are addressed by a keyed HMAC of "Type/id" rather than
// the FHIR id; search by name, date of birth or identifier goes through
// keyed HMACs of normalised terms (blind indexes). The HMAC key itself is
// stored sealed, so rotating the data key (Reseal) leaves the indexes
// valid. Plain are only resource types, location data (wards, rooms, beds),
// the links between blind keys, the sync state and the access log's user
// names, times and actions.
//
// Every import is one transaction: readers see the old copy until it
// commits, and a crash rolls it back. The access log and the wards of
// users live in a second file beside it (fhir-access.db), so that a long
// import, which holds the copy's write lock, never delays the logging of
// a view.
package fhirdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/seal"
)

//go:embed migrations/copy/*.sql migrations/access/*.sql
var migrationFS embed.FS

// File names in the data folder.
const (
	// FileName is the copy.
	FileName = "fhir.db"
	// AccessFileName is the access log and the wards of users, beside
	// the copy.
	AccessFileName = "fhir-access.db"
)

// DB is an open hospital copy. It is safe for concurrent use.
type DB struct {
	w    *sql.DB
	r    *sql.DB
	a    *sql.DB // the access log's file, one connection
	path string
	log  *slog.Logger

	mu    sync.RWMutex
	kr    *seal.Keyring
	keyer *fhir.Keyer
}

var (
	_ fhir.Store    = (*DB)(nil)
	_ fhir.Reader   = (*DB)(nil)
	_ fhir.Access   = (*DB)(nil)
	_ seal.Resealer = (*DB)(nil)
)

var indexKeyAD = seal.AD("fhir", "meta", "index_key")

// Open opens (creating when missing) the copy at file with the data
// keyring kr and applies pending migrations. A keyring that does not open
// the stored index key is an EKEY error: the copy belongs to another key.
func Open(ctx context.Context, file string, kr *seal.Keyring, log *slog.Logger) (*DB, error) {
	if kr == nil {
		return nil, errors.New("fhirdb: a data keyring is required; patient data is only stored encrypted")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base := "file:" + file + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)"
	w, err := openWriter(file)
	if err != nil {
		return nil, err
	}
	db := &DB{w: w, path: file, log: log, kr: kr}
	if err := migrate(ctx, w, "migrations/copy"); err != nil {
		w.Close()
		return nil, fmt.Errorf("prepare the hospital copy %s: %w", file, err)
	}
	afile := filepath.Join(filepath.Dir(file), AccessFileName)
	if db.a, err = openWriter(afile); err != nil {
		w.Close()
		return nil, err
	}
	if err := migrate(ctx, db.a, "migrations/access"); err != nil {
		db.a.Close()
		w.Close()
		return nil, fmt.Errorf("prepare the access log %s: %w", afile, err)
	}
	r, err := sql.Open("sqlite", base+"&mode=ro&_pragma=query_only(1)")
	if err != nil {
		db.a.Close()
		w.Close()
		return nil, fmt.Errorf("open the hospital copy %s: %w", file, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	db.r = r
	if err := db.loadIndexKey(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openWriter opens one SQLite file with a single connection: WAL,
// foreign keys, a busy timeout.
func openWriter(file string) (*sql.DB, error) {
	w, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)"+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=journal_size_limit(67108864)"+
		"&_pragma=cache_size(-65536)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	return w, nil
}

// Path returns the database file of the copy.
func (db *DB) Path() string { return db.path }

// AccessPath returns the access log's database file.
func (db *DB) AccessPath() string { return filepath.Join(filepath.Dir(db.path), AccessFileName) }

// Close closes both files.
func (db *DB) Close() error {
	var errs []error
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.a != nil {
		errs = append(errs, db.a.Close())
	}
	errs = append(errs, db.w.Close())
	return errors.Join(errs...)
}

func (db *DB) keys() (*seal.Keyring, *fhir.Keyer) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.kr, db.keyer
}

// loadIndexKey opens the stored HMAC key, creating it on a new copy.
func (db *DB) loadIndexKey(ctx context.Context) error {
	var sealed []byte
	err := db.w.QueryRowContext(ctx, `SELECT v FROM meta WHERE k = 'index_key'`).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		if sealed, err = db.kr.Seal(raw, indexKeyAD); err != nil {
			return err
		}
		if _, err := db.w.ExecContext(ctx, `INSERT INTO meta(k, v) VALUES ('index_key', ?)`, sealed); err != nil {
			return fmt.Errorf("store the index key: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("read the index key: %w", err)
	}
	raw, err := db.kr.Open(sealed, indexKeyAD)
	if err != nil {
		return &fhir.Error{Code: fhir.EKEY, Message: msgWrongKey(db.path), Err: err}
	}
	k, err := fhir.NewKeyer(raw)
	if err != nil {
		return err
	}
	db.keyer = k
	return nil
}

func msgWrongKey(file string) check.Text {
	return check.Msg(
		"Der Datenschlüssel passt nicht zur Klinik-Kopie "+file+". Richtige Schlüsseldatei (lifeline.key) einspielen oder die Datei löschen; die Kopie wird dann beim nächsten Abgleich neu aus dem EHR geladen.",
		"The data key does not open the hospital copy "+file+". Restore the right key file (lifeline.key), or delete the file; the copy is then loaded anew from the EHR at the next sync.")
}

func msgUnavailable(what string) check.Text {
	return check.Msg("Die Klinik-Kopie ist gerade nicht lesbar ("+what+"). Bitte erneut versuchen; bleibt es so, die IT rufen.",
		"The hospital copy cannot be read right now ("+what+"). Try again; if it stays so, call IT.")
}

// migrate applies the numbered migrations of dir to w.
func migrate(ctx context.Context, w *sql.DB, dir string) error {
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrationFS, dir+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("migration %s: name must start with a number and an underscore", base)
		}
		var done int
		if err := w.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, v).Scan(&done); err != nil {
			return err
		}
		if done > 0 {
			continue
		}
		body, err := migrationFS.ReadFile(n)
		if err != nil {
			return err
		}
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)`,
			v, base, time.Now().UTC().Format(time.RFC3339)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

// State returns the sync state.
func (db *DB) State(ctx context.Context) (fhir.SyncState, error) {
	var st fhir.SyncState
	var b []byte
	err := db.r.QueryRowContext(ctx, `SELECT v FROM meta WHERE k = 'state'`).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, unavailable("state", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("hospital copy: sync state damaged: %w", err)
	}
	return st, nil
}

// SaveState records a sync state outside an import.
func (db *DB) SaveState(ctx context.Context, st fhir.SyncState) error {
	return saveState(ctx, db.w, st)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func saveState(ctx context.Context, x execer, st fhir.SyncState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if _, err := x.ExecContext(ctx, `INSERT INTO meta(k, v) VALUES ('state', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`, b); err != nil {
		return fmt.Errorf("save the sync state: %w", err)
	}
	return nil
}

// Counts returns the number of resources per type.
func (db *DB) Counts(ctx context.Context) (map[string]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT type, COUNT(*) FROM resources GROUP BY type`)
	if err != nil {
		return nil, unavailable("counts", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var t string
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	return out, rows.Err()
}

func unavailable(what string, err error) error {
	return &fhir.Error{Code: fhir.EUNAVAILABLE, Message: msgUnavailable(what), Err: err}
}
