package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

const heartbeatColumnsNullable = `h.received_at, h.sent_at, h.overall, h.sentence, h.root_causes, h.components,
	h.agent_version, h.agent_state, h.updates_paused, h.pause_reason, h.overall_since`

// hbScan receives the nullable heartbeat columns of a LEFT JOIN.
type hbScan struct {
	received, sent                          nt
	overall, sentence, roots, comps, av, as sql.NullString
	paused                                  sql.NullBool
	reason                                  sql.NullString
	since                                   nt
}

func (h *hbScan) dest() []any {
	return []any{&h.received, &h.sent, &h.overall, &h.sentence, &h.roots, &h.comps, &h.av, &h.as, &h.paused, &h.reason, &h.since}
}

func (h *hbScan) heartbeat(siteID string) (fleet.Heartbeat, error) {
	if h.received.T.IsZero() {
		return fleet.Heartbeat{}, nil
	}
	hb := fleet.Heartbeat{
		SiteID: siteID, ReceivedAt: h.received.T, SentAt: h.sent.T, Overall: h.overall.String, Sentence: h.sentence.String,
		AgentVersion: h.av.String, AgentState: h.as.String, UpdatesPaused: h.paused.Bool, PauseReason: h.reason.String,
		OverallSince: h.since.T,
	}
	if h.roots.String != "" {
		if err := json.Unmarshal([]byte(h.roots.String), &hb.RootCauses); err != nil {
			return hb, fmt.Errorf("root causes of %s: %w", siteID, err)
		}
	}
	if h.comps.String != "" {
		if err := json.Unmarshal([]byte(h.comps.String), &hb.Components); err != nil {
			return hb, fmt.Errorf("components of %s: %w", siteID, err)
		}
	}
	return hb, nil
}

// SaveHeartbeats writes a batch in one transaction.
func (s *Store) SaveHeartbeats(ctx context.Context, b fleet.HeartbeatBatch) error {
	if b.Len() == 0 {
		return nil
	}
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save heartbeats: %w", err)
	}
	defer tx.Rollback()
	if len(b.Changed) > 0 {
		if err := s.saveChanged(ctx, tx, b.Changed); err != nil {
			return err
		}
	}
	if len(b.Seen) > 0 {
		if err := s.saveSeen(ctx, tx, b.Seen); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save heartbeats: %w", err)
	}
	return nil
}

