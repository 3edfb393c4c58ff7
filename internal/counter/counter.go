// Package counter is the emergency mode at the counter (Notbetrieb): the
// switch that turns it on and off, recorded with who, when and why; price
// and co-payment lookups from the downtime copy; the basket and its booking
// into the offline sales journal; the receipt; the queue of E-Rezept tokens
// scanned while the TI is down, sealed at rest; and the hand-over of the
// offline sales to the ERP once it is back (package reconcile).
//
// This package holds the domain and the service. Its web pages live in
// counterweb, its storage in internal/store/sqlite (migration 0003), the
// demo scenario in counterdemo.
//
// A sale is booked only while emergency mode is on: the journal collects
// what the ERP cannot, and nothing that the ERP books itself. Each basket
// carries an idempotency key made when its first article is scanned; a
// second "Buchen" of the same basket (a double click, a reload, the back
// button) returns the first booking instead of booking twice.
package counter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/pharma"
	"github.com/lifeline-project/lifeline/internal/seal"
)

// Journal is what the counter needs of the offline sales journal;
// *journal.Journal has it.
type Journal interface {
	// Append records a sale durably; see journal.Journal.Append.
	Append(ctx context.Context, s journal.Sale) (journal.Entry, bool, error)
	// Get returns one entry; EINVALID when there is none.
	Get(number int64) (journal.Entry, error)
	// Since lists entries after a number.
	Since(after int64, limit int) ([]journal.Entry, error)
	// Last returns the number of the last entry, 0 when empty.
	Last() int64
}

var _ Journal = (*journal.Journal)(nil)

// Articles is what the counter reads from the downtime copy; every
// mirror.Reader (mirrordb.DB) has it.
type Articles interface {
	// Article returns the article with a PZN; ENOTFOUND when unknown.
	Article(ctx context.Context, pzn pharma.PZN) (mirror.Article, error)
	// SearchArticles finds articles by name or PZN, best first.
	SearchArticles(ctx context.Context, query string, limit int) ([]mirror.Hit, error)
	// Status returns the state of every data set.
	Status(ctx context.Context) ([]mirror.Status, error)
}

var _ Articles = mirror.Reader(nil)

// Options are the inputs of New.
type Options struct {
	// Config is the counter section, defaults applied and validated.
	Config Config
	// Checks are the site's checks (defaults applied), to resolve the
	// groups "erp" and "access".
	Checks []check.Spec
	// Store keeps the switches, sale details, E-Rezepte and access log.
	// Required.
	Store Store
	// Journal records the sales; nil: booking and hand-over are
	// unavailable and the page says how to set the journal up.
	Journal Journal
	// Articles is the downtime copy; nil: lookups are unavailable.
	Articles Articles
	// Keys seals the E-Rezept queue; nil: the queue is unavailable.
	Keys *seal.Keyring
	// Status returns the monitor's current overview. Required.
	Status func() monitor.Overview
	// SiteName is the default receipt header.
	SiteName string
	// Location is the zone times are shown in; nil means time.Local.
	Location *time.Location
	// HTTPClient talks to the ERP for the hand-over; nil: a client of its
	// own.
	HTTPClient *http.Client
	Clock      clock.Clock
	Logger     *slog.Logger
}

// Service is the counter. Its methods are safe for concurrent use.
type Service struct {
	cfg    Config
	watch  Watch
	st     Store
	j      Journal
	arts   Articles
	keys   *seal.Keyring
	status func() monitor.Overview
	site   string
	loc    *time.Location
	client *http.Client
	clk    clock.Clock
	log    *slog.Logger

	mu   sync.Mutex // guards mode
	mode Switch

	ezMu sync.Mutex // serialises E-Rezept additions (duplicate check)

	rp replayState

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New builds the counter service and loads the emergency mode's state.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Store == nil || o.Status == nil {
		return nil, errors.New("counter: store and status source are required")
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Config.ERezeptKeepDays == 0 {
		o.Config.ERezeptKeepDays = DefaultERezeptKeepDays
	}
	s := &Service{
		cfg: o.Config, watch: ResolveWatch(o.Config, o.Checks), st: o.Store, j: o.Journal, arts: o.Articles,
		keys: o.Keys, status: o.Status, site: o.SiteName, loc: o.Location, client: o.HTTPClient,
		clk: o.Clock, log: o.Logger,
	}
	sw, _, err := s.st.LastSwitch(ctx)
	if err != nil {
		return nil, wrapErr(EINTERNAL, err, "Zustand des Notbetriebs nicht lesbar.", "cannot read the emergency mode's state")
	}
	s.mode = sw
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.loadReport()
	return s, nil
}

// Close stops a running hand-over (it resumes with the next run) and waits
// for it.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

// Config returns the section the service was built with.
func (s *Service) Config() Config { return s.cfg }

// Location returns the zone times are shown in.
func (s *Service) Location() *time.Location { return s.loc }

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.clk.Now() }

// HasJournal reports whether sales can be booked.
func (s *Service) HasJournal() bool { return s.j != nil }

// HasArticles reports whether the downtime copy is available.
func (s *Service) HasArticles() bool { return s.arts != nil }

// HasKeys reports whether the E-Rezept queue can seal and open data.
func (s *Service) HasKeys() bool { return s.keys != nil }

// newKey returns a new random idempotency key for a basket.
func newKey() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("counter: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return "ctr-" + hex.EncodeToString(b)
}

// NewBasketKey returns a fresh idempotency key for a basket.
func NewBasketKey() string { return newKey() }

// clockText formats t as "02:14" today, else "28.03. 23:10", in loc.
func clockText(t, now time.Time, loc *time.Location) check.Text {
	lt, ln := t.In(loc), now.In(loc)
	if lt.Year() == ln.Year() && lt.YearDay() == ln.YearDay() {
		return check.Msg(lt.Format("15:04"), lt.Format("15:04"))
	}
	return check.Msg(lt.Format("02.01. 15:04"), lt.Format("Jan 2, 15:04"))
}
