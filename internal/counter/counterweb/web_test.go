package counterweb_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/counter/countertest"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrortest"
)

// page GETs path and follows redirects, returning the last response and
// its path.
func page(t *testing.T, w *countertest.Web, c *http.Client, path string) (countertest.Response, string) {
	t.Helper()
	for range 5 {
		r := w.Do(c, "GET", path, nil, nil)
		if r.Status != http.StatusSeeOther {
			if strings.Contains(r.Body, "??") {
				t.Errorf("%s shows a missing text: %s", path, r.Body[strings.Index(r.Body, "??"):][:min(60, len(r.Body)-strings.Index(r.Body, "??"))])
			}
			return r, path
		}
		path = r.Header.Get("Location")
	}
	t.Fatalf("too many redirects at %s", path)
	return countertest.Response{}, ""
}

func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	text := html.UnescapeString(body)
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func switchOn(t *testing.T, w *countertest.Web, c *http.Client) {
	t.Helper()
	r := w.Do(c, "POST", "/counter/mode", url.Values{"csrf": {w.CSRF(c)}, "active": {"1"}, "reason": {"Warenwirtschaft ausgefallen"}, "next": {"/counter"}}, nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/counter" {
		t.Fatalf("switch on: status %d, location %q", r.Status, r.Header.Get("Location"))
	}
}

