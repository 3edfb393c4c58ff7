package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

const broadcastColumns = `b.id, b.title, b.body, b.steps, b.severity, b.selector, b.targets, b.file_name, b.file_size, b.file_sha256,
	b.created_at, b.created_by, b.expires_at`

func scanBroadcast(row rowScanner, extra ...any) (fleet.Broadcast, error) {
	var b fleet.Broadcast
	var steps, sel, fname, fsum string
	var fsize int64
	var created, expires nt
	if err := row.Scan(append([]any{&b.ID, &b.Title, &b.Text, &steps, &b.Severity, &sel, &b.Targets, &fname, &fsize, &fsum,
		&created, &b.CreatedBy, &expires}, extra...)...); err != nil {
		return b, err
	}
	if err := json.Unmarshal([]byte(steps), &b.Steps); err != nil {
		return b, fmt.Errorf("broadcast %d: steps: %w", b.ID, err)
	}
	if err := json.Unmarshal([]byte(sel), &b.Selector); err != nil {
		return b, fmt.Errorf("broadcast %d: selector: %w", b.ID, err)
	}
	if fname != "" {
		b.File = &fleet.BroadcastFile{Name: fname, Size: fsize, SHA256: fsum}
	}
	b.CreatedAt, b.ExpiresAt = created.T, expires.T
	return b, nil
}

func broadcastNotFound(id int64) error {
	return fleet.NotFound("Die Nachricht", "broadcast", strconv.FormatInt(id, 10))
}

