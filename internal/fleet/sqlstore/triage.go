package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

// NotHelped returns the "not_helped" answers since a time, of broadcasts
// active then.
func (s *Store) NotHelped(ctx context.Context, since time.Time) ([]fleet.Receipt, error) {
	rows, err := s.R.QueryContext(ctx, s.q(`SELECT `+receiptColumns+` FROM broadcast_sites r JOIN broadcasts b ON b.id = r.broadcast_id
		WHERE r.answer = 'not_helped' AND r.answered_at >= ? AND b.expires_at > ? ORDER BY r.answered_at`), s.t(since), s.t(since))
	if err != nil {
		return nil, fmt.Errorf("answers not helped: %w", err)
	}
	defer rows.Close()
	var out []fleet.Receipt
	for rows.Next() {
		r, err := scanReceipt(rows)
		if err != nil {
			return nil, fmt.Errorf("answers not helped: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("answers not helped: %w", err)
	}
	return out, nil
}

// UpcomingInstalls returns the open install commands with a slot in
// [from, to).
func (s *Store) UpcomingInstalls(ctx context.Context, from, to time.Time, siteID string) ([]fleet.Command, error) {
	query := `SELECT ` + commandColumns + ` FROM commands c
		WHERE c.kind = 'install' AND c.not_before >= ? AND c.not_before < ?
		AND NOT EXISTS (SELECT 1 FROM commands x WHERE x.site_id = c.site_id AND x.rollout_id = c.rollout_id AND x.kind = 'cancel' AND x.id > c.id)
		AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.command_id = c.id AND r.status IN ('installed', 'failed', 'rolled_back', 'skipped'))`
	args := []any{s.t(from), s.t(to)}
	if siteID != "" {
		query += ` AND c.site_id = ?`
		args = append(args, siteID)
	}
	rows, err := s.R.QueryContext(ctx, s.q(query+` ORDER BY c.not_before, c.site_id`), args...)
	if err != nil {
		return nil, fmt.Errorf("upcoming installs: %w", err)
	}
	defer rows.Close()
	var out []fleet.Command
	for rows.Next() {
		c, err := scanCommand(rows)
		if err != nil {
			return nil, fmt.Errorf("upcoming installs: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("upcoming installs: %w", err)
	}
	return out, nil
}

// Claims returns every claim.
func (s *Store) Claims(ctx context.Context) ([]fleet.Claim, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT site_id, agent, claimed_at FROM triage_claims ORDER BY site_id`)
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	defer rows.Close()
	var out []fleet.Claim
	for rows.Next() {
		var c fleet.Claim
		var at nt
		if err := rows.Scan(&c.SiteID, &c.Agent, &at); err != nil {
			return nil, fmt.Errorf("claims: %w", err)
		}
		c.ClaimedAt = at.T
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	return out, nil
}

// ClaimSite records a claim.
func (s *Store) ClaimSite(ctx context.Context, c fleet.Claim, takeover bool) error {
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("claim %s: %w", c.SiteID, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM sites WHERE id = ?`), c.SiteID).Scan(&n); err != nil {
		return fmt.Errorf("claim %s: %w", c.SiteID, err)
	}
	if n == 0 {
		return siteNotFound(c.SiteID)
	}
	var holder string
	err = tx.QueryRowContext(ctx, s.q(`SELECT agent FROM triage_claims WHERE site_id = ?`), c.SiteID).Scan(&holder)
	switch {
	case isNoRows(err):
	case err != nil:
		return fmt.Errorf("claim %s: %w", c.SiteID, err)
	case holder == c.Agent:
		return nil
	case !takeover:
		return fleet.Errorf(fleet.ECONFLICT, "Um %s kümmert sich schon %s. Bitte absprechen oder ausdrücklich übernehmen.",
			"%s is taken care of by %s already. Please talk to them or take it over explicitly.", c.SiteID, holder)
	}
	if _, err := s.exec(ctx, tx, `INSERT INTO triage_claims(site_id, agent, claimed_at) VALUES (?, ?, ?)
		ON CONFLICT (site_id) DO UPDATE SET agent = excluded.agent, claimed_at = excluded.claimed_at`, c.SiteID, c.Agent, s.t(c.ClaimedAt)); err != nil {
		return fmt.Errorf("claim %s: %w", c.SiteID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("claim %s: %w", c.SiteID, err)
	}
	return nil
}

// ReleaseSite removes a claim.
func (s *Store) ReleaseSite(ctx context.Context, siteID, agent string) error {
	query, args := `DELETE FROM triage_claims WHERE site_id = ?`, []any{siteID}
	if agent != "" {
		query, args = query+` AND agent = ?`, append(args, agent)
	}
	res, err := s.exec(ctx, s.W, query, args...)
	if err != nil {
		return fmt.Errorf("release %s: %w", siteID, err)
	}
	if n, err := affected(res); err != nil {
		return err
	} else if n == 0 {
		return fleet.Errorf(fleet.ENOTFOUND, "%s ist nicht (mehr) von Ihnen übernommen.", "%s is not (any more) claimed by you.", siteID)
	}
	return nil
}

// AddNote appends a note.
func (s *Store) AddNote(ctx context.Context, n fleet.Note) (fleet.Note, error) {
	var cnt int
	if err := s.W.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM sites WHERE id = ?`), n.SiteID).Scan(&cnt); err != nil {
		return n, fmt.Errorf("add note: %w", err)
	}
	if cnt == 0 {
		return n, siteNotFound(n.SiteID)
	}
	if err := s.W.QueryRowContext(ctx, s.q(`INSERT INTO site_notes(site_id, at, author, body) VALUES (?, ?, ?, ?) RETURNING id`),
		n.SiteID, s.t(n.At), n.Author, n.Text).Scan(&n.ID); err != nil {
		return n, fmt.Errorf("add note: %w", err)
	}
	n.At = n.At.UTC().Truncate(time.Microsecond)
	return n, nil
}

// Notes returns the site's notes, newest first.
func (s *Store) Notes(ctx context.Context, siteID string, limit int) ([]fleet.Note, error) {
	rows, err := s.R.QueryContext(ctx, s.q(`SELECT id, at, author, body FROM site_notes WHERE site_id = ? ORDER BY id DESC LIMIT ?`),
		siteID, clampLimit(limit, 100, 10000))
	if err != nil {
		return nil, fmt.Errorf("notes of %s: %w", siteID, err)
	}
	defer rows.Close()
	var out []fleet.Note
	for rows.Next() {
		n := fleet.Note{SiteID: siteID}
		var at nt
		if err := rows.Scan(&n.ID, &at, &n.Author, &n.Text); err != nil {
			return nil, fmt.Errorf("notes of %s: %w", siteID, err)
		}
		n.At = at.T
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notes of %s: %w", siteID, err)
	}
	return out, nil
}

// RecordSilence records a silence once.
func (s *Store) RecordSilence(ctx context.Context, siteID string, lastSeen, at time.Time) (bool, error) {
	res, err := s.exec(ctx, s.W, `INSERT INTO silence_alerts(site_id, last_seen, alerted_at) SELECT ?, ?, ?
		WHERE EXISTS (SELECT 1 FROM sites WHERE id = ?) ON CONFLICT DO NOTHING`, siteID, s.t(lastSeen), s.t(at), siteID)
	if err != nil {
		return false, fmt.Errorf("record silence of %s: %w", siteID, err)
	}
	n, err := affected(res)
	return n == 1, err
}

// SetSilenceResult stores how alerting went.
func (s *Store) SetSilenceResult(ctx context.Context, siteID string, lastSeen time.Time, result string) error {
	if _, err := s.exec(ctx, s.W, `UPDATE silence_alerts SET result = ? WHERE site_id = ? AND last_seen = ?`, result, siteID, s.t(lastSeen)); err != nil {
		return fmt.Errorf("silence result of %s: %w", siteID, err)
	}
	return nil
}

// Silences returns the site's silences, newest first.
func (s *Store) Silences(ctx context.Context, siteID string, limit int) ([]fleet.Silence, error) {
	rows, err := s.R.QueryContext(ctx, s.q(`SELECT last_seen, alerted_at, result FROM silence_alerts WHERE site_id = ? ORDER BY last_seen DESC LIMIT ?`),
		siteID, clampLimit(limit, 100, 10000))
	if err != nil {
		return nil, fmt.Errorf("silences of %s: %w", siteID, err)
	}
	defer rows.Close()
	var out []fleet.Silence
	for rows.Next() {
		x := fleet.Silence{SiteID: siteID}
		var last, at nt
		if err := rows.Scan(&last, &at, &x.Result); err != nil {
			return nil, fmt.Errorf("silences of %s: %w", siteID, err)
		}
		x.LastSeen, x.AlertedAt = last.T, at.T
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("silences of %s: %w", siteID, err)
	}
	return out, nil
}
