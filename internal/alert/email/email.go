// Package email delivers alert messages by SMTP, with STARTTLS (default),
// implicit TLS or, on loopback only, plain text, and with PLAIN or LOGIN
// authentication. SMTP 4xx answers and network trouble are transient; 5xx
// answers, refused logins and certificate problems are fatal.
package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// TLS modes.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	TLSNone     = "none"
)

// Config configures one email receiver.
type Config struct {
	// Host and Port of the SMTP server; Port defaults to 587 (465 with
	// tls: tls, 25 with tls: none).
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	// TLS is starttls (default), tls (implicit, port 465) or none (only
	// allowed for a server on loopback, such as the demo's mail catcher).
	TLS string `yaml:"tls"`
	// CAFile is a PEM file of CA certificates to trust besides the system's.
	CAFile string `yaml:"ca_file"`
	// Username and Password log in with PLAIN (or LOGIN when the server
	// offers only that). Both empty: no login. The password is never logged.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// From is the sender address; To the recipients.
	From string   `yaml:"from"`
	To   []string `yaml:"to"`
	// Timeout bounds one delivery (default 30s).
	Timeout time.Duration `yaml:"-"`
	// RootCAs, when set, replaces the trusted roots (tests).
	RootCAs *x509.CertPool `yaml:"-"`
}