func (s *Store) saveChanged(ctx context.Context, tx *sql.Tx, hbs []fleet.Heartbeat) error {
	up, err := tx.PrepareContext(ctx, s.q(`INSERT INTO heartbeats(site_id, received_at, sent_at, overall, sentence, root_causes, components,
			agent_version, agent_state, updates_paused, pause_reason, overall_since)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (site_id) DO UPDATE SET received_at = excluded.received_at, sent_at = excluded.sent_at,
			overall = excluded.overall, sentence = excluded.sentence, root_causes = excluded.root_causes,
			components = excluded.components, agent_version = excluded.agent_version, agent_state = excluded.agent_state,
			updates_paused = excluded.updates_paused, pause_reason = excluded.pause_reason, overall_since = excluded.overall_since`))
	if err != nil {
		return fmt.Errorf("save heartbeats: %w", err)
	}
	defer up.Close()
	health, err := tx.PrepareContext(ctx, s.q(`INSERT INTO health_events(site_id, at, overall, sentence, root_causes) VALUES (?, ?, ?, ?, ?)`))
	if err != nil {
		return fmt.Errorf("save heartbeats: %w", err)
	}
	defer health.Close()
	exists, err := tx.PrepareContext(ctx, s.q(`SELECT (SELECT COUNT(*) FROM sites WHERE id = ?), (SELECT overall FROM heartbeats WHERE site_id = ?),
		(SELECT overall_since FROM heartbeats WHERE site_id = ?)`))
	if err != nil {
		return fmt.Errorf("save heartbeats: %w", err)
	}
	defer exists.Close()
	comp, err := tx.PrepareContext(ctx, s.q(`INSERT INTO site_components(site_id, component, version, since) VALUES (?, ?, ?, ?)
		ON CONFLICT (site_id, component) DO UPDATE SET version = excluded.version, since = excluded.since
		WHERE site_components.version <> excluded.version`))
	if err != nil {
		return fmt.Errorf("save heartbeats: %w", err)
	}
	defer comp.Close()
	ev, err := tx.PrepareContext(ctx, s.q(`INSERT INTO version_events(site_id, component, version, at) VALUES (?, ?, ?, ?)`))
	if err != nil {
		return fmt.Errorf("save heartbeats: %w", err)
	}
	defer ev.Close()
	for _, h := range hbs {
		roots, err := json.Marshal(nonNil(h.RootCauses))
		if err != nil {
			return fmt.Errorf("save heartbeat of %s: %w", h.SiteID, err)
		}
		comps, err := json.Marshal(h.Components)
		if err != nil {
			return fmt.Errorf("save heartbeat of %s: %w", h.SiteID, err)
		}
		var n int
		var old sql.NullString
		var oldSince nt
		if err := exists.QueryRowContext(ctx, h.SiteID, h.SiteID, h.SiteID).Scan(&n, &old, &oldSince); err != nil {
			return fmt.Errorf("save heartbeat of %s: %w", h.SiteID, err)
		}
		if n == 0 {
			continue // the site was deleted meanwhile
		}
		changed := !old.Valid || old.String != h.Overall
		since := oldSince.T
		if changed || since.IsZero() {
			// The start of the state: when the replica saw it change.
			since = h.OverallSince
			if since.IsZero() {
				since = h.ReceivedAt
			}
		}
		if changed {
			if _, err := health.ExecContext(ctx, h.SiteID, s.t(since), h.Overall, h.Sentence, string(roots)); err != nil {
				return fmt.Errorf("save health event of %s: %w", h.SiteID, err)
			}
		}
		if _, err := up.ExecContext(ctx, h.SiteID, s.t(h.ReceivedAt), s.t(h.SentAt), h.Overall, h.Sentence, string(roots), string(comps),
			h.AgentVersion, h.AgentState, h.UpdatesPaused, h.PauseReason, s.t(since)); err != nil {
			return fmt.Errorf("save heartbeat of %s: %w", h.SiteID, err)
		}
		names := make([]string, 0, len(h.Components))
		for c := range h.Components {
			names = append(names, c)
		}
		sort.Strings(names)
		for _, c := range names {
			v := h.Components[c]
			res, err := comp.ExecContext(ctx, h.SiteID, c, v, s.t(h.ReceivedAt))
			if err != nil {
				return fmt.Errorf("save version of %s/%s: %w", h.SiteID, c, err)
			}
			if n, err := affected(res); err != nil {
				return err
			} else if n == 0 {
				continue
			}
			if _, err := ev.ExecContext(ctx, h.SiteID, c, v, s.t(h.ReceivedAt)); err != nil {
				return fmt.Errorf("save version event of %s/%s: %w", h.SiteID, c, err)
			}
		}
	}
	return nil
}

