// Package counterdemo sets up the demo scenario "ERP down at the counter"
// (Warenwirtschaft fällt an der Kasse aus) on a simulated pharmacy
// (internal/sim): the simulated ERP gets a sales endpoint that books what
// the reconciler hands over (reconcile/erpsim) and an article list served
// as a feed (mirror/synth), so the site's downtime copy has prices to sell
// with.
//
// The scenario: the ERP fails (Pharmacy.Set("erp", down)); the dashboard
// offers emergency mode; staff switch it on and sell at /counter; the ERP
// comes back (Set("erp", ok)); staff switch emergency mode off and press
// "Offline-Verkäufe an die Warenwirtschaft übertragen" at /counter/replay;
// the sales appear in the simulated ERP's bookings (GET <erp>/api/sales).
package counterdemo

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/synth"
	"github.com/lifeline-project/lifeline/internal/reconcile/erpsim"
	"github.com/lifeline-project/lifeline/internal/sim"
)

// Paths on the simulated ERP server.
const (
	FeedPath   = "/feed/articles"
	ExportPath = "/export/articles.csv"
	SalesPath  = "/api/sales"
)

// Options tune Setup.
type Options struct {
	// Articles is the simulated ERP's article list when the caller serves
	// it already (the demo does, for the downtime copy); nil: Setup makes
	// one of ArticleCount articles and serves it on the ERP server.
	Articles *synth.ERP
	// ArticleCount is the size of a list Setup makes (default 2,000:
	// enough to search, quick to copy).
	ArticleCount int
	// Seed makes the list reproducible (default 1).
	Seed   uint64
	Clock  clock.Clock
	Logger *slog.Logger
}

// Scenario is the set-up scenario.
type Scenario struct {
	// Sales is the simulated ERP's sales endpoint: Bookings() shows what
	// the hand-over booked.
	Sales *erpsim.ERP
	// Articles is the simulated ERP's article list and feed.
	Articles *synth.ERP
	ph       *sim.Pharmacy
	ownFeed  bool
}

// Setup mounts the sales endpoint (and, without Options.Articles, the
// article feed) on the simulated pharmacy's ERP server. Call it once,
// before the ERP is used.
func Setup(ph *sim.Pharmacy, o Options) *Scenario {
	if o.ArticleCount <= 0 {
		o.ArticleCount = 2000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Scenario{Sales: erpsim.New(o.Clock, o.Logger), Articles: o.Articles, ph: ph}
	ph.HandleERP(SalesPath, s.Sales)
	if s.Articles == nil {
		s.Articles = synth.NewERP(synth.ERPOptions{Articles: o.ArticleCount, Seed: o.Seed, Clock: o.Clock, Logger: o.Logger})
		s.ownFeed = true
		feed := s.Articles.Handler()
		ph.HandleERP("GET "+FeedPath, feed)
		ph.HandleERP("GET "+ExportPath, feed)
	}
	return s
}

// Run changes a few prices every interval (default one minute), so the
// downtime copy visibly follows the ERP, until ctx ends. It does nothing
// for a list the caller passed in (the caller runs it).
func (s *Scenario) Run(ctx context.Context, interval time.Duration) error {
	if !s.ownFeed {
		<-ctx.Done()
		return nil
	}
	if interval <= 0 {
		interval = time.Minute
	}
	return s.Articles.Run(ctx, interval)
}

// MirrorSource is the downtime copy's source for the articles: the
// simulated ERP's feed. Put it into mirror.Config.Sources.
func (s *Scenario) MirrorSource() mirror.SourceConfig {
	return mirror.SourceConfig{Dataset: string(mirror.Articles), Kind: mirror.SourceFeed, URL: s.ph.ERPURL() + FeedPath}
}

// CounterConfig is the counter section of the demo: the ERP check offers
// emergency mode, the hand-over goes to the simulated ERP, and the receipt
// carries the demo pharmacy's header.
func (s *Scenario) CounterConfig(siteName string) counter.Config {
	return counter.Config{
		OfferWhenDown: []string{"erp"},
		Receipt: counter.ReceiptConfig{
			Header: []string{siteName, "Marktplatz 1, 12345 Musterstadt", "Tel. 01234 56789"},
			Footer: []string{"Gute Besserung!"},
		},
		Replay: counter.ReplayConfig{ERPURL: s.ph.ERPURL()},
	}
}

// JournalConfig is the journal section of the demo, with both copies in
// dataDir (a real site puts the second copy on another disk).
func JournalConfig(dataDir string) journal.Config {
	return journal.Config{
		Dir:            filepath.Join(dataDir, "journal"),
		MirrorDir:      filepath.Join(dataDir, "journal-kopie"),
		Till:           "Kasse 1",
		RegisterSerial: "DEMO-KASSE-0001",
		TSESerial:      "DEMO-TSE-0001",
	}
}

// Samples returns a few articles of the list to try at the counter: the
// first prescription-only one with a Festbetrag, the first over-the-counter
// one and the first narcotic, when the list has them.
func (s *Scenario) Samples() []mirror.Article {
	var rx, otc, btm *mirror.Article
	arts := s.Articles.Articles()
	for i := range arts {
		a := &arts[i]
		switch {
		case a.BtM && btm == nil:
			btm = a
		case a.Rx && a.HasFestbetrag && !a.CopayExempt && rx == nil:
			rx = a
		case !a.Rx && otc == nil:
			otc = a
		}
	}
	var out []mirror.Article
	for _, a := range []*mirror.Article{rx, otc, btm} {
		if a != nil {
			out = append(out, *a)
		}
	}
	return out
}

// Guide returns the scenario's steps in German, for the demo's console.
func (s *Scenario) Guide(dashboard string) string {
	g := "Szenario „Warenwirtschaft fällt an der Kasse aus“:\n" +
		"  1. Unter „Demo: Störungen auslösen“ die Warenwirtschaft ausfallen lassen.\n" +
		"  2. Das Dashboard bietet den Notbetrieb an: Menü „Notbetrieb“, „Notbetrieb einschalten“.\n" +
		"  3. PZN scannen oder tippen und Enter, Bar (F2) oder Karte (F3), Buchen (F9): der Beleg erscheint.\n" +
		"  4. Warenwirtschaft wieder einschalten, Notbetrieb ausschalten, „Offline-Verkäufe übertragen“.\n"
	if samples := s.Samples(); len(samples) > 0 {
		g += "  PZN zum Ausprobieren:"
		for _, a := range samples {
			g += fmt.Sprintf(" %s (%s)", a.PZN, a.Name)
		}
		g += "\n"
	}
	g += "  Kasse: " + dashboard + "counter   Buchungen der simulierten Warenwirtschaft: " + s.ph.ERPURL() + SalesPath + "\n"
	return g
}
