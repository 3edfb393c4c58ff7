package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/journal"
)

var t0 = time.Date(2026, 3, 29, 9, 0, 0, 0, time.UTC)

const goodBody = `{"items":[{"pzn":"04877800","qty":2,"price":"4.20","copay":"4.20"},{"pzn":"12345678","qty":1,"price":"73.40","copay":"7.34"}],"payment":"card"}`

type fixture struct {
	srv *httptest.Server
	j   *journal.Journal
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	base := t.TempDir()
	j, err := journal.Open(journal.Config{Dir: filepath.Join(base, "p"), MirrorDir: filepath.Join(base, "m"),
		Till: "Kasse 1", RegisterSerial: "LL-1"}, nil, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	if opts.Staff == nil {
		opts.Staff = func(r *http.Request) string { return r.Header.Get("X-Test-Staff") }
	}
	if opts.Clock == nil {
		opts.Clock = clock.NewFake(t0)
	}
	api, err := New(j, opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, j: j}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (f *fixture) post(t *testing.T, key, body string, mod ...func(*http.Request)) resp {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/sales", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test-Staff", "Frau Becker")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	for _, m := range mod {
		m(req)
	}
	return do(t, req)
}

func (f *fixture) get(t *testing.T, query string) resp {
	t.Helper()
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/sales"+query, nil)
	return do(t, req)
}

func do(t *testing.T, req *http.Request) resp {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func TestPostSale(t *testing.T) {
	f := newFixture(t, Options{})
	r := f.post(t, "sale-1", goodBody)
	if r.status != http.StatusCreated {
		t.Fatalf("POST status = %d (%s); want 201", r.status, r.body)
	}
	var e journal.Entry
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatal(err)
	}
	if e.Number != 1 || e.ID == "" || len(e.Hash) != 64 || e.Staff != "Frau Becker" || e.Payment != "card" ||
		e.Total.String() != "81.80" || e.CopayTotal.String() != "15.74" || e.TSEStatus != "TSE-Ausfall" {
		t.Errorf("entry = %+v; want number 1 with id, hash, staff, card, 81.80/15.74, TSE-Ausfall", e)
	}
	if !strings.Contains(string(r.body), `"price":"4.20"`) {
		t.Errorf("body %s; want amounts as strings with two decimals", r.body)
	}
	if got, err := f.j.Get(1); err != nil || got.Hash != e.Hash {
		t.Errorf("journal entry 1 = %+v, %v; want the answered entry", got, err)
	}

	again := f.post(t, "sale-1", goodBody)
	var e2 journal.Entry
	json.Unmarshal(again.body, &e2)
	if again.status != http.StatusCreated || again.header.Get("Idempotent-Replayed") != "true" || e2.ID != e.ID || e2.Number != 1 || e2.Hash != e.Hash {
		t.Errorf("repeat = %d %q %+v; want 201, replayed, the same entry", again.status, again.header.Get("Idempotent-Replayed"), e2)
	}
	conflict := f.post(t, "sale-1", strings.Replace(goodBody, `"card"`, `"cash"`, 1))
	if conflict.status != http.StatusConflict || !strings.Contains(string(conflict.body), `"code":"ECONFLICT"`) {
		t.Errorf("same key, other sale = %d %s; want 409 ECONFLICT", conflict.status, conflict.body)
	}
	if f.j.Last() != 1 {
		t.Errorf("Last = %d; want 1", f.j.Last())
	}
}

func TestPostSaleRejects(t *testing.T) {
	f := newFixture(t, Options{CheckPZN: func(p string) error {
		if p == "12345670" {
			return errors.New("check digit")
		}
		return nil
	}})
	item := func(pzn, qty, price, copay string) string {
		return fmt.Sprintf(`{"items":[{"pzn":%s,"qty":%s,"price":%s,"copay":%s}],"payment":"cash"}`, pzn, qty, price, copay)
	}
	tests := []struct {
		name       string
		key, body  string
		mod        func(*http.Request)
		wantStatus int
		wantFields []string
	}{
		{name: "no key", body: goodBody, wantStatus: 400, wantFields: []string{"Idempotency-Key"}},
		{name: "key with space", key: "a b", body: goodBody, wantStatus: 400, wantFields: []string{"Idempotency-Key"}},
		{name: "price as number", key: "k", body: item(`"04877800"`, "1", "4.2", `"0.00"`), wantStatus: 400, wantFields: []string{"items[0].price"}},
		{name: "three decimals", key: "k", body: item(`"04877800"`, "1", `"4.205"`, `"0.00"`), wantStatus: 400, wantFields: []string{"items[0].price"}},
		{name: "negative copay", key: "k", body: item(`"04877800"`, "1", `"4.20"`, `"-1.00"`), wantStatus: 400, wantFields: []string{"items[0].copay"}},
		{name: "copay above price", key: "k", body: item(`"04877800"`, "1", `"4.20"`, `"5.00"`), wantStatus: 400, wantFields: []string{"items[0].copay"}},
		{name: "qty as string", key: "k", body: item(`"04877800"`, `"2"`, `"4.20"`, `"0.00"`), wantStatus: 400, wantFields: []string{"items[0].qty"}},
		{name: "qty zero", key: "k", body: item(`"04877800"`, `0`, `"4.20"`, `"0.00"`), wantStatus: 400, wantFields: []string{"items[0].qty"}},
		{name: "pzn short", key: "k", body: item(`"4877800"`, "1", `"4.20"`, `"0.00"`), wantStatus: 400, wantFields: []string{"items[0].pzn"}},
		{name: "pzn as number", key: "k", body: item(`4877800`, "1", `"4.20"`, `"0.00"`), wantStatus: 400, wantFields: []string{"items[0].pzn"}},
		{name: "pzn check digit", key: "k", body: item(`"12345670"`, "1", `"4.20"`, `"0.00"`), wantStatus: 400, wantFields: []string{"items[0].pzn"}},
		{name: "many problems at once", key: "k", body: `{"items":[{"pzn":"1","qty":0}],"payment":"cheque"}`, wantStatus: 400,
			wantFields: []string{"items[0].price", "items[0].copay", "payment", "items[0].pzn", "items[0].qty"}},
		{name: "no items", key: "k", body: `{"items":[],"payment":"cash"}`, wantStatus: 400, wantFields: []string{"items"}},
		{name: "unknown field", key: "k", body: `{"items":[],"payment":"cash","discount":"1.00"}`, wantStatus: 400, wantFields: []string{"discount"}},
		{name: "items not a list", key: "k", body: `{"items":"x","payment":"cash"}`, wantStatus: 400, wantFields: []string{"items"}},
		{name: "not JSON", key: "k", body: `{"items":`, wantStatus: 400, wantFields: []string{""}},
		{name: "start in the future", key: "k", body: strings.Replace(goodBody, `{"items"`, `{"started_at":"2026-03-29T10:00:00Z","items"`, 1), wantStatus: 400, wantFields: []string{"started_at"}},
		{name: "no staff", key: "k", body: goodBody, mod: func(r *http.Request) { r.Header.Del("X-Test-Staff") }, wantStatus: 401},
		{name: "form post", key: "k", body: goodBody, mod: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, wantStatus: 415},
		{name: "too large", key: "k", body: `{"items":[` + strings.Repeat(" ", MaxBodyBytes) + `]}`, wantStatus: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mods []func(*http.Request)
			if tt.mod != nil {
				mods = append(mods, tt.mod)
			}
			r := f.post(t, tt.key, tt.body, mods...)
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d (%s); want %d", r.status, r.body, tt.wantStatus)
			}
			var eb errorBody
			if err := json.Unmarshal(r.body, &eb); err != nil || eb.Code == "" || eb.DE == "" || eb.EN == "" {
				t.Fatalf("error body %s; want code and German and English messages", r.body)
			}
			var fields []string
			for _, fe := range eb.Fields {
				fields = append(fields, fe.Field)
				if fe.DE == "" || fe.EN == "" {
					t.Errorf("field %s without German or English message", fe.Field)
				}
			}
			if fmt.Sprint(fields) != fmt.Sprint(tt.wantFields) && !(len(fields) == 0 && len(tt.wantFields) == 0) {
				t.Errorf("fields = %q; want %q", fields, tt.wantFields)
			}
		})
	}
	if f.j.Last() != 0 {
		t.Errorf("Last = %d; want 0 (nothing recorded)", f.j.Last())
	}
}

