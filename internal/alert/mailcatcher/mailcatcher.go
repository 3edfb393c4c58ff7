// Package mailcatcher is a tiny SMTP server that keeps the mails it receives
// in memory and shows them on a web page. The demo points its email
// receivers at it, so that a user sees the messages lifeline sends without a
// real mail server; tests and the alert benchmark use it as a real local
// SMTP server (with STARTTLS and login when configured). It is built on
// github.com/emersion/go-smtp.
package mailcatcher

import (
	"bytes"
	"crypto/tls"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one received message.
type Mail struct {
	// Seq numbers the mails from 1 in the order received.
	Seq      int
	At       time.Time
	From     string
	To       []string
	Subject  string
	Body     string
	Header   mail.Header
	Raw      []byte
	TLS      bool
	AuthUser string
}

// Config configures a catcher.
type Config struct {
	// Addr to listen on; default 127.0.0.1:0 (a free port).
	Addr string
	// Keep is how many mails are kept (default 200); older ones drop out.
	Keep int
	// TLS, when set, offers STARTTLS with this configuration.
	TLS *tls.Config
	// Users, when not empty, requires a PLAIN login with one of these
	// user/password pairs before mail is accepted.
	Users map[string]string
	// OnMail, when set, is called for every accepted mail, before the
	// server answers the client.
	OnMail func(Mail)
	// Now tells the time of arrival (default time.Now).
	Now func() time.Time
}

// Catcher is a running SMTP server that keeps what it receives.
type Catcher struct {
	cfg  Config
	log  *slog.Logger
	srv  *smtp.Server
	ln   net.Listener
	mu   sync.Mutex
	seq  int
	mail []Mail
	cond *sync.Cond
	done chan struct{}
}

// Start listens and serves until Close.
func Start(cfg Config, log *slog.Logger) (*Catcher, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 200
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mail catcher: listen on %s: %w", cfg.Addr, err)
	}
	c := &Catcher{cfg: cfg, log: log, ln: ln, done: make(chan struct{})}
	c.cond = sync.NewCond(&c.mu)
	s := smtp.NewServer(smtp.BackendFunc(func(conn *smtp.Conn) (smtp.Session, error) {
		_, isTLS := conn.TLSConnectionState()
		return &session{c: c, tls: isTLS, conn: conn}, nil
	}))
	s.Domain = "localhost"
	s.TLSConfig = cfg.TLS
	s.AllowInsecureAuth = cfg.TLS == nil
	s.MaxMessageBytes = 1 << 20
	s.MaxRecipients = 50
	s.ReadTimeout = 30 * time.Second
	s.WriteTimeout = 30 * time.Second
	s.ErrorLog = errLog{log}
	c.srv = s
	go func() {
		defer close(c.done)
		if err := s.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			log.Error("mail catcher stopped", "err", err)
		}
	}()
	return c, nil
}

type errLog struct{ log *slog.Logger }

func (l errLog) Printf(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l errLog) Println(v ...any)               { l.log.Debug(fmt.Sprint(v...)) }

// Addr returns the address the server listens on.
func (c *Catcher) Addr() string { return c.ln.Addr().String() }

// Port returns the port the server listens on.
func (c *Catcher) Port() int { return c.ln.Addr().(*net.TCPAddr).Port }

// Close stops the server.
func (c *Catcher) Close() error {
	err := c.srv.Close()
	<-c.done
	c.mu.Lock()
	c.cond.Broadcast()
	c.mu.Unlock()
	return err
}

// Mails returns the kept mails, oldest first.
func (c *Catcher) Mails() []Mail {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Mail(nil), c.mail...)
}

// Count returns how many mails arrived since the start (also those no
// longer kept).
func (c *Catcher) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq
}

// WaitCount blocks until at least n mails arrived or d passed; it reports
// whether n were reached.
func (c *Catcher) WaitCount(n int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	t := time.AfterFunc(d, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer t.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.seq < n && time.Now().Before(deadline) {
		c.cond.Wait()
	}
	return c.seq >= n
}

func (c *Catcher) add(m Mail) {
	c.mu.Lock()
	c.seq++
	m.Seq = c.seq
	c.mail = append(c.mail, m)
	if len(c.mail) > c.cfg.Keep {
		c.mail = append([]Mail(nil), c.mail[len(c.mail)-c.cfg.Keep:]...)
	}
	c.cond.Broadcast()
	c.mu.Unlock()
	if c.cfg.OnMail != nil {
		c.cfg.OnMail(m)
	}
}

type session struct {
	c    *Catcher
	conn *smtp.Conn
	tls  bool
	user string
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string {
	if len(s.c.cfg.Users) == 0 {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if want, ok := s.c.cfg.Users[username]; !ok || want != password {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if len(s.c.cfg.Users) > 0 && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	m := Mail{At: s.c.cfg.Now(), From: s.from, To: append([]string(nil), s.to...), Raw: raw, TLS: isTLS || s.tls, AuthUser: s.user}
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.Header = msg.Header
		dec := new(mime.WordDecoder)
		if subj, err := dec.DecodeHeader(msg.Header.Get("Subject")); err == nil {
			m.Subject = subj
		}
		var body io.Reader = msg.Body
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(msg.Body)
		}
		b, _ := io.ReadAll(body)
		m.Body = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	s.c.add(m)
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

//go:embed page.html
var pageHTML string

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"clock": func(t time.Time) string { return t.Format("02.01.2006 15:04:05") },
}).Parse(pageHTML))

// Handler returns a page that lists the received mails, newest first.
// loc sets the time zone of the times shown (nil: local).
func (c *Catcher) Handler(loc *time.Location) http.Handler {
	if loc == nil {
		loc = time.Local
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := c.Mails()
		for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
			ms[i], ms[j] = ms[j], ms[i]
		}
		for i := range ms {
			ms[i].At = ms[i].At.In(loc)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := pageTmpl.Execute(w, map[string]any{"Mails": ms, "Addr": c.Addr(), "Total": c.Count()}); err != nil {
			c.log.Error("mail catcher page", "err", err)
		}
	})
}
