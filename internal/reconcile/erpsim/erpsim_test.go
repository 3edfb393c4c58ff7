package erpsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const sale1 = `{"number":1,"items":[{"pzn":"04877800","qty":1,"price":"4.20","copay":"4.20"}],"total":"4.20","payment":"cash"}`

func post(t *testing.T, url, key, body string) (int, string, error) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/api/sales", strings.NewReader(body))
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	// A fresh connection each time, so a dropped one is not reused.
	res, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), nil
}

func TestERP(t *testing.T) {
	erp := New(nil, nil)
	srv := httptest.NewServer(erp)
	defer srv.Close()
	erp.Refuse("11111111", "PZN 11111111 ist im ERP unbekannt", "PZN 11111111 unknown to the ERP")
	refused := strings.Replace(sale1, "04877800", "11111111", 1)
	steps := []struct {
		name       string
		setup      func()
		key, body  string
		wantStatus int // 0: connection dropped
		wantBody   string
	}{
		{name: "book", key: "a", body: sale1, wantStatus: 201, wantBody: `"booking_id":"B-000001"`},
		{name: "repeat", key: "a", body: sale1, wantStatus: 200, wantBody: `"replayed":true`},
		{name: "same key other sale", key: "a", body: strings.Replace(sale1, "cash", "card", 1), wantStatus: 409},
		{name: "refused", key: "b", body: refused, wantStatus: 422, wantBody: "unbekannt"},
		{name: "refused again", key: "b", body: refused, wantStatus: 422},
		{name: "no key", body: sale1, wantStatus: 400},
		{name: "no items", key: "c", body: `{"number":3,"items":[]}`, wantStatus: 400},
		{name: "fail", setup: func() { erp.FailNext(1) }, key: "c", body: sale1, wantStatus: 503},
		{name: "drop before booking", setup: func() { erp.DropNext(1, DropBeforeBooking) }, key: "c", body: sale1, wantStatus: 0},
		{name: "after a drop before booking", key: "c", body: sale1, wantStatus: 201, wantBody: `"B-000002"`},
		{name: "drop after booking", setup: func() { erp.DropNext(1, DropAfterBooking) }, key: "d", body: sale1, wantStatus: 0},
		{name: "after a drop after booking", key: "d", body: sale1, wantStatus: 200, wantBody: `"booking_id":"B-000003","replayed":true`},
	}
	for _, s := range steps {
		if s.setup != nil {
			s.setup()
		}
		status, body, err := post(t, srv.URL, s.key, s.body)
		if s.wantStatus == 0 {
			if err == nil {
				t.Errorf("%s: got %d %s; want the connection dropped", s.name, status, body)
			}
			continue
		}
		if err != nil || status != s.wantStatus || !strings.Contains(body, s.wantBody) {
			t.Errorf("%s: got %d %s %v; want %d containing %s", s.name, status, body, err, s.wantStatus, s.wantBody)
		}
	}
	bs := erp.Bookings()
	if len(bs) != 3 || bs[0].Key != "a" || bs[1].Key != "c" || bs[2].Key != "d" || bs[0].Total != "4.20" {
		t.Errorf("bookings = %+v; want a, c, d once each", bs)
	}
	requests, dropped, attempts := erp.Stats()
	if dropped != 2 || attempts["c"] != 3 || requests != 10 {
		t.Errorf("stats = %d requests, %d dropped, attempts %v; want 10, 2, c tried 3 times", requests, dropped, attempts)
	}
	res, err := http.Get(srv.URL + "/api/sales")
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Bookings []Booking }
	json.NewDecoder(res.Body).Decode(&list)
	res.Body.Close()
	if len(list.Bookings) != 3 {
		t.Errorf("GET /api/sales = %d bookings; want 3", len(list.Bookings))
	}
}

func TestDropEvery(t *testing.T) {
	erp := New(nil, nil)
	srv := httptest.NewServer(erp)
	defer srv.Close()
	erp.DropEvery(2)
	var drops int
	for i, key := range []string{"a", "b", "c", "d"} {
		if _, _, err := post(t, srv.URL, key, sale1); err != nil {
			drops++
			if i%2 == 0 {
				t.Errorf("request %d dropped; want every 2nd", i+1)
			}
		}
	}
	// Request 2 is dropped before booking, request 4 after.
	bs := erp.Bookings()
	if drops != 2 || len(bs) != 3 || bs[0].Key != "a" || bs[1].Key != "c" || bs[2].Key != "d" {
		t.Errorf("drops %d, bookings %+v; want 2 drops and a, c, d booked", drops, bs)
	}
}
