package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lifeline-project/lifeline/internal/alert/alerttest"
	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/alert/webhook"
)

const secret = "0123456789abcdef-secret"

func TestSignedPost(t *testing.T) {
	hook := alerttest.NewWebhook(secret)
	defer hook.Close()
	n, err := webhook.New(webhook.Config{URL: hook.URL, Secret: secret}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m := notify.Message{ID: "d1", Kind: notify.KindFiring, Title: "Internetleitung ausgefallen", Causes: []notify.Cause{{CheckID: "line"}}}
	if retry, err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify: retry=%v err=%v", retry, err)
	}
	ps := hook.Payloads()
	if len(ps) != 1 || ps[0].Version != 1 || ps[0].Title != m.Title || ps[0].Causes[0].CheckID != "line" {
		t.Fatalf("payloads: got %+v", ps)
	}
	// A receiver with another secret rejects it: fatal, no retry.
	other, _ := webhook.New(webhook.Config{URL: hook.URL, Secret: "another-secret-1234"}, nil)
	if retry, err := other.Notify(context.Background(), m); err == nil || retry {
		t.Errorf("wrong secret: got retry=%v err=%v; want a fatal error", retry, err)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"version":1}`)
	sig := webhook.Sign(secret, body)
	tests := []struct {
		name   string
		body   []byte
		header string
		want   bool
	}{
		{"valid", body, sig, true},
		{"changed body", []byte(`{"version":2}`), sig, false},
		{"no prefix", body, sig[len("sha256="):], false},
		{"not hex", body, "sha256=zz", false},
		{"empty", body, "", false},
	}
	for _, tt := range tests {
		if got := webhook.Verify(secret, tt.body, tt.header); got != tt.want {
			t.Errorf("%s: got %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestStatusClassification(t *testing.T) {
	tests := []struct {
		status    int
		wantErr   bool
		wantRetry bool
	}{
		{200, false, false}, {204, false, false}, {400, true, false}, {401, true, false}, {404, true, false},
		{408, true, true}, {429, true, true}, {500, true, true}, {503, true, true},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tt.status) }))
		n, _ := webhook.New(webhook.Config{URL: srv.URL, Secret: secret}, nil)
		retry, err := n.Notify(context.Background(), notify.Message{})
		srv.Close()
		if (err != nil) != tt.wantErr || retry != tt.wantRetry {
			t.Errorf("HTTP %d: got retry=%v err=%v; want retry=%v error=%v", tt.status, retry, err, tt.wantRetry, tt.wantErr)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{}`), "sha256=00")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		if webhook.Verify(secret, body, header) && header != webhook.Sign(secret, body) {
			t.Fatalf("accepted a signature that is not the real one")
		}
		_ = json.Valid(body)
	})
}
