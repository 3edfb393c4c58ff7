// Package postgres is the fleet store for several stateless fleet replicas
// behind a load balancer: PostgreSQL through pgx (database/sql interface).
// The queries are shared with the SQLite backend (fleet/sqlstore); this
// package owns the schema (embedded numbered migrations, applied under an
// advisory lock so that replicas starting together do not collide), the
// planner lock (pg_try_advisory_lock on a dedicated connection, so that one
// replica at a time advances rollouts) and the command notifications
// (NOTIFY inside the enqueuing transaction, LISTEN on a dedicated
// connection), which wake the long-polls of sites connected to any replica.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options adjust Open.
type Options struct {
	// Schema, when set, is created when missing and used as the search
	// path of every connection (tests use a random schema per run).
	Schema string
	// MaxConns bounds the pool (default 16).
	MaxConns int
	// Log receives listener reconnects; nil discards.
	Log *slog.Logger
}

// Store is the PostgreSQL fleet store.
type Store struct {
	*sqlstore.Store
	cfg     *pgx.ConnConfig
	log     *slog.Logger
	lockKey int64
	channel string
}

var _ fleet.Store = (*Store)(nil)

var schemaRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to the database at dsn and applies every pending migration.
func Open(ctx context.Context, dsn string, o Options) (*Store, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("fleet database: the dsn is not a PostgreSQL connection string: %w", err)
	}
	schema := o.Schema
	if schema != "" {
		if !schemaRE.MatchString(schema) {
			return nil, fmt.Errorf("fleet database: schema %q may only contain a-z, 0-9 and _", schema)
		}
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		_, err = c.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+schema)
		c.Close(ctx)
		if err != nil {
			return nil, fmt.Errorf("create schema %s: %w", schema, err)
		}
		cfg.RuntimeParams["search_path"] = schema
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(o.MaxConns)
	db.SetMaxIdleConns(o.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if schema == "" {
		if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			db.Close()
			return nil, fmt.Errorf("read the current schema: %w", err)
		}
	}
	s := &Store{cfg: cfg, log: o.Log, lockKey: key("lifeline fleet planner " + schema), channel: fmt.Sprintf("lifeline_cmd_%x", uint64(key(schema)))}
	migLock := fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d)`, key("lifeline fleet migrations "+schema))
	if err := sqlstore.Migrate(ctx, db, migrations, "migrations", true, migLock); err != nil {
		db.Close()
		return nil, fmt.Errorf("fleet database: %w", err)
	}
	d := sqlstore.Dialect{
		Name:     "postgres",
		Numbered: true,
		IsUnique: func(err error) bool {
			var pe *pgconn.PgError
			return errors.As(err, &pe) && pe.Code == "23505"
		},
		NotifyTx: func(ctx context.Context, tx *sql.Tx, payloads []string) error {
			_, err := tx.ExecContext(ctx, `SELECT pg_notify($1, x) FROM unnest($2::text[]) AS x`, s.channel, payloads)
			return err
		},
		SaveSeen: saveSeen,
	}
	s.Store = sqlstore.New(db, db, d)
	return s, nil
}

// saveSeen writes the last-seen times of many sites in one statement.
func saveSeen(ctx context.Context, tx *sql.Tx, seen []fleet.Seen) error {
	ids := make([]string, len(seen))
	at := make([]time.Time, len(seen))
	sent := make([]*time.Time, len(seen))
	for i, x := range seen {
		ids[i], at[i] = x.SiteID, x.At.UTC().Truncate(time.Microsecond)
		if !x.SentAt.IsZero() {
			v := x.SentAt.UTC().Truncate(time.Microsecond)
			sent[i] = &v
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE heartbeats AS h SET received_at = u.at, sent_at = u.sent
		FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS u(id, at, sent)
		WHERE h.site_id = u.id AND h.received_at < u.at`, ids, at, sent)
	return err
}

// key hashes a name into an advisory lock key.
func key(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// Close closes the pool.
func (s *Store) Close() error { return s.W.Close() }

// DropSchema drops the schema with everything in it (tests).
func DropSchema(ctx context.Context, dsn, schema string) error {
	if !schemaRE.MatchString(schema) {
		return fmt.Errorf("schema %q may only contain a-z, 0-9 and _", schema)
	}
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
		return fmt.Errorf("drop schema %s: %w", schema, err)
	}
	return nil
}

// TryPlannerLock takes the planner's advisory lock on a dedicated
// connection when no other replica holds it.
func (s *Store) TryPlannerLock(ctx context.Context) (func(), bool, error) {
	conn, err := s.W.Conn(ctx)
	if err != nil {
		return func() {}, false, fmt.Errorf("planner lock: %w", err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, s.lockKey).Scan(&ok); err != nil {
		conn.Close()
		return func() {}, false, fmt.Errorf("planner lock: %w", err)
	}
	if !ok {
		conn.Close()
		return func() {}, false, nil
	}
	done := false
	return func() {
		if done {
			return
		}
		done = true
		uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(uctx, `SELECT pg_advisory_unlock($1)`, s.lockKey); err != nil {
			// Closing a broken connection ends its session and the lock.
			_ = conn.Raw(func(dc any) error { return dc.(*stdlib.Conn).Close() })
		}
		conn.Close()
	}, true, nil
}

// Listen LISTENs for notices (commands enqueued, broadcasts sent) on a
// dedicated connection and calls fn with each until ctx ends; a broken
// connection is re-opened after a pause, and fn then receives a Resync
// notice, since notifications sent meanwhile are lost.
func (s *Store) Listen(ctx context.Context, fn func(fleet.Notice)) error {
	c, err := s.listenConn(ctx)
	if err != nil {
		return err
	}
	go func() {
		for {
			n, err := c.WaitForNotification(ctx)
			if err == nil {
				fn(sqlstore.ParseNotice(n.Payload))
				continue
			}
			c.Close(context.Background())
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("fleet: command listener lost its connection; reconnecting", "err", err)
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(2 * time.Second):
				}
				if c, err = s.listenConn(ctx); err == nil {
					break
				}
			}
			fn(fleet.Notice{Resync: true})
		}
	}()
	return nil
}

func (s *Store) listenConn(ctx context.Context) (*pgx.Conn, error) {
	c, err := pgx.ConnectConfig(ctx, s.cfg.Copy())
	if err != nil {
		return nil, fmt.Errorf("listen: connect to PostgreSQL: %w", err)
	}
	if _, err := c.Exec(ctx, `LISTEN `+s.channel); err != nil {
		c.Close(context.Background())
		return nil, fmt.Errorf("listen: %w", err)
	}
	return c, nil
}
