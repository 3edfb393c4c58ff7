package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// controlServer serves the control page under /sim/, as the demo may
// mount it, and returns its URL and a client that does not follow
// redirects.
func controlServer(t *testing.T, p *Pharmacy) (string, *http.Client) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/sim/", http.StripPrefix("/sim", p.ControlHandler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return srv.URL + "/sim/", c
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

func TestControlPage(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
	mustSet(t, p, DepERP, ModeDown)
	base, c := controlServer(t, p)
	tests := []struct {
		query    string
		want     []string
		dontWant []string
	}{
		{"", []string{
			`<html lang="de">`, `id="dep-erp"`, `id="dep-konnektor"`, `id="dep-line1"`,
			`name="mode" value="down"`, `name="mode" value="degraded"`, `name="mode" value="ok"`,
			"Ausfallen lassen", "Verlangsamen", "Reparieren", "Warenwirtschaft (ERP-Server)",
			"ausgefallen", "in Ordnung", `value="` + p.ControlToken() + `"`, "Dashboard", "Ursache: Konnektor ausgefallen",
			`href="?lang=en"`,
		}, []string{"<script", "http://", "https://fonts"}},
		{"?lang=en", []string{
			`<html lang="en">`, "Break", "Slow down", "Repair", "Pharmacy system (ERP server)", "down", "OK",
		}, []string{"Ausfallen lassen"}},
	}
	for _, tt := range tests {
		t.Run("lang"+tt.query, func(t *testing.T) {
			resp, err := c.Get(base + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d; want 200", resp.StatusCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tt.dontWant {
				// Addresses of the dependencies are shown as text; no
				// asset may be loaded from anywhere.
				if w == "http://" {
					if strings.Contains(body, `src="http`) || strings.Contains(body, `href="http`) {
						t.Errorf("page links an outside asset")
					}
					continue
				}
				if strings.Contains(body, w) {
					t.Errorf("page contains %q", w)
				}
			}
		})
	}
	// A line cannot be slowed down, so its form has no such button.
	resp, err := c.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	i := strings.Index(body, `id="dep-line1"`)
	j := strings.Index(body[i:], "</form>")
	if form := body[i : i+j]; strings.Contains(form, `value="degraded"`) {
		t.Errorf("line1 form offers a degraded button: %s", form)
	}
}

func TestControlForm(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
	base, c := controlServer(t, p)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		form       url.Values
		header     map[string]string
		wantStatus int
		wantMode   Mode
	}{
		{"valid token", url.Values{"dep": {"erp"}, "mode": {"down"}, "token": {p.ControlToken()}}, nil, http.StatusSeeOther, ModeDown},
		{"valid token and own origin", url.Values{"dep": {"erp"}, "mode": {"degraded"}, "token": {p.ControlToken()}},
			map[string]string{"Origin": "http://" + u.Host, "Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther, ModeDegraded},
		{"missing token", url.Values{"dep": {"erp"}, "mode": {"ok"}}, nil, http.StatusForbidden, ModeDegraded},
		{"wrong token", url.Values{"dep": {"erp"}, "mode": {"ok"}, "token": {"0000"}}, nil, http.StatusForbidden, ModeDegraded},
		{"foreign origin", url.Values{"dep": {"erp"}, "mode": {"ok"}, "token": {p.ControlToken()}},
			map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden, ModeDegraded},
		{"cross-site fetch", url.Values{"dep": {"erp"}, "mode": {"ok"}, "token": {p.ControlToken()}},
			map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, ModeDegraded},
		{"unknown dependency", url.Values{"dep": {"fax"}, "mode": {"ok"}, "token": {p.ControlToken()}}, nil, http.StatusNotFound, ModeDegraded},
		{"unknown mode", url.Values{"dep": {"erp"}, "mode": {"kaputt"}, "token": {p.ControlToken()}}, nil, http.StatusBadRequest, ModeDegraded},
		{"repair", url.Values{"dep": {"erp"}, "mode": {"ok"}, "token": {p.ControlToken()}}, nil, http.StatusSeeOther, ModeOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, base+"?lang=en", strings.NewReader(tt.form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d (%s); want %d", resp.StatusCode, body, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusSeeOther {
				if got := resp.Header.Get("Location"); got != "/sim/?lang=en" {
					t.Errorf("Location %q; want /sim/?lang=en", got)
				}
			}
			if got := p.Mode(DepERP); got != tt.wantMode {
				t.Errorf("Mode(erp) = %q; want %q", got, tt.wantMode)
			}
		})
	}
}

