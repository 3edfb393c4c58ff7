package reconcile

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/reconcile/erpsim"
)

var t0 = time.Date(2026, 3, 29, 9, 0, 0, 0, time.UTC)

// refusedPZN is refused by the simulated ERP in these tests.
const refusedPZN = "99999990"

// testSale returns the sale with key k; every 10th (by n) has an article
// the ERP refuses.
func testSale(k string, n int) journal.Sale {
	pzn := "04877800"
	if n%10 == 9 {
		pzn = refusedPZN
	}
	return journal.Sale{IdempotencyKey: k, Staff: "Herr Yilmaz", Payment: journal.PaymentCard,
		Items: []journal.Item{{PZN: pzn, Qty: 1 + n%2, Price: journal.Cents(int64(500 + n)), Copay: journal.Cents(500)}}}
}

func openJournal(t *testing.T, dir string) *journal.Journal {
	t.Helper()
	j, err := journal.Open(journal.Config{Dir: filepath.Join(dir, "p"), MirrorDir: filepath.Join(dir, "m"),
		Till: "Kasse 1", RegisterSerial: "LL-1"}, nil, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func fill(t *testing.T, j *journal.Journal, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if _, _, err := j.Append(context.Background(), testSale(fmt.Sprintf("s%d", i), i)); err != nil {
			t.Fatal(err)
		}
	}
}

func newERP(t *testing.T) (*erpsim.ERP, *httptest.Server) {
	t.Helper()
	erp := erpsim.New(nil, nil)
	erp.Refuse(refusedPZN, "PZN "+refusedPZN+" ist im ERP unbekannt", "PZN "+refusedPZN+" unknown to the ERP")
	srv := httptest.NewServer(erp)
	t.Cleanup(srv.Close)
	return erp, srv
}

func httpAdapter(t *testing.T, url string) *HTTPAdapter {
	t.Helper()
	a, err := NewHTTPAdapter(HTTPConfig{BaseURL: url, Timeout: 2 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func fastConfig(dir string) Config {
	return Config{StateDir: dir, BatchSize: 7, CheckpointEvery: 5, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxAttempts: 20, Location: time.UTC}
}

// checkExactlyOnce checks that the ERP booked every entry of j not refused
// exactly once, and that the report agrees with the ERP.
func checkExactlyOnce(t *testing.T, j *journal.Journal, erp *erpsim.ERP, rep *Report) {
	t.Helper()
	es, err := j.Since(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	booked := map[string]string{}
	for _, b := range erp.Bookings() {
		if _, dup := booked[b.Key]; dup {
			t.Errorf("key %s booked twice", b.Key)
		}
		booked[b.Key] = b.ID
	}
	wantBooked, wantRefused := 0, 0
	for _, e := range es {
		refused := e.Items[0].PZN == refusedPZN
		if _, ok := booked[e.ID]; ok == refused {
			t.Errorf("entry %d (refused %v): booked %v", e.Number, refused, ok)
		}
		if refused {
			wantRefused++
		} else {
			wantBooked++
		}
	}
	if len(booked) != wantBooked {
		t.Errorf("ERP has %d bookings; want %d", len(booked), wantBooked)
	}
	if rep.Booked != wantBooked || rep.Refused != wantRefused || len(rep.Outcomes) != len(es) || !rep.Complete || rep.Open != 0 {
		t.Errorf("report booked %d refused %d outcomes %d complete %v open %d; want %d, %d, %d, complete, 0",
			rep.Booked, rep.Refused, len(rep.Outcomes), rep.Complete, rep.Open, wantBooked, wantRefused, len(es))
	}
	for i, o := range rep.Outcomes {
		if o.Number != int64(i+1) {
			t.Fatalf("outcome %d has number %d; want %d (each entry once, in order)", i, o.Number, i+1)
		}
		if o.Status == Booked && booked[o.ID] != o.BookingID {
			t.Errorf("outcome %d booking id %s; the ERP booked %s", o.Number, o.BookingID, booked[o.ID])
		}
	}
}
