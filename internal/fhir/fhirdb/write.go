package fhirdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/seal"
)

// resourceAD binds a sealed resource to its row.
func resourceAD(rid fhir.Key) []byte { return seal.AD("fhir", "resources", rid.String()) }

// importTx is one import; see fhir.Import.
type importTx struct {
	db    *DB
	tx    *sql.Tx
	kr    *seal.Keyring
	keyer *fhir.Keyer
	gen   int64
	full  bool
	// fresh is true when the copy was empty at the start: no old index
	// rows to remove.
	fresh bool
	done  bool

	upsert, delTerms, addTerm, delStay, addStay, putLoc, delRes *sql.Stmt
}

var _ fhir.Import = (*importTx)(nil)

// BeginImport starts an import. With full set, Commit removes every
// resource not put since.
func (db *DB) BeginImport(ctx context.Context, full bool) (fhir.Import, error) {
	kr, keyer := db.keys()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, unavailable("import", err)
	}
	t := &importTx{db: db, tx: tx, kr: kr, keyer: keyer, full: full}
	fail := func(err error) (fhir.Import, error) {
		t.Rollback()
		return nil, fmt.Errorf("hospital copy: begin import: %w", err)
	}
	var genText string
	switch err := tx.QueryRowContext(ctx, `SELECT v FROM meta WHERE k = 'gen'`).Scan(&genText); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fail(err)
	}
	t.gen, _ = strconv.ParseInt(genText, 10, 64)
	if full {
		t.gen++
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM resources LIMIT 1)`).Scan(&n); err != nil {
		return fail(err)
	}
	t.fresh = n == 0
	stmts := []struct {
		s   **sql.Stmt
		sql string
	}{
		{&t.upsert, `INSERT INTO resources(rid, type, patient, gen, sealed) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(rid) DO UPDATE SET patient = excluded.patient, gen = excluded.gen, sealed = excluded.sealed`},
		{&t.delTerms, `DELETE FROM terms WHERE rid = ?`},
		{&t.addTerm, `INSERT OR IGNORE INTO terms(term, rid) VALUES (?, ?)`},
		{&t.delStay, `DELETE FROM stays WHERE rid = ?`},
		{&t.addStay, `INSERT OR REPLACE INTO stays(rid, patient, locations) VALUES (?, ?, ?)`},
		{&t.putLoc, `INSERT OR REPLACE INTO locations(rid, body) VALUES (?, ?)`},
		{&t.delRes, `DELETE FROM resources WHERE rid = ?`},
	}
	for _, s := range stmts {
		if *s.s, err = tx.PrepareContext(ctx, s.sql); err != nil {
			return fail(err)
		}
	}
	return t, nil
}

// Put adds or replaces a resource with its index rows.
func (t *importTx) Put(ctx context.Context, r *fhir.Resource) error {
	rid := t.keyer.Resource(r.Type, r.ID)
	var patient []byte
	if r.PatientID != "" {
		pk := t.keyer.Resource(fhir.TypePatient, r.PatientID)
		patient = pk[:]
	}
	sealed, err := t.kr.Seal(r.JSON, resourceAD(rid))
	if err != nil {
		return err
	}
	if _, err := t.upsert.ExecContext(ctx, rid[:], r.Type, patient, t.gen, sealed); err != nil {
		return fmt.Errorf("hospital copy: store %s: %w", r.Type, err)
	}
	switch {
	case r.Patient != nil:
		if !t.fresh {
			if _, err := t.delTerms.ExecContext(ctx, rid[:]); err != nil {
				return err
			}
		}
		for _, term := range fhir.IndexTerms(r.Patient) {
			if _, err := t.addTerm.ExecContext(ctx, t.keyer.Term(term), rid[:]); err != nil {
				return fmt.Errorf("hospital copy: index patient: %w", err)
			}
		}
	case r.Encounter != nil:
		if r.Encounter.CurrentStay() && patient != nil {
			locs, err := json.Marshal(r.Encounter.Locations)
			if err != nil {
				return err
			}
			if _, err := t.addStay.ExecContext(ctx, rid[:], patient, string(locs)); err != nil {
				return fmt.Errorf("hospital copy: index stay: %w", err)
			}
		} else if !t.fresh {
			if _, err := t.delStay.ExecContext(ctx, rid[:]); err != nil {
				return err
			}
		}
	case r.Location != nil:
		body, err := json.Marshal(r.Location)
		if err != nil {
			return err
		}
		if _, err := t.putLoc.ExecContext(ctx, rid[:], string(body)); err != nil {
			return fmt.Errorf("hospital copy: store location: %w", err)
		}
	}
	return nil
}

// Delete removes a resource; its index rows go with it (foreign keys).
func (t *importTx) Delete(ctx context.Context, typ, id string) error {
	rid := t.keyer.Resource(typ, id)
	if _, err := t.delRes.ExecContext(ctx, rid[:]); err != nil {
		return fmt.Errorf("hospital copy: delete %s: %w", typ, err)
	}
	return nil
}

// Commit removes what a full import did not put, stores the state and
// makes the import visible.
func (t *importTx) Commit(ctx context.Context, st fhir.SyncState) error {
	if t.done {
		return errors.New("hospital copy: import already finished")
	}
	if t.full {
		if _, err := t.tx.ExecContext(ctx, `DELETE FROM resources WHERE gen < ?`, t.gen); err != nil {
			return fmt.Errorf("hospital copy: remove what the full export no longer holds: %w", err)
		}
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO meta(k, v) VALUES ('gen', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`,
			strconv.FormatInt(t.gen, 10)); err != nil {
			return err
		}
	}
	if err := saveState(ctx, t.tx, st); err != nil {
		return err
	}
	t.closeStmts()
	t.done = true
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("hospital copy: commit import: %w", err)
	}
	return nil
}

