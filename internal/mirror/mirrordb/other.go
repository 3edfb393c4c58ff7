package mirrordb

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/lifeline-project/lifeline/internal/mirror"
)

func (w *writer) putDuty(ctx context.Context, d mirror.DutyShift) (bool, error) {
	return w.upsert(ctx, d.Key(),
		`INSERT INTO duty(id, starts, ends, name, address, phone, note) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		`ON CONFLICT(id) DO UPDATE SET starts = excluded.starts, ends = excluded.ends, name = excluded.name,
			address = excluded.address, phone = excluded.phone, note = excluded.note`,
		d.Key(), ts(d.Start), ts(d.End), d.Name, d.Address, d.Phone, d.Note)
}

func (w *writer) putPage(ctx context.Context, p mirror.Page) (bool, error) {
	return w.upsert(ctx, p.Slug,
		`INSERT INTO handbook(slug, ord, title, markdown) VALUES (?, ?, ?, ?)`,
		`ON CONFLICT(slug) DO UPDATE SET ord = excluded.ord, title = excluded.title, markdown = excluded.markdown`,
		p.Slug, p.Order, p.Title, p.Markdown)
}

// DutyShifts returns the shifts overlapping [from, to), by start.
func (db *DB) DutyShifts(ctx context.Context, from, to time.Time) ([]mirror.DutyShift, error) {
	rows, err := db.r.QueryContext(ctx,
		`SELECT starts, ends, name, address, phone, note FROM duty WHERE starts < ? AND ends > ? ORDER BY starts, name`,
		ts(to), ts(from))
	if err != nil {
		return nil, unavailable("Notdienstplan", err)
	}
	defer rows.Close()
	var out []mirror.DutyShift
	for rows.Next() {
		var d mirror.DutyShift
		var s, e string
		if err := rows.Scan(&s, &e, &d.Name, &d.Address, &d.Phone, &d.Note); err != nil {
			return nil, unavailable("Notdienstplan", err)
		}
		d.Start, d.End = parseTS(s), parseTS(e)
		out = append(out, d)
	}
	return out, unavailable("Notdienstplan", rows.Err())
}

// HandbookPages returns every page by order and title.
func (db *DB) HandbookPages(ctx context.Context) ([]mirror.Page, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT slug, ord, title, markdown FROM handbook ORDER BY ord, title, slug`)
	if err != nil {
		return nil, unavailable("Notfallhandbuch", err)
	}
	defer rows.Close()
	var out []mirror.Page
	for rows.Next() {
		var p mirror.Page
		if err := rows.Scan(&p.Slug, &p.Order, &p.Title, &p.Markdown); err != nil {
			return nil, unavailable("Notfallhandbuch", err)
		}
		out = append(out, p)
	}
	return out, unavailable("Notfallhandbuch", rows.Err())
}

// HandbookPage returns one page; ENOTFOUND when unknown.
func (db *DB) HandbookPage(ctx context.Context, slug string) (mirror.Page, error) {
	var p mirror.Page
	err := db.r.QueryRowContext(ctx, `SELECT slug, ord, title, markdown FROM handbook WHERE slug = ?`, slug).
		Scan(&p.Slug, &p.Order, &p.Title, &p.Markdown)
	if errors.Is(err, sql.ErrNoRows) {
		return p, mirror.Errorf(mirror.ENOTFOUND, "Handbuchseite %q nicht vorhanden", "handbook page %q not found", slug, slug)
	}
	if err != nil {
		return p, unavailable("Notfallhandbuch", err)
	}
	return p, nil
}
