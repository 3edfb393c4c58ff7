// Package incidentsql keeps incidents, certificate entries, drills and the
// binder log in the site database (migration 0004_incident.sql of
// internal/store/sqlite). It is its own package so that the site store does
// not depend on the incident features.
package incidentsql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/binder"
	"github.com/lifeline-project/lifeline/internal/certcal"
	"github.com/lifeline-project/lifeline/internal/drill"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

// Store keeps the incidents with their hash-chained entries and
// improvements, the certificate calendar, the drills and the binder log
// (migration 0004). Every write is one transaction on the single writer
// connection, which serialises the chain.
type Store struct {
	db *sqlite.DB
}

var (
	_ incident.Store       = (*Store)(nil)
	_ certcal.Store        = (*Store)(nil)
	_ drill.Store          = (*Store)(nil)
	_ binder.LogStore      = (*Store)(nil)
	_ incident.ChainReader = (*Store)(nil)
)

// NewStore returns the incident store of db.
func NewStore(db *sqlite.DB) *Store { return &Store{db: db} }

func its(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(incident.TimeFormat)
}

func parseITS(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, _ := time.Parse(incident.TimeFormat, s)
	return t
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

const incidentCols = `id, source, title_de, title_en, opened_at, closed_at, root_causes, involved, affected, drill_id, retro, cost_cents, emergency, last_seq, last_hash`

func scanIncident(row rowScanner) (incident.Incident, error) {
	var inc incident.Incident
	var src, opened, closed, roots, involved, affected string
	var retro, emergency int
	if err := row.Scan(&inc.ID, &src, &inc.Title.DE, &inc.Title.EN, &opened, &closed, &roots, &involved, &affected,
		&inc.DrillID, &retro, &inc.CostCents, &emergency, &inc.LastSeq, &inc.LastHash); err != nil {
		return inc, err
	}
	inc.Source = incident.Source(src)
	inc.OpenedAt, inc.ClosedAt = parseITS(opened), parseITS(closed)
	inc.Retro, inc.Emergency = retro != 0, emergency != 0
	if err := json.Unmarshal([]byte(roots), &inc.RootCauses); err != nil {
		return inc, fmt.Errorf("incident %d root causes: %w", inc.ID, err)
	}
	if err := json.Unmarshal([]byte(involved), &inc.Involved); err != nil {
		return inc, fmt.Errorf("incident %d involved: %w", inc.ID, err)
	}
	if err := json.Unmarshal([]byte(affected), &inc.Affected); err != nil {
		return inc, fmt.Errorf("incident %d affected: %w", inc.ID, err)
	}
	return inc, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Create stores a new incident with its first entry.
func (s *Store) Create(ctx context.Context, inc incident.Incident, first incident.Draft) (incident.Incident, incident.Entry, error) {
	tx, err := s.db.W.BeginTx(ctx, nil)
	if err != nil {
		return inc, incident.Entry{}, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	roots := inc.RootCauses
	if roots == nil {
		roots = []incident.Cause{}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO incidents(source, title_de, title_en, opened_at, closed_at, root_causes, involved, affected, drill_id, retro, cost_cents, emergency)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(inc.Source), inc.Title.DE, inc.Title.EN, its(inc.OpenedAt), its(inc.ClosedAt), jsonText(roots), jsonText(nonNil(inc.Involved)),
		jsonText(nonNil(inc.Affected)), inc.DrillID, boolInt(inc.Retro), inc.CostCents, boolInt(inc.Emergency))
	if err != nil {
		return inc, incident.Entry{}, fmt.Errorf("insert incident: %w", err)
	}
	if inc.ID, err = res.LastInsertId(); err != nil {
		return inc, incident.Entry{}, fmt.Errorf("insert incident: %w", err)
	}
	first.IncidentID = inc.ID
	e, err := appendEntry(ctx, tx, first)
	if err != nil {
		return inc, e, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET last_seq = ?, last_hash = ? WHERE id = ?`, e.Seq, e.Hash, inc.ID); err != nil {
		return inc, e, fmt.Errorf("update incident: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return inc, e, fmt.Errorf("commit incident: %w", err)
	}
	inc.LastSeq, inc.LastHash = e.Seq, e.Hash
	inc.OpenedAt, inc.ClosedAt = parseITS(its(inc.OpenedAt)), parseITS(its(inc.ClosedAt))
	return inc, e, nil
}

// appendEntry seals d after the chain's head and stores it with the new
// head. It never commits.
func appendEntry(ctx context.Context, tx *sql.Tx, d incident.Draft) (incident.Entry, error) {
	var head incident.Head
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM incident_chain_head WHERE id = 1`).Scan(&head.Seq, &head.Hash); err != nil {
		return incident.Entry{}, fmt.Errorf("read chain head: %w", err)
	}
	e := incident.Seal(d, head)
	_, err := tx.ExecContext(ctx, `INSERT INTO incident_entries(seq, incident_id, at, kind, actor, text_de, text_en, data, ref, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.IncidentID, its(e.At), string(e.Kind), e.Actor, e.Text.DE, e.Text.EN, jsonText(e.Data), e.Ref, e.PrevHash, e.Hash)
	if isUnique(err) {
		return incident.Entry{}, incident.Errorf(incident.ECONFLICT, "Dieser Eintrag ist schon vorhanden.", "This entry exists already.")
	}
	if err != nil {
		return incident.Entry{}, fmt.Errorf("insert entry: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE incident_chain_head SET seq = ?, hash = ? WHERE id = 1`, e.Seq, e.Hash); err != nil {
		return incident.Entry{}, fmt.Errorf("update chain head: %w", err)
	}
	return e, nil
}

// Append seals d into the chain and saves the incident.
func (s *Store) Append(ctx context.Context, d incident.Draft, inc *incident.Incident) (incident.Entry, error) {
	tx, err := s.db.W.BeginTx(ctx, nil)
	if err != nil {
		return incident.Entry{}, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents WHERE id = ?`, d.IncidentID).Scan(&n); err != nil {
		return incident.Entry{}, fmt.Errorf("find incident %d: %w", d.IncidentID, err)
	}
	if n == 0 {
		return incident.Entry{}, incident.Errorf(incident.ENOTFOUND, "Die Störung Nr. %d gibt es nicht.", "There is no incident no. %d.", d.IncidentID)
	}
	e, err := appendEntry(ctx, tx, d)
	if err != nil {
		return e, err
	}
	if inc != nil {
		if inc.ID != d.IncidentID {
			return e, fmt.Errorf("append: incident %d given for an entry of incident %d", inc.ID, d.IncidentID)
		}
		roots := inc.RootCauses
		if roots == nil {
			roots = []incident.Cause{}
		}
		_, err = tx.ExecContext(ctx, `UPDATE incidents SET title_de = ?, title_en = ?, closed_at = ?, root_causes = ?, involved = ?, affected = ?,
			retro = ?, cost_cents = ?, emergency = ?, last_seq = ?, last_hash = ? WHERE id = ?`,
			inc.Title.DE, inc.Title.EN, its(inc.ClosedAt), jsonText(roots), jsonText(nonNil(inc.Involved)), jsonText(nonNil(inc.Affected)),
			boolInt(inc.Retro), inc.CostCents, boolInt(inc.Emergency), e.Seq, e.Hash, inc.ID)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE incidents SET last_seq = ?, last_hash = ? WHERE id = ?`, e.Seq, e.Hash, d.IncidentID)
	}
	if err != nil {
		return e, fmt.Errorf("update incident %d: %w", d.IncidentID, err)
	}
	if err := tx.Commit(); err != nil {
		return e, fmt.Errorf("commit entry: %w", err)
	}
	return e, nil
}

// Incident returns one incident.
func (s *Store) Incident(ctx context.Context, id int64) (incident.Incident, error) {
	inc, err := scanIncident(s.db.R.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return inc, incident.Errorf(incident.ENOTFOUND, "Die Störung Nr. %d gibt es nicht.", "There is no incident no. %d.", id)
	}
	if err != nil {
		return inc, fmt.Errorf("read incident %d: %w", id, err)
	}
	return inc, nil
}

// Incidents returns incidents, newest first.
func (s *Store) Incidents(ctx context.Context, q incident.Query) ([]incident.Incident, error) {
	var where []string
	var args []any
	if q.OpenOnly {
		where = append(where, `closed_at = ''`)
	}
	if q.DrillID != 0 {
		where = append(where, `drill_id = ?`)
		args = append(args, q.DrillID)
	}
	if !q.Since.IsZero() {
		where = append(where, `opened_at >= ?`)
		args = append(args, its(q.Since))
	}
	query := `SELECT ` + incidentCols + ` FROM incidents`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY id DESC`
	if q.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, q.Limit)
	}
	rows, err := s.db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	defer rows.Close()
	var out []incident.Incident
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	return out, rows.Err()
}

const entryCols = `seq, incident_id, at, kind, actor, text_de, text_en, data, ref, prev_hash, hash`

func scanEntry(row rowScanner) (incident.Entry, error) {
	var e incident.Entry
	var at, kind, data string
	if err := row.Scan(&e.Seq, &e.IncidentID, &at, &kind, &e.Actor, &e.Text.DE, &e.Text.EN, &data, &e.Ref, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	e.At, e.Kind = parseITS(at), incident.Kind(kind)
	if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
		// A damaged data column is evidence too: keep the raw text so
		// that Verify reports the hash mismatch instead of failing.
		e.Data = map[string]string{"_raw": data}
	}
	return e, nil
}

// Entries returns an incident's entries in chain order.
func (s *Store) Entries(ctx context.Context, incidentID int64) ([]incident.Entry, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+entryCols+` FROM incident_entries WHERE incident_id = ? ORDER BY seq`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("read entries of incident %d: %w", incidentID, err)
	}
	defer rows.Close()
	var out []incident.Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Chain calls fn with every entry in sequence order.
func (s *Store) Chain(ctx context.Context, fn func(incident.Entry) error) error {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+entryCols+` FROM incident_entries ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("read the chain: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Head returns the stored head of the chain.
func (s *Store) Head(ctx context.Context) (incident.Head, error) {
	var h incident.Head
	err := s.db.R.QueryRowContext(ctx, `SELECT seq, hash FROM incident_chain_head WHERE id = 1`).Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return h, nil
	}
	return h, err
}

// HasRef reports whether the incident has an entry with ref.
func (s *Store) HasRef(ctx context.Context, incidentID int64, ref string) (bool, error) {
	var n int
	if err := s.db.W.QueryRowContext(ctx, `SELECT COUNT(*) FROM incident_entries WHERE incident_id = ? AND ref = ?`, incidentID, ref).Scan(&n); err != nil {
		return false, fmt.Errorf("look up entry: %w", err)
	}
	return n > 0, nil
}

const improvementCols = `id, incident_id, text, owner, due, created_at, created_by, done_at, done_by`

func scanImprovement(row rowScanner) (incident.Improvement, error) {
	var im incident.Improvement
	var created, done string
	err := row.Scan(&im.ID, &im.IncidentID, &im.Text, &im.Owner, &im.Due, &created, &im.CreatedBy, &done, &im.DoneBy)
	im.CreatedAt, im.DoneAt = parseITS(created), parseITS(done)
	return im, err
}

// AddImprovement stores a new improvement.
func (s *Store) AddImprovement(ctx context.Context, im incident.Improvement) (incident.Improvement, error) {
	res, err := s.db.W.ExecContext(ctx, `INSERT INTO incident_improvements(incident_id, text, owner, due, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
		im.IncidentID, im.Text, im.Owner, im.Due, its(im.CreatedAt), im.CreatedBy)
	if err != nil {
		return im, fmt.Errorf("insert improvement: %w", err)
	}
	im.ID, err = res.LastInsertId()
	return im, err
}

// Improvements returns improvements: open ones by due date (none last),
// then finished ones, newest first.
func (s *Store) Improvements(ctx context.Context, q incident.ImprovementQuery) ([]incident.Improvement, error) {
	query := `SELECT ` + improvementCols + ` FROM incident_improvements WHERE 1 = 1`
	var args []any
	if q.OpenOnly {
		query += ` AND done_at = ''`
	}
	if q.IncidentID != 0 {
		query += ` AND incident_id = ?`
		args = append(args, q.IncidentID)
	}
	query += ` ORDER BY done_at != '', CASE WHEN done_at = '' THEN (due = '') END, CASE WHEN done_at = '' THEN due END, done_at DESC, id`
	rows, err := s.db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list improvements: %w", err)
	}
	defer rows.Close()
	var out []incident.Improvement
	for rows.Next() {
		im, err := scanImprovement(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

// FinishImprovement marks an improvement done.
func (s *Store) FinishImprovement(ctx context.Context, id int64, by string, at time.Time) (incident.Improvement, error) {
	tx, err := s.db.W.BeginTx(ctx, nil)
	if err != nil {
		return incident.Improvement{}, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	im, err := scanImprovement(tx.QueryRowContext(ctx, `SELECT `+improvementCols+` FROM incident_improvements WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return im, incident.Errorf(incident.ENOTFOUND, "Diese Verbesserung gibt es nicht.", "There is no such improvement.")
	}
	if err != nil {
		return im, fmt.Errorf("read improvement %d: %w", id, err)
	}
	if im.Done() {
		return im, incident.Errorf(incident.ECONFLICT, "Diese Verbesserung ist schon erledigt.", "This improvement is done already.")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE incident_improvements SET done_at = ?, done_by = ? WHERE id = ?`, its(at), by, id); err != nil {
		return im, fmt.Errorf("finish improvement %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return im, fmt.Errorf("finish improvement %d: %w", id, err)
	}
	im.DoneAt, im.DoneBy = parseITS(its(at)), by
	return im, nil
}

// ManualEntries returns the certificate entries made on the dashboard.
func (s *Store) ManualEntries(ctx context.Context) ([]certcal.Manual, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, kind, name, expires, note, created_at, created_by FROM cert_entries ORDER BY expires, id`)
	if err != nil {
		return nil, fmt.Errorf("list certificate entries: %w", err)
	}
	defer rows.Close()
	var out []certcal.Manual
	for rows.Next() {
		var m certcal.Manual
		var created string
		if err := rows.Scan(&m.ID, &m.Kind, &m.Name, &m.Expires, &m.Note, &created, &m.CreatedBy); err != nil {
			return nil, err
		}
		m.CreatedAt = parseITS(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// AddManual stores a certificate entry made on the dashboard.
func (s *Store) AddManual(ctx context.Context, m certcal.Manual) (certcal.Manual, error) {
	res, err := s.db.W.ExecContext(ctx, `INSERT INTO cert_entries(kind, name, expires, note, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
		m.Kind, m.Name, m.Expires, m.Note, its(m.CreatedAt), m.CreatedBy)
	if err != nil {
		return m, fmt.Errorf("insert certificate entry: %w", err)
	}
	m.ID, err = res.LastInsertId()
	return m, err
}

// DeleteManual removes a certificate entry made on the dashboard.
func (s *Store) DeleteManual(ctx context.Context, id int64) error {
	res, err := s.db.W.ExecContext(ctx, `DELETE FROM cert_entries WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete certificate entry %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return incident.Errorf(incident.ENOTFOUND, "Diesen Eintrag gibt es nicht.", "There is no such entry.")
	}
	return nil
}

// SaveFound records the expiry a tls check found.
func (s *Store) SaveFound(ctx context.Context, f certcal.Found) error {
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO cert_found(check_id, subject, not_after, seen_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(check_id) DO UPDATE SET subject = excluded.subject, not_after = excluded.not_after, seen_at = excluded.seen_at`,
		f.CheckID, f.Subject, its(f.NotAfter), its(f.SeenAt))
	if err != nil {
		return fmt.Errorf("save certificate expiry of %s: %w", f.CheckID, err)
	}
	return nil
}

// Found returns the expiries found by tls checks.
func (s *Store) Found(ctx context.Context) ([]certcal.Found, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT check_id, subject, not_after, seen_at FROM cert_found ORDER BY check_id`)
	if err != nil {
		return nil, fmt.Errorf("list certificates found: %w", err)
	}
	defer rows.Close()
	var out []certcal.Found
	for rows.Next() {
		var f certcal.Found
		var na, seen string
		if err := rows.Scan(&f.CheckID, &f.Subject, &na, &seen); err != nil {
			return nil, err
		}
		f.NotAfter, f.SeenAt = parseITS(na), parseITS(seen)
		out = append(out, f)
	}
	return out, rows.Err()
}

// SaveAck records an acknowledged warning stage.
func (s *Store) SaveAck(ctx context.Context, a certcal.Ack) error {
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO cert_acks(entry_key, stage, by_user, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		a.Key, a.Stage, a.By, its(a.At))
	if err != nil {
		return fmt.Errorf("save acknowledgement: %w", err)
	}
	return nil
}

// Acks returns every acknowledged warning stage.
func (s *Store) Acks(ctx context.Context) ([]certcal.Ack, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT entry_key, stage, by_user, at FROM cert_acks`)
	if err != nil {
		return nil, fmt.Errorf("list acknowledgements: %w", err)
	}
	defer rows.Close()
	var out []certcal.Ack
	for rows.Next() {
		var a certcal.Ack
		var at string
		if err := rows.Scan(&a.Key, &a.Stage, &a.By, &at); err != nil {
			return nil, err
		}
		a.At = parseITS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

const drillCols = `id, scenario, title_de, title_en, checks, started_at, started_by, ended_at, ended_by`

func scanDrill(row rowScanner) (drill.Drill, error) {
	var d drill.Drill
	var checks, started, ended string
	if err := row.Scan(&d.ID, &d.Scenario, &d.Title.DE, &d.Title.EN, &checks, &started, &d.StartedBy, &ended, &d.EndedBy); err != nil {
		return d, err
	}
	d.StartedAt, d.EndedAt = parseITS(started), parseITS(ended)
	if err := json.Unmarshal([]byte(checks), &d.Checks); err != nil {
		return d, fmt.Errorf("drill %d checks: %w", d.ID, err)
	}
	return d, nil
}

// CreateDrill stores a new drill.
func (s *Store) CreateDrill(ctx context.Context, d drill.Drill) (drill.Drill, error) {
	res, err := s.db.W.ExecContext(ctx, `INSERT INTO drills(scenario, title_de, title_en, checks, started_at, started_by) VALUES (?, ?, ?, ?, ?, ?)`,
		d.Scenario, d.Title.DE, d.Title.EN, jsonText(nonNil(d.Checks)), its(d.StartedAt), d.StartedBy)
	if err != nil {
		return d, fmt.Errorf("insert drill: %w", err)
	}
	d.ID, err = res.LastInsertId()
	d.StartedAt = parseITS(its(d.StartedAt))
	return d, err
}

// EndDrill records the end of a drill.
func (s *Store) EndDrill(ctx context.Context, id int64, at time.Time, by string) (drill.Drill, error) {
	res, err := s.db.W.ExecContext(ctx, `UPDATE drills SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at = ''`, its(at), by, id)
	if err != nil {
		return drill.Drill{}, fmt.Errorf("end drill %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Drill(ctx, id); err != nil {
			return drill.Drill{}, err
		}
		return drill.Drill{}, incident.Errorf(incident.ECONFLICT, "Diese Übung ist schon beendet.", "This drill has ended already.")
	}
	return s.Drill(ctx, id)
}

// Drill returns one drill.
func (s *Store) Drill(ctx context.Context, id int64) (drill.Drill, error) {
	d, err := scanDrill(s.db.R.QueryRowContext(ctx, `SELECT `+drillCols+` FROM drills WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, incident.Errorf(incident.ENOTFOUND, "Diese Übung gibt es nicht.", "There is no such drill.")
	}
	if err != nil {
		return d, fmt.Errorf("read drill %d: %w", id, err)
	}
	return d, nil
}

// Drills returns the newest drills first.
func (s *Store) Drills(ctx context.Context, limit int) ([]drill.Drill, error) {
	q := `SELECT ` + drillCols + ` FROM drills ORDER BY id DESC`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := s.db.R.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list drills: %w", err)
	}
	defer rows.Close()
	var out []drill.Drill
	for rows.Next() {
		d, err := scanDrill(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// MarkAlertIncident remembers that an alert incident belongs to a drill.
func (s *Store) MarkAlertIncident(ctx context.Context, alertIncident string, drillID int64, at time.Time) error {
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO drill_alert_incidents(alert_incident, drill_id, marked_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		alertIncident, drillID, its(at))
	if err != nil {
		return fmt.Errorf("mark alert incident %s: %w", alertIncident, err)
	}
	return nil
}

// AlertIncidentDrills returns every marked alert incident and its drill.
func (s *Store) AlertIncidentDrills(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT alert_incident, drill_id FROM drill_alert_incidents`)
	if err != nil {
		return nil, fmt.Errorf("list drill alert incidents: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var id int64
		if err := rows.Scan(&k, &id); err != nil {
			return nil, err
		}
		out[k] = id
	}
	return out, rows.Err()
}

// LogBinder appends a binder log entry.
func (s *Store) LogBinder(ctx context.Context, e binder.LogEntry) error {
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO binder_log(at, by_user, reason, patients, articles, sha256, folders, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		its(e.At), e.By, e.Reason, e.Patients, e.Articles, e.SHA256, jsonText(nonNil(e.Folders)), jsonText(nonNil(e.Problems)))
	if err != nil {
		return fmt.Errorf("log binder: %w", err)
	}
	return nil
}

// BinderLog returns the newest binder log entries first.
func (s *Store) BinderLog(ctx context.Context, limit int) ([]binder.LogEntry, error) {
	q := `SELECT id, at, by_user, reason, patients, articles, sha256, folders, problems FROM binder_log ORDER BY id DESC`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := s.db.R.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read binder log: %w", err)
	}
	defer rows.Close()
	var out []binder.LogEntry
	for rows.Next() {
		var e binder.LogEntry
		var at, folders, problems string
		if err := rows.Scan(&e.ID, &at, &e.By, &e.Reason, &e.Patients, &e.Articles, &e.SHA256, &folders, &problems); err != nil {
			return nil, err
		}
		e.At = parseITS(at)
		_ = json.Unmarshal([]byte(folders), &e.Folders)
		_ = json.Unmarshal([]byte(problems), &e.Problems)
		out = append(out, e)
	}
	return out, rows.Err()
}

type rowScanner interface{ Scan(dest ...any) error }

// isUnique reports whether err is a SQLite unique-constraint violation.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
