package fhirdb

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/seal"
)

// detailAD binds a sealed access log detail to its row.
func detailAD(id string) []byte { return seal.AD("fhir", "access_log", id) }

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// LogAccess records entries in one transaction. The detail (a search
// query, a file name) is sealed.
func (db *DB) LogAccess(ctx context.Context, entries ...fhir.AccessEntry) error {
	if len(entries) == 0 {
		return nil
	}
	kr, _ := db.keys()
	tx, err := db.a.BeginTx(ctx, nil)
	if err != nil {
		return unavailable("access log", err)
	}
	defer tx.Rollback()
	for _, e := range entries {
		var patient []byte
		if !e.Patient.IsZero() {
			patient = e.Patient[:]
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO access_log(at, user, role, action, patient, ward) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			ts(e.At), e.User, e.Role, e.Action, patient, e.Ward).Scan(&id); err != nil {
			return fmt.Errorf("hospital copy: write the access log: %w", err)
		}
		if e.Detail != "" {
			sealed, err := kr.Seal([]byte(e.Detail), detailAD(strconv.FormatInt(id, 10)))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE access_log SET detail = ? WHERE id = ?`, sealed, id); err != nil {
				return fmt.Errorf("hospital copy: write the access log: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("hospital copy: write the access log: %w", err)
	}
	return nil
}

// AccessLog returns the newest entries first; with a non-zero patient only
// that patient's.
func (db *DB) AccessLog(ctx context.Context, patient fhir.Key, limit int) ([]fhir.AccessEntry, error) {
	kr, _ := db.keys()
	if limit <= 0 {
		limit = 200
	}
	q := `SELECT id, at, user, role, action, patient, ward, detail FROM access_log`
	args := []any{}
	if !patient.IsZero() {
		q += ` WHERE patient = ?`
		args = append(args, patient[:])
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.a.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, unavailable("access log", err)
	}
	defer rows.Close()
	var out []fhir.AccessEntry
	for rows.Next() {
		var id int64
		var at string
		var p, detail []byte
		var e fhir.AccessEntry
		if err := rows.Scan(&id, &at, &e.User, &e.Role, &e.Action, &p, &e.Ward, &detail); err != nil {
			return nil, unavailable("access log", err)
		}
		e.At, _ = time.Parse(time.RFC3339Nano, at)
		copy(e.Patient[:], p)
		if detail != nil {
			pt, err := kr.Open(detail, detailAD(strconv.FormatInt(id, 10)))
			if err != nil {
				return nil, &fhir.Error{Code: fhir.EKEY, Message: msgWrongKey(db.path), Err: err}
			}
			e.Detail = string(pt)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// UserWards returns the ward ids assigned to a user.
func (db *DB) UserWards(ctx context.Context, user string) ([]string, error) {
	rows, err := db.a.QueryContext(ctx, `SELECT ward FROM user_wards WHERE user = ? ORDER BY ward`, strings.ToLower(user))
	if err != nil {
		return nil, unavailable("wards", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// SetUserWards replaces the wards of a user.
func (db *DB) SetUserWards(ctx context.Context, user string, wards []string) error {
	user = strings.ToLower(strings.TrimSpace(user))
	if user == "" {
		return fhir.Errorf(fhir.EINVALID, "Kein Benutzer angegeben.", "No user given.")
	}
	tx, err := db.a.BeginTx(ctx, nil)
	if err != nil {
		return unavailable("wards", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_wards WHERE user = ?`, user); err != nil {
		return err
	}
	for _, w := range wards {
		if w = strings.TrimSpace(w); w == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO user_wards(user, ward) VALUES (?, ?)`, user, w); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// AllUserWards returns every user's wards.
func (db *DB) AllUserWards(ctx context.Context) (map[string][]string, error) {
	rows, err := db.a.QueryContext(ctx, `SELECT user, ward FROM user_wards`)
	if err != nil {
		return nil, unavailable("wards", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var u, w string
		if err := rows.Scan(&u, &w); err != nil {
			return nil, err
		}
		out[u] = append(out[u], w)
	}
	for _, ws := range out {
		sort.Strings(ws)
	}
	return out, rows.Err()
}
