package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/mailcatcher"
	"github.com/lifeline-project/lifeline/internal/config"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/pharma"
	"github.com/lifeline-project/lifeline/internal/siteapp"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "site.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSiteRefusesInvalidConfig(t *testing.T) {
	path := writeConfig(t, "listen: 127.0.0.1:0\nchecks:\n  - id: erp\n    kind: http\n    url: ftp://x\n  - id: tilage\n    kind: tilage\n    url: https://t.example\n    interval: 30s\n")
	var out, errb bytes.Buffer
	code := run([]string{"site", "--config", path}, strings.NewReader(""), &out, &errb)
	if code != 2 {
		t.Fatalf("exit code: got %d; want 2", code)
	}
	for _, want := range []string{path + ":5: checks[0].url", path + ":9: checks[1].interval", "Nothing was started"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	}
}

func TestUserAddAndTokenCreate(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	path := writeConfig(t, "site_name: Test-Apotheke\nchecks:\n  - id: line1\n    kind: tcp\n    address: "+ln.Addr().String()+"\n    interval: 1s\n    timeout: 1s\n")
	var out, errb bytes.Buffer
	if code := run([]string{"site", "user", "add", "--config", path, "--name", "anna", "--role", "staff"}, strings.NewReader("kurz\n"), &out, &errb); code != 1 {
		t.Errorf("short password: got exit %d; want 1 (stderr %q)", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"site", "user", "add", "--config", path, "--name", "anna", "--role", "staff"}, strings.NewReader("ein-langes-passwort\n"), &out, &errb); code != 0 {
		t.Fatalf("user add: exit %d, %s", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"site", "token", "create", "--config", path, "--name", "nagios", "--role", "viewer"}, nil, &out, &errb); code != 0 {
		t.Fatalf("token create: exit %d, %s", code, errb.String())
	}
	token := strings.TrimSpace(out.String())
	if !strings.HasPrefix(token, "ll_") {
		t.Fatalf("token: got %q; want ll_...", token)
	}

	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := siteapp.Open(ctx, siteapp.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if app.AdminPassword != "" {
		t.Error("an admin was created although users exist; the first-start password is only for an empty site")
	}
	if err := app.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	defer func() { cancel(); <-done }()

	get := func(auth string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest("GET", app.URL()+"api/v1/status", nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp, body
	}
	if resp, _ := get(""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without token: got %d; want 401", resp.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, body := get(token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("with token: got %d; want 200", resp.StatusCode)
		}
		if body["overall"] == "ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("overall never became ok: %v", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code := run([]string{"site", "token", "revoke", "--config", path, "--name", "nagios"}, nil, &out, &errb); code != 0 {
		t.Fatalf("token revoke: exit %d, %s", code, errb.String())
	}
	if resp, _ := get(token); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked token: got %d; want 401", resp.StatusCode)
	}
}

