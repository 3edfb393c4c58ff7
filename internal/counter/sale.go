package counter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

// maxStartAge is how far back the start of a sale may lie; an older start
// (a basket left open in a tab overnight) is recorded as now.
const maxStartAge = 12 * time.Hour

// Book records the basket as one sale in the journal, for staff member
// staff, and returns the journal entry. The same basket booked again (same
// idempotency key, same articles) returns the first entry with
// existing = true and books nothing. Errors: EINVALID (empty basket, no
// payment, article not in the copy), ECONFLICT (emergency mode off; the key
// was booked with other articles), EUNAVAILABLE (no journal; the sale
// could not be made durable: nothing booked, try again).
func (s *Service) Book(ctx context.Context, staff string, b Basket) (e journal.Entry, existing bool, err error) {
	if s.j == nil {
		return journal.Entry{}, false, Errorf(EUNAVAILABLE,
			"Das Verkaufsjournal ist nicht eingerichtet (Abschnitt journal der Konfiguration: mirror_dir, register_serial). Verkäufe bitte auf Papier notieren.",
			"The sales journal is not set up (journal section of the configuration: mirror_dir, register_serial). Note sales on paper.")
	}
	if b.Empty() {
		return journal.Entry{}, false, Errorf(EINVALID, "Der Warenkorb ist leer: erst einen Artikel scannen.", "The basket is empty: scan an article first.")
	}
	if b.Key == "" {
		return journal.Entry{}, false, Errorf(EINVALID, "Warenkorb ohne Schlüssel; bitte neu beginnen.", "basket without key; please start again")
	}
	if b.Payment == "" {
		return journal.Entry{}, false, Errorf(EINVALID, "Bitte die Zahlart wählen: Bar (F2) oder Karte (F3).", "Please choose the payment: cash (F2) or card (F3).")
	}
	priced, err := s.Price(ctx, b)
	if err != nil {
		return journal.Entry{}, false, err
	}
	if len(priced.Missing) > 0 {
		return journal.Entry{}, false, Errorf(EINVALID,
			"Nicht in den Preisdaten: PZN "+joinPZN(priced.Missing)+". Bitte aus dem Warenkorb nehmen.",
			"Not in the price data: PZN "+joinPZN(priced.Missing)+". Please remove from the basket.")
	}
	sale := journal.Sale{IdempotencyKey: b.Key, Start: s.start(b.Start), Staff: staff, Payment: b.Payment}
	for _, pl := range priced.Lines {
		sale.Items = append(sale.Items, journal.Item{PZN: string(pl.PZN), Qty: pl.Qty, Price: pl.UnitPrice, Copay: pl.UnitCopay})
	}
	// A basket booked before (double click, back button) gets its receipt
	// again, also after emergency mode was switched off.
	if prev, err := s.st.Sale(ctx, b.Key); err == nil && prev.Number > 0 {
		if pe, err := s.j.Get(prev.Number); err == nil && pe.IdempotencyKey == b.Key && pe.SameSale(sale) {
			return pe, true, nil
		}
	}
	if !s.Mode().Active {
		return journal.Entry{}, false, Errorf(ECONFLICT,
			"Notbetrieb ist aus: bitte an der Kasse der Warenwirtschaft buchen, oder zuerst den Notbetrieb einschalten.",
			"Emergency mode is off: book at the pharmacy system's till, or switch on emergency mode first.")
	}
	rec := s.record(ctx, b, priced, staff)
	if err := s.st.SaveSale(ctx, rec); err != nil {
		return journal.Entry{}, false, wrapErr(EUNAVAILABLE, err, "Verkauf konnte nicht gespeichert werden; nichts gebucht. Bitte noch einmal „Buchen“.",
			"cannot save the sale; nothing booked. Press Buchen again.")
	}
	e, existing, err = s.j.Append(ctx, sale)
	if err != nil {
		return journal.Entry{}, false, journalErr(err)
	}
	if err := s.st.MarkSaleBooked(ctx, b.Key, e.Number); err != nil {
		// The sale is booked; the receipt falls back to the journal alone.
		s.log.Error("counter: cannot note the journal number of a booked sale", "number", e.Number, "err", err)
	}
	s.log.Info("counter: sale booked", "number", e.Number, "existing", existing, "items", len(e.Items), "total", e.Total.String(), "staff", staff)
	return e, existing, nil
}

func (s *Service) start(t time.Time) time.Time {
	now := s.clk.Now()
	if t.IsZero() || t.After(now) || now.Sub(t) > maxStartAge {
		return now
	}
	return t
}

func (s *Service) record(ctx context.Context, b Basket, p Priced, staff string) SaleRecord {
	rec := SaleRecord{
		Key: b.Key, CreatedAt: s.clk.Now().UTC(), Staff: staff, Minor: b.Minor, Exempt: b.Exempt, Payment: b.Payment,
		Price: p.Price, Copay: p.Copay, Mehrkosten: p.Mehrkosten, Pay: p.Pay,
		PriceStand: s.PriceStand(ctx).SyncedAt.UTC(),
	}
	for _, pl := range p.Lines {
		rec.Lines = append(rec.Lines, RecordLine{
			PZN: string(pl.PZN), Name: pl.Article.Name, PackSize: pl.Article.PackSize, Kind: pl.Kind, Qty: pl.Qty,
			Price: pl.UnitPrice, Copay: pl.UnitCopay, Mehrkosten: pl.UnitMehrkosten, Pay: pl.UnitPay,
			Reason: check.Msg(pl.Result.Reason, pl.Result.ReasonEN),
		})
	}
	return rec
}

// journalErr turns a journal error into a counter error with the
// journal's sentence.
func journalErr(err error) error {
	var je *journal.Error
	if !errors.As(err, &je) {
		return wrapErr(EUNAVAILABLE, err, "Verkauf nicht gebucht; bitte noch einmal „Buchen“.", "sale not booked; press Buchen again")
	}
	switch je.Code {
	case journal.EINVALID:
		de, en := je.DE, je.EN
		for _, f := range je.Fields {
			de += " " + f.DE
			en += " " + f.EN
		}
		return wrapErr(EINVALID, err, de, en)
	case journal.ECONFLICT:
		return wrapErr(ECONFLICT, err,
			fmt.Sprintf("Dieser Warenkorb wurde schon als Beleg Nr. %d gebucht, mit anderen Artikeln. Bitte „Neuer Verkauf“ und neu scannen.", je.Number),
			fmt.Sprintf("This basket was booked already as receipt %d, with other items. Press \"new sale\" and scan again.", je.Number))
	default:
		return wrapErr(EUNAVAILABLE, err, "Verkauf nicht gebucht: "+je.DE+" Nach der Behebung bitte noch einmal „Buchen“ (nichts wird doppelt gebucht).",
			"sale not booked: "+je.EN+"; press Buchen again once fixed (nothing is booked twice)")
	}
}

func joinPZN(ps []pharma.PZN) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}
