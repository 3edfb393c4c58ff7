package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

const commandColumns = `id, site_id, rollout_id, body, created_at, delivered_at, acked_at`

func scanCommand(row rowScanner) (fleet.Command, error) {
	var id, rollout int64
	var site, body string
	var created, delivered, acked nt
	if err := row.Scan(&id, &site, &rollout, &body, &created, &delivered, &acked); err != nil {
		return fleet.Command{}, err
	}
	var c fleet.Command
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return c, fmt.Errorf("command %d: %w", id, err)
	}
	c.ID, c.SiteID, c.RolloutID = id, site, rollout
	c.CreatedAt, c.DeliveredAt, c.AckedAt = created.T, delivered.T, acked.T
	return c, nil
}

// PendingCommands returns the site's unacknowledged commands and marks them
// delivered.
func (s *Store) PendingCommands(ctx context.Context, siteID string, at time.Time) ([]fleet.Command, error) {
	rows, err := s.R.QueryContext(ctx, s.q(`SELECT `+commandColumns+` FROM commands WHERE site_id = ? AND acked_at IS NULL ORDER BY id`), siteID)
	if err != nil {
		return nil, fmt.Errorf("pending commands of %s: %w", siteID, err)
	}
	var out []fleet.Command
	undelivered := false
	for rows.Next() {
		c, err := scanCommand(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("pending commands of %s: %w", siteID, err)
		}
		undelivered = undelivered || c.DeliveredAt.IsZero()
		out = append(out, c)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("pending commands of %s: %w", siteID, err)
	}
	if undelivered {
		if _, err := s.exec(ctx, s.W, `UPDATE commands SET delivered_at = ? WHERE site_id = ? AND acked_at IS NULL AND delivered_at IS NULL`,
			s.t(at), siteID); err != nil {
			return nil, fmt.Errorf("mark commands of %s delivered: %w", siteID, err)
		}
	}
	return out, nil
}

// PendingSites returns the sites with unacknowledged commands.
func (s *Store) PendingSites(ctx context.Context) ([]string, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT DISTINCT site_id FROM commands WHERE acked_at IS NULL ORDER BY site_id`)
	if err != nil {
		return nil, fmt.Errorf("sites with pending commands: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sites with pending commands: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sites with pending commands: %w", err)
	}
	return out, nil
}

func commandNotFound(id int64) error {
	return fleet.NotFound("Den Auftrag", "command", strconv.FormatInt(id, 10))
}

// AckCommand records that the site stored the command.
func (s *Store) AckCommand(ctx context.Context, siteID string, id int64, at time.Time) error {
	res, err := s.exec(ctx, s.W, `UPDATE commands SET acked_at = COALESCE(acked_at, ?), delivered_at = COALESCE(delivered_at, ?) WHERE id = ? AND site_id = ?`,
		s.t(at), s.t(at), id, siteID)
	if err != nil {
		return fmt.Errorf("ack command %d: %w", id, err)
	}
	if n, err := affected(res); err != nil {
		return err
	} else if n == 0 {
		return commandNotFound(id)
	}
	return nil
}

// Commands returns the commands of a rollout, for one site or all.
func (s *Store) Commands(ctx context.Context, rolloutID int64, siteID string) ([]fleet.Command, error) {
	query, args := `SELECT `+commandColumns+` FROM commands WHERE rollout_id = ? ORDER BY id`, []any{rolloutID}
	if siteID != "" {
		query, args = `SELECT `+commandColumns+` FROM commands WHERE rollout_id = ? AND site_id = ? ORDER BY id`, []any{rolloutID, siteID}
	}
	rows, err := s.R.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("commands of rollout %d: %w", rolloutID, err)
	}
	defer rows.Close()
	var out []fleet.Command
	for rows.Next() {
		c, err := scanCommand(rows)
		if err != nil {
			return nil, fmt.Errorf("commands of rollout %d: %w", rolloutID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("commands of rollout %d: %w", rolloutID, err)
	}
	return out, nil
}

// AddReport stores a site's report about one of its commands.
func (s *Store) AddReport(ctx context.Context, r fleet.Report) (fleet.Report, error) {
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return r, fmt.Errorf("add report: %w", err)
	}
	defer tx.Rollback()
	var body string
	err = tx.QueryRowContext(ctx, s.q(`SELECT rollout_id, kind, body FROM commands WHERE id = ? AND site_id = ?`), r.CommandID, r.SiteID).Scan(&r.RolloutID, &r.Kind, &body)
	if isNoRows(err) {
		return r, commandNotFound(r.CommandID)
	}
	if err != nil {
		return r, fmt.Errorf("add report: %w", err)
	}
	var c fleet.Command
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return r, fmt.Errorf("add report: command %d: %w", r.CommandID, err)
	}
	r.Component, r.Version = c.Component, c.Version
	if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO reports(site_id, command_id, rollout_id, kind, component, version, status, message, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.SiteID, r.CommandID, r.RolloutID, r.Kind, r.Component, r.Version, r.Status, r.Message, s.t(r.At)).Scan(&r.ID); err != nil {
		return r, fmt.Errorf("add report: %w", err)
	}
	if r.Terminal() {
		if _, err := s.exec(ctx, tx, `UPDATE commands SET acked_at = COALESCE(acked_at, ?), delivered_at = COALESCE(delivered_at, ?) WHERE id = ?`,
			s.t(r.At), s.t(r.At), r.CommandID); err != nil {
			return r, fmt.Errorf("add report: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return r, fmt.Errorf("add report: %w", err)
	}
	r.At = r.At.UTC()
	return r, nil
}

const reportColumns = `id, site_id, command_id, rollout_id, kind, component, version, status, message, at`

func scanReport(row rowScanner) (fleet.Report, error) {
	var r fleet.Report
	var at nt
	err := row.Scan(&r.ID, &r.SiteID, &r.CommandID, &r.RolloutID, &r.Kind, &r.Component, &r.Version, &r.Status, &r.Message, &at)
	r.At = at.T
	return r, err
}

// Reports returns the reports of a rollout after afterID, oldest first.
func (s *Store) Reports(ctx context.Context, rolloutID, afterID int64, limit int) ([]fleet.Report, error) {
	query, args := `SELECT `+reportColumns+` FROM reports WHERE rollout_id = ? AND id > ? ORDER BY id`, []any{rolloutID, afterID}
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	return s.reports(ctx, query, args...)
}

// SiteReports returns the site's reports, newest first.
func (s *Store) SiteReports(ctx context.Context, siteID string, limit int) ([]fleet.Report, error) {
	return s.reports(ctx, `SELECT `+reportColumns+` FROM reports WHERE site_id = ? ORDER BY id DESC LIMIT ?`, siteID, clampLimit(limit, 100, 10000))
}

func (s *Store) reports(ctx context.Context, query string, args ...any) ([]fleet.Report, error) {
	rows, err := s.R.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	defer rows.Close()
	var out []fleet.Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, fmt.Errorf("list reports: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	return out, nil
}
