// Package binder makes the paper binder (Notfallmappe): everything the
// pharmacy needs when every screen is dark, on paper. It holds the phone
// tree and the contacts, the recovery checklists, the priority patients,
// the most-sold articles with price and statutory co-payment, the
// certificate dates and the emergency-duty rota, with the date on every
// page.
//
// The Generator builds it from the downtime copy, the sales journal, the
// runbook and the certificate calendar, renders it as PDF (pdfdoc, no
// browser needed) and as a print view (HTML), and writes the PDF every day
// at a local time and on demand into the configured folders (a USB stick,
// a share on a second PC), each file written atomically (temp, fsync,
// rename). Every binder that holds patient data is logged with who, when,
// why and where it went.
package binder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/lifeline-project/lifeline/internal/certcal"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/pharma"
	"github.com/lifeline-project/lifeline/internal/runbook"
)

// Mirror is what the binder reads from the downtime copy (mirror.Reader
// has it all).
type Mirror interface {
	Contacts(ctx context.Context) ([]mirror.Contact, error)
	Patients(ctx context.Context) ([]mirror.Patient, error)
	Article(ctx context.Context, pzn pharma.PZN) (mirror.Article, error)
	DutyShifts(ctx context.Context, from, to time.Time) ([]mirror.DutyShift, error)
	Status(ctx context.Context) ([]mirror.Status, error)
}

// Sold is how often an article was sold.
type Sold struct {
	PZN string
	Qty int
}

// Sales tells which articles sell most.
type Sales interface {
	// TopSellers returns at most n articles, most sold first.
	TopSellers(ctx context.Context, n int) ([]Sold, error)
}

// Options configure a Generator.
type Options struct {
	Site   string
	Config incident.BinderConfig
	// Patients puts the priority patients into the binder.
	Patients bool
	// DataDir receives the site's own copy (<DataDir>/notfallmappe).
	DataDir string
	// Mirror, Sales, Runbook and Calendar are the sources; each may be nil
	// (the binder then says what is missing).
	Mirror   Mirror
	Sales    Sales
	Runbook  *runbook.Book
	Calendar *certcal.Calendar
	Log      LogStore
	Location *time.Location
	Clock    clock.Clock
	Logger   *slog.Logger
	// DutyDays is how far ahead the duty rota is listed (default 14).
	DutyDays int
	// Lang is the binder's language: "de" (default) or "en".
	Lang string
}

// Article is one line of the article list.
type Article struct {
	Rank int
	PZN  string
	Name string
	// Pack is the pack size and norm size: "100 St N3".
	Pack string
	Form string
	Rx   bool
	AVP  mirror.Cents
	// Copay and Mehrkosten are what an adult GKV patient pays for one
	// pack on a prescription (only for prescription drugs; HasCopay).
	HasCopay   bool
	Copay      decimal.Decimal
	Mehrkosten decimal.Decimal
	Exempt     bool
	Sold       int
}

// Binder is the content of one paper binder.
type Binder struct {
	Site      string
	Generated time.Time
	Location  *time.Location
	PhoneTree []incident.PhoneTreeEntry
	Contacts  []mirror.Contact
	// Checklists are in recovery order.
	Checklists []runbook.Checklist
	// Patients are listed only when configured; PatientsIncluded says so.
	Patients         []mirror.Patient
	PatientsIncluded bool
	Articles         []Article
	Certificates     []certcal.Status
	Duty             []mirror.DutyShift
	DutyUntil        time.Time
	// Stand says how current each data set of the copy is.
	Stand []check.Text
	// Missing lists what could not be included, in words.
	Missing []check.Text
}

// Generator builds and writes binders.
type Generator struct {
	o   Options
	loc *time.Location
	clk clock.Clock
	log *slog.Logger
}

// New returns a generator.
func New(o Options) (*Generator, error) {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Config.Articles <= 0 {
		o.Config.Articles = incident.DefaultArticles
	}
	if o.Config.Keep <= 0 {
		o.Config.Keep = incident.DefaultBinderKeep
	}
	if o.DutyDays <= 0 {
		o.DutyDays = 14
	}
	if o.Log == nil {
		return nil, errors.New("binder: no log store (every binder with patient data must be logged)")
	}
	return &Generator{o: o, loc: o.Location, clk: o.Clock, log: o.Logger}, nil
}

// Location returns the site's zone.
func (g *Generator) Location() *time.Location { return g.loc }

