// Package sqlstore is the database/sql implementation of fleet.Store that
// the SQLite and PostgreSQL backends share. The queries are written once,
// with ? placeholders, in SQL both databases understand (ON CONFLICT,
// RETURNING, partial indexes); a Dialect supplies what differs: placeholder
// style, how times are passed, how a unique violation looks, and how
// commands are announced to listeners. The backends (fleet/sqlite,
// fleet/postgres) own their schema migrations, the planner lock and the
// listener.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

// Dialect is what differs between the databases.
type Dialect struct {
	// Name is "sqlite" or "postgres" (for messages).
	Name string
	// Numbered placeholders ($1, $2, ...) instead of ?.
	Numbered bool
	// TextTimes stores times as RFC 3339 text (SQLite) instead of passing
	// time.Time (PostgreSQL timestamptz).
	TextTimes bool
	// IsUnique reports whether err is a unique or primary key violation.
	IsUnique func(err error) bool
	// NotifyTx announces, inside the transaction that enqueues commands or
	// stores a broadcast, the notices' payloads (NoticePayload;
	// PostgreSQL: pg_notify). May be nil.
	NotifyTx func(ctx context.Context, tx *sql.Tx, payloads []string) error
	// SaveSeen, when set, writes the last-seen times of many sites in one
	// statement (PostgreSQL: UPDATE ... FROM unnest); else one UPDATE per
	// site in the transaction.
	SaveSeen func(ctx context.Context, tx *sql.Tx, seen []fleet.Seen) error
}

// Store implements fleet.Store over database/sql. Writes go through W,
// reads through R (the same pool for PostgreSQL; for SQLite one writer
// connection and a reader pool).
type Store struct {
	W, R *sql.DB
	d    Dialect

	rebound sync.Map // query -> rebound query

	mu        sync.Mutex
	listeners []func(fleet.Notice)
}

// New returns a Store over the pools with the dialect.
func New(w, r *sql.DB, d Dialect) *Store {
	return &Store{W: w, R: r, d: d}
}

// AddListener registers fn to be called with each notice of this Store
// (sites with new commands, new broadcasts), after the commit (the
// in-process notification of a single-process backend).
func (s *Store) AddListener(fn func(fleet.Notice)) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, fn)
	idx := len(s.listeners) - 1
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.listeners[idx] = nil
	}
}

func (s *Store) notifyLocal(ns []fleet.Notice) {
	s.mu.Lock()
	ls := append([]func(fleet.Notice){}, s.listeners...)
	s.mu.Unlock()
	for _, fn := range ls {
		if fn == nil {
			continue
		}
		for _, n := range ns {
			fn(n)
		}
	}
}

// notify announces notices inside tx (other replicas, after the commit)
// and returns a function that announces them in this process; call it
// after the commit.
func (s *Store) notify(ctx context.Context, tx *sql.Tx, ns []fleet.Notice) (func(), error) {
	if len(ns) == 0 {
		return func() {}, nil
	}
	if s.d.NotifyTx != nil {
		ps := make([]string, len(ns))
		for i, n := range ns {
			ps[i] = NoticePayload(n)
		}
		if err := s.d.NotifyTx(ctx, tx, ps); err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
	}
	return func() { s.notifyLocal(ns) }, nil
}

// NoticePayload encodes a notice for a notification channel: the site id
// ("apo-1"), "b:" and a broadcast id, or "t:" and the id of a site whose
// token or record changed. Site ids never contain a colon.
func NoticePayload(n fleet.Notice) string {
	switch {
	case n.BroadcastID != 0:
		return "b:" + strconv.FormatInt(n.BroadcastID, 10)
	case n.TokenSiteID != "":
		return "t:" + n.TokenSiteID
	}
	return n.SiteID
}

// ParseNotice decodes a payload of NoticePayload.
func ParseNotice(p string) fleet.Notice {
	if rest, ok := strings.CutPrefix(p, "b:"); ok {
		if id, err := strconv.ParseInt(rest, 10, 64); err == nil {
			return fleet.Notice{BroadcastID: id}
		}
	}
	if rest, ok := strings.CutPrefix(p, "t:"); ok {
		return fleet.Notice{TokenSiteID: rest}
	}
	return fleet.Notice{SiteID: p}
}

// q rewrites ? placeholders for the dialect; the result is cached.
func (s *Store) q(query string) string {
	if !s.d.Numbered {
		return query
	}
	if v, ok := s.rebound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	out := b.String()
	s.rebound.Store(query, out)
	return out
}

// t converts a time for a query argument: NULL for the zero time. Times
// are kept to the microsecond (PostgreSQL's resolution) on every backend.
func (s *Store) t(v time.Time) any {
	if v.IsZero() {
		return nil
	}
	v = v.UTC().Truncate(time.Microsecond)
	if s.d.TextTimes {
		return v.Format("2006-01-02T15:04:05.000000Z")
	}
	return v
}

// nt scans a nullable time written by t, from text or a time value.
type nt struct{ T time.Time }

// Scan implements sql.Scanner.
func (n *nt) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		n.T = time.Time{}
	case time.Time:
		n.T = v.UTC()
	case string:
		return n.parse(v)
	case []byte:
		return n.parse(string(v))
	default:
		return fmt.Errorf("scan time from %T", src)
	}
	return nil
}

func (n *nt) parse(v string) error {
	if v == "" {
		n.T = time.Time{}
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("scan time %q: %w", v, err)
	}
	n.T = t.UTC()
	return nil
}

var _ sql.Scanner = (*nt)(nil)
var _ driver.Valuer = (*nullString)(nil)

// nullString passes "" as NULL (for unique columns that may be empty).
type nullString string

// Value implements driver.Valuer.
func (n nullString) Value() (driver.Value, error) {
	if n == "" {
		return nil, nil
	}
	return string(n), nil
}

type rowScanner interface{ Scan(dest ...any) error }

func (s *Store) exec(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, query string, args ...any) (sql.Result, error) {
	return db.ExecContext(ctx, s.q(query), args...)
}

// affected returns the rows affected by res.
func affected(res sql.Result) (int64, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("rows affected: %w", err)
	}
	return n, nil
}

// isNoRows reports whether err is sql.ErrNoRows.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func clampLimit(limit, def, max int) int {
	if limit <= 0 {
		return def
	}
	if limit > max {
		return max
	}
	return limit
}
