package mirrordb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

const articleCols = `pzn, name, manufacturer, form, pack_size, norm_size, rx, pharmacy_only, btm, avp, festbetrag, copay_exempt`

const insertArticle = `INSERT INTO articles(pzn, name, name_key, manufacturer, form, pack_size, norm_size, rx, pharmacy_only, btm, avp, festbetrag, copay_exempt)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const upsertArticle = insertArticle + ` ON CONFLICT(pzn) DO UPDATE SET
	name = excluded.name, name_key = excluded.name_key, manufacturer = excluded.manufacturer,
	form = excluded.form, pack_size = excluded.pack_size, norm_size = excluded.norm_size,
	rx = excluded.rx, pharmacy_only = excluded.pharmacy_only, btm = excluded.btm,
	avp = excluded.avp, festbetrag = excluded.festbetrag, copay_exempt = excluded.copay_exempt`

// pznInt turns a PZN into the table's integer key.
func pznInt(p string) (int64, error) {
	n, err := strconv.ParseInt(p, 10, 64)
	if err != nil || len(p) != 8 {
		return 0, mirror.Errorf(mirror.EINVALID, "keine gültige PZN: %q", "not a valid PZN: %q", p, p)
	}
	return n, nil
}

func pznString(n int64) pharma.PZN {
	s := strconv.FormatInt(n, 10)
	for len(s) < 8 {
		s = "0" + s
	}
	return pharma.PZN(s)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (w *writer) putArticle(ctx context.Context, a mirror.Article) (bool, error) {
	pzn, err := pznInt(string(a.PZN))
	if err != nil {
		return false, err
	}
	tokens := mirror.Tokens(a.Name)
	for _, t := range tokens {
		w.terms[t] = struct{}{}
	}
	var fb any
	if a.HasFestbetrag {
		fb = int64(a.Festbetrag)
	}
	args := []any{pzn, a.Name, mirror.NameKey(a.Name), a.Manufacturer, a.Form, a.PackSize, string(a.NormSize),
		b2i(a.Rx), b2i(a.PharmacyOnly), b2i(a.BtM), int64(a.AVP), fb, b2i(a.CopayExempt)}
	if w.full {
		// The full-text index is rebuilt in finish.
		_, err := w.exec(ctx, insertArticle, args...)
		return err == nil, err
	}
	var old string
	err = w.tx.QueryRowContext(ctx, `SELECT name FROM articles WHERE pzn = ?`, pzn).Scan(&old)
	existed := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("read article %s: %w", a.PZN, err)
	}
	if existed && old != a.Name {
		if _, err := w.exec(ctx, `INSERT INTO articles_fts(articles_fts, rowid, name) VALUES ('delete', ?, ?)`, pzn, old); err != nil {
			return false, fmt.Errorf("unindex article %s: %w", a.PZN, err)
		}
	}
	if _, err := w.exec(ctx, upsertArticle, args...); err != nil {
		return false, fmt.Errorf("store article %s: %w", a.PZN, err)
	}
	if !existed || old != a.Name {
		if _, err := w.exec(ctx, `INSERT INTO articles_fts(rowid, name) VALUES (?, ?)`, pzn, a.Name); err != nil {
			return false, fmt.Errorf("index article %s: %w", a.PZN, err)
		}
	}
	return !existed, nil
}

func (w *writer) deleteArticle(ctx context.Context, key string) error {
	p, err := pharma.ParsePZN(key)
	if err != nil {
		return mirror.Errorf(mirror.EINVALID, "keine gültige PZN zum Löschen: %q", "not a valid PZN to delete: %q", key, key)
	}
	pzn, _ := pznInt(string(p))
	var old string
	err = w.tx.QueryRowContext(ctx, `SELECT name FROM articles WHERE pzn = ?`, pzn).Scan(&old)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read article %s: %w", p, err)
	}
	if !w.full {
		if _, err := w.exec(ctx, `INSERT INTO articles_fts(articles_fts, rowid, name) VALUES ('delete', ?, ?)`, pzn, old); err != nil {
			return fmt.Errorf("unindex article %s: %w", p, err)
		}
	}
	if _, err := w.exec(ctx, `DELETE FROM articles WHERE pzn = ?`, pzn); err != nil {
		return fmt.Errorf("delete article %s: %w", p, err)
	}
	w.rows--
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanArticle(s scanner) (mirror.Article, error) {
	var a mirror.Article
	var pzn int64
	var norm string
	var rx, po, btm, ce int
	var avp int64
	var fb sql.NullInt64
	if err := s.Scan(&pzn, &a.Name, &a.Manufacturer, &a.Form, &a.PackSize, &norm, &rx, &po, &btm, &avp, &fb, &ce); err != nil {
		return a, err
	}
	a.PZN = pznString(pzn)
	a.NormSize = mirror.NormSize(norm)
	a.Rx, a.PharmacyOnly, a.BtM, a.CopayExempt = rx != 0, po != 0, btm != 0, ce != 0
	a.AVP = mirror.Cents(avp)
	if fb.Valid {
		a.Festbetrag, a.HasFestbetrag = mirror.Cents(fb.Int64), true
	}
	return a, nil
}

// Article returns the article with a PZN; ENOTFOUND when unknown.
func (db *DB) Article(ctx context.Context, p pharma.PZN) (mirror.Article, error) {
	pzn, err := pznInt(string(p))
	if err != nil {
		return mirror.Article{}, err
	}
	a, err := scanArticle(db.getArticle.QueryRowContext(ctx, pzn))
	if errors.Is(err, sql.ErrNoRows) {
		return mirror.Article{}, mirror.Errorf(mirror.ENOTFOUND,
			"PZN %s ist in der Downtime-Kopie nicht vorhanden", "PZN %s is not in the downtime copy", string(p), string(p))
	}
	if err != nil {
		return mirror.Article{}, unavailable("Artikel", err)
	}
	return a, nil
}
