package mirrordb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/seal"
)

// tables maps each data set to its table.
var tables = map[mirror.Dataset]string{
	mirror.Articles: "articles",
	mirror.Contacts: "contacts",
	mirror.Duty:     "duty",
	mirror.Patients: "patients",
	mirror.Handbook: "handbook",
}

// Replace empties the data set and fills it through fill in one
// transaction.
func (db *DB) Replace(ctx context.Context, ds mirror.Dataset, fill func(w mirror.Writer) (mirror.Commit, error)) error {
	return db.write(ctx, ds, true, fill)
}

// Update changes the data set through fill in one transaction.
func (db *DB) Update(ctx context.Context, ds mirror.Dataset, fill func(w mirror.Writer) (mirror.Commit, error)) error {
	return db.write(ctx, ds, false, fill)
}

func (db *DB) write(ctx context.Context, ds mirror.Dataset, full bool, fill func(w mirror.Writer) (mirror.Commit, error)) error {
	table, ok := tables[ds]
	if !ok {
		return mirror.Errorf(mirror.EINVALID, "unbekannter Datenbestand %q", "unknown data set %q", ds, ds)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("Schreiben in die Downtime-Kopie beginnen (begin write) %s: %w", db.path, err)
	}
	defer tx.Rollback()
	// The key is fetched inside the transaction: a rotation (this process
	// or another) cannot run between checking the key and sealing with it.
	// Contacts without private numbers need no key: the hotline's number
	// must be importable even when the key is lost.
	var kr *seal.Keyring
	var keyErr error
	if ds.Personal() {
		kr, keyErr = db.keyFor(ctx, tx)
		if keyErr != nil && ds == mirror.Patients {
			return keyErr
		}
	}
	w := &writer{tx: tx, ds: ds, table: table, full: full, kr: kr, keyErr: keyErr, terms: map[string]struct{}{}}
	defer w.close()
	if err := w.begin(ctx); err != nil {
		return err
	}
	c, err := fill(w)
	if err != nil {
		return err
	}
	if err := w.finish(ctx); err != nil {
		return err
	}
	if err := setStatus(ctx, tx, ds, full, w.rows, c); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("Downtime-Kopie speichern (commit) %s: %w", db.path, err)
	}
	return nil
}

// writer is a mirror.Writer inside one transaction. In a full write the
// table was emptied first and Put inserts; otherwise Put upserts.
type writer struct {
	tx    *sql.Tx
	ds    mirror.Dataset
	table string
	full  bool
	kr    *seal.Keyring
	// keyErr is why kr is nil for a personal data set.
	keyErr error
	// rows is the row count after the write: counted from zero in a full
	// write, the old count plus inserts minus deletes otherwise.
	rows  int
	terms map[string]struct{}
	stmts map[string]*sql.Stmt
}

var _ mirror.Writer = (*writer)(nil)

func (w *writer) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if s, ok := w.stmts[q]; ok {
		return s, nil
	}
	if w.stmts == nil {
		w.stmts = map[string]*sql.Stmt{}
	}
	s, err := w.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", q, err)
	}
	w.stmts[q] = s
	return s, nil
}

func (w *writer) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	s, err := w.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (w *writer) close() {
	for _, s := range w.stmts {
		s.Close()
	}
}

func (w *writer) begin(ctx context.Context) error {
	if !w.full {
		return w.tx.QueryRowContext(ctx, `SELECT rows FROM datasets WHERE name = ?`, string(w.ds)).Scan(&w.rows)
	}
	if w.ds == mirror.Articles {
		// Bulk load without the name index; finish rebuilds it and the
		// full-text index in one pass each.
		for _, q := range []string{
			`DROP INDEX IF EXISTS articles_name_key`,
			`DELETE FROM articles`,
			`DELETE FROM article_terms`,
		} {
			if _, err := w.tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("empty articles: %w", err)
			}
		}
		return nil
	}
	if _, err := w.tx.ExecContext(ctx, `DELETE FROM `+w.table); err != nil {
		return fmt.Errorf("empty %s: %w", w.table, err)
	}
	return nil
}

func (w *writer) finish(ctx context.Context) error {
	if w.ds != mirror.Articles {
		return nil
	}
	if w.full {
		for _, q := range []string{
			`CREATE INDEX articles_name_key ON articles(name_key)`,
			`INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')`,
		} {
			if _, err := w.tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("build article index: %w", err)
			}
		}
	}
	for t := range w.terms {
		if _, err := w.exec(ctx, `INSERT OR IGNORE INTO article_terms(term) VALUES (?)`, t); err != nil {
			return fmt.Errorf("store search terms: %w", err)
		}
	}
	return nil
}

