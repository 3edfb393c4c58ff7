package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

const rolloutListColumns = `id, release_id, status, reason, rev, report_cursor, created_at, updated_at, created_by`

func scanRollout(row rowScanner, extra ...any) (fleet.RolloutRecord, error) {
	var r fleet.RolloutRecord
	var created, updated nt
	err := row.Scan(append([]any{&r.ID, &r.ReleaseID, &r.Status, &r.Reason, &r.Rev, &r.ReportCursor, &created, &updated, &r.CreatedBy}, extra...)...)
	r.CreatedAt, r.UpdatedAt = created.T, updated.T
	return r, err
}

func rolloutNotFound(id int64) error {
	return fleet.NotFound("Die Verteilung", "rollout", strconv.FormatInt(id, 10))
}

// CreateRollout stores a new rollout.
func (s *Store) CreateRollout(ctx context.Context, r fleet.RolloutRecord) (fleet.RolloutRecord, error) {
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return r, fmt.Errorf("create rollout: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM releases WHERE id = ?`), r.ReleaseID).Scan(&n); err != nil {
		return r, fmt.Errorf("create rollout: %w", err)
	}
	if n == 0 {
		return r, fleet.NotFound("Die Freigabe", "release", strconv.FormatInt(r.ReleaseID, 10))
	}
	r.Rev = 1
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO rollouts(release_id, status, reason, plan, state, rev, report_cursor, created_at, updated_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.ReleaseID, r.Status, r.Reason, string(r.Plan), string(r.State), r.Rev, r.ReportCursor, s.t(r.CreatedAt), s.t(r.UpdatedAt), r.CreatedBy).Scan(&r.ID); err != nil {
		return r, fmt.Errorf("create rollout: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return r, fmt.Errorf("create rollout: %w", err)
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, nil
}

// Rollout returns the rollout with id, with plan and state.
func (s *Store) Rollout(ctx context.Context, id int64) (fleet.RolloutRecord, error) {
	var plan, state string
	r, err := scanRollout(s.R.QueryRowContext(ctx, s.q(`SELECT `+rolloutListColumns+`, plan, state FROM rollouts WHERE id = ?`), id), &plan, &state)
	if isNoRows(err) {
		return fleet.RolloutRecord{}, rolloutNotFound(id)
	}
	if err != nil {
		return fleet.RolloutRecord{}, fmt.Errorf("read rollout %d: %w", id, err)
	}
	r.Plan, r.State = []byte(plan), []byte(state)
	return r, nil
}

// Rollouts returns all rollouts, newest first, without plan and state.
func (s *Store) Rollouts(ctx context.Context) ([]fleet.RolloutRecord, error) {
	return s.rollouts(ctx, `SELECT `+rolloutListColumns+` FROM rollouts ORDER BY id DESC`, false)
}

// ActiveRollouts returns running, paused and halted rollouts, oldest first.
func (s *Store) ActiveRollouts(ctx context.Context) ([]fleet.RolloutRecord, error) {
	return s.rollouts(ctx, s.q(`SELECT `+rolloutListColumns+`, plan, state FROM rollouts WHERE status IN (?, ?, ?) ORDER BY id`), true,
		fleet.RolloutRunning, fleet.RolloutPaused, fleet.RolloutHalted)
}

func (s *Store) rollouts(ctx context.Context, query string, full bool, args ...any) ([]fleet.RolloutRecord, error) {
	rows, err := s.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list rollouts: %w", err)
	}
	defer rows.Close()
	var out []fleet.RolloutRecord
	for rows.Next() {
		var plan, state string
		var extra []any
		if full {
			extra = []any{&plan, &state}
		}
		r, err := scanRollout(rows, extra...)
		if err != nil {
			return nil, fmt.Errorf("list rollouts: %w", err)
		}
		if full {
			r.Plan, r.State = []byte(plan), []byte(state)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rollouts: %w", err)
	}
	return out, nil
}

// UpdateRollout writes the rollout and enqueues commands in one
// transaction when Rev matches.
func (s *Store) UpdateRollout(ctx context.Context, r fleet.RolloutRecord, cmds []fleet.Command) (fleet.RolloutRecord, error) {
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return r, fmt.Errorf("update rollout %d: %w", r.ID, err)
	}
	defer tx.Rollback()
	res, err := s.exec(ctx, tx, `UPDATE rollouts SET status = ?, reason = ?, state = ?, report_cursor = ?, updated_at = ?, rev = rev + 1
		WHERE id = ? AND rev = ?`, r.Status, r.Reason, string(r.State), r.ReportCursor, s.t(r.UpdatedAt), r.ID, r.Rev)
	if err != nil {
		return r, fmt.Errorf("update rollout %d: %w", r.ID, err)
	}
	if n, err := affected(res); err != nil {
		return r, err
	} else if n == 0 {
		var cur int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT rev FROM rollouts WHERE id = ?`), r.ID).Scan(&cur)
		if isNoRows(err) {
			return r, rolloutNotFound(r.ID)
		}
		if err != nil {
			return r, fmt.Errorf("update rollout %d: %w", r.ID, err)
		}
		return r, fleet.Errorf(fleet.ECONFLICT,
			"Die Verteilung %d wurde inzwischen geändert. Bitte die Seite neu laden und erneut versuchen.",
			"Rollout %d was changed meanwhile. Please reload the page and try again.", r.ID)
	}
	sites, err := s.insertCommands(ctx, tx, r.ID, cmds)
	if err != nil {
		return r, err
	}
	ns := make([]fleet.Notice, len(sites))
	for i, id := range sites {
		ns[i] = fleet.Notice{SiteID: id}
	}
	announce, err := s.notify(ctx, tx, ns)
	if err != nil {
		return r, fmt.Errorf("update rollout %d: %w", r.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return r, fmt.Errorf("update rollout %d: %w", r.ID, err)
	}
	announce()
	r.Rev++
	return r, nil
}

func (s *Store) insertCommands(ctx context.Context, tx *sql.Tx, rolloutID int64, cmds []fleet.Command) ([]string, error) {
	if len(cmds) == 0 {
		return nil, nil
	}
	stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO commands(site_id, rollout_id, kind, body, created_at, not_before) VALUES (?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return nil, fmt.Errorf("enqueue commands: %w", err)
	}
	defer stmt.Close()
	seen := map[string]bool{}
	var sites []string
	for _, c := range cmds {
		c.RolloutID = rolloutID
		body, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("enqueue command for %s: %w", c.SiteID, err)
		}
		if _, err := stmt.ExecContext(ctx, c.SiteID, rolloutID, c.Kind, string(body), s.t(c.CreatedAt), s.t(c.NotBefore)); err != nil {
			return nil, fmt.Errorf("enqueue command for %s: %w", c.SiteID, err)
		}
		if !seen[c.SiteID] {
			seen[c.SiteID] = true
			sites = append(sites, c.SiteID)
		}
	}
	sort.Strings(sites)
	return sites, nil
}
