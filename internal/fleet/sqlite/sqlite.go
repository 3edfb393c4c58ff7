// Package sqlite is the fleet's default store: one SQLite file in the data
// folder, through the pure-Go modernc.org/sqlite driver, WAL mode, foreign
// keys, a busy timeout and one writer connection. The queries are shared
// with the PostgreSQL backend (fleet/sqlstore); this package owns the
// schema (embedded numbered migrations), the planner lock (in the process:
// one SQLite fleet is one process) and the command notifications (in the
// process).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite fleet store.
type Store struct {
	*sqlstore.Store
	path   string
	lockMu sync.Mutex
	locked bool
	resync chan struct{}
}

var _ fleet.Store = (*Store)(nil)

// Open opens (creating when missing) the fleet database at file and applies
// every pending migration.
func Open(ctx context.Context, file string) (*Store, error) {
	dsn := "file:" + file + "?_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open fleet database %s: %w", file, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open fleet database %s: %w", file, err)
	}
	r.SetMaxOpenConns(4)
	if err := sqlstore.Migrate(ctx, w, migrations, "migrations", false, ""); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("fleet database %s: %w", file, err)
	}
	d := sqlstore.Dialect{
		Name:      "sqlite",
		TextTimes: true,
		IsUnique: func(err error) bool {
			return err != nil && (strings.Contains(err.Error(), "UNIQUE constraint failed") ||
				strings.Contains(err.Error(), "PRIMARY KEY constraint failed"))
		},
	}
	return &Store{Store: sqlstore.New(w, r, d), path: file, resync: make(chan struct{}, 1)}, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes both pools.
func (s *Store) Close() error {
	err1 := s.R.Close()
	err2 := s.W.Close()
	if err1 != nil {
		return err1
	}
	return err2
}

// TryPlannerLock takes the in-process planner lock when free.
func (s *Store) TryPlannerLock(ctx context.Context) (func(), bool, error) {
	s.lockMu.Lock()
	defer s.lockMu.Unlock()
	if s.locked {
		return func() {}, false, nil
	}
	s.locked = true
	var once sync.Once
	return func() {
		once.Do(func() {
			s.lockMu.Lock()
			s.locked = false
			s.lockMu.Unlock()
		})
	}, true, nil
}

// Listen calls fn for every notice of this store (sites with new
// commands, new broadcasts), until ctx ends. Calls are serialised on one
// goroutine.
func (s *Store) Listen(ctx context.Context, fn func(fleet.Notice)) error {
	ch := make(chan fleet.Notice, 4096)
	remove := s.AddListener(func(n fleet.Notice) {
		select {
		case ch <- n:
		default:
			// A full buffer only delays commands (the long-poll re-reads
			// the queue on the site's next poll); a lost broadcast notice
			// is caught by the resync below.
			select {
			case s.resync <- struct{}{}:
			default:
			}
		}
	})
	go func() {
		defer remove()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-ch:
				fn(n)
			case <-s.resync:
				fn(fleet.Notice{Resync: true})
			}
		}
	}()
	return nil
}
