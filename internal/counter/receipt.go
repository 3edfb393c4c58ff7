package counter

import (
	"context"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

// SaleRecord is what the counter keeps about a sale beyond the journal
// entry: article names, the kind of each line, the Mehrkosten, what the
// patient paid and how current the prices were. It holds no personal data.
type SaleRecord struct {
	Key       string          `json:"key"`
	Number    int64           `json:"number"`
	CreatedAt time.Time       `json:"created_at"`
	Staff     string          `json:"staff"`
	Minor     bool            `json:"minor"`
	Exempt    bool            `json:"exempt"`
	Payment   journal.Payment `json:"payment"`
	Lines     []RecordLine    `json:"lines"`
	// Sums: AVP, statutory co-payments, Mehrkosten, paid by the patient.
	Price      journal.Amount `json:"price"`
	Copay      journal.Amount `json:"copay"`
	Mehrkosten journal.Amount `json:"mehrkosten"`
	Pay        journal.Amount `json:"pay"`
	// PriceStand is when the article copy was current at booking.
	PriceStand time.Time `json:"price_stand"`
}

// RecordLine is one line of a SaleRecord; amounts are per pack.
type RecordLine struct {
	PZN        string         `json:"pzn"`
	Name       string         `json:"name"`
	PackSize   string         `json:"pack_size"`
	Kind       Kind           `json:"kind"`
	Qty        int            `json:"qty"`
	Price      journal.Amount `json:"price"`
	Copay      journal.Amount `json:"copay"`
	Mehrkosten journal.Amount `json:"mehrkosten"`
	Pay        journal.Amount `json:"pay"`
	Reason     check.Text     `json:"reason"`
}

// Receipt is everything a printed receipt shows.
type Receipt struct {
	Entry journal.Entry
	// Record holds names and amounts; when it is missing (HasRecord
	// false) the lines come from the journal entry, named from the copy.
	Record    SaleRecord
	HasRecord bool
	Header    []string
	Footer    []string
	// PriceStand reads "Preisdaten Stand: 29.03.2026 09:41".
	PriceStand check.Text
}

// Receipt returns the receipt of the journal entry number. Errors:
// ENOTFOUND, EUNAVAILABLE without a journal.
func (s *Service) Receipt(ctx context.Context, number int64) (Receipt, error) {
	if s.j == nil {
		return Receipt{}, Errorf(EUNAVAILABLE, "Das Verkaufsjournal ist nicht eingerichtet.", "The sales journal is not set up.")
	}
	e, err := s.j.Get(number)
	if err != nil {
		if journal.ErrorCode(err) == journal.EINVALID {
			return Receipt{}, Errorf(ENOTFOUND, "Diesen Beleg gibt es nicht.", "There is no such receipt.")
		}
		return Receipt{}, journalErr(err)
	}
	r := Receipt{Entry: e, Header: s.cfg.Receipt.Header, Footer: s.cfg.Receipt.Footer}
	if len(r.Header) == 0 && s.site != "" {
		r.Header = []string{s.site}
	}
	rec, err := s.st.Sale(ctx, e.IdempotencyKey)
	if err == nil && len(rec.Lines) == len(e.Items) {
		r.Record, r.HasRecord = rec, true
	} else {
		if err != nil && ErrorCode(err) != ENOTFOUND {
			s.log.Warn("counter: receipt details unreadable; showing the journal entry alone", "number", number, "err", err)
		}
		r.Record = s.fromEntry(ctx, e)
	}
	if t := r.Record.PriceStand; !t.IsZero() {
		lt := t.In(s.loc)
		r.PriceStand = check.Msg("Preisdaten Stand: "+lt.Format("02.01.2006 15:04"), "Price data as of: "+lt.Format("2006-01-02 15:04"))
	} else {
		r.PriceStand = check.Msg("Preisdaten Stand: unbekannt", "Price data as of: unknown")
	}
	return r, nil
}

// fromEntry rebuilds the lines of a sale from its journal entry alone.
func (s *Service) fromEntry(ctx context.Context, e journal.Entry) SaleRecord {
	rec := SaleRecord{Key: e.IdempotencyKey, Number: e.Number, Staff: e.Staff, Payment: e.Payment,
		Price: e.Total, Copay: e.CopayTotal}
	for _, it := range e.Items {
		name := "PZN " + it.PZN
		if s.arts != nil {
			if a, err := s.arts.Article(ctx, pharma.PZN(it.PZN)); err == nil {
				name = a.Name
			}
		}
		rec.Lines = append(rec.Lines, RecordLine{PZN: it.PZN, Name: name, Qty: it.Qty, Price: it.Price, Copay: it.Copay})
	}
	return rec
}
