package alert

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

func do(t *testing.T, h http.Handler, method, target string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestAckLinkPages(t *testing.T) {
	r := newRig(t, escalationConfig(), t0, lineSite())
	r.set("line", check.StateDown, "keine Antwort")
	r.run(time.Minute)
	link, _ := url.Parse(r.only("anna-push").AckURL)
	wb := NewWeb(r.eng, "", WebHooks{})
	h := wb.Link()
	tests := []struct {
		name       string
		method     string
		target     string
		form       url.Values
		wantStatus int
		want       string
	}{
		{"GET shows the fault and a button, twice", "GET", link.RequestURI(), nil, 200, "Internetleitung ausgefallen seit 02:13"},
		{"GET again still works: scanners must not use it up", "GET", link.RequestURI(), nil, 200, "Ich kümmere mich"},
		{"tampered link", "GET", AckPath + "?t=xyz", nil, 400, "ungültig"},
		{"POST acknowledges", "POST", AckPath, url.Values{"t": {link.Query().Get("t")}}, 200, "Danke, Anna Becker"},
		{"POST again: used", "POST", AckPath, url.Values{"t": {link.Query().Get("t")}}, 409, "schon benutzt"},
		{"GET after: shows who acknowledged", "GET", link.RequestURI(), nil, 200, "Schon bestätigt von Anna Becker"},
	}
	for _, tt := range tests {
		rec := do(t, h, tt.method, tt.target, tt.form)
		if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("%s: got %d\n%s\nwant %d containing %q", tt.name, rec.Code, rec.Body.String(), tt.wantStatus, tt.want)
		}
	}
	r.jump(30 * time.Minute)
	r.wantLog("anna-push:firing")
}

func TestDashboardPageAndActions(t *testing.T) {
	r := newRig(t, escalationConfig(), t0, lineSite())
	r.recv["anna-push"].fail = func(int) (bool, error) { return false, errString("HTTP 401 Unauthorized") }
	r.set("line", check.StateDown, "keine Antwort")
	r.run(time.Minute)
	var rendered string
	wb := NewWeb(r.eng, "/alerts", WebHooks{
		User: func(*http.Request) (string, bool) { return "Clara Chef", true },
		CSRF: func(*http.Request) string { return "tok123" },
	})
	page := do(t, wb.Page(), "GET", "/alerts", nil)
	rendered = page.Body.String()
	for _, want := range []string{"Ein Alarmweg funktioniert nicht!", "anna-push", "HTTP 401 Unauthorized", "fehlgeschlagen nach 1 Versuch",
		"Internetleitung ausgefallen seit 02:13", "Noch nicht bestätigt.", `name="csrf" value="tok123"`, "Versandprotokoll"} {
		if !strings.Contains(rendered, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if text, ok := wb.Banner(nil); !ok || !strings.Contains(text.DE, "anna-push") {
		t.Errorf("banner: got %q, %v; want the failing receiver", text.DE, ok)
	}
	inc := r.eng.Incidents()[0]
	if rec := do(t, wb.AckAction(), "POST", "/alerts/ack", url.Values{"incident": {inc.ID}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("ack: got %d %s", rec.Code, rec.Body.String())
	}
	if got := r.eng.Incidents()[0].AckedBy; got != "Clara Chef" {
		t.Errorf("acked by: got %q; want Clara Chef", got)
	}
	if rec := do(t, wb.AddSilenceAction(), "POST", "/alerts/silences", url.Values{"check": {"ups"}, "hours": {"2"}, "comment": {""}}); rec.Code != http.StatusBadRequest {
		t.Errorf("silence without comment: got %d; want 400", rec.Code)
	}
	if rec := do(t, wb.AddSilenceAction(), "POST", "/alerts/silences", url.Values{"check": {"ups"}, "hours": {"2"}, "comment": {"USV-Tausch"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("silence: got %d %s", rec.Code, rec.Body.String())
	}
	ss := r.eng.Silences()
	if len(ss) != 1 || ss[0].CreatedBy != "Clara Chef" || ss[0].Ends.Sub(r.clk.Now()) != 2*time.Hour {
		t.Fatalf("silences: got %+v", ss)
	}
	page = do(t, wb.Page(), "GET", "/alerts", nil)
	if !strings.Contains(page.Body.String(), "USV-Tausch") || !strings.Contains(page.Body.String(), "Bestätigt von Clara Chef") {
		t.Errorf("page after actions lacks the silence or the acknowledgement")
	}
	if rec := do(t, wb.EndSilenceAction(), "POST", "/alerts/silences/end", url.Values{"id": {ss[0].ID}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("end silence: got %d", rec.Code)
	}
	if n := len(r.eng.Silences()); n != 0 {
		t.Errorf("silences after end: got %d; want 0", n)
	}
	if rec := do(t, wb.EndSilenceAction(), "POST", "/alerts/silences/end", url.Values{"id": {"nope"}}); rec.Code != http.StatusNotFound {
		t.Errorf("end unknown silence: got %d; want 404", rec.Code)
	}
	viewer := NewWeb(r.eng, "/alerts", WebHooks{User: func(*http.Request) (string, bool) { return "Gast", false }})
	if rec := do(t, viewer.AckAction(), "POST", "/alerts/ack", url.Values{"incident": {inc.ID}}); rec.Code != http.StatusForbidden {
		t.Errorf("viewer ack: got %d; want 403", rec.Code)
	}
	if strings.Contains(do(t, viewer.Page(), "GET", "/alerts", nil).Body.String(), "<form") {
		t.Errorf("viewer page shows forms")
	}
}

type errString string

func (e errString) Error() string { return string(e) }
