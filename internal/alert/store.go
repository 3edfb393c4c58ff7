package alert

import (
	"github.com/lifeline-project/lifeline/internal/store/migrate"

	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store keeps the alert state in its own SQLite file (<data_dir>/alerts.db):
// incidents with their escalation state, so that a restart neither forgets
// an escalation nor alerts again; the delivery log; silences made on the
// dashboard; used acknowledgement links. One writer connection; reads use a
// small pool.
type Store struct {
	w, r *sql.DB
}

// OpenStore opens (creating when missing) the database at file and applies
// the pending migrations.
func OpenStore(ctx context.Context, file string) (*Store, error) {
	dsn := "file:" + file + "?_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open alert database %s: %w", file, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open alert database %s: %w", file, err)
	}
	r.SetMaxOpenConns(4)
	s.r = r
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

func (s *Store) migrate(ctx context.Context) error {
	return migrate.Apply(ctx, s.w, migrate.SQLite, migrationFS, "migrations")
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// SaveIncidents writes incidents (insert or replace) in one transaction.
func (s *Store) SaveIncidents(ctx context.Context, incs []*Incident) error {
	if len(incs) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save incidents: %w", err)
	}
	defer tx.Rollback()
	for _, inc := range incs {
		if err := saveIncident(ctx, tx, inc); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save incidents: %w", err)
	}
	return nil
}

func saveIncident(ctx context.Context, tx *sql.Tx, inc *Incident) error {
	data, err := json.Marshal(inc)
	if err != nil {
		return fmt.Errorf("encode incident %s: %w", inc.ID, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO incidents(id, key, opened_at, closed_at, closed_reason, data)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET closed_at = excluded.closed_at, closed_reason = excluded.closed_reason, data = excluded.data`,
		inc.ID, inc.Key, ms(inc.Opened), nullMS(inc.Closed), inc.ClosedReason, string(data))
	if err != nil {
		return fmt.Errorf("save incident %s: %w", inc.ID, err)
	}
	return nil
}

func scanIncidents(rows *sql.Rows) ([]*Incident, error) {
	defer rows.Close()
	var out []*Incident
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		inc := &Incident{}
		if err := json.Unmarshal([]byte(data), inc); err != nil {
			return nil, fmt.Errorf("decode incident: %w", err)
		}
		out = append(out, inc)
	}
	return out, rows.Err()
}

// OpenIncidents returns the incidents not yet closed.
func (s *Store) OpenIncidents(ctx context.Context) ([]*Incident, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT data FROM incidents WHERE closed_at IS NULL ORDER BY opened_at`)
	if err != nil {
		return nil, fmt.Errorf("load open incidents: %w", err)
	}
	return scanIncidents(rows)
}

// RecentIncidents returns the newest incidents, open or closed.
func (s *Store) RecentIncidents(ctx context.Context, limit int) ([]*Incident, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT data FROM incidents ORDER BY opened_at DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("load incidents: %w", err)
	}
	return scanIncidents(rows)
}

// Incident returns one incident by id; ErrNotFound when there is none.
func (s *Store) Incident(ctx context.Context, id string) (*Incident, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT data FROM incidents WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("load incident: %w", err)
	}
	incs, err := scanIncidents(rows)
	if err != nil {
		return nil, err
	}
	if len(incs) == 0 {
		return nil, ErrNotFound
	}
	return incs[0], nil
}