// ApplyDefaults fills empty keys.
func (c *Config) ApplyDefaults() {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Port == 0 {
		switch c.TLS {
		case TLSImplicit:
			c.Port = 465
		case TLSNone:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
}

// Validate reports every problem; keys are relative to the email section.
func (c *Config) Validate() validate.Problems {
	var ps validate.Problems
	if c.Host == "" {
		ps.Add("host", "missing; write the SMTP server of your mail provider, like smtp.example.de")
	}
	if c.Port < 1 || c.Port > 65535 {
		ps.Add("port", "%d is not a port number", c.Port)
	}
	switch c.TLS {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !isLoopback(c.Host) {
			ps.Add("tls", "none is only allowed for a mail server on this computer (127.0.0.1 or localhost); use starttls")
		}
	default:
		ps.Add("tls", "%q is not a TLS mode; use starttls, tls or none", c.TLS)
	}
	if (c.Username == "") != (c.Password == "") {
		ps.Add("password", "username and password go together; set both or neither")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		ps.Add("from", "%q is not an email address", c.From)
	}
	if len(c.To) == 0 {
		ps.Add("to", "missing; name at least one recipient address")
	}
	for i, to := range c.To {
		if _, err := mail.ParseAddress(to); err != nil {
			ps.Add(fmt.Sprintf("to[%d]", i), "%q is not an email address", to)
		}
	}
	if c.CAFile != "" {
		if _, err := os.Stat(c.CAFile); err != nil {
			ps.Add("ca_file", "cannot read %s", c.CAFile)
		}
	}
	return ps
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Notifier sends alert messages by email.
type Notifier struct {
	cfg  Config
	log  *slog.Logger
	tls  *tls.Config
	from string
	to   []string
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a notifier for a validated config.
func New(cfg Config, log *slog.Logger) (*Notifier, error) {
	cfg.ApplyDefaults()
	if ps := cfg.Validate(); len(ps) > 0 {
		return nil, fmt.Errorf("email: %w", errors.Join(problemErrs(ps)...))
	}
	if log == nil {
		log = slog.Default()
	}
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12, RootCAs: cfg.RootCAs}
	if cfg.CAFile != "" && tc.RootCAs == nil {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("email: read ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("email: ca_file %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	from, _ := mail.ParseAddress(cfg.From)
	n := &Notifier{cfg: cfg, log: log, tls: tc, from: from.Address}
	for _, t := range cfg.To {
		a, _ := mail.ParseAddress(t)
		n.to = append(n.to, a.Address)
	}
	return n, nil
}

func problemErrs(ps validate.Problems) []error {
	out := make([]error, len(ps))
	for i, p := range ps {
		out[i] = p
	}
	return out
}

// Notify sends m to every recipient in one SMTP transaction.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	return notify.Result(n.send(ctx, n.compose(m)))
}

func (n *Notifier) send(ctx context.Context, body []byte) error {
	addr := net.JoinHostPort(n.cfg.Host, strconv.Itoa(n.cfg.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return notify.Transient(fmt.Errorf("connect to %s: %w", addr, err))
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var c *smtp.Client
	switch n.cfg.TLS {
	case TLSImplicit:
		tconn := tls.Client(conn, n.tls)
		if err := tconn.HandshakeContext(ctx); err != nil {
			conn.Close()
			return classifyTLS(err)
		}
		c = smtp.NewClient(tconn)
	case TLSStartTLS:
		c, err = smtp.NewClientStartTLS(conn, n.tls)
		if err != nil {
			conn.Close()
			return classifyTLS(fmt.Errorf("STARTTLS with %s: %w", addr, err))
		}
	default:
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	if n.cfg.Username != "" {
		var a sasl.Client
		if ok, _ := c.Extension("AUTH"); ok && !c.SupportsAuth(sasl.Plain) && c.SupportsAuth(sasl.Login) {
			a = sasl.NewLoginClient(n.cfg.Username, n.cfg.Password)
		} else {
			a = sasl.NewPlainClient("", n.cfg.Username, n.cfg.Password)
		}
		if err := c.Auth(a); err != nil {
			return classifySMTP("login", err)
		}
	}
	if err := c.SendMail(n.from, n.to, bytes.NewReader(body)); err != nil {
		return classifySMTP("send", err)
	}
	if err := c.Quit(); err != nil {
		// The server accepted the message (DATA answered 250); a failed
		// QUIT does not undo that.
		n.log.Debug("smtp quit", "err", err)
	}
	return nil
}

// classifyTLS: certificate problems need a person; the rest may pass.
func classifyTLS(err error) error {
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ce) || errors.As(err, &ve) {
		return notify.Fatal(fmt.Errorf("the mail server's certificate is not trusted: %w", err))
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return classifySMTP("STARTTLS", err)
	}
	if strings.Contains(err.Error(), "STARTTLS") && strings.Contains(err.Error(), "not supported") {
		return notify.Fatal(err)
	}
	return notify.Transient(err)
}

// classifySMTP maps SMTP reply codes: 4xx transient, 5xx fatal.
func classifySMTP(step string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		werr := fmt.Errorf("%s: SMTP %d %s", step, se.Code, se.Message)
		if se.Code >= 400 && se.Code < 500 {
			return notify.Transient(werr)
		}
		return notify.Fatal(werr)
	}
	if notify.IsNetwork(err) {
		return notify.Transient(fmt.Errorf("%s: %w", step, err))
	}
	return notify.Fatal(fmt.Errorf("%s: %w", step, err))
}

// compose builds an RFC 5322 message, UTF-8, quoted-printable.
func (n *Notifier) compose(m notify.Message) []byte {
	var b bytes.Buffer
	at := m.At
	if at.IsZero() {
		at = time.Now()
	}
	subject := m.Title
	if m.Site != "" {
		subject = "[" + m.Site + "] " + subject
	}
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	fromName := "Lifeline"
	if m.Site != "" {
		fromName = "Lifeline " + m.Site
	}
	hdr("From", (&mail.Address{Name: fromName, Address: n.from}).String())
	hdr("To", strings.Join(n.to, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", subject))
	hdr("Date", at.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+msgID(m.ID)+"@lifeline>")
	if m.Kind != notify.KindResolved && m.Kind != notify.KindTest {
		hdr("X-Priority", "1")
		hdr("Importance", "high")
	}
	hdr("X-Lifeline-Kind", string(m.Kind))
	if m.IncidentID != "" {
		hdr("X-Lifeline-Incident", m.IncidentID)
	}
	hdr("Auto-Submitted", "auto-generated")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qw := quotedprintable.NewWriter(&b)
	qw.Write([]byte(strings.ReplaceAll(m.Text, "\n", "\r\n")))
	qw.Close()
	b.WriteString("\r\n")
	return b.Bytes()
}

func msgID(id string) string {
	if id != "" {
		return id
	}
	var r [12]byte
	rand.Read(r[:])
	return hex.EncodeToString(r[:])
}