// CreateBroadcast stores a broadcast and its targets and announces it.
func (s *Store) CreateBroadcast(ctx context.Context, b fleet.Broadcast, file []byte, siteIDs []string) (fleet.Broadcast, error) {
	steps, err := json.Marshal(nonNil(b.Steps))
	if err != nil {
		return b, fmt.Errorf("create broadcast: %w", err)
	}
	sel, err := json.Marshal(b.Selector)
	if err != nil {
		return b, fmt.Errorf("create broadcast: %w", err)
	}
	var fname, fsum string
	var fsize int64
	var data any
	if b.File != nil {
		fname, fsize, fsum, data = b.File.Name, b.File.Size, b.File.SHA256, file
	}
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return b, fmt.Errorf("create broadcast: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO broadcasts(title, body, steps, severity, selector, targets, file_name, file_size, file_sha256,
			file_data, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		b.Title, b.Text, string(steps), b.Severity, string(sel), fname, fsize, fsum, data, s.t(b.CreatedAt), b.CreatedBy, s.t(b.ExpiresAt)).Scan(&b.ID); err != nil {
		return b, fmt.Errorf("create broadcast: %w", err)
	}
	ids := append([]string(nil), siteIDs...)
	sort.Strings(ids)
	n, err := s.insertTargets(ctx, tx, b.ID, ids)
	if err != nil {
		return b, err
	}
	if _, err := s.exec(ctx, tx, `UPDATE broadcasts SET targets = ? WHERE id = ?`, n, b.ID); err != nil {
		return b, fmt.Errorf("create broadcast: %w", err)
	}
	announce, err := s.notify(ctx, tx, []fleet.Notice{{BroadcastID: b.ID}})
	if err != nil {
		return b, fmt.Errorf("create broadcast: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return b, fmt.Errorf("create broadcast: %w", err)
	}
	announce()
	b.Targets = n
	b.CreatedAt, b.ExpiresAt = b.CreatedAt.UTC().Truncate(time.Microsecond), b.ExpiresAt.UTC().Truncate(time.Microsecond)
	return b, nil
}

// insertTargets adds a receipt row per existing site and returns how many.
func (s *Store) insertTargets(ctx context.Context, tx *sql.Tx, id int64, siteIDs []string) (int, error) {
	if len(siteIDs) == 0 {
		return 0, nil
	}
	if s.d.Numbered {
		res, err := tx.ExecContext(ctx, `INSERT INTO broadcast_sites(broadcast_id, site_id)
			SELECT $1::bigint, x FROM unnest($2::text[]) AS x WHERE EXISTS (SELECT 1 FROM sites WHERE id = x) ON CONFLICT DO NOTHING`, id, siteIDs)
		if err != nil {
			return 0, fmt.Errorf("create broadcast: targets: %w", err)
		}
		n, err := affected(res)
		return int(n), err
	}
	total := 0
	for chunk := range slices.Chunk(siteIDs, sqliteChunk) {
		args := make([]any, 0, len(chunk)+1)
		args = append(args, id)
		for _, site := range chunk {
			args = append(args, site)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO broadcast_sites(broadcast_id, site_id)
			SELECT ?, id FROM sites WHERE id IN (`+placeholders(len(chunk))+`) ON CONFLICT DO NOTHING`, args...)
		if err != nil {
			return 0, fmt.Errorf("create broadcast: targets: %w", err)
		}
		n, err := affected(res)
		if err != nil {
			return 0, err
		}
		total += int(n)
	}
	return total, nil
}

// Broadcast returns a broadcast without its file's bytes.
func (s *Store) Broadcast(ctx context.Context, id int64) (fleet.Broadcast, error) {
	b, err := scanBroadcast(s.R.QueryRowContext(ctx, s.q(`SELECT `+broadcastColumns+` FROM broadcasts b WHERE b.id = ?`), id))
	if isNoRows(err) {
		return b, broadcastNotFound(id)
	}
	if err != nil {
		return b, fmt.Errorf("read broadcast %d: %w", id, err)
	}
	return b, nil
}

// BroadcastFile returns the attachment's bytes.
func (s *Store) BroadcastFile(ctx context.Context, id int64) ([]byte, error) {
	var data []byte
	err := s.R.QueryRowContext(ctx, s.q(`SELECT file_data FROM broadcasts WHERE id = ? AND file_name <> ''`), id).Scan(&data)
	if isNoRows(err) || (err == nil && data == nil) {
		return nil, broadcastNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("read broadcast file %d: %w", id, err)
	}
	return data, nil
}

const countColumns = `(SELECT COUNT(*) FROM broadcast_sites x WHERE x.broadcast_id = b.id AND x.delivered_at IS NOT NULL),
	(SELECT COUNT(*) FROM broadcast_sites x WHERE x.broadcast_id = b.id AND x.read_at IS NOT NULL),
	(SELECT COUNT(*) FROM broadcast_sites x WHERE x.broadcast_id = b.id AND x.answer = 'helped'),
	(SELECT COUNT(*) FROM broadcast_sites x WHERE x.broadcast_id = b.id AND x.answer = 'not_helped')`

// Broadcasts returns broadcasts with their counts, newest first.
func (s *Store) Broadcasts(ctx context.Context, limit int) ([]fleet.BroadcastSummary, error) {
	rows, err := s.R.QueryContext(ctx, s.q(`SELECT `+broadcastColumns+`, `+countColumns+` FROM broadcasts b ORDER BY b.id DESC LIMIT ?`),
		clampLimit(limit, 100, 1000))
	if err != nil {
		return nil, fmt.Errorf("list broadcasts: %w", err)
	}
	defer rows.Close()
	var out []fleet.BroadcastSummary
	for rows.Next() {
		var c fleet.BroadcastCounts
		b, err := scanBroadcast(rows, &c.Delivered, &c.Read, &c.Helped, &c.NotHelped)
		if err != nil {
			return nil, fmt.Errorf("list broadcasts: %w", err)
		}
		c.Targets = b.Targets
		out = append(out, fleet.BroadcastSummary{Broadcast: b, Counts: c})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list broadcasts: %w", err)
	}
	return out, nil
}

// ActiveBroadcasts returns the broadcasts that expire after now.
func (s *Store) ActiveBroadcasts(ctx context.Context, now time.Time) ([]fleet.Broadcast, error) {
	rows, err := s.R.QueryContext(ctx, s.q(`SELECT `+broadcastColumns+` FROM broadcasts b WHERE b.expires_at > ? ORDER BY b.id`), s.t(now))
	if err != nil {
		return nil, fmt.Errorf("active broadcasts: %w", err)
	}
	defer rows.Close()
	var out []fleet.Broadcast
	for rows.Next() {
		b, err := scanBroadcast(rows)
		if err != nil {
			return nil, fmt.Errorf("active broadcasts: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("active broadcasts: %w", err)
	}
	return out, nil
}

const receiptColumns = `r.broadcast_id, r.site_id, r.delivered_at, r.read_at, r.answer, r.answered_at, r.note, r.answered_by`

func scanReceipt(row rowScanner, extra ...any) (fleet.Receipt, error) {
	var r fleet.Receipt
	var delivered, read, answered nt
	err := row.Scan(append([]any{&r.BroadcastID, &r.SiteID, &delivered, &read, &r.Answer, &answered, &r.Note, &r.By}, extra...)...)
	r.DeliveredAt, r.ReadAt, r.AnsweredAt = delivered.T, read.T, answered.T
	return r, err
}

// BroadcastReceipts returns the receipts of every target site.
func (s *Store) BroadcastReceipts(ctx context.Context, id int64) ([]fleet.Receipt, error) {
	rows, err := s.R.QueryContext(ctx, s.q(`SELECT `+receiptColumns+` FROM broadcast_sites r WHERE r.broadcast_id = ? ORDER BY r.site_id`), id)
	if err != nil {
		return nil, fmt.Errorf("receipts of broadcast %d: %w", id, err)
	}
	defer rows.Close()
	var out []fleet.Receipt
	for rows.Next() {
		r, err := scanReceipt(rows)
		if err != nil {
			return nil, fmt.Errorf("receipts of broadcast %d: %w", id, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("receipts of broadcast %d: %w", id, err)
	}
	return out, nil
}

// BroadcastCounts returns a broadcast's counts.
func (s *Store) BroadcastCounts(ctx context.Context, id int64) (fleet.BroadcastCounts, error) {
	var c fleet.BroadcastCounts
	err := s.R.QueryRowContext(ctx, s.q(`SELECT b.targets, `+countColumns+` FROM broadcasts b WHERE b.id = ?`), id).
		Scan(&c.Targets, &c.Delivered, &c.Read, &c.Helped, &c.NotHelped)
	if isNoRows(err) {
		return c, broadcastNotFound(id)
	}
	if err != nil {
		return c, fmt.Errorf("counts of broadcast %d: %w", id, err)
	}
	return c, nil
}

// SaveReceipts writes receipts in one transaction.
func (s *Store) SaveReceipts(ctx context.Context, rs []fleet.Receipt) error {
	if len(rs) == 0 {
		return nil
	}
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save receipts: %w", err)
	}
	defer tx.Rollback()
	// Plain "received" receipts, the bulk after a broadcast, are written
	// per broadcast in a few statements; the rest one by one.
	received := map[int64][]fleet.Receipt{}
	var rest []fleet.Receipt
	for _, r := range rs {
		if r.Status == fleet.ReceiptReceived {
			received[r.BroadcastID] = append(received[r.BroadcastID], r)
			continue
		}
		rest = append(rest, r)
	}
	for id, rcs := range received {
		if err := s.markDelivered(ctx, tx, id, rcs); err != nil {
			return err
		}
	}
	if len(rest) == 0 {
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("save receipts: %w", err)
		}
		return nil
	}
	rs = rest
	stmt, err := tx.PrepareContext(ctx, s.q(`UPDATE broadcast_sites SET
			delivered_at = COALESCE(delivered_at, ?),
			read_at = CASE WHEN ? THEN COALESCE(read_at, ?) ELSE read_at END,
			answer = CASE WHEN ? THEN ? ELSE answer END,
			answered_at = CASE WHEN ? THEN ? ELSE answered_at END,
			note = CASE WHEN ? THEN ? ELSE note END,
			answered_by = CASE WHEN ? THEN ? ELSE answered_by END
		WHERE broadcast_id = ? AND site_id = ?`))
	if err != nil {
		return fmt.Errorf("save receipts: %w", err)
	}
	defer stmt.Close()
	for _, r := range rs {
		at := s.t(r.At)
		read := r.Status == fleet.ReceiptRead || r.Status == fleet.ReceiptHelped || r.Status == fleet.ReceiptNotHelped
		ans := r.Status == fleet.ReceiptHelped || r.Status == fleet.ReceiptNotHelped
		if _, err := stmt.ExecContext(ctx, at, read, at, ans, r.Status, ans, at, ans, r.Note, ans, r.By, r.BroadcastID, r.SiteID); err != nil {
			return fmt.Errorf("save receipt of %s for broadcast %d: %w", r.SiteID, r.BroadcastID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save receipts: %w", err)
	}
	return nil
}

// sqliteChunk bounds the ids in one IN list.
const sqliteChunk = 500

// placeholders returns "?, ?, ..." for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// markDelivered sets the delivery times of many sites' receipts of one
// broadcast, where not set yet, in a few statements.
func (s *Store) markDelivered(ctx context.Context, tx *sql.Tx, id int64, rcs []fleet.Receipt) error {
	if s.d.Numbered {
		sites := make([]string, len(rcs))
		ats := make([]time.Time, len(rcs))
		for i, r := range rcs {
			sites[i], ats[i] = r.SiteID, r.At.UTC().Truncate(time.Microsecond)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE broadcast_sites b SET delivered_at = COALESCE(b.delivered_at, u.at)
			FROM unnest($1::text[], $2::timestamptz[]) AS u(site, at) WHERE b.broadcast_id = $3 AND b.site_id = u.site`,
			sites, ats, id); err != nil {
			return fmt.Errorf("save receipts of broadcast %d: %w", id, err)
		}
		return nil
	}
	for chunk := range slices.Chunk(rcs, sqliteChunk) {
		args := make([]any, 0, 2*len(chunk)+1)
		for _, r := range chunk {
			args = append(args, r.SiteID, s.t(r.At))
		}
		args = append(args, id)
		values := strings.TrimSuffix(strings.Repeat("(?, ?), ", len(chunk)), ", ")
		if _, err := tx.ExecContext(ctx, `UPDATE broadcast_sites SET delivered_at = COALESCE(broadcast_sites.delivered_at, v.column2)
			FROM (VALUES `+values+`) AS v WHERE broadcast_sites.broadcast_id = ? AND broadcast_sites.site_id = v.column1`, args...); err != nil {
			return fmt.Errorf("save receipts of broadcast %d: %w", id, err)
		}
	}
	return nil
}

// SiteBroadcasts returns the site's broadcasts with receipts, newest first.
func (s *Store) SiteBroadcasts(ctx context.Context, siteID string, limit int) ([]fleet.SiteBroadcast, error) {
	rows, err := s.R.QueryContext(ctx, s.q(`SELECT `+broadcastColumns+`, `+receiptColumns+`
		FROM broadcast_sites r JOIN broadcasts b ON b.id = r.broadcast_id WHERE r.site_id = ? ORDER BY b.id DESC LIMIT ?`),
		siteID, clampLimit(limit, 100, 1000))
	if err != nil {
		return nil, fmt.Errorf("broadcasts of %s: %w", siteID, err)
	}
	defer rows.Close()
	var out []fleet.SiteBroadcast
	for rows.Next() {
		var r fleet.Receipt
		var delivered, read, answered nt
		b, err := scanBroadcast(rows, &r.BroadcastID, &r.SiteID, &delivered, &read, &r.Answer, &answered, &r.Note, &r.By)
		if err != nil {
			return nil, fmt.Errorf("broadcasts of %s: %w", siteID, err)
		}
		r.DeliveredAt, r.ReadAt, r.AnsweredAt = delivered.T, read.T, answered.T
		out = append(out, fleet.SiteBroadcast{Broadcast: b, Receipt: r})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("broadcasts of %s: %w", siteID, err)
	}
	return out, nil
}
