package siteapp

import (
	"context"
	"fmt"
	"net/http"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/counter/counterweb"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/journal/httpapi"
	"github.com/lifeline-project/lifeline/internal/pharma"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
	"github.com/lifeline-project/lifeline/internal/web"
)

// openCounter builds the emergency mode at the counter: it opens the
// offline sales journal (when the journal section is complete), builds the
// counter service over the site database, the downtime copy and the data
// key, and mounts its pages, API, banners and navigation on the web server.
// A missing journal, copy or key does not stop the site: the pages say
// what is missing, and everything else keeps working.
func (a *App) openCounter(ctx context.Context, o Options) error {
	cfg := a.Config
	var j *journal.Journal
	if ps := cfg.Journal.Validate(); len(ps) > 0 {
		a.Log.Warn("counter: sales journal not set up; booking at the counter is unavailable until the journal section is complete",
			"problem", ps[0].Error())
	} else {
		var err error
		if j, err = journal.Open(cfg.Journal, a.Log, o.Clock); err != nil {
			return fmt.Errorf("open the sales journal: %w", err)
		}
	}
	specs := append(append([]check.Spec{}, cfg.Checks...), o.ExtraChecks...)
	opts := counter.Options{
		Config: cfg.Counter, Checks: specs, Store: sqlite.NewCounterStore(a.DB), Keys: a.Keys,
		Status: a.Monitor.Overview, SiteName: cfg.SiteName, Location: cfg.Location(),
		Clock: o.Clock, Logger: a.Log,
	}
	if j != nil {
		opts.Journal = j
	}
	if a.Mirror != nil {
		opts.Articles = a.Mirror.DB
	} else {
		a.Log.Warn("counter: no downtime copy; price lookups at the counter are unavailable")
	}
	if a.Keys == nil {
		a.Log.Warn("counter: no data key; the E-Rezept queue is unavailable")
	}
	svc, err := counter.New(ctx, opts)
	if err != nil {
		if j != nil {
			j.Close()
		}
		return err
	}
	h, err := counterweb.New(svc, a.Web, a.Log)
	if err != nil {
		svc.Close()
		if j != nil {
			j.Close()
		}
		return err
	}
	h.Mount()
	if j != nil {
		// The sales API for tills and scripts: POST /api/v1/sales with an
		// Idempotency-Key, GET /api/v1/sales?since=N.
		api, err := httpapi.New(j, httpapi.Options{
			Staff: func(r *http.Request) string {
				if p, ok := web.User(r); ok {
					return p.Name
				}
				return ""
			},
			CheckPZN: func(s string) error { _, err := pharma.ParsePZN(s); return err },
			Logger:   a.Log, Clock: o.Clock,
		})
		if err != nil {
			svc.Close()
			j.Close()
			return err
		}
		a.Web.HandleAPI("POST /api/v1/sales", auth.RoleStaff, api.Post())
		a.Web.HandleAPI("GET /api/v1/sales", auth.RoleViewer, api.List())
	}
	a.Counter, a.Journal = svc, j
	return nil
}