func TestCounterFlowWithoutScript(t *testing.T) {
	w := countertest.New(t, countertest.Options{}).StartWeb()
	c := w.Client()
	w.Login(c, "anna")
	r, _ := page(t, w, c, "/counter")
	mustContain(t, r.Body, "Notbetrieb ist aus.", "PZN scannen oder Artikelnamen tippen", "Preisdaten Stand: heute 02:11", "vor 3 Minuten", "Buchen erst nach dem Einschalten")
	switchOn(t, w, c)

	// A scanner types the Code 39 PZN and Enter: the form sends q.
	scan := w.Do(c, "GET", "/counter?q="+url.QueryEscape("-"+string(countertest.Rx30.PZN)), nil, nil)
	if scan.Status != http.StatusSeeOther {
		t.Fatalf("scan: status %d; want 303 to the new basket\n%s", scan.Status, scan.Body)
	}
	r, loc := page(t, w, c, scan.Header.Get("Location"))
	mustContain(t, r.Body, countertest.Rx30.Name, "30,00 €", "5,00 €", "Mindestzuzahlung 5,00 € (10 % von 30,00 € = 3,00 €)",
		"verschreibungspflichtig (Rx)", "kein Festbetrag", "Zahlart wählen: Bar (F2) oder Karte (F3)", "F9 Buchen")
	// The Festbetrag article twice, under 18, then cash.
	for _, step := range []string{"q=" + string(countertest.Festbetrag.PZN), "q=" + string(countertest.Festbetrag.PZN), "setm=1", "setp=cash"} {
		r := w.Do(c, "GET", loc+"&"+step, nil, nil)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("%s: status %d\n%s", step, r.Status, r.Body)
		}
		loc = r.Header.Get("Location")
	}
	r, _ = page(t, w, c, loc)
	mustContain(t, r.Body, "unter 18 Jahren: keine Zuzahlung", "Festbetrag 80,00 € überschritten: Mehrkosten 15,00 €", "30,00 €")
	if !strings.Contains(r.Body, `id="pay-cash" href=`) || !strings.Contains(r.Body, `aria-pressed="true" data-swap><span class="tick" aria-hidden="true">✓</span> Bar`) {
		t.Error("cash is not shown as chosen (with a tick and aria-pressed)")
	}
	u, _ := url.Parse(loc)
	form := u.Query()
	form.Set("csrf", w.CSRF(c))
	book := w.Do(c, "POST", "/counter/book", form, nil)
	if book.Status != http.StatusSeeOther || book.Header.Get("Location") != "/counter/receipt/1" {
		t.Fatalf("book: status %d, location %q\n%s", book.Status, book.Header.Get("Location"), book.Body)
	}
	// A double click sends the form again: the same receipt, one entry.
	again := w.Do(c, "POST", "/counter/book", form, nil)
	if again.Header.Get("Location") != "/counter/receipt/1" || w.Journal.Last() != 1 {
		t.Errorf("second post: location %q, journal entries %d; want receipt 1 and one entry", again.Header.Get("Location"), w.Journal.Last())
	}
	rc, _ := page(t, w, c, "/counter/receipt/1")
	en, err := w.Journal.Get(1)
	if err != nil {
		t.Fatal(err)
	}
	// Minor: no co-payment; Mehrkosten 2 x 15.00; adult prices 30 + 2 x 95.
	mustContain(t, rc.Body, "Apotheke am Markt", "Marktplatz 1, 12345 Musterstadt", "Beleg Nr. 1", "Kasse 1", "03.02.2026 02:14:00",
		"TSE-Ausfall — Notbetrieb, Beleg ohne TSE-Signatur.", "ersetzt keine zertifizierte TSE", en.Hash,
		"Preisdaten Stand: 03.02.2026 02:11", "1 × "+countertest.Rx30.Name, "2 × "+countertest.Festbetrag.Name,
		"220,00 €", "30,00 €", "Bar", "Patient unter 18 Jahren", "TEST-KASSE-1", "TEST-TSE-1", "Bedient von: anna")
	if !strings.Contains(rc.Body, `id="receipt-pay"><strong>30,00 €</strong>`) {
		t.Errorf("receipt: the patient pays 2 x 15,00 € Mehrkosten = 30,00 €; not found in\n%s", rc.Body)
	}
	// A viewer may read the receipt but not sell.
	v := w.Client()
	w.Login(v, "vera")
	if r := w.Do(v, "GET", "/counter/receipt/1", nil, nil); r.Status != http.StatusOK {
		t.Errorf("viewer reads the receipt: status %d", r.Status)
	}
	if r := w.Do(v, "GET", "/counter", nil, nil); r.Status != http.StatusForbidden {
		t.Errorf("viewer opens the counter: status %d; want 403", r.Status)
	}
	if r := w.Do(w.Client(), "GET", "/counter", nil, nil); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("anonymous: status %d to %q; want the login page", r.Status, r.Header.Get("Location"))
	}
	// Booking without the CSRF token is refused.
	form.Del("csrf")
	if r := w.Do(c, "POST", "/counter/book", form, nil); r.Status != http.StatusForbidden {
		t.Errorf("book without CSRF: status %d; want 403", r.Status)
	}
}

