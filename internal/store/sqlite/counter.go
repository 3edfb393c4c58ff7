package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/seal"
)

// CounterStore keeps the counter's records (migration 0003): emergency-mode
// switches, sale details, the sealed E-Rezept queue and the access log.
type CounterStore struct {
	db *DB
}

var _ counter.Store = (*CounterStore)(nil)

// NewCounterStore returns the counter's store on db.
func NewCounterStore(db *DB) *CounterStore { return &CounterStore{db: db} }

func scanSwitch(row rowScanner) (counter.Switch, error) {
	var sw counter.Switch
	var at string
	var active int
	if err := row.Scan(&sw.ID, &at, &active, &sw.By, &sw.Via, &sw.Reason); err != nil {
		return counter.Switch{}, err
	}
	sw.At, sw.Active = parseTS(at), active != 0
	return sw, nil
}

const switchColumns = `id, at, active, user_name, via, reason`

// SwitchMode records sw when it changes the mode, in one transaction.
func (s *CounterStore) SwitchMode(ctx context.Context, sw counter.Switch) (counter.Switch, bool, error) {
	tx, err := s.db.W.BeginTx(ctx, nil)
	if err != nil {
		return counter.Switch{}, false, fmt.Errorf("switch emergency mode: %w", err)
	}
	defer tx.Rollback()
	cur, err := scanSwitch(tx.QueryRowContext(ctx, `SELECT `+switchColumns+` FROM counter_mode_switches ORDER BY id DESC LIMIT 1`))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if !sw.Active {
			return counter.Switch{}, false, nil
		}
	case err != nil:
		return counter.Switch{}, false, fmt.Errorf("read emergency mode: %w", err)
	case cur.Active == sw.Active:
		return cur, false, nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO counter_mode_switches(at, active, user_name, via, reason) VALUES (?, ?, ?, ?, ?)`,
		ts(sw.At), boolInt(sw.Active), sw.By, sw.Via, sw.Reason)
	if err != nil {
		return counter.Switch{}, false, fmt.Errorf("record emergency mode switch: %w", err)
	}
	if sw.ID, err = res.LastInsertId(); err != nil {
		return counter.Switch{}, false, fmt.Errorf("record emergency mode switch: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return counter.Switch{}, false, fmt.Errorf("record emergency mode switch: %w", err)
	}
	sw.At = sw.At.UTC()
	return sw, true, nil
}

// LastSwitch returns the switch in force.
func (s *CounterStore) LastSwitch(ctx context.Context) (counter.Switch, bool, error) {
	sw, err := scanSwitch(s.db.R.QueryRowContext(ctx, `SELECT `+switchColumns+` FROM counter_mode_switches ORDER BY id DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return counter.Switch{}, false, nil
	}
	if err != nil {
		return counter.Switch{}, false, fmt.Errorf("read emergency mode: %w", err)
	}
	return sw, true, nil
}

