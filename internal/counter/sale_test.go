package counter_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/counter/countertest"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

func TestBookAndReceipt(t *testing.T) {
	e := countertest.New(t, countertest.Options{})
	s := e.Service
	b := basket(t, journal.PaymentCash,
		line(countertest.Festbetrag.PZN, 1, counter.KindGKV),
		line(countertest.Rx7340.PZN, 2, counter.KindGKV),
		line(countertest.OTC.PZN, 1, counter.KindOTC))
	if _, _, err := s.Book(ctx, "anna", b); counter.ErrorCode(err) != counter.ECONFLICT {
		t.Fatalf("booking while emergency mode is off: got %v; want ECONFLICT", err)
	}
	switchOn(t, e)
	entry, existing, err := s.Book(ctx, "anna", b)
	if err != nil || existing {
		t.Fatalf("Book: %v, existing %v", err, existing)
	}
	if entry.Number != 1 || entry.TSEStatus != journal.TSEStatusFailed || entry.Staff != "anna" || !entry.Total.Equal(journal.Cents(9500+2*7340+420)) ||
		!entry.CopayTotal.Equal(journal.Cents(800+2*734)) {
		t.Errorf("entry: got %+v", entry)
	}
	r, err := s.Receipt(ctx, entry.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !r.HasRecord || r.Entry.Hash != entry.Hash || len(r.Record.Lines) != 3 || r.Record.Lines[0].Name != countertest.Festbetrag.Name {
		t.Fatalf("receipt: got %+v", r)
	}
	// Patient pays 8.00 + 15.00 Mehrkosten, 2 x 7.34, 4.20.
	if want := journal.Cents(2300 + 1468 + 420); !r.Record.Pay.Equal(want) || !r.Record.Mehrkosten.Equal(journal.Cents(1500)) {
		t.Errorf("paid: got %s (Mehrkosten %s); want %s (15.00)", r.Record.Pay, r.Record.Mehrkosten, want)
	}
	if r.PriceStand.DE != "Preisdaten Stand: 03.02.2026 02:11" {
		t.Errorf("price stand: got %q", r.PriceStand.DE)
	}
	if len(r.Header) != 2 || r.Header[0] != "Apotheke am Markt" {
		t.Errorf("header: got %v", r.Header)
	}
	if _, err := s.Receipt(ctx, 2); counter.ErrorCode(err) != counter.ENOTFOUND {
		t.Errorf("receipt 2: got %v; want ENOTFOUND", err)
	}
}

func TestBookTwiceBooksOnce(t *testing.T) {
	e := countertest.New(t, countertest.Options{})
	s := e.Service
	switchOn(t, e)
	b := basket(t, journal.PaymentCard, line(countertest.Rx30.PZN, 1, counter.KindGKV))
	// A double click: two requests at once with the same basket.
	var wg sync.WaitGroup
	nums := make([]int64, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			en, _, err := s.Book(ctx, "anna", b)
			nums[i], errs[i] = en.Number, err
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || nums[0] != 1 || nums[1] != 1 {
		t.Fatalf("double click: got numbers %v, errors %v; want entry 1 twice", nums, errs)
	}
	// The back button and "Buchen" again, after emergency mode was
	// switched off: the same receipt.
	if _, _, err := s.SetMode(ctx, "anna", counter.ViaPage, false, ""); err != nil {
		t.Fatal(err)
	}
	en, existing, err := s.Book(ctx, "anna", b)
	if err != nil || !existing || en.Number != 1 {
		t.Errorf("booking again later: got %d, existing %v, %v; want entry 1 again", en.Number, existing, err)
	}
	if got := e.Journal.Last(); got != 1 {
		t.Errorf("journal has %d entries; want 1", got)
	}
	// The same basket with another article is a conflict naming the receipt.
	switchOn(t, e)
	b.Lines = append(b.Lines, line(countertest.OTC.PZN, 1, counter.KindOTC))
	_, _, err = s.Book(ctx, "anna", b)
	if counter.ErrorCode(err) != counter.ECONFLICT || !strings.Contains(counter.ErrorMessage(err, "de"), "Beleg Nr. 1") {
		t.Errorf("changed basket with the old key: got %v; want ECONFLICT naming Beleg Nr. 1", err)
	}
}

func TestBookRefusesIncompleteBaskets(t *testing.T) {
	e := countertest.New(t, countertest.Options{})
	switchOn(t, e)
	unknown := pharma.PZN("04877800")
	tests := []struct {
		name string
		b    counter.Basket
		code string
		msg  string
	}{
		{"empty", counter.Basket{Key: "k", Payment: journal.PaymentCash}, counter.EINVALID, "leer"},
		{"no payment", counter.Basket{Key: "k", Lines: []counter.Line{line(countertest.Rx30.PZN, 1, counter.KindGKV)}}, counter.EINVALID, "Zahlart"},
		{"no key", counter.Basket{Payment: journal.PaymentCash, Lines: []counter.Line{line(countertest.Rx30.PZN, 1, counter.KindGKV)}}, counter.EINVALID, "Schlüssel"},
		{"not in the copy", counter.Basket{Key: "k2", Payment: journal.PaymentCash, Lines: []counter.Line{line(unknown, 1, counter.KindGKV)}}, counter.EINVALID, "04877800"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.Service.Book(ctx, "anna", tt.b)
			if counter.ErrorCode(err) != tt.code || !strings.Contains(counter.ErrorMessage(err, "de"), tt.msg) {
				t.Errorf("got %v; want %s mentioning %q", err, tt.code, tt.msg)
			}
		})
	}
	if e.Journal.Last() != 0 {
		t.Errorf("journal has %d entries; want none", e.Journal.Last())
	}
	noJournal := countertest.New(t, countertest.Options{NoJournal: true})
	switchOn(t, noJournal)
	_, _, err := noJournal.Service.Book(ctx, "anna", basket(t, journal.PaymentCash, line(countertest.Rx30.PZN, 1, counter.KindGKV)))
	if counter.ErrorCode(err) != counter.EUNAVAILABLE || !strings.Contains(counter.ErrorMessage(err, "de"), "journal") {
		t.Errorf("without journal: got %v; want EUNAVAILABLE naming the journal section", err)
	}
}
