// Package mirrorsite wires the downtime copy for "lifeline site": it loads
// the data key, opens <data_dir>/mirror.db, builds one source per configured
// data set (the single place where source kinds are chosen) and the syncer,
// and hands out the prober, the HTTP handlers and the read side.
package mirrorsite

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/csvsource"
	"github.com/lifeline-project/lifeline/internal/mirror/feed"
	"github.com/lifeline-project/lifeline/internal/mirror/mdsource"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrorhttp"
	"github.com/lifeline-project/lifeline/internal/seal"
)

// DefaultKeyFile is the key file's name in the data folder when the
// configuration names none: the site's one data key file, shared with the
// other holders of personal data (siteapp.KeyFile).
const DefaultKeyFile = "lifeline.key"

// Options are what the site gives the downtime copy.
type Options struct {
	// Config is the mirror section, defaults applied and validated.
	Config  mirror.Config
	DataDir string
	Clock   clock.Clock
	Logger  *slog.Logger
	// HTTPClient fetches feeds; nil means one with a 30 s timeout.
	HTTPClient *http.Client
	// Getenv reads LIFELINE_DATA_KEY; nil means os.Getenv.
	Getenv func(string) string
	// Keys, when set, is the site's data keyring, used as is; the key file
	// (or LIFELINE_DATA_KEY) is then read only to reload the keyring after
	// "lifeline mirror rekey" rotated it. Nil: Open loads it.
	Keys *seal.Keyring
}

// Node is the running downtime copy of a site.
type Node struct {
	DB     *mirrordb.DB
	Syncer *mirror.Syncer
	// KeyErr is why personal data is unavailable (key file refused,
	// unreadable), or nil.
	KeyErr error

	cfg mirror.Config
	loc *time.Location
	o   Options
}

// KeyFile returns the key file path for a config and data folder.
func KeyFile(cfg mirror.Config, dataDir string) string {
	if cfg.KeyFile != "" {
		return cfg.KeyFile
	}
	return filepath.Join(dataDir, DefaultKeyFile)
}

// Open loads the key, opens the database and builds the syncer. A key
// that cannot be loaded does not stop the copy: prices and contacts keep
// working, personal data reports the problem (Node.KeyErr, EKEY).
func Open(ctx context.Context, o Options) (*Node, error) {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	loc, err := o.Config.Location()
	if err != nil {
		return nil, err
	}
	at, err := mirror.ParseTimeOfDay(o.Config.FullSyncAt)
	if err != nil {
		return nil, fmt.Errorf("mirror.full_sync_at: %w", err)
	}
	keyOpts := seal.Options{File: KeyFile(o.Config, o.DataDir), Getenv: o.Getenv}
	kr, keyErr := o.Keys, error(nil)
	if kr == nil {
		var origin seal.Origin
		kr, origin, keyErr = seal.Load(keyOpts)
		if keyErr != nil {
			o.Logger.Error("mirror: data key not available; personal data of the downtime copy is unavailable", "err", keyErr)
			kr = nil
		} else if origin == seal.Created {
			o.Logger.Warn("mirror: new data key created; back it up apart from the data", "file", keyOpts.File)
		}
	}
	db, err := mirrordb.Open(ctx, filepath.Join(o.DataDir, mirrordb.FileName), kr, o.Logger, mirrordb.Options{
		LoadKey: func() (*seal.Keyring, error) {
			kr, _, err := seal.Load(keyOpts)
			return kr, err
		},
	})
	if err != nil {
		return nil, err
	}
	jobs, err := Jobs(o.Config, loc, o.HTTPClient)
	if err != nil {
		db.Close()
		return nil, err
	}
	s := mirror.NewSyncer(db, jobs, mirror.SyncOptions{
		Interval: o.Config.Interval.D(), FullAt: at, Location: loc, Clock: o.Clock, Logger: o.Logger,
	})
	return &Node{DB: db, Syncer: s, KeyErr: keyErr, cfg: o.Config, loc: loc, o: o}, nil
}

// Jobs builds one source per configured data set: the only place that
// chooses an adapter by kind.
func Jobs(cfg mirror.Config, loc *time.Location, client *http.Client) ([]mirror.Job, error) {
	var jobs []mirror.Job
	for i, sc := range cfg.Sources {
		ds, err := mirror.ParseDataset(sc.Dataset)
		if err != nil {
			return nil, fmt.Errorf("mirror.sources[%d]: %w", i, err)
		}
		var src mirror.Source
		switch sc.Kind {
		case mirror.SourceCSV:
			src, err = csvsource.New(ds, sc.File, loc)
		case mirror.SourceMarkdown:
			src = mdsource.New(sc.File)
		case mirror.SourceFeed:
			src, err = feed.New(feed.Options{Dataset: ds, URL: sc.URL, Token: sc.Token, Client: client, Location: loc})
		default:
			err = fmt.Errorf("kind %q unknown", sc.Kind)
		}
		if err != nil {
			return nil, fmt.Errorf("mirror.sources[%d]: %w", i, err)
		}
		jobs = append(jobs, mirror.Job{Source: src, MaxAge: sc.MaxAge.D()})
	}
	return jobs, nil
}

// Run keeps the copy current until ctx ends.
func (n *Node) Run(ctx context.Context) error { return n.Syncer.Run(ctx) }

// Prober is the freshness check ("Preisdaten 3 Stunden alt").
func (n *Node) Prober() check.Prober { return n.Syncer.Prober(n.cfg.MaxAge.D()) }

// Location returns the zone for freshness lines and the duty rota.
func (n *Node) Location() *time.Location { return n.loc }

// ArticleHandler serves GET /api/v1/articles/{pzn}; mount it behind
// authentication.
func (n *Node) ArticleHandler() http.Handler {
	return mirrorhttp.Article(n.DB, mirrorhttp.Options{Logger: n.o.Logger, Clock: n.o.Clock, Location: n.loc})
}

// SearchHandler serves GET /api/v1/articles?q=; mount it behind
// authentication.
func (n *Node) SearchHandler() http.Handler {
	return mirrorhttp.Search(n.DB, mirrorhttp.Options{Logger: n.o.Logger, Clock: n.o.Clock, Location: n.loc})
}

// StandLines returns a freshness line per data set with data, for the
// dashboard and print-outs ("Preisdaten Stand: heute 09:41").
func (n *Node) StandLines(ctx context.Context) ([]check.Text, error) {
	states, err := n.DB.Status(ctx)
	if err != nil {
		return nil, err
	}
	now := n.o.Clock.Now()
	var out []check.Text
	for _, s := range states {
		if s.SyncedAt.IsZero() {
			continue
		}
		out = append(out, mirror.StandLine(s, now, n.loc))
	}
	return out, nil
}

// Close closes the database.
func (n *Node) Close() error { return n.DB.Close() }