// Switches returns the latest switches, newest first.
func (s *CounterStore) Switches(ctx context.Context, limit int) ([]counter.Switch, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+switchColumns+` FROM counter_mode_switches ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read emergency mode history: %w", err)
	}
	defer rows.Close()
	var out []counter.Switch
	for rows.Next() {
		sw, err := scanSwitch(rows)
		if err != nil {
			return nil, fmt.Errorf("read emergency mode history: %w", err)
		}
		out = append(out, sw)
	}
	return out, rows.Err()
}

// SaveSale stores the details of a sale before it is booked; a booked
// record of the same key stays as it is.
func (s *CounterStore) SaveSale(ctx context.Context, rec counter.SaleRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode sale %s: %w", rec.Key, err)
	}
	_, err = s.db.W.ExecContext(ctx, `INSERT INTO counter_sales(idem_key, created_at, journal_number, details) VALUES (?, ?, 0, ?)
		ON CONFLICT(idem_key) DO UPDATE SET created_at = excluded.created_at, details = excluded.details
		WHERE counter_sales.journal_number = 0`, rec.Key, ts(rec.CreatedAt), string(b))
	if err != nil {
		return fmt.Errorf("save sale %s: %w", rec.Key, err)
	}
	return nil
}

// MarkSaleBooked records the journal number of a sale.
func (s *CounterStore) MarkSaleBooked(ctx context.Context, key string, number int64) error {
	if _, err := s.db.W.ExecContext(ctx, `UPDATE counter_sales SET journal_number = ? WHERE idem_key = ?`, number, key); err != nil {
		return fmt.Errorf("mark sale %s booked: %w", key, err)
	}
	return nil
}

// Sale returns the record of key; ENOTFOUND when there is none.
func (s *CounterStore) Sale(ctx context.Context, key string) (counter.SaleRecord, error) {
	var details string
	var number int64
	err := s.db.R.QueryRowContext(ctx, `SELECT journal_number, details FROM counter_sales WHERE idem_key = ?`, key).Scan(&number, &details)
	if errors.Is(err, sql.ErrNoRows) {
		return counter.SaleRecord{}, counter.Errorf(counter.ENOTFOUND, "Verkauf nicht gefunden.", "sale not found")
	}
	if err != nil {
		return counter.SaleRecord{}, fmt.Errorf("read sale %s: %w", key, err)
	}
	var rec counter.SaleRecord
	if err := json.Unmarshal([]byte(details), &rec); err != nil {
		return counter.SaleRecord{}, fmt.Errorf("decode sale %s: %w", key, err)
	}
	rec.Number = number
	return rec, nil
}

const erezeptColumns = `id, uid, sealed, urgent, created_at, created_by, status, status_at, status_by`

func scanERezept(row rowScanner) (counter.ERezeptRow, error) {
	var r counter.ERezeptRow
	var urgent int
	var created, status, statusAt string
	if err := row.Scan(&r.ID, &r.UID, &r.Sealed, &urgent, &created, &r.CreatedBy, &status, &statusAt, &r.StatusBy); err != nil {
		return counter.ERezeptRow{}, err
	}
	r.Urgent, r.CreatedAt, r.Status = urgent != 0, parseTS(created), counter.ERezeptStatus(status)
	if statusAt != "" {
		r.StatusAt = parseTS(statusAt)
	}
	return r, nil
}

// AddERezept stores a queued E-Rezept.
func (s *CounterStore) AddERezept(ctx context.Context, r counter.ERezeptRow) (int64, error) {
	res, err := s.db.W.ExecContext(ctx, `INSERT INTO counter_erezepte(uid, sealed, urgent, created_at, created_by, status) VALUES (?, ?, ?, ?, ?, ?)`,
		r.UID, r.Sealed, boolInt(r.Urgent), ts(r.CreatedAt), r.CreatedBy, string(r.Status))
	if err != nil {
		return 0, fmt.Errorf("store E-Rezept: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("store E-Rezept: %w", err)
	}
	return id, nil
}

// ERezepte returns the rows with status ("" for all), oldest first.
func (s *CounterStore) ERezepte(ctx context.Context, status counter.ERezeptStatus) ([]counter.ERezeptRow, error) {
	q, args := `SELECT `+erezeptColumns+` FROM counter_erezepte ORDER BY id`, []any{}
	if status != "" {
		q, args = `SELECT `+erezeptColumns+` FROM counter_erezepte WHERE status = ? ORDER BY id`, []any{string(status)}
	}
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read E-Rezepte: %w", err)
	}
	defer rows.Close()
	var out []counter.ERezeptRow
	for rows.Next() {
		r, err := scanERezept(rows)
		if err != nil {
			return nil, fmt.Errorf("read E-Rezepte: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ERezept returns one row; ENOTFOUND when there is none.
func (s *CounterStore) ERezept(ctx context.Context, id int64) (counter.ERezeptRow, error) {
	r, err := scanERezept(s.db.R.QueryRowContext(ctx, `SELECT `+erezeptColumns+` FROM counter_erezepte WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return counter.ERezeptRow{}, counter.Errorf(counter.ENOTFOUND, "E-Rezept nicht gefunden.", "E-Rezept not found")
	}
	if err != nil {
		return counter.ERezeptRow{}, fmt.Errorf("read E-Rezept %d: %w", id, err)
	}
	return r, nil
}

