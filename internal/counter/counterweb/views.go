package counterweb

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

// staleAfter is the age of the price data from which the page warns.
const staleAfter = 15 * time.Minute

// counterView fills templates/counter.html.
type counterView struct {
	page
	Mode   modeView
	Stand  standView
	Notice *notice
	// Text is put back into the scan field (the scan that failed).
	Text string
	Hits []hitView
	Card *cardView
	// Basket
	Lines   []lineView
	Missing []string
	Empty   bool
	Totals  totalsView
	Hidden  []field
	Kinds   []toggle
	Minor   toggle
	Adult   toggle
	Exempt  toggle
	Cash    toggle
	Card2   toggle
	NewHref string
	// Here is this page's address, for the mode switch to come back to.
	Here       string
	CanBook    bool
	BookHint   string
	HasJournal bool
}

type modeView struct {
	Active bool
	Since  string
	By     string
	Reason string
	// Down names the watched checks that are down; Suggest is the reason
	// offered when switching on.
	Down    []string
	Suggest string
}

type standView struct {
	Line string
	Age  string
	Old  bool
	None bool
}

type hitView struct {
	PZN, Name, Pack, AVP, Rx, Href string
}

type cardView struct {
	Name, PZN, Manufacturer, Form, Pack, Norm, Rx string
	AVP, Festbetrag                               string
	HasFestbetrag, ListExempt, Statutory          bool
	Kind                                          string
	Copay, Mehrkosten, Pay, Reason                string
}

type lineView struct {
	PZN, Name, Pack                          string
	Qty                                      int
	Kind                                     string
	Kinds                                    []toggle
	UnitPrice, Price, Copay, Mehrkosten, Pay string
	HasMehrkosten, Statutory                 bool
	IncHref, DecHref, DelHref                string
	Current                                  bool
}

type totalsView struct {
	Price, Copay, Mehrkosten, Pay string
	HasMehrkosten                 bool
}

// toggle is a button-like link with its state in words (aria-pressed).
type toggle struct {
	ID, Label, Href, Key string
	Pressed              bool
}

type field struct{ Name, Value string }

// money formats an amount as pharma does everywhere: "1.234,50 €" in
// German, "€1,234.50" in English.
func money(a journal.Amount, lang string) string {
	if lang == "en" {
		return pharma.FormatEuroEN(a.Decimal())
	}
	return pharma.FormatEuro(a.Decimal())
}

func cents(c mirror.Cents, lang string) string { return money(journal.Cents(int64(c)), lang) }