func TestPostStartedAt(t *testing.T) {
	f := newFixture(t, Options{})
	body := strings.Replace(goodBody, `{"items"`, `{"started_at":"2026-03-29T10:58:00+02:00","items"`, 1)
	r := f.post(t, "k", body)
	var e journal.Entry
	json.Unmarshal(r.body, &e)
	if r.status != 201 || !e.Start.Equal(t0.Add(-2*time.Minute)) || !e.End.Equal(t0) {
		t.Fatalf("POST with started_at = %d start %v end %v; want 201 start 08:58Z end 09:00Z", r.status, e.Start, e.End)
	}
}

func TestListSales(t *testing.T) {
	f := newFixture(t, Options{})
	for i := 1; i <= 5; i++ {
		if r := f.post(t, fmt.Sprintf("k%d", i), goodBody); r.status != 201 {
			t.Fatalf("POST %d = %d", i, r.status)
		}
	}
	tests := []struct {
		query      string
		wantStatus int
		wantNums   []int64
		wantNext   int64
	}{
		{"", 200, []int64{1, 2, 3, 4, 5}, 5},
		{"?since=3", 200, []int64{4, 5}, 5},
		{"?since=1&limit=2", 200, []int64{2, 3}, 3},
		{"?since=5", 200, nil, 5},
		{"?since=abc", 400, nil, 0},
		{"?since=-1", 400, nil, 0},
		{"?limit=0", 400, nil, 0},
		{"?limit=1001", 400, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := f.get(t, tt.query)
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d (%s); want %d", r.status, r.body, tt.wantStatus)
			}
			if r.status != 200 {
				return
			}
			var lb listBody
			if err := json.Unmarshal(r.body, &lb); err != nil {
				t.Fatal(err)
			}
			var nums []int64
			for _, e := range lb.Sales {
				nums = append(nums, e.Number)
				if e.ID == "" || e.IdempotencyKey != fmt.Sprintf("k%d", e.Number) || len(e.Hash) != 64 {
					t.Errorf("entry %+v; want id, idempotency key and hash", e)
				}
			}
			if fmt.Sprint(nums) != fmt.Sprint(tt.wantNums) || lb.NextSince != tt.wantNext || lb.LastNumber != 5 {
				t.Errorf("numbers %v next %d last %d; want %v next %d last 5", nums, lb.NextSince, lb.LastNumber, tt.wantNums, tt.wantNext)
			}
			if !strings.Contains(string(r.body), `"sales":[`) {
				t.Errorf("body %s; want a sales list, also when empty", r.body)
			}
		})
	}
}