func TestAlertTestCommandSendsMail(t *testing.T) {
	mc, err := mailcatcher.Start(mailcatcher.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	path := writeConfig(t, fmt.Sprintf(`checks:
  - {id: line1, kind: tcp, address: "127.0.0.1:9"}
alert:
  receivers:
    - name: anna-mail
      email: {host: 127.0.0.1, port: %d, tls: none, from: lifeline@apotheke.example, to: [anna@apotheke.example]}
`, mc.Port()))
	var out, errb bytes.Buffer
	if code := run([]string{"site", "alert", "test", "--config", path, "--receiver", "anna-mail"}, nil, &out, &errb); code != 0 {
		t.Fatalf("alert test: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !mc.WaitCount(1, 5*time.Second) {
		t.Fatal("the mail catcher received nothing")
	}
	if got := mc.Mails()[0].To; len(got) != 1 || got[0] != "anna@apotheke.example" {
		t.Errorf("recipient: got %v; want anna@apotheke.example", got)
	}
	if code := run([]string{"site", "alert", "test", "--config", path, "--receiver", "nobody"}, nil, &out, &errb); code == 0 {
		t.Error("an unknown receiver: got exit 0; want an error")
	}
}

// TestSalesAPIAndJournalVerify books a sale through the API with a staff
// token, repeats it with the same Idempotency-Key, and checks both journal
// copies with `lifeline journal verify`; a tampered entry makes it exit 1.
func TestSalesAPIAndJournalVerify(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	path := writeConfig(t, fmt.Sprintf(`checks:
  - {id: line1, kind: tcp, address: %q}
journal: {dir: %q, mirror_dir: %q, register_serial: KASSE-1}
`, ln.Addr().String(), filepath.Join(dir, "journal"), filepath.Join(dir, "usb")))
	var out, errb bytes.Buffer
	if code := run([]string{"site", "token", "create", "--config", path, "--name", "kasse", "--role", "staff"}, nil, &out, &errb); code != 0 {
		t.Fatalf("token create: %d %s", code, errb.String())
	}
	token := strings.TrimSpace(out.String())
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := siteapp.Open(ctx, siteapp.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	book := func() (int, map[string]any) {
		req, _ := http.NewRequest("POST", app.URL()+"api/v1/sales", strings.NewReader(`{"items":[{"pzn":"04877800","qty":1,"price":"4.99","copay":"0.00"}],"payment":"cash"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "kasse-1-0001")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	code1, first := book()
	code2, second := book()
	cancel()
	<-done
	app.Close()
	if code1 != http.StatusCreated || code2 != http.StatusCreated || first["hash"] == nil || first["hash"] != second["hash"] || first["number"] != second["number"] {
		t.Fatalf("booking twice with one key: got %d %v and %d %v; want 201 twice with the same entry", code1, first, code2, second)
	}
	out.Reset()
	if code := run([]string{"journal", "verify", "--config", path}, nil, &out, &errb); code != 0 {
		t.Fatalf("journal verify: exit %d\n%s%s", code, out.String(), errb.String())
	}
	file := filepath.Join(dir, "usb", "sales-journal.jsonl")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, bytes.Replace(b, []byte("4.99"), []byte("1.99"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"journal", "verify", "--config", path}, nil, &out, &errb); code != 1 {
		t.Errorf("journal verify after tampering with the USB copy: exit %d; want 1\n%s%s", code, out.String(), errb.String())
	}
}

// TestRekeyKeepsERezepte rotates the data key with `lifeline mirror rekey`
// and checks that a queued E-Rezept token can still be read afterwards.
func TestRekeyKeepsERezepte(t *testing.T) {
	path := writeConfig(t, "checks:\n  - {id: line1, kind: tcp, address: \"127.0.0.1:9\"}\n")
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	open := func() *siteapp.App {
		app, err := siteapp.Open(ctx, siteapp.Options{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
	id := "160.000.000.000.000"
	id += "." + pharma.PrescriptionIDCheckDigits(strings.ReplaceAll(id, ".", ""))
	scan := fmt.Sprintf(`{"urls":["Task/%s/$accept?ac=%s"]}`, id, strings.Repeat("ab", 32))
	app := open()
	added, _, err := app.Counter.AddERezepte(ctx, "anna", counter.ERezeptInput{Scan: scan, Contact: "Erika Mustermann 0201 123456"})
	if err != nil || len(added) != 1 {
		t.Fatalf("queue a token: %v %v", added, err)
	}
	keyBefore, _ := os.ReadFile(filepath.Join(cfg.DataDir, siteapp.KeyFile))
	app.Close()

	var out, errb bytes.Buffer
	if code := run([]string{"mirror", "rekey", "--config", path}, nil, &out, &errb); code != 0 {
		t.Fatalf("mirror rekey: exit %d\n%s%s", code, out.String(), errb.String())
	}
	keyAfter, _ := os.ReadFile(filepath.Join(cfg.DataDir, siteapp.KeyFile))
	if bytes.Equal(keyBefore, keyAfter) {
		t.Fatal("the key file did not change")
	}
	app = open()
	defer app.Close()
	list, err := app.Counter.ListERezepte(ctx, "anna")
	if err != nil || len(list.Waiting) != 1 || list.Waiting[0].Contact != "Erika Mustermann 0201 123456" || list.Waiting[0].Token.PrescriptionID != id {
		t.Fatalf("after rekey: %+v, %v; want the queued token readable", list, err)
	}
}