func (h *Handlers) counterView(ctx context.Context, r *http.Request, b counter.Basket, hits []mirror.Hit, text string, n *notice) (counterView, error) {
	p := h.base(r)
	lang := p.Lang
	now := h.s.Now()
	v := counterView{page: p, Notice: n, Text: text, Empty: b.Empty(), NewHref: "/counter?" + actNew + "=1",
		HasJournal: h.s.HasJournal(), Here: basketURL(b, nil)}
	// Mode
	m := h.s.Mode()
	sit := h.s.Situation()
	v.Mode = modeView{Active: m.Active, By: m.By, Reason: m.Reason}
	if m.Active {
		v.Mode.Since = formatTime(m.Since, now, h.s.Location(), lang)
	}
	for _, c := range sit.Down {
		v.Mode.Down = append(v.Mode.Down, c.Name)
	}
	if len(v.Mode.Down) > 0 {
		v.Mode.Suggest = check.Msg("ausgefallen: ", "down: ").In(lang) + strings.Join(v.Mode.Down, ", ")
	}
	// Price data
	st := h.s.PriceStand(ctx)
	if age, ok := st.Age(now); ok {
		v.Stand = standView{Line: mirror.StandLine(st, now, h.s.Location()).In(lang),
			Age: check.Msg("vor ", "").In(lang) + check.AgeWords(age).In(lang) + check.Msg("", " ago").In(lang), Old: age > staleAfter}
	} else {
		v.Stand = standView{None: true, Line: check.Msg("Keine Preisdaten vorhanden", "No price data").In(lang)}
	}
	v.Hits = hitViews(hits, b, lang)
	// Basket
	priced, err := h.s.Price(ctx, b)
	if err != nil {
		return counterView{}, err
	}
	for _, m := range priced.Missing {
		v.Missing = append(v.Missing, string(m))
	}
	for _, pl := range priced.Lines {
		lv := lineView{PZN: string(pl.PZN), Name: pl.Article.Name, Pack: pl.Article.PackSize, Qty: pl.Qty,
			Kind: pl.Kind.Words().In(lang), UnitPrice: money(pl.UnitPrice, lang), Price: money(pl.Price, lang),
			Copay: money(pl.Copay, lang), Mehrkosten: money(pl.Mehrkosten, lang), Pay: money(pl.Pay, lang),
			HasMehrkosten: pl.Mehrkosten.Cmp(journal.Amount{}) > 0, Statutory: pl.Kind == counter.KindGKV,
			IncHref: basketURL(b, url.Values{actInc: {string(pl.PZN)}}),
			DecHref: basketURL(b, url.Values{actDec: {string(pl.PZN)}}),
			DelHref: basketURL(b, url.Values{actDel: {string(pl.PZN)}}),
			Current: pl.PZN == b.Last,
		}
		for _, k := range counter.Kinds() {
			lv.Kinds = append(lv.Kinds, toggle{Label: k.Words().In(lang), Pressed: k == pl.Kind,
				Href: basketURL(b, url.Values{actLine: {string(pl.PZN) + ":" + string(k)}})})
		}
		v.Lines = append(v.Lines, lv)
	}
	v.Totals = totalsView{Price: money(priced.Price, lang), Copay: money(priced.Copay, lang),
		Mehrkosten: money(priced.Mehrkosten, lang), Pay: money(priced.Pay, lang),
		HasMehrkosten: priced.Mehrkosten.Cmp(journal.Amount{}) > 0}
	// Card: the last article touched.
	if b.Last != "" {
		if a, err := h.s.Article(ctx, b.Last); err == nil {
			k := b.DefaultKind(a.Rx)
			if i := b.Find(a.PZN); i >= 0 {
				k = b.Lines[i].Kind
			}
			v.Card = card(a, k, b, lang)
		}
	}
	// Toggles
	for _, k := range counter.Kinds() {
		v.Kinds = append(v.Kinds, toggle{ID: "kind-" + string(k), Label: k.Words().In(lang), Pressed: b.Kind == k || (b.Kind == "" && k == counter.KindGKV),
			Href: basketURL(b, url.Values{actKind: {string(k)}})})
	}
	v.Adult = toggle{ID: "age-adult", Label: check.Msg("Erwachsen", "Adult").In(lang), Pressed: !b.Minor, Href: basketURL(b, url.Values{actMinor: {"0"}}), Key: "F4"}
	v.Minor = toggle{ID: "age-minor", Label: check.Msg("unter 18", "under 18").In(lang), Pressed: b.Minor, Href: basketURL(b, url.Values{actMinor: {"1"}}), Key: "F4"}
	ex := "1"
	if b.Exempt {
		ex = "0"
	}
	v.Exempt = toggle{ID: "exempt", Label: check.Msg("Befreit", "Exempt").In(lang), Pressed: b.Exempt, Href: basketURL(b, url.Values{actExempt: {ex}}), Key: "F8"}
	v.Cash = toggle{ID: "pay-cash", Label: check.Msg("Bar", "Cash").In(lang), Pressed: b.Payment == journal.PaymentCash,
		Href: basketURL(b, url.Values{actPayment: {string(journal.PaymentCash)}}), Key: "F2"}
	v.Card2 = toggle{ID: "pay-card", Label: check.Msg("Karte", "Card").In(lang), Pressed: b.Payment == journal.PaymentCard,
		Href: basketURL(b, url.Values{actPayment: {string(journal.PaymentCard)}}), Key: "F3"}
	for k, vs := range b.Values() {
		for _, x := range vs {
			v.Hidden = append(v.Hidden, field{Name: k, Value: x})
		}
	}
	sort.Slice(v.Hidden, func(i, j int) bool { return v.Hidden[i].Name < v.Hidden[j].Name })
	switch {
	case !v.HasJournal:
		v.BookHint = check.Msg("Buchen nicht möglich: Verkaufsjournal nicht eingerichtet.", "Booking impossible: sales journal not set up.").In(lang)
	case !m.Active:
		v.BookHint = check.Msg("Buchen erst nach dem Einschalten des Notbetriebs.", "Booking only once emergency mode is on.").In(lang)
	case b.Empty():
		v.BookHint = check.Msg("Erst einen Artikel scannen.", "Scan an article first.").In(lang)
	case b.Payment == "":
		v.BookHint = check.Msg("Zahlart wählen: Bar (F2) oder Karte (F3).", "Choose the payment: cash (F2) or card (F3).").In(lang)
	case len(priced.Missing) > 0:
		v.BookHint = check.Msg("Artikel ohne Preis aus dem Warenkorb nehmen.", "Remove the articles without price.").In(lang)
	default:
		v.CanBook = p.Staff
	}
	return v, nil
}

func card(a mirror.Article, k counter.Kind, b counter.Basket, lang string) *cardView {
	c := &cardView{Name: a.Name, PZN: string(a.PZN), Manufacturer: a.Manufacturer, Form: a.Form, Pack: a.PackSize,
		Norm: string(a.NormSize), Rx: counter.RxWords(a).In(lang), AVP: cents(a.AVP, lang),
		HasFestbetrag: a.HasFestbetrag, ListExempt: a.CopayExempt, Kind: k.Words().In(lang), Statutory: k == counter.KindGKV}
	if a.HasFestbetrag {
		c.Festbetrag = cents(a.Festbetrag, lang)
	}
	res, err := counter.PackCopay(a, k, b.Minor, b.Exempt)
	if err != nil {
		c.Reason = err.Error()
		return c
	}
	c.Copay, c.Mehrkosten = money(counter.Amount(res.Copay), lang), money(counter.Amount(res.Mehrkosten), lang)
	c.Pay = money(counter.Amount(res.Total), lang)
	c.Reason = check.Msg(res.Reason, res.ReasonEN).In(lang)
	if !c.Statutory {
		c.Copay, c.Mehrkosten = money(journal.Amount{}, lang), money(journal.Amount{}, lang)
	}
	return c
}

func hitViews(hits []mirror.Hit, b counter.Basket, lang string) []hitView {
	out := make([]hitView, 0, len(hits))
	for _, h := range hits {
		a := h.Article
		out = append(out, hitView{PZN: string(a.PZN), Name: a.Name, Pack: a.PackSize, AVP: cents(a.AVP, lang),
			Rx: counter.RxWords(a).In(lang), Href: basketURL(b, url.Values{actAdd: {string(a.PZN)}})})
	}
	return out
}

// formatTime shows t as "02:14" today, else "28.03.2026 23:10".
func formatTime(t, now time.Time, loc *time.Location, lang string) string {
	if t.IsZero() {
		return ""
	}
	lt, ln := t.In(loc), now.In(loc)
	if lt.Year() == ln.Year() && lt.YearDay() == ln.YearDay() {
		return lt.Format("15:04")
	}
	if lang == "en" {
		return lt.Format("2006-01-02 15:04")
	}
	return lt.Format("02.01.2006 15:04")
}
