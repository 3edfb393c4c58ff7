package sms_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/alert/sms"
)

func TestGateways(t *testing.T) {
	var gotMethod, gotBody, gotQuery, gotAuth, gotCT string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotMethod, gotBody, gotQuery, gotAuth, gotCT = r.Method, string(b), r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Type")
		if strings.Contains(r.URL.Path, "fail") {
			http.Error(w, "gateway busy", http.StatusBadGateway)
		}
	}))
	defer ts.Close()
	m := notify.Message{Kind: notify.KindFiring, Title: "Internet aus", Short: `Internetleitung ausgefallen seit 02:13 "Router". Bestätigen: http://x/a?t=1&u=2`}
	tests := []struct {
		name      string
		cfg       sms.Config
		check     func(t *testing.T)
		wantRetry bool
		wantErr   bool
	}{
		{name: "JSON POST with a bearer token", cfg: sms.Config{To: "+4915112345678", URL: ts.URL + "/send",
			Body: `{"to": {{json .To}}, "text": {{json .Text}}}`, Headers: map[string]string{"Authorization": "Bearer k3y"}},
			check: func(t *testing.T) {
				var v struct{ To, Text string }
				if err := json.Unmarshal([]byte(gotBody), &v); err != nil || v.To != "+4915112345678" || v.Text != m.Short {
					t.Errorf("body: got %q (%v)", gotBody, err)
				}
				if gotMethod != "POST" || gotAuth != "Bearer k3y" || gotCT != "application/json" {
					t.Errorf("request: got %s, auth %q, type %q", gotMethod, gotAuth, gotCT)
				}
			}},
		{name: "GET with the text in the query", cfg: sms.Config{To: "+4915112345678", Method: "get", URL: ts.URL + "/api?to={{.To | urlquery}}&msg={{.Text | urlquery}}"},
			check: func(t *testing.T) {
				if gotMethod != "GET" || !strings.Contains(gotQuery, "to=%2B4915112345678") || !strings.Contains(gotQuery, "msg=Internetleitung+ausgefallen") {
					t.Errorf("request: got %s ?%s", gotMethod, gotQuery)
				}
			}},
		{name: "form POST", cfg: sms.Config{To: "+4915112345678", URL: ts.URL + "/form", Body: "to={{.To | urlquery}}&text={{.Text | urlquery}}"},
			check: func(t *testing.T) {
				if gotCT != "application/x-www-form-urlencoded" || !strings.HasPrefix(gotBody, "to=%2B49") {
					t.Errorf("form: got %q type %q", gotBody, gotCT)
				}
			}},
		{name: "gateway 502 is transient", cfg: sms.Config{To: "+4915112345678", URL: ts.URL + "/fail", Body: "x={{.Text}}"}, wantErr: true, wantRetry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := sms.New(tt.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			retry, err := n.Notify(context.Background(), m)
			if (err != nil) != tt.wantErr || retry != tt.wantRetry {
				t.Fatalf("got retry=%v err=%v; want retry=%v error=%v", retry, err, tt.wantRetry, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t)
			}
		})
	}
}

func TestTextIsCut(t *testing.T) {
	long := strings.Repeat("ä", 400)
	got := sms.Text(notify.Message{Short: long})
	if n := len([]rune(got)); n != sms.MaxText {
		t.Errorf("text length: got %d runes; want %d", n, sms.MaxText)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  sms.Config
		want []string
	}{
		{"good", sms.Config{To: "+491511234567", URL: "https://gw.example/send", Body: `{"t": {{json .Text}}}`}, nil},
		{"bad number and template", sms.Config{To: "01511234567", URL: "https://gw.example/{{.To", Body: "x"}, []string{"to", "url"}},
		{"GET with body", sms.Config{To: "+491511234567", Method: "GET", URL: "https://gw.example/?m={{.Text}}", Body: "x"}, []string{"body"}},
		{"no text anywhere", sms.Config{To: "+491511234567", URL: "https://gw.example/"}, []string{"body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cfg
			c.ApplyDefaults()
			var got []string
			for _, p := range c.Validate() {
				got = append(got, p.Key)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("problem keys: got %v; want %v", got, tt.want)
			}
		})
	}
}