// SetERezeptStatus moves a waiting row to status.
func (s *CounterStore) SetERezeptStatus(ctx context.Context, id int64, status counter.ERezeptStatus, by string, at time.Time) error {
	tx, err := s.db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update E-Rezept %d: %w", id, err)
	}
	defer tx.Rollback()
	var cur string
	err = tx.QueryRowContext(ctx, `SELECT status FROM counter_erezepte WHERE id = ?`, id).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return counter.Errorf(counter.ENOTFOUND, "E-Rezept nicht gefunden.", "E-Rezept not found")
	}
	if err != nil {
		return fmt.Errorf("update E-Rezept %d: %w", id, err)
	}
	if cur != string(counter.StatusWaiting) {
		return counter.Errorf(counter.ECONFLICT, "E-Rezept schon erledigt.", "E-Rezept handled already")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE counter_erezepte SET status = ?, status_at = ?, status_by = ? WHERE id = ?`,
		string(status), ts(at), by, id); err != nil {
		return fmt.Errorf("update E-Rezept %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update E-Rezept %d: %w", id, err)
	}
	return nil
}

// CountERezepte counts the rows with status.
func (s *CounterStore) CountERezepte(ctx context.Context, status counter.ERezeptStatus) (int, error) {
	var n int
	if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM counter_erezepte WHERE status = ?`, string(status)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count E-Rezepte: %w", err)
	}
	return n, nil
}

// DeleteERezepteBefore deletes handled rows handled before t.
func (s *CounterStore) DeleteERezepteBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.db.W.ExecContext(ctx, `DELETE FROM counter_erezepte WHERE status != 'waiting' AND status_at < ?`, ts(t))
	if err != nil {
		return 0, fmt.Errorf("delete old E-Rezepte: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// LogAccess appends a record of access to patient data.
func (s *CounterStore) LogAccess(ctx context.Context, a counter.Access) error {
	if _, err := s.db.W.ExecContext(ctx, `INSERT INTO counter_access_log(at, user_name, action, subject) VALUES (?, ?, ?, ?)`,
		ts(a.At), a.User, a.Action, a.Subject); err != nil {
		return fmt.Errorf("record access: %w", err)
	}
	return nil
}

// AccessLog returns the latest records, newest first.
func (s *CounterStore) AccessLog(ctx context.Context, limit int) ([]counter.Access, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT at, user_name, action, subject FROM counter_access_log ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read access log: %w", err)
	}
	defer rows.Close()
	var out []counter.Access
	for rows.Next() {
		var a counter.Access
		var at string
		if err := rows.Scan(&at, &a.User, &a.Action, &a.Subject); err != nil {
			return nil, fmt.Errorf("read access log: %w", err)
		}
		a.At = parseTS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// ERezeptResealer re-encrypts the counter's E-Rezept tokens with the
// primary key of a rotated keyring (`lifeline mirror rekey`).
type ERezeptResealer struct{ db *DB }

var _ seal.Resealer = (*ERezeptResealer)(nil)

// NewERezeptResealer returns the resealer of db's E-Rezept queue.
func NewERezeptResealer(db *DB) *ERezeptResealer { return &ERezeptResealer{db: db} }

// Reseal re-encrypts every token in one transaction: on error nothing is
// changed.
func (r *ERezeptResealer) Reseal(ctx context.Context, kr *seal.Keyring) error {
	tx, err := r.db.W.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT uid, sealed FROM counter_erezepte`)
	if err != nil {
		return err
	}
	type row struct {
		uid    string
		sealed []byte
	}
	var all []row
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.uid, &x.sealed); err != nil {
			rows.Close()
			return err
		}
		all = append(all, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, x := range all {
		ad := counter.ERezeptAD(x.uid)
		plain, err := kr.Open(x.sealed, ad)
		if err != nil {
			return fmt.Errorf("E-Rezept %s: %w", x.uid, err)
		}
		again, err := kr.Seal(plain, ad)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE counter_erezepte SET sealed = ? WHERE uid = ?`, again, x.uid); err != nil {
			return err
		}
	}
	return tx.Commit()
}
