package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

const siteColumns = `s.id, s.name, s.timezone, s.state, s.maint_window, s.contacts, s.ring,
	s.created_at, s.enrolled_at, s.revoked_at, s.token_hash IS NOT NULL, s.code_expires_at`

func scanSite(row rowScanner, extra ...any) (fleet.Site, error) {
	var st fleet.Site
	var created, enrolled, revoked, codeExp nt
	dest := append([]any{&st.ID, &st.Name, &st.Timezone, &st.State, &st.Window, &st.Contacts, &st.Ring,
		&created, &enrolled, &revoked, &st.HasToken, &codeExp}, extra...)
	if err := row.Scan(dest...); err != nil {
		return st, err
	}
	st.CreatedAt, st.EnrolledAt, st.RevokedAt, st.CodeExpiresAt = created.T, enrolled.T, revoked.T, codeExp.T
	return st, nil
}

// CreateSites creates the sites with their first codes in one transaction.
func (s *Store) CreateSites(ctx context.Context, sites []fleet.NewSite) error {
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create sites: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO sites(id, name, timezone, state, maint_window, contacts, ring, created_at, code_hash, code_expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return fmt.Errorf("create sites: %w", err)
	}
	defer stmt.Close()
	for _, n := range sites {
		st := n.Site
		if _, err := stmt.ExecContext(ctx, st.ID, st.Name, st.Timezone, st.State, st.Window, st.Contacts, st.Ring,
			s.t(st.CreatedAt), nullString(n.CodeHash), s.t(n.CodeExpiresAt)); err != nil {
			if s.d.IsUnique(err) {
				return fleet.Errorf(fleet.ECONFLICT, "Den Standort „%s“ gibt es schon.", "The site \"%s\" exists already.", st.ID)
			}
			return fmt.Errorf("create site %s: %w", st.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create sites: %w", err)
	}
	return nil
}

func siteNotFound(id string) error { return fleet.NotFound("Den Standort", "site", id) }

// Site returns the site with id.
func (s *Store) Site(ctx context.Context, id string) (fleet.Site, error) {
	st, err := scanSite(s.R.QueryRowContext(ctx, s.q(`SELECT `+siteColumns+` FROM sites s WHERE s.id = ?`), id))
	if isNoRows(err) {
		return fleet.Site{}, siteNotFound(id)
	}
	if err != nil {
		return fleet.Site{}, fmt.Errorf("read site %s: %w", id, err)
	}
	return st, nil
}

// Sites returns one page of sites with their last heartbeats.
func (s *Store) Sites(ctx context.Context, f fleet.SiteFilter) ([]fleet.SiteRow, int, error) {
	var where []string
	var args []any
	if q := strings.TrimSpace(f.Query); q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(q)) + "%"
		cond := `LOWER(s.id) LIKE ? ESCAPE '\' OR LOWER(s.name) LIKE ? ESCAPE '\' OR LOWER(s.contacts) LIKE ? ESCAPE '\'`
		args = append(args, like, like, like)
		if digits := phoneDigits(q); digits != "" {
			// A phone number matches however it is written in the
			// contacts: "089 / 12 34-56" finds "089123456".
			cond += ` OR ` + stripPhone(`s.contacts`) + ` LIKE ?`
			args = append(args, "%"+digits+"%")
		}
		where = append(where, "("+cond+")")
	}
	if f.State != "" {
		where = append(where, `s.state = ?`)
		args = append(args, f.State)
	}
	switch f.Overall {
	case "":
	case "none":
		where = append(where, `h.site_id IS NULL`)
	default:
		where = append(where, `h.overall = ?`)
		args = append(args, f.Overall)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	from := ` FROM sites s LEFT JOIN heartbeats h ON h.site_id = s.id` + cond
	var total int
	if err := s.R.QueryRowContext(ctx, s.q(`SELECT COUNT(*)`+from), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count sites: %w", err)
	}
	limit := clampLimit(f.Limit, 100, 1000)
	offset := max(f.Offset, 0)
	rows, err := s.R.QueryContext(ctx, s.q(`SELECT `+siteColumns+`, `+heartbeatColumnsNullable+from+` ORDER BY s.id LIMIT ? OFFSET ?`),
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list sites: %w", err)
	}
	defer rows.Close()
	var out []fleet.SiteRow
	for rows.Next() {
		var hs hbScan
		st, err := scanSite(rows, hs.dest()...)
		if err != nil {
			return nil, 0, fmt.Errorf("list sites: %w", err)
		}
		hb, err := hs.heartbeat(st.ID)
		if err != nil {
			return nil, 0, fmt.Errorf("list sites: %w", err)
		}
		out = append(out, fleet.SiteRow{Site: st, Heartbeat: hb})
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list sites: %w", err)
	}
	return out, total, nil
}

// AllSites returns every site ordered by id.
func (s *Store) AllSites(ctx context.Context) ([]fleet.Site, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT `+siteColumns+` FROM sites s ORDER BY s.id`)
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	defer rows.Close()
	var out []fleet.Site
	for rows.Next() {
		st, err := scanSite(rows)
		if err != nil {
			return nil, fmt.Errorf("list sites: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	return out, nil
}

// UpdateSite replaces the editable fields of a site.
func (s *Store) UpdateSite(ctx context.Context, st fleet.Site) error {
	return s.siteChange(ctx, st.ID, func(tx *sql.Tx) (sql.Result, error) {
		return s.exec(ctx, tx, `UPDATE sites SET name = ?, timezone = ?, state = ?, maint_window = ?, contacts = ?, ring = ? WHERE id = ?`,
			st.Name, st.Timezone, st.State, st.Window, st.Contacts, st.Ring, st.ID)
	})
}

// siteChange runs an update of one site's row and announces the change,
// so that every replica drops the site's cached token and record.
// ENOTFOUND when the update changed no row.
func (s *Store) siteChange(ctx context.Context, siteID string, update func(*sql.Tx) (sql.Result, error)) error {
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("change site %s: %w", siteID, err)
	}
	defer tx.Rollback()
	res, err := update(tx)
	if err != nil {
		return fmt.Errorf("change site %s: %w", siteID, err)
	}
	if n, err := affected(res); err != nil {
		return fmt.Errorf("change site %s: %w", siteID, err)
	} else if n == 0 {
		return siteNotFound(siteID)
	}
	announce, err := s.notify(ctx, tx, []fleet.Notice{{TokenSiteID: siteID}})
	if err != nil {
		return fmt.Errorf("change site %s: %w", siteID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("change site %s: %w", siteID, err)
	}
	announce()
	return nil
}

// SetEnrolmentCode opens a new enrolment code for the site.
func (s *Store) SetEnrolmentCode(ctx context.Context, siteID, codeHash string, expiresAt time.Time) error {
	res, err := s.exec(ctx, s.W, `UPDATE sites SET code_hash = ?, code_expires_at = ? WHERE id = ?`, nullString(codeHash), s.t(expiresAt), siteID)
	if err != nil {
		return fmt.Errorf("set enrolment code of %s: %w", siteID, err)
	}
	if n, err := affected(res); err != nil {
		return fmt.Errorf("set enrolment code of %s: %w", siteID, err)
	} else if n == 0 {
		return siteNotFound(siteID)
	}
	return nil
}

// Enrol exchanges an open code for a token in one statement.
func (s *Store) Enrol(ctx context.Context, codeHash, tokenHash string, at time.Time) (fleet.Site, error) {
	refused := fleet.Errorf(fleet.EUNAUTHORIZED,
		"Der Anmeldecode ist ungültig, schon benutzt oder abgelaufen. Bitte in der Fleet-Konsole einen neuen Code erzeugen.",
		"The enrolment code is invalid, used already or expired. Please create a new code in the fleet console.")
	if codeHash == "" || tokenHash == "" {
		return fleet.Site{}, refused
	}
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return fleet.Site{}, fmt.Errorf("enrol: %w", err)
	}
	defer tx.Rollback()
	var id string
	err = tx.QueryRowContext(ctx, s.q(`UPDATE sites SET token_hash = ?, enrolled_at = ?, revoked_at = NULL, code_hash = NULL, code_expires_at = NULL
		WHERE code_hash = ? AND code_expires_at > ? RETURNING id`),
		tokenHash, s.t(at), codeHash, s.t(at)).Scan(&id)
	if isNoRows(err) {
		return fleet.Site{}, refused
	}
	if err != nil {
		if s.d.IsUnique(err) {
			return fleet.Site{}, fleet.Errorf(fleet.ECONFLICT, "Bitte erneut versuchen.", "Please try again.")
		}
		return fleet.Site{}, fmt.Errorf("enrol: %w", err)
	}
	st, err := s.siteFrom(ctx, tx, id)
	if err != nil {
		return fleet.Site{}, err
	}
	// The site's earlier token is void on every replica.
	announce, err := s.notify(ctx, tx, []fleet.Notice{{TokenSiteID: id}})
	if err != nil {
		return fleet.Site{}, fmt.Errorf("enrol: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fleet.Site{}, fmt.Errorf("enrol: %w", err)
	}
	announce()
	return st, nil
}

func (s *Store) siteFrom(ctx context.Context, db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string) (fleet.Site, error) {
	st, err := scanSite(db.QueryRowContext(ctx, s.q(`SELECT `+siteColumns+` FROM sites s WHERE s.id = ?`), id))
	if isNoRows(err) {
		return fleet.Site{}, siteNotFound(id)
	}
	if err != nil {
		return fleet.Site{}, fmt.Errorf("read site %s: %w", id, err)
	}
	return st, nil
}

// SiteByToken returns the site holding the token.
func (s *Store) SiteByToken(ctx context.Context, tokenHash string) (fleet.Site, error) {
	st, err := scanSite(s.R.QueryRowContext(ctx, s.q(`SELECT `+siteColumns+` FROM sites s WHERE s.token_hash = ?`), tokenHash))
	if isNoRows(err) || tokenHash == "" {
		return fleet.Site{}, fleet.Errorf(fleet.EUNAUTHORIZED,
			"Der Standort-Schlüssel ist ungültig oder wurde zurückgezogen. Bitte den Standort mit einem neuen Anmeldecode neu anmelden.",
			"The site token is invalid or has been revoked. Please enrol the site again with a new enrolment code.")
	}
	if err != nil {
		return fleet.Site{}, fmt.Errorf("read site by token: %w", err)
	}
	return st, nil
}

// RevokeToken revokes the site's token at once.
func (s *Store) RevokeToken(ctx context.Context, siteID string, at time.Time) error {
	return s.siteChange(ctx, siteID, func(tx *sql.Tx) (sql.Result, error) {
		return s.exec(ctx, tx, `UPDATE sites SET token_hash = NULL, revoked_at = ? WHERE id = ?`, s.t(at), siteID)
	})
}

// phoneDigits returns the digits of a query that looks like a phone
// number (at least 5 digits, nothing but digits, blanks and + - / ( ) .),
// else "".
func phoneDigits(q string) string {
	var b strings.Builder
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune(" +-/().", r):
		default:
			return ""
		}
	}
	if b.Len() < 5 {
		return ""
	}
	return b.String()
}

// stripPhone is SQL that removes the separators of phone numbers from col.
func stripPhone(col string) string {
	for _, sep := range []string{" ", "-", "/", "(", ")", "."} {
		col = "REPLACE(" + col + ", '" + sep + "', '')"
	}
	return col
}
