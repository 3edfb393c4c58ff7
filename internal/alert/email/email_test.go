package email_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/lifeline-project/lifeline/internal/alert/alerttest"
	"github.com/lifeline-project/lifeline/internal/alert/email"
	"github.com/lifeline-project/lifeline/internal/alert/mailcatcher"
	"github.com/lifeline-project/lifeline/internal/alert/notify"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

var msg = notify.Message{ID: "abc123", Kind: notify.KindFiring, Severity: "down", Site: "Apotheke am Markt", Lang: "de",
	Title: "Warenwirtschaft ausgefallen seit 02:13", Text: "Warenwirtschaft ausgefallen seit 02:13. Ursache: Server antwortet nicht.\nBetroffen: Kasse, Bestellung.\n",
	At: time.Date(2026, 3, 29, 0, 13, 0, 0, time.UTC)}

func TestSendWithSTARTTLSAndLogin(t *testing.T) {
	srvTLS, pool, err := alerttest.Cert()
	if err != nil {
		t.Fatal(err)
	}
	mc, err := mailcatcher.Start(mailcatcher.Config{TLS: srvTLS, Users: map[string]string{"user": "pw"}}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	base := email.Config{Host: "127.0.0.1", Port: mc.Port(), Username: "user", Password: "pw", From: "lifeline@apotheke.test", To: []string{"a@apotheke.test", "b@apotheke.test"}, RootCAs: pool}
	tests := []struct {
		name      string
		mod       func(*email.Config)
		wantErr   bool
		wantRetry bool
	}{
		{name: "delivered", mod: func(*email.Config) {}},
		{name: "wrong password is fatal", mod: func(c *email.Config) { c.Password = "nope" }, wantErr: true},
		{name: "untrusted certificate is fatal", mod: func(c *email.Config) { c.RootCAs = nil }, wantErr: true},
		{name: "server down is transient", mod: func(c *email.Config) { c.Port = freePort(t) }, wantErr: true, wantRetry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.mod(&cfg)
			n, err := email.New(cfg, quiet())
			if err != nil {
				t.Fatal(err)
			}
			before := mc.Count()
			retry, err := n.Notify(context.Background(), msg)
			if (err != nil) != tt.wantErr || retry != tt.wantRetry {
				t.Fatalf("Notify: got retry=%v err=%v; want retry=%v error=%v", retry, err, tt.wantRetry, tt.wantErr)
			}
			if err != nil {
				if strings.Contains(err.Error(), "pw") && cfg.Password != "" && strings.Contains(err.Error(), cfg.Password) {
					t.Errorf("error leaks the password: %v", err)
				}
				return
			}
			if mc.Count() != before+1 {
				t.Fatalf("mails: got %d; want %d", mc.Count(), before+1)
			}
			m := mc.Mails()[mc.Count()-1]
			if m.Subject != "[Apotheke am Markt] Warenwirtschaft ausgefallen seit 02:13" {
				t.Errorf("subject: got %q", m.Subject)
			}
			if !strings.Contains(m.Body, "Ursache: Server antwortet nicht.") || !m.TLS || m.AuthUser != "user" || len(m.To) != 2 {
				t.Errorf("mail: got body %q, tls %v, user %q, to %v", m.Body, m.TLS, m.AuthUser, m.To)
			}
			if m.Header.Get("X-Lifeline-Kind") != "firing" {
				t.Errorf("X-Lifeline-Kind: got %q", m.Header.Get("X-Lifeline-Kind"))
			}
		})
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// replyServer answers DATA with a fixed SMTP error.
type replyBackend struct{ err error }

func (b replyBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return replySession(b), nil }

type replySession struct{ err error }

func (s replySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s replySession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s replySession) Data(r io.Reader) error               { io.Copy(io.Discard, r); return s.err }
func (s replySession) Reset()                               {}
func (s replySession) Logout() error                        { return nil }

func TestSMTPReplyCodes(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantRetry bool
	}{
		{"451 try again later", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}, true},
		{"550 mailbox unknown", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := smtp.NewServer(replyBackend{tt.err})
			s.Domain = "localhost"
			s.AllowInsecureAuth = true
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go s.Serve(l)
			defer s.Close()
			n, err := email.New(email.Config{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, TLS: email.TLSNone, From: "a@b.test", To: []string{"c@d.test"}}, quiet())
			if err != nil {
				t.Fatal(err)
			}
			retry, err := n.Notify(context.Background(), msg)
			var ne *notify.Error
			if err == nil || !errors.As(err, &ne) || retry != tt.wantRetry {
				t.Fatalf("got retry=%v err=%v; want retry=%v and a notify.Error", retry, err, tt.wantRetry)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  email.Config
		want []string
	}{
		{"good", email.Config{Host: "smtp.example.de", From: "a@b.de", To: []string{"c@d.de"}}, nil},
		{"plain text only on loopback", email.Config{Host: "smtp.example.de", TLS: "none", From: "a@b.de", To: []string{"c@d.de"}}, []string{"tls"}},
		{"missing everything", email.Config{}, []string{"host", "from", "to"}},
		{"password without user", email.Config{Host: "h", Password: "x", From: "a@b.de", To: []string{"bad"}}, []string{"password", "to[0]"}},
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
