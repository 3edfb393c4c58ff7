package counterweb

import (
	"net/http"
	"strconv"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/journal"
)

// receiptView fills templates/receipt.html.
type receiptView struct {
	page
	Header, Footer []string
	Number         int64
	Till, When     string
	Lines          []receiptLine
	Detailed       bool
	Price, Copay   string
	Mehrkosten     string
	HasMehrkosten  bool
	Pay            string
	Payment        string
	Minor, Exempt  bool
	Staff          string
	RegisterSerial string
	TSESerial      string
	Hash           string
	Stand          string
}

type receiptLine struct {
	Qty                                      int
	Name, PZN, Pack, Kind                    string
	UnitPrice, Price, Copay, Mehrkosten, Pay string
	HasCopay, HasMehrkosten, Statutory       bool
	Reason                                   string
}

// receipt serves GET /counter/receipt/{number}.
func (h *Handlers) receipt(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.PathValue("number"), 10, 64)
	if err != nil || n < 1 {
		h.fail(w, r, counter.Errorf(counter.ENOTFOUND, "Diesen Beleg gibt es nicht.", "There is no such receipt."))
		return
	}
	rc, err := h.s.Receipt(r.Context(), n)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := h.base(r)
	lang := p.Lang
	e, rec := rc.Entry, rc.Record
	v := receiptView{page: p, Header: rc.Header, Footer: rc.Footer, Number: e.Number, Till: e.Till,
		When: e.End.In(h.s.Location()).Format("02.01.2006 15:04:05"), Detailed: rc.HasRecord,
		Price: money(e.Total, lang), Copay: money(rec.Copay, lang), Mehrkosten: money(rec.Mehrkosten, lang),
		HasMehrkosten: rec.Mehrkosten.Cmp(journal.Amount{}) > 0, Pay: money(rec.Pay, lang),
		Minor: rec.Minor, Exempt: rec.Exempt, Staff: e.Staff,
		RegisterSerial: e.RegisterSerial, TSESerial: e.TSESerial, Hash: e.Hash, Stand: rc.PriceStand.In(lang)}
	switch e.Payment {
	case journal.PaymentCash:
		v.Payment = check.Msg("Bar", "Cash").In(lang)
	default:
		v.Payment = check.Msg("Karte", "Card").In(lang)
	}
	if lang == "en" {
		v.When = e.End.In(h.s.Location()).Format("2006-01-02 15:04:05")
	}
	for _, l := range rec.Lines {
		rl := receiptLine{Qty: l.Qty, Name: l.Name, PZN: l.PZN, Pack: l.PackSize, UnitPrice: money(l.Price, lang),
			Price: money(l.Price.Times(l.Qty), lang), Copay: money(l.Copay.Times(l.Qty), lang),
			Mehrkosten: money(l.Mehrkosten.Times(l.Qty), lang), Pay: money(l.Pay.Times(l.Qty), lang),
			HasCopay: l.Copay.Cmp(journal.Amount{}) > 0, HasMehrkosten: l.Mehrkosten.Cmp(journal.Amount{}) > 0,
			Statutory: l.Kind == counter.KindGKV, Reason: l.Reason.In(lang)}
		if l.Kind != "" {
			rl.Kind = l.Kind.Words().In(lang)
		}
		v.Lines = append(v.Lines, rl)
	}
	title := check.Msg("Beleg Nr. "+strconv.FormatInt(e.Number, 10), "Receipt no. "+strconv.FormatInt(e.Number, 10))
	h.render(w, r, http.StatusOK, title, "receipt", v)
}