// SaveDeliveries writes deliveries (insert or update) in one transaction.
func (s *Store) SaveDeliveries(ctx context.Context, ds []*Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save deliveries: %w", err)
	}
	defer tx.Rollback()
	for _, d := range ds {
		msg, err := json.Marshal(d.Message)
		if err != nil {
			return fmt.Errorf("encode delivery %s: %w", d.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries(id, incident_id, receiver, person, kind, created_at, status, attempts, next_at, last_error, sent_at, title, message)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, next_at = excluded.next_at,
				last_error = excluded.last_error, sent_at = excluded.sent_at`,
			d.ID, d.IncidentID, d.Receiver, d.Person, string(d.Kind), ms(d.Created), string(d.Status), d.Attempts, ms(d.NextAt),
			d.LastError, nullMS(d.SentAt), d.Message.Title, string(msg)); err != nil {
			return fmt.Errorf("save delivery %s: %w", d.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save deliveries: %w", err)
	}
	return nil
}

const deliveryCols = `id, incident_id, receiver, person, kind, created_at, status, attempts, next_at, last_error, COALESCE(sent_at, 0), message`

func scanDeliveries(rows *sql.Rows) ([]*Delivery, error) {
	defer rows.Close()
	var out []*Delivery
	for rows.Next() {
		d := &Delivery{}
		var kind, status, msg string
		var created, next, sent int64
		if err := rows.Scan(&d.ID, &d.IncidentID, &d.Receiver, &d.Person, &kind, &created, &status, &d.Attempts, &next, &d.LastError, &sent, &msg); err != nil {
			return nil, err
		}
		d.Kind, d.Status = Kind(kind), DeliveryStatus(status)
		d.Created, d.NextAt, d.SentAt = fromMS(created), fromMS(next), fromMS(sent)
		if err := json.Unmarshal([]byte(msg), &d.Message); err != nil {
			return nil, fmt.Errorf("decode delivery %s: %w", d.ID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// PendingDeliveries returns the deliveries still to be tried.
func (s *Store) PendingDeliveries(ctx context.Context) ([]*Delivery, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE status IN ('pending', 'retry') ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("load pending deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

// Deliveries returns the newest deliveries of the log.
func (s *Store) Deliveries(ctx context.Context, limit int) ([]*Delivery, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries ORDER BY created_at DESC, rowid DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("load delivery log: %w", err)
	}
	return scanDeliveries(rows)
}

// LastDeliveries returns the newest finished delivery (sent or failed) of
// each receiver.
func (s *Store) LastDeliveries(ctx context.Context) (map[string]*Delivery, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries d
		WHERE status IN ('sent', 'failed') AND rowid = (SELECT rowid FROM deliveries e WHERE e.receiver = d.receiver
			AND e.status IN ('sent', 'failed') ORDER BY COALESCE(e.sent_at, e.next_at, e.created_at) DESC, e.rowid DESC LIMIT 1)`)
	if err != nil {
		return nil, fmt.Errorf("load receiver health: %w", err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return nil, err
	}
	out := map[string]*Delivery{}
	for _, d := range ds {
		out[d.Receiver] = d
	}
	return out, nil
}

// SaveSilence inserts or updates a silence.
func (s *Store) SaveSilence(ctx context.Context, sl Silence) error {
	checks, _ := json.Marshal(nonNil(sl.Checks))
	groups, _ := json.Marshal(nonNil(sl.Groups))
	_, err := s.w.ExecContext(ctx, `INSERT INTO silences(id, checks, groups, comment, created_by, created_at, starts_at, ends_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET ends_at = excluded.ends_at, comment = excluded.comment`,
		sl.ID, string(checks), string(groups), sl.Comment, sl.CreatedBy, ms(sl.Created), ms(sl.Starts), ms(sl.Ends))
	if err != nil {
		return fmt.Errorf("save silence: %w", err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Silences returns the silences that end after since.
func (s *Store) Silences(ctx context.Context, since time.Time) ([]Silence, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT id, checks, groups, comment, created_by, created_at, starts_at, ends_at
		FROM silences WHERE ends_at > ? ORDER BY starts_at`, ms(since))
	if err != nil {
		return nil, fmt.Errorf("load silences: %w", err)
	}
	defer rows.Close()
	var out []Silence
	for rows.Next() {
		var sl Silence
		var checks, groups string
		var created, starts, ends int64
		if err := rows.Scan(&sl.ID, &checks, &groups, &sl.Comment, &sl.CreatedBy, &created, &starts, &ends); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(checks), &sl.Checks)
		json.Unmarshal([]byte(groups), &sl.Groups)
		sl.Created, sl.Starts, sl.Ends = fromMS(created), fromMS(starts), fromMS(ends)
		out = append(out, sl)
	}
	return out, rows.Err()
}

// UseAckLink records that the link with nonce was used. It returns
// ErrUsed when it was used before.
func (s *Store) UseAckLink(ctx context.Context, nonce, incidentID, receiver string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO ack_links_used(nonce, incident_id, receiver, used_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(nonce) DO NOTHING`, nonce, incidentID, receiver, ms(at))
	if err != nil {
		return fmt.Errorf("record acknowledgement link: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrUsed
	}
	return nil
}

// Prune deletes closed incidents, finished deliveries, ended silences and
// used links older than before, so that the file stays small.
func (s *Store) Prune(ctx context.Context, before time.Time) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("prune alert history: %w", err)
	}
	defer tx.Rollback()
	b := ms(before)
	for _, q := range []string{
		`DELETE FROM incidents WHERE closed_at IS NOT NULL AND closed_at < ?`,
		`DELETE FROM deliveries WHERE status IN ('sent', 'failed') AND created_at < ?`,
		`DELETE FROM silences WHERE ends_at < ?`,
		`DELETE FROM ack_links_used WHERE used_at < ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, b); err != nil {
			return fmt.Errorf("prune alert history: %w", err)
		}
	}
	return tx.Commit()
}

// Delivery returns one delivery by id; ErrNotFound when there is none.
func (s *Store) Delivery(ctx context.Context, id string) (*Delivery, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("load delivery: %w", err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, ErrNotFound
	}
	return ds[0], nil
}