func (s *Store) saveSeen(ctx context.Context, tx *sql.Tx, seen []fleet.Seen) error {
	if s.d.SaveSeen != nil {
		if err := s.d.SaveSeen(ctx, tx, seen); err != nil {
			return fmt.Errorf("save last seen: %w", err)
		}
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, s.q(`UPDATE heartbeats SET received_at = ?, sent_at = ? WHERE site_id = ? AND received_at < ?`))
	if err != nil {
		return fmt.Errorf("save last seen: %w", err)
	}
	defer stmt.Close()
	for _, x := range seen {
		if _, err := stmt.ExecContext(ctx, s.t(x.At), s.t(x.SentAt), x.SiteID, s.t(x.At)); err != nil {
			return fmt.Errorf("save last seen of %s: %w", x.SiteID, err)
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Heartbeats returns the last heartbeat of every site that sent one.
func (s *Store) Heartbeats(ctx context.Context) ([]fleet.Heartbeat, error) {
	return s.heartbeats(ctx, `SELECT h.site_id, `+heartbeatColumnsNullable+` FROM heartbeats h ORDER BY h.site_id`)
}

// StaleHeartbeats returns the heartbeats received before a time, of
// sites holding a token.
func (s *Store) StaleHeartbeats(ctx context.Context, before time.Time) ([]fleet.Heartbeat, error) {
	return s.heartbeats(ctx, s.q(`SELECT h.site_id, `+heartbeatColumnsNullable+` FROM heartbeats h JOIN sites s ON s.id = h.site_id
		WHERE h.received_at < ? AND s.token_hash IS NOT NULL ORDER BY h.site_id`), s.t(before))
}

func (s *Store) heartbeats(ctx context.Context, query string, args ...any) ([]fleet.Heartbeat, error) {
	rows, err := s.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list heartbeats: %w", err)
	}
	defer rows.Close()
	var out []fleet.Heartbeat
	for rows.Next() {
		var id string
		var hs hbScan
		if err := rows.Scan(append([]any{&id}, hs.dest()...)...); err != nil {
			return nil, fmt.Errorf("list heartbeats: %w", err)
		}
		hb, err := hs.heartbeat(id)
		if err != nil {
			return nil, err
		}
		out = append(out, hb)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list heartbeats: %w", err)
	}
	return out, nil
}

// Heartbeat returns the last heartbeat of one site.
func (s *Store) Heartbeat(ctx context.Context, siteID string) (fleet.Heartbeat, error) {
	var hs hbScan
	err := s.R.QueryRowContext(ctx, s.q(`SELECT `+heartbeatColumnsNullable+` FROM heartbeats h WHERE h.site_id = ?`), siteID).Scan(hs.dest()...)
	if isNoRows(err) {
		return fleet.Heartbeat{}, fleet.Errorf(fleet.ENOTFOUND, "Der Standort „%s“ hat sich noch nie gemeldet.", "The site \"%s\" never reported.", siteID)
	}
	if err != nil {
		return fleet.Heartbeat{}, fmt.Errorf("read heartbeat of %s: %w", siteID, err)
	}
	return hs.heartbeat(siteID)
}

// VersionHistory returns the site's version events, newest first.
func (s *Store) VersionHistory(ctx context.Context, siteID string) ([]fleet.VersionEvent, error) {
	rows, err := s.R.QueryContext(ctx, s.q(`SELECT component, version, at FROM version_events WHERE site_id = ? ORDER BY at DESC, id DESC`), siteID)
	if err != nil {
		return nil, fmt.Errorf("version history of %s: %w", siteID, err)
	}
	defer rows.Close()
	var out []fleet.VersionEvent
	for rows.Next() {
		e := fleet.VersionEvent{SiteID: siteID}
		var at nt
		if err := rows.Scan(&e.Component, &e.Version, &at); err != nil {
			return nil, fmt.Errorf("version history of %s: %w", siteID, err)
		}
		e.At = at.T
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("version history of %s: %w", siteID, err)
	}
	return out, nil
}

// HealthEvents returns the changes of the site's overall state, newest
// first, at most limit.
func (s *Store) HealthEvents(ctx context.Context, siteID string, limit int) ([]fleet.HealthEvent, error) {
	rows, err := s.R.QueryContext(ctx, s.q(`SELECT at, overall, sentence, root_causes FROM health_events WHERE site_id = ? ORDER BY at DESC, id DESC LIMIT ?`),
		siteID, clampLimit(limit, 100, 10000))
	if err != nil {
		return nil, fmt.Errorf("health of %s: %w", siteID, err)
	}
	defer rows.Close()
	var out []fleet.HealthEvent
	for rows.Next() {
		e := fleet.HealthEvent{SiteID: siteID}
		var at nt
		var roots string
		if err := rows.Scan(&at, &e.Overall, &e.Sentence, &roots); err != nil {
			return nil, fmt.Errorf("health of %s: %w", siteID, err)
		}
		e.At = at.T
		if err := json.Unmarshal([]byte(roots), &e.RootCauses); err != nil {
			return nil, fmt.Errorf("health of %s: %w", siteID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("health of %s: %w", siteID, err)
	}
	return out, nil
}
