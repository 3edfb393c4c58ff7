package synth

import (
	"context"
	"encoding/csv"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/feed"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

// ERPOptions configure the simulated ERP.
type ERPOptions struct {
	// Articles is the size of the article list (default 20,000).
	Articles int
	// Seed makes the list and the changes reproducible (default 1).
	Seed uint64
	// ChangesPerTick is how many prices one Tick changes (default 5).
	ChangesPerTick int
	// Token, when set, is required from feed clients.
	Token  string
	Clock  clock.Clock
	Logger *slog.Logger
}

// ERP is the demo's simulated pharmacy system: it holds a synthetic
// article list, serves it as a feed (GET /feed/articles) and as a CSV export
// (GET /export/articles.csv), and changes a few prices every Tick (Run
// ticks every minute), now and then delisting an article and listing a new
// one, so a user sees the downtime copy follow.
type ERP struct {
	o   ERPOptions
	log *feed.MemLog
	h   *feed.Handler

	mu   sync.Mutex
	gen  *Generator
	rng  *rand.Rand
	arts []mirror.Article
	pos  map[pharma.PZN]int

	down atomic.Bool
}

// Changes is what one Tick did.
type Changes struct {
	Changed []mirror.Article
	Added   []mirror.Article
	Deleted []pharma.PZN
}

// NewERP builds the simulated ERP.
func NewERP(o ERPOptions) *ERP {
	if o.Articles <= 0 {
		o.Articles = 20_000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.ChangesPerTick <= 0 {
		o.ChangesPerTick = 5
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	e := &ERP{
		o:   o,
		log: feed.NewMemLog(mirror.Articles, o.Clock),
		gen: NewGenerator(o.Seed),
		rng: rand.New(rand.NewPCG(o.Seed, 42)),
		pos: map[pharma.PZN]int{},
	}
	recs := make([]mirror.Record, o.Articles)
	for i := range o.Articles {
		a := e.gen.Next()
		e.pos[a.PZN] = len(e.arts)
		e.arts = append(e.arts, a)
		recs[i] = a
	}
	e.log.Put(recs...)
	e.h = feed.NewHandler(e.log, feed.HandlerOptions{Token: o.Token, Clock: o.Clock, Logger: o.Logger})
	return e
}

// Log returns the ERP's change log.
func (e *ERP) Log() *feed.MemLog { return e.log }

// SetDown makes every request fail with 503 (true) or work again (false),
// for ERP outage scenarios.
func (e *ERP) SetDown(down bool) { e.down.Store(down) }

// Down reports whether the ERP plays dead.
func (e *ERP) Down() bool { return e.down.Load() }

// Handler serves GET /feed/articles and GET /export/articles.csv.
func (e *ERP) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /feed/articles", e.h)
	mux.HandleFunc("GET /export/articles.csv", e.serveCSV)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.down.Load() {
			http.Error(w, "ERP nicht verfügbar (simulated outage)", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (e *ERP) serveCSV(w http.ResponseWriter, r *http.Request) {
	arts := e.Articles()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.Write(mirror.ArticleColumns)
	for _, a := range arts {
		cw.Write(a.CSVRecord())
	}
	cw.Flush()
}

// Articles returns a copy of the current article list.
func (e *ERP) Articles() []mirror.Article {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]mirror.Article(nil), e.arts...)
}

// Article returns the current state of an article.
func (e *ERP) Article(pzn pharma.PZN) (mirror.Article, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.pos[pzn]
	if !ok {
		return mirror.Article{}, false
	}
	return e.arts[i], true
}

// Tick changes ChangesPerTick prices by -3 % to +5 %; with a chance of one
// in four it also delists one article and lists a new one.
func (e *ERP) Tick() Changes {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ch Changes
	var recs []mirror.Record
	for range e.o.ChangesPerTick {
		if len(e.arts) == 0 {
			break
		}
		i := e.rng.IntN(len(e.arts))
		a := e.arts[i]
		f := 0.97 + e.rng.Float64()*0.08
		np := mirror.Cents(float64(a.AVP)*f + 0.5)
		if np == a.AVP {
			np++
		}
		a.AVP = np
		e.arts[i] = a
		ch.Changed = append(ch.Changed, a)
		recs = append(recs, a)
	}
	if e.rng.IntN(4) == 0 && len(e.arts) > 1 {
		i := e.rng.IntN(len(e.arts))
		gone := e.arts[i]
		last := len(e.arts) - 1
		e.arts[i] = e.arts[last]
		e.pos[e.arts[i].PZN] = i
		e.arts = e.arts[:last]
		delete(e.pos, gone.PZN)
		ch.Deleted = append(ch.Deleted, gone.PZN)

		n := e.gen.Next()
		e.pos[n.PZN] = len(e.arts)
		e.arts = append(e.arts, n)
		ch.Added = append(ch.Added, n)
		recs = append(recs, n)
	}
	e.log.Put(recs...)
	for _, p := range ch.Deleted {
		e.log.Delete(string(p))
	}
	e.log.Compact(e.o.Clock.Now().Add(-24 * time.Hour))
	return ch
}

// Run ticks every interval (default one minute, real time) until ctx ends.
func (e *ERP) Run(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			ch := e.Tick()
			e.o.Logger.Debug("sim erp: prices changed", "changed", len(ch.Changed), "added", len(ch.Added), "deleted", len(ch.Deleted))
		}
	}
}