// Build gathers the binder's content now. Sources that fail leave their
// part out and name it in Missing: a binder with the contacts but without
// the articles is better than none.
func (g *Generator) Build(ctx context.Context) Binder {
	now := g.clk.Now()
	b := Binder{Site: g.o.Site, Generated: now, Location: g.loc, PhoneTree: g.o.Config.PhoneTree}
	miss := func(de, en string, err error) {
		if err != nil {
			g.log.Warn("binder: part missing", "part", en, "err", err)
		}
		b.Missing = append(b.Missing, check.Msg(de, en))
	}
	if g.o.Runbook != nil {
		b.Checklists = g.o.Runbook.Checklists(ctx)
	} else {
		b.Checklists = runbook.Defaults()
	}
	if g.o.Calendar != nil {
		b.Certificates = g.o.Calendar.Statuses()
	}
	if g.o.Mirror == nil {
		miss("Downtime-Kopie nicht eingerichtet: keine Kontakte, Vorrang-Patienten, Artikel und Notdienste.",
			"Downtime copy not set up: no contacts, priority patients, articles or duty rota.", nil)
		return b
	}
	var err error
	if b.Contacts, err = g.o.Mirror.Contacts(ctx); err != nil {
		miss("Kontakte nicht lesbar.", "Contacts not readable.", err)
	}
	sort.SliceStable(b.Contacts, func(i, j int) bool { return kindRank(b.Contacts[i].Kind) < kindRank(b.Contacts[j].Kind) })
	if g.o.Patients {
		if b.Patients, err = g.o.Mirror.Patients(ctx); err != nil {
			miss("Vorrang-Patienten nicht lesbar (Schlüssel der Downtime-Kopie fehlt oder passt nicht).",
				"Priority patients not readable (the downtime copy's key is missing or wrong).", err)
		} else {
			b.PatientsIncluded = true
		}
	}
	y, m, d := now.In(g.loc).Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, g.loc)
	b.DutyUntil = time.Date(y, m, d+g.o.DutyDays, 0, 0, 0, 0, g.loc)
	if b.Duty, err = g.o.Mirror.DutyShifts(ctx, from, b.DutyUntil); err != nil {
		miss("Notdienstplan nicht lesbar.", "Duty rota not readable.", err)
	}
	if states, err := g.o.Mirror.Status(ctx); err == nil {
		for _, s := range states {
			if !s.SyncedAt.IsZero() {
				b.Stand = append(b.Stand, mirror.StandLine(s, now, g.loc))
			}
		}
	}
	b.Articles = g.articles(ctx, &b)
	return b
}

func kindRank(k mirror.ContactKind) int {
	for i, x := range mirror.ContactKinds {
		if x == k {
			return i
		}
	}
	return len(mirror.ContactKinds)
}

// articles lists the most-sold articles with price and co-payment.
func (g *Generator) articles(ctx context.Context, b *Binder) []Article {
	n := g.o.Config.Articles
	if g.o.Sales == nil {
		b.Missing = append(b.Missing, check.Msg("Keine Verkaufszahlen: die Liste der meistverkauften Artikel fehlt.",
			"No sales figures: the list of most-sold articles is missing."))
		return nil
	}
	sold, err := g.o.Sales.TopSellers(ctx, n)
	if err != nil {
		g.log.Warn("binder: sales not readable", "err", err)
		b.Missing = append(b.Missing, check.Msg("Verkaufszahlen nicht lesbar: die Artikelliste fehlt.", "Sales figures not readable: the article list is missing."))
		return nil
	}
	var out []Article
	unknown := 0
	for _, s := range sold {
		if len(out) >= n {
			break
		}
		p, err := pharma.ParsePZN(s.PZN)
		if err != nil {
			unknown++
			continue
		}
		a, err := g.o.Mirror.Article(ctx, p)
		if err != nil {
			unknown++
			continue
		}
		line := Article{Rank: len(out) + 1, PZN: string(a.PZN), Name: a.Name, Form: a.Form, Rx: a.Rx, AVP: a.AVP,
			Exempt: a.CopayExempt, Sold: s.Qty, Pack: strings.TrimSpace(a.PackSize + " " + string(a.NormSize))}
		if a.Rx {
			in := pharma.CopayInput{Price: a.AVP.Decimal(), ArticleExempt: a.CopayExempt, Kind: pharma.KindGKV}
			if a.HasFestbetrag {
				fb := a.Festbetrag.Decimal()
				in.Festbetrag = &fb
			}
			if res, err := pharma.Copay(in); err == nil {
				line.HasCopay, line.Copay, line.Mehrkosten = true, res.Copay, res.Mehrkosten
			}
		}
		out = append(out, line)
	}
	if unknown > 0 {
		b.Missing = append(b.Missing, check.Msg(fmt.Sprintf("%d verkaufte Artikel fehlen in der Downtime-Kopie und stehen nicht in der Liste.", unknown),
			fmt.Sprintf("%d sold articles are missing from the downtime copy and are not listed.", unknown)))
	}
	return out
}

// Euro formats an amount for the binder: "12,34 €".
func Euro(d decimal.Decimal) string { return pharma.FormatEuro(d) }
