// Package mirrordb stores the downtime copy in its own SQLite database file
// (<data_dir>/mirror.db) through the pure-Go modernc.org/sqlite driver: WAL
// mode, one writer connection, a small pool of read-only readers, embedded
// numbered migrations. Article names are indexed with FTS5 for search.
//
// Every import or sync is one transaction. Readers keep seeing the old copy
// until it commits, and an interrupted write (a killed process, a power
// cut) is rolled back by SQLite on the next open, on Windows as on Linux;
// no database file is ever renamed.
//
// Personal data (priority patients, private numbers of contacts) is sealed
// with package seal before it reaches SQLite, so neither the database nor
// its WAL file holds it in plain text.
package mirrordb

import (
	"github.com/lifeline-project/lifeline/internal/store/migrate"

	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/seal"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// FileName is the database's file name inside the data folder.
const FileName = "mirror.db"

// DB is an open downtime copy. It is safe for concurrent use.
type DB struct {
	w    *sql.DB // one connection: SQLite never sees two writers from here
	r    *sql.DB // read-only pool
	path string
	log  *slog.Logger

	getArticle *sql.Stmt

	mu      sync.RWMutex
	kr      *seal.Keyring
	keyErr  error // set when the keyring does not open the stored data
	loadKey func() (*seal.Keyring, error)
}

var (
	_ mirror.Store  = (*DB)(nil)
	_ seal.Resealer = (*DB)(nil)
)

// Options tune Open.
type Options struct {
	// CacheMiB is the writer's page cache (default 64 MiB); bulk imports
	// and index builds are faster with more.
	CacheMiB int
	// Readers is the size of the read pool (default 4).
	Readers int
	// LoadKey reloads the keyring when the stored data turns out to be
	// sealed with a key the current keyring lacks: another process (the
	// CLI's "mirror rekey") has rotated the key. Nil: no reload, EKEY.
	LoadKey func() (*seal.Keyring, error)
}

// Open opens (creating when missing) the copy at file and applies pending
// migrations. kr is the data keyring for personal data; it may be nil, and
// then personal data can be neither written nor read (EKEY) while articles,
// contacts' public numbers, the rota and the handbook work. A keyring that
// does not match the stored data is reported the same way, not as an
// error of Open: in an emergency the prices must stay available.
func Open(ctx context.Context, file string, kr *seal.Keyring, log *slog.Logger, opts ...Options) (*DB, error) {
	o := Options{CacheMiB: 64, Readers: 4}
	if len(opts) > 0 {
		if opts[0].CacheMiB > 0 {
			o.CacheMiB = opts[0].CacheMiB
		}
		if opts[0].Readers > 0 {
			o.Readers = opts[0].Readers
		}
		o.LoadKey = opts[0].LoadKey
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base := "file:" + file + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)"
	wdsn := base + "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=journal_size_limit(67108864)" +
		"&_pragma=cache_size(-" + strconv.Itoa(o.CacheMiB*1024) + ")&_txlock=immediate"
	w, err := sql.Open("sqlite", wdsn)
	if err != nil {
		return nil, fmt.Errorf("Downtime-Kopie %s öffnen (open downtime copy): %w", file, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	db := &DB{w: w, path: file, log: log, kr: kr, loadKey: o.LoadKey}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("Downtime-Kopie %s vorbereiten (prepare downtime copy): %w", file, err)
	}
	r, err := sql.Open("sqlite", base+"&mode=ro&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("Downtime-Kopie %s öffnen (open downtime copy): %w", file, err)
	}
	r.SetMaxOpenConns(o.Readers)
	r.SetMaxIdleConns(o.Readers)
	db.r = r
	if db.getArticle, err = r.PrepareContext(ctx, `SELECT `+articleCols+` FROM articles WHERE pzn = ?`); err != nil {
		db.Close()
		return nil, fmt.Errorf("Downtime-Kopie %s: %w", file, err)
	}
	if err := db.checkKey(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Path returns the database file.
func (db *DB) Path() string { return db.path }

// Close closes the database.
func (db *DB) Close() error {
	var errs []error
	if db.getArticle != nil {
		errs = append(errs, db.getArticle.Close())
	}
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	errs = append(errs, db.w.Close())
	return errors.Join(errs...)
}

// KeyError returns why personal data is not available (no key, wrong key),
// or nil.
func (db *DB) KeyError() error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.keyErr
}

func (db *DB) keyring() (*seal.Keyring, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.kr, db.keyErr
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// keyFor returns a keyring that opens the stored data: the current one, or
// a reloaded one when another process rotated the key meanwhile.
func (db *DB) keyFor(ctx context.Context, q queryRower) (*seal.Keyring, error) {
	kr, kerr := db.keyring()
	var blob []byte
	err := q.QueryRowContext(ctx, `SELECT sealed FROM keycheck WHERE id = 1`).Scan(&blob)
	if errors.Is(err, sql.ErrNoRows) {
		return kr, kerr
	}
	if err != nil {
		return nil, unavailable("Schlüsselprüfung", err)
	}
	if kerr == nil {
		if _, err := kr.Open(blob, keycheckAD); err == nil {
			return kr, nil
		}
	}
	if db.loadKey == nil {
		if kerr != nil {
			return nil, kerr
		}
		return nil, wrongKey(seal.ErrWrongKey)
	}
	nkr, err := db.loadKey()
	if err != nil {
		return nil, &mirror.Error{Code: mirror.EKEY, Message: check.Msg(
			"Datenschlüssel nicht lesbar", "data key not readable"), Err: err}
	}
	if _, err := nkr.Open(blob, keycheckAD); err != nil {
		return nil, wrongKey(err)
	}
	db.mu.Lock()
	db.kr, db.keyErr = nkr, nil
	db.mu.Unlock()
	db.log.Info("mirror: data key reloaded after a key change", "key", nkr.Primary().String())
	return nkr, nil
}

func wrongKey(err error) error {
	return &mirror.Error{Code: mirror.EKEY, Message: check.Msg(
		"Schlüssel passt nicht zu den Daten: die persönlichen Daten der Downtime-Kopie wurden mit einem anderen Schlüssel verschlüsselt. Richtige Schlüsseldatei einspielen oder LIFELINE_DATA_KEY richtig setzen",
		"the data key does not match the data: the copy's personal data was encrypted with another key. Restore the right key file or set LIFELINE_DATA_KEY correctly"),
		Err: err}
}

var keycheckAD = seal.AD("mirror", "keycheck")

const keycheckText = "lifeline mirror key check"

// checkKey opens the sealed constant with the keyring, or seals it when
// the database has none yet.
func (db *DB) checkKey(ctx context.Context) error {
	var blob []byte
	err := db.w.QueryRowContext(ctx, `SELECT sealed FROM keycheck WHERE id = 1`).Scan(&blob)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if db.kr == nil {
			db.keyErr = errNoKey
			return nil
		}
		s, err := db.kr.Seal([]byte(keycheckText), keycheckAD)
		if err != nil {
			return err
		}
		if _, err := db.w.ExecContext(ctx, `INSERT INTO keycheck(id, sealed) VALUES (1, ?)`, s); err != nil {
			return fmt.Errorf("Downtime-Kopie %s: Schlüsselprüfung speichern (store key check): %w", db.path, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("Downtime-Kopie %s: Schlüsselprüfung lesen (read key check): %w", db.path, err)
	}
	if db.kr == nil {
		db.keyErr = errNoKey
		return nil
	}
	if _, err := db.kr.Open(blob, keycheckAD); err != nil {
		db.keyErr = wrongKey(err)
		db.log.Error("mirror: data key does not match; personal data unavailable, prices still work", "file", db.path, "err", err)
	}
	return nil
}

var errNoKey = &mirror.Error{Code: mirror.EKEY, Message: check.Msg(
	"kein Datenschlüssel vorhanden: persönliche Daten können nicht gelesen oder gespeichert werden",
	"no data key: personal data can be neither read nor stored")}

func (db *DB) migrate(ctx context.Context) error {
	return migrate.Apply(ctx, db.w, migrate.SQLite, migrationFS, "migrations")
}

// ts formats a time for storage: UTC, fixed width, so text order is time
// order.
func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}

// parseTS reads a time written by ts; "" is the zero time.
func parseTS(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// isConstraint reports whether err is a SQLite constraint violation (a
// duplicate key).
func isConstraint(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}

// unavailable wraps a database error for people.
func unavailable(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &mirror.Error{Code: mirror.EUNAVAILABLE, Message: check.Msg(
		"Downtime-Kopie nicht lesbar ("+what+"); Einzelheiten im Protokoll",
		"downtime copy not readable ("+what+"); details in the log"), Err: err}
}