// Put inserts (full write) or upserts (increment) a record.
func (w *writer) Put(ctx context.Context, r mirror.Record) error {
	if r.Dataset() != w.ds {
		return fmt.Errorf("mirrordb: %s record written into %s", r.Dataset(), w.ds)
	}
	var inserted bool
	var err error
	switch v := r.(type) {
	case mirror.Article:
		inserted, err = w.putArticle(ctx, v)
	case mirror.Contact:
		inserted, err = w.putContact(ctx, v)
	case mirror.DutyShift:
		inserted, err = w.putDuty(ctx, v)
	case mirror.Patient:
		inserted, err = w.putPatient(ctx, v)
	case mirror.Page:
		inserted, err = w.putPage(ctx, v)
	default:
		return fmt.Errorf("mirrordb: unknown record type %T", r)
	}
	if err != nil {
		if w.full && isConstraint(err) {
			return &mirror.Error{Code: mirror.ECONFLICT, Err: err}
		}
		return err
	}
	if inserted {
		w.rows++
	}
	return nil
}

// upsert runs the insert of a full write or the upsert of an increment and
// reports whether a new row was added.
func (w *writer) upsert(ctx context.Context, key string, insert, conflict string, args ...any) (bool, error) {
	if w.full {
		_, err := w.exec(ctx, insert, args...)
		return err == nil, err
	}
	var one int
	err := w.tx.QueryRowContext(ctx, `SELECT 1 FROM `+w.table+` WHERE `+keyCol(w.ds)+` = ?`, key).Scan(&one)
	existed := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	_, err = w.exec(ctx, insert+" "+conflict, args...)
	return !existed && err == nil, err
}

func keyCol(ds mirror.Dataset) string {
	switch ds {
	case mirror.Articles:
		return "pzn"
	case mirror.Contacts, mirror.Duty:
		return "id"
	case mirror.Patients:
		return "customer_no"
	default:
		return "slug"
	}
}

// Delete removes a record by key.
func (w *writer) Delete(ctx context.Context, key string) error {
	if w.ds == mirror.Articles {
		return w.deleteArticle(ctx, key)
	}
	res, err := w.exec(ctx, `DELETE FROM `+w.table+` WHERE `+keyCol(w.ds)+` = ?`, key)
	if err != nil {
		return fmt.Errorf("delete %s %q: %w", w.ds, key, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		w.rows -= int(n)
	}
	return nil
}

// setStatus records a successful write in the datasets table.
func setStatus(ctx context.Context, tx *sql.Tx, ds mirror.Dataset, full bool, rows int, c mirror.Commit) error {
	fullAt := ""
	if full {
		at := c.At
		if at.IsZero() {
			at = time.Now()
		}
		fullAt = ts(at)
	}
	_, err := tx.ExecContext(ctx, `UPDATE datasets SET
		generation = generation + 1,
		rows = ?, source = ?, cursor = ?,
		synced_at = CASE WHEN ? = '' THEN synced_at ELSE ? END,
		full_at = CASE WHEN ? = '' THEN full_at ELSE ? END,
		rejected = ?, last_error = '', last_error_at = ''
		WHERE name = ?`,
		rows, c.Source, c.Cursor, ts(c.SyncedAt), ts(c.SyncedAt), fullAt, fullAt, c.Rejected, string(ds))
	if err != nil {
		return fmt.Errorf("record state of %s: %w", ds, err)
	}
	return nil
}

// RecordError notes a failed sync for the dashboard.
func (db *DB) RecordError(ctx context.Context, ds mirror.Dataset, at time.Time, msg string) error {
	_, err := db.w.ExecContext(ctx, `UPDATE datasets SET last_error = ?, last_error_at = ? WHERE name = ?`, msg, ts(at), string(ds))
	if err != nil {
		return fmt.Errorf("record sync error of %s in %s: %w", ds, db.path, err)
	}
	return nil
}

// Status returns the state of every data set.
func (db *DB) Status(ctx context.Context) ([]mirror.Status, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name, schema_version, rows, source, cursor, synced_at, full_at, rejected, last_error, last_error_at FROM datasets`)
	if err != nil {
		return nil, unavailable("Stand", err)
	}
	defer rows.Close()
	by := map[mirror.Dataset]mirror.Status{}
	for rows.Next() {
		var s mirror.Status
		var name, synced, full, errAt string
		if err := rows.Scan(&name, &s.SchemaVersion, &s.Rows, &s.Source, &s.Cursor, &synced, &full, &s.Rejected, &s.LastError, &errAt); err != nil {
			return nil, unavailable("Stand", err)
		}
		s.Dataset = mirror.Dataset(name)
		s.SyncedAt, s.FullAt, s.LastErrorAt = parseTS(synced), parseTS(full), parseTS(errAt)
		by[s.Dataset] = s
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("Stand", err)
	}
	out := make([]mirror.Status, 0, len(mirror.Datasets))
	for _, ds := range mirror.Datasets {
		s, ok := by[ds]
		if !ok {
			s = mirror.Status{Dataset: ds, SchemaVersion: ds.SchemaVersion()}
		}
		out = append(out, s)
	}
	return out, nil
}