func TestCounterScanAndSearch(t *testing.T) {
	w := countertest.New(t, countertest.Options{}).StartWeb()
	c := w.Client()
	w.Login(c, "anna")
	absent := ""
	for n := 1; absent == ""; n++ {
		p := mirrortest.PZN(n)
		if _, err := w.Mirror.Article(t.Context(), p); err != nil {
			absent = string(p)
		}
	}
	tests := []struct {
		name   string
		q      string
		status int
		want   string
	}{
		{"wrong check digit", "04877801", http.StatusUnprocessableEntity, "Prüfziffer"},
		{"valid PZN not in the copy", absent, http.StatusNotFound, "PZN " + absent + " ist nicht in den Preisdaten"},
		{"nothing found", "Xylozzz", http.StatusNotFound, "Nichts gefunden für „Xylozzz“"},
		{"one hit is taken", "Cardiotest", http.StatusSeeOther, ""},
		{"name prefix with typo", "Hustenlösr", http.StatusSeeOther, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.Do(c, "GET", "/counter?q="+url.QueryEscape(tt.q), nil, nil)
			if r.Status != tt.status {
				t.Fatalf("status %d; want %d\n%s", r.Status, tt.status, r.Body)
			}
			if tt.want != "" {
				mustContain(t, r.Body, tt.want)
				if !strings.Contains(r.Body, `value="`+html.EscapeString(tt.q)+`"`) {
					t.Error("the scan field lost what was typed")
				}
			}
		})
	}
	// A name with many hits lists them; the script's search gets JSON.
	word := strings.Fields(w.Synthetic[0].Name)[0]
	r := w.Do(c, "GET", "/counter?q="+url.QueryEscape(word), nil, nil)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="hits"`) || !strings.Contains(r.Body, "Treffer für") {
		t.Fatalf("search %q: status %d, want a hit list\n%s", word, r.Status, r.Body)
	}
	r = w.Do(c, "GET", "/counter/search?q="+url.QueryEscape(word)+"&pay=card", nil, nil)
	var got struct {
		Hits []struct{ PZN, Name, Href string }
	}
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil || len(got.Hits) < 2 {
		t.Fatalf("search JSON: %v, %d hits\n%s", err, len(got.Hits), r.Body)
	}
	if h := got.Hits[0]; !strings.Contains(h.Href, "add="+h.PZN) || !strings.Contains(h.Href, "pay=card") {
		t.Errorf("hit link %q; want it to add the PZN and keep the basket", h.Href)
	}
	// The search leaves a broken basket alone and starts a new one.
	r = w.Do(c, "GET", "/counter?i=garbage", nil, nil)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(r.Body), "Warenkorb nicht lesbar") {
		t.Errorf("broken basket: status %d", r.Status)
	}
}

func TestEmergencyModeAPI(t *testing.T) {
	w := countertest.New(t, countertest.Options{NoArticles: true}).StartWeb()
	staff, err := w.Auth.CreateToken(t.Context(), "kasse-2", auth.RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := w.Auth.CreateToken(t.Context(), "monitoring", auth.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	c := w.Client()
	w.Set(countertest.CheckERP, check.StatusFail)
	api := func(method, token, body string) (int, map[string]any) {
		t.Helper()
		h := map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
		if body != "" {
			h["body"] = body
		}
		r := w.Do(c, method, "/api/v1/emergency-mode", nil, h)
		var m map[string]any
		if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
			t.Fatalf("%s: not JSON: %s", method, r.Body)
		}
		return r.Status, m
	}
	st, m := api("GET", viewer, "")
	if st != http.StatusOK || m["active"] != false || m["offer"] != true || m["since"] != nil {
		t.Errorf("GET before: %d %v; want off, offered because the ERP is down", st, m)
	}
	st, m = api("POST", staff, `{"active": true, "reason": "Warenwirtschaft ausgefallen"}`)
	if st != http.StatusOK || m["active"] != true || m["changed"] != true || m["by"] != "kasse-2" || m["since"] != "2026-02-03T01:14:00Z" {
		t.Errorf("POST on: %d %v", st, m)
	}
	st, m = api("POST", staff, `{"active": true}`)
	if st != http.StatusOK || m["changed"] != false || m["reason"] != "Warenwirtschaft ausgefallen" {
		t.Errorf("POST on again: %d %v; want unchanged", st, m)
	}
	if st, _ := api("POST", viewer, `{"active": false}`); st != http.StatusForbidden {
		t.Errorf("viewer switches: status %d; want 403", st)
	}
	for _, body := range []string{`{"reason": "x"}`, `{"active": "yes"}`, `{"active": true, "extra": 1}`, `not json`} {
		if st, m := api("POST", staff, body); st != http.StatusBadRequest || m["error"] == "" {
			t.Errorf("POST %s: %d %v; want 400 with a sentence", body, st, m)
		}
	}
	// A session needs the CSRF header.
	w.Login(c, "anna")
	r := w.Do(c, "POST", "/api/v1/emergency-mode", nil, map[string]string{"body": `{"active": false}`, "Content-Type": "application/json"})
	if r.Status != http.StatusForbidden {
		t.Errorf("session without CSRF: status %d; want 403", r.Status)
	}
	r = w.Do(c, "POST", "/api/v1/emergency-mode", nil, map[string]string{"body": `{"active": false}`, "Content-Type": "application/json", "X-CSRF-Token": w.CSRF(c)})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `"active":false`) {
		t.Errorf("session with CSRF: %d %s", r.Status, r.Body)
	}
	hist, _ := w.Service.ModeHistory(t.Context(), 10)
	if len(hist) != 2 || hist[0].By != "anna" || hist[1].By != "kasse-2" || hist[1].Via != counter.ViaAPI {
		t.Errorf("history: %+v", hist)
	}
}

func TestBannersOnEveryPage(t *testing.T) {
	w := countertest.New(t, countertest.Options{NoArticles: true}).StartWeb()
	c := w.Client()
	w.Login(c, "vera")
	w.Set(countertest.CheckERP, check.StatusFail)
	r, _ := page(t, w, c, "/")
	mustContain(t, r.Body, "Warenwirtschaft ausgefallen: Notbetrieb einschalten?")
	if _, _, err := w.Service.SetMode(t.Context(), "anna", counter.ViaPage, true, ""); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/counter/replay", "/password"} {
		r, _ := page(t, w, c, p)
		mustContain(t, r.Body, "Notbetrieb aktiv seit 02:14 — Verkäufe werden offline erfasst")
		if strings.Contains(r.Body, "Notbetrieb einschalten?") {
			t.Errorf("%s still offers emergency mode while it is on", p)
		}
	}
	if strings.Contains(r.Body, `href="/counter"`) {
		t.Error("a viewer sees the link to the counter; want it for staff only")
	}
}

func TestERezeptPages(t *testing.T) {
	w := countertest.New(t, countertest.Options{NoArticles: true, NoJournal: true}).StartWeb()
	c := w.Client()
	w.Login(c, "anna")
	csrf := w.CSRF(c)
	w.Set(countertest.CheckKonnektor, check.StatusFail)
	r := w.Do(c, "POST", "/counter/erezept", url.Values{"csrf": {csrf}, "scan": {countertest.ERezeptScan(3, 2)}, "contact": {"0171 2345678"},
		"urgent": {"1"}, "note": {"dringend: Antibiotikum"}}, nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add: status %d\n%s", r.Status, r.Body)
	}
	r, _ = page(t, w, c, r.Header.Get("Location"))
	mustContain(t, r.Body, "2 E-Rezept(e) vorgemerkt.", "2 E-Rezepte warten auf Einlösung", "TI gestört", "DRINGEND", "dringend: Antibiotikum", "0171 2345678",
		"Muster 16: apothekenpflichtige Arzneimittel (Kasse)", "160.000.000.000.003.")
	if strings.Contains(r.Body, "$accept?ac=") {
		t.Error("the list shows access codes; want them only on the token page")
	}
	// A wrong scan keeps what was typed and says why.
	r = w.Do(c, "POST", "/counter/erezept", url.Values{"csrf": {csrf}, "scan": {`{"urls":[]}`}, "contact": {"Herr Test"}}, nil)
	if r.Status != http.StatusUnprocessableEntity {
		t.Errorf("empty code: status %d; want 422", r.Status)
	}
	mustContain(t, r.Body, "E-Rezept-Code enthält kein Rezept", `value="Herr Test"`)
	l, err := w.Service.ListERezepte(t.Context(), "test")
	if err != nil || len(l.Waiting) != 2 {
		t.Fatalf("list: %v, %d", err, len(l.Waiting))
	}
	id := l.Waiting[0].ID
	tok, _ := page(t, w, c, "/counter/erezept/"+itoa(id)+"/token")
	mustContain(t, tok.Body, l.Waiting[0].Token.AccessCode, "Dieser Aufruf wurde protokolliert")
	if r := w.Do(c, "POST", "/counter/erezept/"+itoa(id)+"/done", url.Values{"csrf": {csrf}}, nil); r.Status != http.StatusSeeOther {
		t.Errorf("done: status %d", r.Status)
	}
	if r := w.Do(c, "POST", "/counter/erezept/"+itoa(id)+"/done", url.Values{"csrf": {csrf}}, nil); r.Status != http.StatusConflict {
		t.Errorf("done twice: status %d; want 409", r.Status)
	}
	w.Set(countertest.CheckKonnektor, check.StatusOK)
	r, _ = page(t, w, c, "/counter/erezept")
	mustContain(t, r.Body, "1 E-Rezept wartet auf Einlösung", "TI erreichbar", "In den letzten 24 Stunden erledigt", "eingelöst")
	// Staff cannot read the access log; the admin can, and it names anna.
	if r := w.Do(c, "GET", "/counter/erezept/log", nil, nil); r.Status != http.StatusForbidden {
		t.Errorf("staff reads the access log: status %d; want 403", r.Status)
	}
	a := w.Client()
	w.Login(a, "chef")
	r, _ = page(t, w, a, "/counter/erezept/log")
	mustContain(t, r.Body, "anna", "E-Rezept-Liste angesehen", "Zugangscode angezeigt", "als eingelöst markiert", "E-Rezept vorgemerkt")
}

func TestReplayPage(t *testing.T) {
	w := countertest.New(t, countertest.Options{ERP: true}).StartWeb()
	c := w.Client()
	w.Login(c, "anna")
	switchOn(t, w, c)
	b := counter.Basket{Key: counter.NewBasketKey(), Payment: "cash", Lines: []counter.Line{{PZN: countertest.Rx7340.PZN, Qty: 1, Kind: counter.KindGKV}}}
	form := b.Values()
	form.Set("csrf", w.CSRF(c))
	if r := w.Do(c, "POST", "/counter/book", form, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("book: %d %s", r.Status, r.Body)
	}
	r, _ := page(t, w, c, "/counter/replay")
	mustContain(t, r.Body, "Erst den Notbetrieb ausschalten", "Noch keine Übertragung.")
	if r := w.Do(c, "POST", "/counter/replay", url.Values{"csrf": {w.CSRF(c)}}, nil); r.Status != http.StatusConflict {
		t.Errorf("start while on: status %d; want 409", r.Status)
	}
	if r := w.Do(c, "POST", "/counter/mode", url.Values{"csrf": {w.CSRF(c)}, "active": {"0"}, "next": {"/counter/replay"}}, nil); r.Header.Get("Location") != "/counter/replay" {
		t.Fatalf("switch off: %d %q", r.Status, r.Header.Get("Location"))
	}
	r, _ = page(t, w, c, "/counter/replay")
	mustContain(t, r.Body, "Offline-Verkäufe an die Warenwirtschaft übertragen", "Mehrfaches Drücken ist sicher", "1 Offline-Verkauf noch nicht an die Warenwirtschaft übertragen")
	for range 2 { // pressed twice
		if r := w.Do(c, "POST", "/counter/replay", url.Values{"csrf": {w.CSRF(c)}}, nil); r.Status != http.StatusSeeOther && r.Status != http.StatusConflict {
			t.Fatalf("start: status %d\n%s", r.Status, r.Body)
		}
		deadline := time.Now().Add(30 * time.Second)
		for w.Service.ReplayStatus().Running && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	r, _ = page(t, w, c, "/counter/replay")
	mustContain(t, r.Body, "1 gebucht", "0 abgelehnt", "Alles übertragen.", "Gebuchte Verkäufe",
		"Verlauf des Notbetriebs", "03.02.2026 02:14", "eingeschaltet", "ausgeschaltet", "anna (Seite)", "Warenwirtschaft ausgefallen")
	if n := len(w.ERP.Bookings()); n != 1 {
		t.Errorf("ERP bookings: %d; want 1", n)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestPagesInEnglish(t *testing.T) {
	w := countertest.New(t, countertest.Options{ERP: true}).StartWeb()
	c := w.Client()
	w.Login(c, "chef")
	if r := w.Do(c, "POST", "/lang", url.Values{"csrf": {w.CSRF(c)}, "lang": {"en"}, "next": {"/counter"}}, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("switch language: %d", r.Status)
	}
	switchOn(t, w, c)
	scan := w.Do(c, "GET", "/counter?q="+string(countertest.Festbetrag.PZN), nil, nil)
	r, loc := page(t, w, c, scan.Header.Get("Location"))
	mustContain(t, r.Body, "Emergency mode active since 02:14", "Co-payment", "€95.00", "10 % of the Festbetrag €80.00 = €8.00", "Choose the payment")
	u, _ := url.Parse(loc)
	form := u.Query()
	form.Set("pay", "card")
	form.Set("csrf", w.CSRF(c))
	book := w.Do(c, "POST", "/counter/book", form, nil)
	rc, _ := page(t, w, c, book.Header.Get("Location"))
	mustContain(t, rc.Body, "TSE failure — emergency mode, receipt without TSE signature.", "does not replace a certified TSE", "Card", "Price data as of: 2026-02-03 02:11")
	w.Do(c, "POST", "/counter/erezept", url.Values{"csrf": {w.CSRF(c)}, "scan": {countertest.ERezeptScan(1, 1)}, "contact": {"x"}}, nil)
	for _, p := range []string{"/counter/erezept", "/counter/erezept/log", "/counter/replay", "/counter/erezept/1/token"} {
		r, _ := page(t, w, c, p)
		if r.Status != http.StatusOK {
			t.Errorf("%s: status %d", p, r.Status)
		}
	}
	r, _ = page(t, w, c, "/counter/replay")
	mustContain(t, r.Body, "Switch off emergency mode first")
}

// TestBasketActions follows the links of the page without a script: each
// action leads to the next basket in the address, so a reload repeats
// nothing.
func TestBasketActions(t *testing.T) {
	w := countertest.New(t, countertest.Options{}).StartWeb()
	c := w.Client()
	w.Login(c, "anna")
	rx, otc := string(countertest.Rx30.PZN), string(countertest.OTC.PZN)
	loc := "/counter"
	steps := []struct {
		action string
		lines  string // the basket's "i" parameter afterwards
	}{
		{"q=" + rx, rx + ":1:gkv"},
		{"q=" + otc, rx + ":1:gkv," + otc + ":1:otc"},
		{"inc=" + otc, rx + ":1:gkv," + otc + ":2:otc"},
		{"dec=" + rx, otc + ":2:otc"},
		{"lk=" + otc + ":gkv", otc + ":2:gkv"},
		{"setk=pkv", otc + ":2:pkv"},
		{"setk=gkv", otc + ":2:otc"},
		{"q=" + rx, otc + ":2:otc," + rx + ":1:gkv"},
		{"setk=otc", otc + ":2:otc," + rx + ":1:otc"},
		{"del=" + otc, rx + ":1:otc"},
	}
	key := ""
	for _, s := range steps {
		sep := "?"
		if strings.Contains(loc, "?") {
			sep = "&"
		}
		r := w.Do(c, "GET", loc+sep+s.action, nil, nil)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("%s: status %d\n%s", s.action, r.Status, r.Body)
		}
		loc = r.Header.Get("Location")
		u, _ := url.Parse(loc)
		if got := u.Query().Get("i"); got != s.lines {
			t.Errorf("after %s: lines %q; want %q", s.action, got, s.lines)
		}
		if key == "" {
			key = u.Query().Get("key")
		} else if got := u.Query().Get("key"); got != key {
			t.Errorf("after %s: the basket's key changed from %q to %q", s.action, key, got)
		}
	}
	if r := w.Do(c, "GET", loc+"&new=1", nil, nil); r.Header.Get("Location") != "/counter" {
		t.Errorf("new sale: went to %q; want an empty /counter", r.Header.Get("Location"))
	}
}