func TestControlAPI(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
	base, c := controlServer(t, p)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}

	resp, err := c.Get(base + "api/deps")
	if err != nil {
		t.Fatal(err)
	}
	var deps []DepInfo
	if err := json.NewDecoder(resp.Body).Decode(&deps); err != nil {
		t.Fatalf("decode /api/deps: %v", err)
	}
	resp.Body.Close()
	if len(deps) != 7 || deps[len(deps)-1].Name != DepERP || deps[len(deps)-1].Address != p.ERPURL() {
		t.Errorf("GET /api/deps = %+v; want 7 dependencies ending with erp at %s", deps, p.ERPURL())
	}

	tests := []struct {
		name       string
		dep, body  string
		header     map[string]string
		wantStatus int
		wantMode   Mode
	}{
		{"token", "konnektor", `{"mode":"down"}`, map[string]string{TokenHeader: p.ControlToken()}, http.StatusOK, ModeDown},
		{"no token, no origin", "konnektor", `{"mode":"ok"}`, nil, http.StatusForbidden, ModeDown},
		{"wrong token", "konnektor", `{"mode":"ok"}`, map[string]string{TokenHeader: "x"}, http.StatusForbidden, ModeDown},
		{"own origin", "konnektor", `{"mode":"degraded"}`, map[string]string{"Origin": "http://" + u.Host}, http.StatusOK, ModeDegraded},
		{"foreign origin with token", "konnektor", `{"mode":"ok"}`,
			map[string]string{"Origin": "http://evil.example", TokenHeader: p.ControlToken()}, http.StatusForbidden, ModeDegraded},
		{"unknown dependency", "fax", `{"mode":"ok"}`, map[string]string{TokenHeader: p.ControlToken()}, http.StatusNotFound, ModeDegraded},
		{"bad mode", "konnektor", `{"mode":"kaputt"}`, map[string]string{TokenHeader: p.ControlToken()}, http.StatusBadRequest, ModeDegraded},
		{"not JSON", "konnektor", `mode=ok`, map[string]string{TokenHeader: p.ControlToken()}, http.StatusBadRequest, ModeDegraded},
		{"line cannot be slow", "line2", `{"mode":"degraded"}`, map[string]string{TokenHeader: p.ControlToken()}, http.StatusBadRequest, ModeDegraded},
		{"repair", "konnektor", `{"mode":"ok"}`, map[string]string{TokenHeader: p.ControlToken()}, http.StatusOK, ModeOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, base+"api/deps/"+tt.dep, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d (%s); want %d", resp.StatusCode, body, tt.wantStatus)
			}
			if resp.StatusCode == http.StatusOK {
				var d DepInfo
				if err := json.Unmarshal([]byte(body), &d); err != nil || d.Name != tt.dep || d.Mode != tt.wantMode {
					t.Errorf("answer %s (%v); want %s in mode %s", body, err, tt.dep, tt.wantMode)
				}
			} else if !strings.Contains(body, `"error"`) {
				t.Errorf("error answer %s; want a JSON error", body)
			}
			if got := p.Mode(DepKonnektor); got != tt.wantMode {
				t.Errorf("Mode(konnektor) = %q; want %q", got, tt.wantMode)
			}
		})
	}

	resp, err = c.Get(base + "api/deps/konnektor")
	if err != nil {
		t.Fatal(err)
	}
	var d DepInfo
	err = json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if err != nil || d.Name != DepKonnektor || d.Mode != ModeOK || d.Effect.DE == "" {
		t.Errorf("GET /api/deps/konnektor = %+v, %v; want konnektor in mode ok with an effect", d, err)
	}
}