func TestPostConcurrent(t *testing.T) {
	f := newFixture(t, Options{})
	const n = 40
	var wg sync.WaitGroup
	nums := make(chan int64, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := f.post(t, fmt.Sprintf("c%d", i), goodBody)
			var e journal.Entry
			json.Unmarshal(r.body, &e)
			if r.status != 201 {
				t.Errorf("POST c%d = %d %s", i, r.status, r.body)
			}
			nums <- e.Number
		}()
	}
	wg.Wait()
	close(nums)
	seen := map[int64]bool{}
	for num := range nums {
		if num < 1 || num > n || seen[num] {
			t.Errorf("number %d out of range or repeated", num)
		}
		seen[num] = true
	}
}

func TestPostClosedJournal(t *testing.T) {
	f := newFixture(t, Options{})
	f.j.Close()
	r := f.post(t, "k", goodBody)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || !strings.Contains(string(r.body), "ECLOSED") {
		t.Errorf("POST on a closed journal = %d %q %s; want 503 with Retry-After and ECLOSED", r.status, r.header.Get("Retry-After"), r.body)
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		code journal.Code
		want int
	}{
		{journal.EINVALID, 400}, {journal.ECONFLICT, 409}, {journal.EUNAVAILABLE, 503}, {journal.ECLOSED, 503},
		{journal.ELOCKED, 503}, {journal.ECORRUPT, 500}, {journal.EINTERNAL, 500},
	}
	for _, tt := range tests {
		if got := statusOf(tt.code); got != tt.want {
			t.Errorf("statusOf(%s) = %d; want %d", tt.code, got, tt.want)
		}
	}
}
