package alertcli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert"
	"github.com/lifeline-project/lifeline/internal/alert/alerttest"
	"github.com/lifeline-project/lifeline/internal/alert/email"
	"github.com/lifeline-project/lifeline/internal/alert/mailcatcher"
	"github.com/lifeline-project/lifeline/internal/alert/webhook"
	"github.com/lifeline-project/lifeline/internal/cli/alertcli"
)

func TestAlertTest(t *testing.T) {
	mc, err := mailcatcher.Start(mailcatcher.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	hook := alerttest.NewWebhook("0123456789abcdef-x")
	defer hook.Close()
	hook.FailAlways = 401
	cfg := alert.Config{PublicURL: "http://192.168.1.10:8080",
		Receivers: []alert.Receiver{
			{Name: "anna-mail", Email: &email.Config{Host: "127.0.0.1", Port: mc.Port(), TLS: email.TLSNone, From: "l@a.test", To: []string{"anna@a.test"}}},
			{Name: "hook", Webhook: &webhook.Config{URL: hook.URL, Secret: "0123456789abcdef-x"}},
		},
		People: []alert.Person{{ID: "anna", Name: "Anna", Receivers: []string{"anna-mail"}}},
	}
	cfg.ApplyDefaults()
	dir := t.TempDir()
	env := alertcli.Env{Alert: cfg, SiteName: "Apotheke am Markt", Language: "de", Location: time.UTC, DataDir: dir}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"receiver by name", []string{"--config", "site.yaml", "--receiver", "anna-mail"}, 0, "der Server hat sie angenommen"},
		{"person by id", []string{"--receiver", "anna"}, 0, "„anna-mail“ (email) verschickt"},
		{"failing webhook", []string{"--receiver", "hook"}, 1, "Ein neuer Versuch hilft nicht"},
		{"unknown", []string{"--receiver", "nobody"}, 2, "Vorhanden: anna-mail, hook, anna"},
		{"missing flag", nil, 2, "--receiver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := alertcli.Test(tt.args, env, &out, &errOut)
			all := out.String() + errOut.String()
			if code != tt.wantCode || !strings.Contains(all, tt.wantOut) {
				t.Errorf("got exit %d, output %q; want %d containing %q", code, all, tt.wantCode, tt.wantOut)
			}
		})
	}
	if n := mc.Count(); n != 2 {
		t.Errorf("mails: got %d; want 2", n)
	}
	if got := mc.Mails()[0].Subject; got != "[Apotheke am Markt] Testnachricht von Lifeline" {
		t.Errorf("subject: got %q", got)
	}
	st, err := alert.OpenStore(context.Background(), filepath.Join(dir, alertcli.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ds, _ := st.Deliveries(context.Background(), 10)
	if len(ds) != 3 || ds[0].Status != alert.StatusFailed || ds[0].Receiver != "hook" {
		t.Errorf("delivery log: got %d entries, newest %+v; want 3 with the failed hook first", len(ds), ds[0])
	}
}