// Rollback drops the import.
func (t *importTx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	t.closeStmts()
	return t.tx.Rollback()
}

func (t *importTx) closeStmts() {
	for _, s := range []*sql.Stmt{t.upsert, t.delTerms, t.addTerm, t.delStay, t.addStay, t.putLoc, t.delRes} {
		if s != nil {
			s.Close()
		}
	}
}

// Reseal re-encrypts the access log's details, then the index key and
// every resource, with the primary key of kr: one transaction per file.
// When the second fails, the access log is already resealed; both keys
// are in kr during a rotation, so everything stays readable.
func (db *DB) Reseal(ctx context.Context, kr *seal.Keyring) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	atx, err := db.a.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer atx.Rollback()
	if err := resealRows(ctx, atx, kr, `SELECT id, detail FROM access_log WHERE detail IS NOT NULL`,
		`UPDATE access_log SET detail = ? WHERE id = ?`, func(k any) []byte { return detailAD(fmt.Sprint(k)) }); err != nil {
		return err
	}
	if err := atx.Commit(); err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	reseal := func(query, update string, ad func(key any) []byte) error {
		return resealRows(ctx, tx, kr, query, update, ad)
	}
	if err := reseal(`SELECT k, v FROM meta WHERE k = 'index_key'`, `UPDATE meta SET v = ? WHERE k = ?`,
		func(any) []byte { return indexKeyAD }); err != nil {
		return err
	}
	if err := reseal(`SELECT rid, sealed FROM resources`, `UPDATE resources SET sealed = ? WHERE rid = ?`,
		func(k any) []byte {
			var key fhir.Key
			b, _ := k.([]byte)
			copy(key[:], b)
			return resourceAD(key)
		}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.kr = kr
	return nil
}

// resealRows re-encrypts the sealed column of the rows of query, which
// selects (key, sealed); update sets (sealed, key).
func resealRows(ctx context.Context, tx *sql.Tx, kr *seal.Keyring, query, update string, ad func(key any) []byte) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	type row struct {
		key    any
		sealed []byte
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.key, &r.sealed); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range all {
		if r.sealed == nil || !kr.NeedsReseal(r.sealed) {
			continue
		}
		pt, err := kr.Open(r.sealed, ad(r.key))
		if err != nil {
			return fmt.Errorf("hospital copy: reseal: %w", err)
		}
		ns, err := kr.Seal(pt, ad(r.key))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, update, ns, r.key); err != nil {
			return err
		}
	}
	return nil
}
