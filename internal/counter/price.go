package counter

import (
	"context"

	"github.com/shopspring/decimal"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

// minorAge is the age used for a patient marked "unter 18": any age below
// 18 gives the same result (Section 61 SGB V).
const minorAge = 17

// PackCopay returns what the patient pays for one pack of a under the
// given kind: the statutory co-payment and Mehrkosten with their
// explanation (pharma.Copay), or the price for private and OTC sales.
func PackCopay(a mirror.Article, k Kind, minor, exempt bool) (pharma.CopayResult, error) {
	in := pharma.CopayInput{
		Price: a.AVP.Decimal(), Exempt: exempt, ArticleExempt: a.CopayExempt, Kind: k.pharma(),
	}
	if a.HasFestbetrag {
		fb := a.Festbetrag.Decimal()
		in.Festbetrag = &fb
	}
	if minor {
		age := minorAge
		in.Age = &age
	}
	return pharma.Copay(in)
}

// Amount turns a decimal of whole cents (as pharma.Copay returns) into a
// journal amount.
func Amount(d decimal.Decimal) journal.Amount {
	return journal.Cents(d.Shift(2).Round(0).IntPart())
}

// PricedLine is a basket line with its article and amounts. Unit amounts
// are per pack, the others for the line's quantity.
type PricedLine struct {
	Line
	Article mirror.Article
	// Result is the co-payment decision for one pack.
	Result pharma.CopayResult
	// Unit amounts: AVP, statutory co-payment, Mehrkosten and what the
	// patient pays, per pack.
	UnitPrice, UnitCopay, UnitMehrkosten, UnitPay journal.Amount
	// Line totals.
	Price, Copay, Mehrkosten, Pay journal.Amount
}

// Priced is a basket with its amounts.
type Priced struct {
	Lines []PricedLine
	// Missing lists PZNs of lines whose article is not in the copy.
	Missing []pharma.PZN
	// Sums over the lines: AVP, statutory co-payments, Mehrkosten and what
	// the patient pays.
	Price, Copay, Mehrkosten, Pay journal.Amount
}

// PriceBasket prices every line of b with the articles in arts (pure).
func PriceBasket(b Basket, arts map[pharma.PZN]mirror.Article) (Priced, error) {
	var p Priced
	for _, l := range b.Lines {
		a, ok := arts[l.PZN]
		if !ok {
			p.Missing = append(p.Missing, l.PZN)
			continue
		}
		res, err := PackCopay(a, l.Kind, b.Minor, b.Exempt)
		if err != nil {
			return Priced{}, wrapErr(EINVALID, err, "Preisdaten von "+a.Name+" unbrauchbar: "+err.Error(),
				"price data of "+a.Name+" unusable")
		}
		pl := PricedLine{Line: l, Article: a, Result: res, UnitPrice: journal.Cents(int64(a.AVP))}
		switch l.Kind {
		case KindGKV:
			pl.UnitCopay, pl.UnitMehrkosten, pl.UnitPay = Amount(res.Copay), Amount(res.Mehrkosten), Amount(res.Total)
		default:
			pl.UnitPay = pl.UnitPrice
		}
		pl.Price, pl.Copay = pl.UnitPrice.Times(l.Qty), pl.UnitCopay.Times(l.Qty)
		pl.Mehrkosten, pl.Pay = pl.UnitMehrkosten.Times(l.Qty), pl.UnitPay.Times(l.Qty)
		p.Price, p.Copay = p.Price.Add(pl.Price), p.Copay.Add(pl.Copay)
		p.Mehrkosten, p.Pay = p.Mehrkosten.Add(pl.Mehrkosten), p.Pay.Add(pl.Pay)
		p.Lines = append(p.Lines, pl)
	}
	return p, nil
}

// RxWords returns the dispensing status in words: "Betäubungsmittel
// (BtM)", "verschreibungspflichtig (Rx)", "apothekenpflichtig (OTC)" or
// "freiverkäuflich".
func RxWords(a mirror.Article) check.Text {
	switch {
	case a.BtM:
		return check.Msg("Betäubungsmittel (BtM), verschreibungspflichtig", "narcotic (BtM), prescription only")
	case a.Rx:
		return check.Msg("verschreibungspflichtig (Rx)", "prescription only (Rx)")
	case a.PharmacyOnly:
		return check.Msg("apothekenpflichtig, ohne Rezept (OTC)", "pharmacy only, no prescription (OTC)")
	default:
		return check.Msg("freiverkäuflich", "general sale")
	}
}

// Article returns the article with a PZN from the downtime copy. Errors:
// ENOTFOUND (with the copy's age), EUNAVAILABLE without a copy.
func (s *Service) Article(ctx context.Context, pzn pharma.PZN) (mirror.Article, error) {
	if s.arts == nil {
		return mirror.Article{}, errNoArticles()
	}
	a, err := s.arts.Article(ctx, pzn)
	if err != nil {
		if mirror.ErrorCode(err) == mirror.ENOTFOUND {
			return mirror.Article{}, Errorf(ENOTFOUND,
				"PZN "+string(pzn)+" ist nicht in den Preisdaten. Preis bitte anders ermitteln (Großhandel, Preisliste) und den Verkauf auf Papier notieren.",
				"PZN "+string(pzn)+" is not in the price data. Find the price elsewhere (wholesaler, price list) and note the sale on paper.")
		}
		return mirror.Article{}, wrapErr(EUNAVAILABLE, err, "Preisdaten gerade nicht lesbar; bitte noch einmal versuchen.", "price data not readable; please try again")
	}
	return a, nil
}

func errNoArticles() *Error {
	return Errorf(EUNAVAILABLE, "Keine Preisdaten eingerichtet (Downtime-Kopie fehlt); bitte die IT verständigen.",
		"No price data set up (downtime copy missing); please call IT.")
}

// Search finds articles by name or PZN in the downtime copy, best first.
func (s *Service) Search(ctx context.Context, q string, limit int) ([]mirror.Hit, error) {
	if s.arts == nil {
		return nil, errNoArticles()
	}
	hits, err := s.arts.SearchArticles(ctx, q, limit)
	if err != nil {
		if mirror.ErrorCode(err) == mirror.EINVALID {
			return nil, nil
		}
		return nil, wrapErr(EUNAVAILABLE, err, "Suche gerade nicht möglich; bitte PZN scannen oder noch einmal versuchen.", "search not possible now; scan the PZN or try again")
	}
	return hits, nil
}

// Price prices a basket with the current copy. Lines whose article is
// missing are listed in Priced.Missing.
func (s *Service) Price(ctx context.Context, b Basket) (Priced, error) {
	arts := map[pharma.PZN]mirror.Article{}
	for _, l := range b.Lines {
		a, err := s.Article(ctx, l.PZN)
		if ErrorCode(err) == ENOTFOUND {
			continue
		}
		if err != nil {
			return Priced{}, err
		}
		arts[l.PZN] = a
	}
	return PriceBasket(b, arts)
}

// PriceStand returns when the article copy was current (zero when never
// filled, or without a copy).
func (s *Service) PriceStand(ctx context.Context) mirror.Status {
	st := mirror.Status{Dataset: mirror.Articles}
	if s.arts == nil {
		return st
	}
	all, err := s.arts.Status(ctx)
	if err != nil {
		s.log.Warn("counter: cannot read the downtime copy's status", "err", err)
		return st
	}
	for _, x := range all {
		if x.Dataset == mirror.Articles {
			return x
		}
	}
	return st
}
