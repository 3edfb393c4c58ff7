// Package httpcheck probes a web service: status code, optional text in the
// body and an optional field of a JSON body.
package httpcheck

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/check/tcpcheck"
	"github.com/lifeline-project/lifeline/internal/check/tlscheck"
)

var _ check.Prober = (*Prober)(nil)

// Limits of one probe.
const (
	// MaxBody is the most of a response body a probe reads.
	MaxBody = 1 << 20
	// MaxRedirects is the most redirects a probe follows.
	MaxRedirects = 3
)

// errTooManyRedirects ends a redirect chain longer than MaxRedirects.
var errTooManyRedirects = errors.New("too many redirects")

// Prober sends GET requests to one URL.
type Prober struct {
	url          string
	expectStatus int
	bodyContains string
	jsonPath     []string
	jsonField    string
	jsonValue    string
	client       *http.Client
	log          *slog.Logger
}

// New returns a prober for spec.URL. It fails when the URL is not an
// absolute http or https URL or spec.CAFile cannot be read.
func New(spec check.Spec, log *slog.Logger) (*Prober, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(spec.URL)
	if err != nil {
		return nil, fmt.Errorf("http check %q: url %q cannot be read: %w", spec.ID, spec.URL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("http check %q: url %q must start with http:// or https:// and name a host", spec.ID, spec.URL)
	}
	roots, err := tlscheck.LoadRoots(spec.CAFile)
	if err != nil {
		return nil, fmt.Errorf("http check %q: %w", spec.ID, err)
	}
	if spec.ExpectStatus != 0 && (spec.ExpectStatus < 100 || spec.ExpectStatus > 599) {
		return nil, fmt.Errorf("http check %q: expect_status %d is not an HTTP status (100-599)", spec.ID, spec.ExpectStatus)
	}
	var path []string
	if spec.JSONField != "" {
		path = strings.Split(spec.JSONField, ".")
	}
	transport := &http.Transport{
		Proxy:             http.ProxyFromEnvironment,
		DialContext:       (&net.Dialer{}).DialContext,
		TLSClientConfig:   &tls.Config{RootCAs: roots, ServerName: spec.ServerName},
		DisableKeepAlives: true, // each probe opens a fresh connection
		// Ask for plain bodies, so that MaxBody counts what the server sent.
		DisableCompression: true,
	}
	expect := spec.ExpectStatus
	client := &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if expect >= 300 && expect < 400 {
				return http.ErrUseLastResponse // the redirect itself is checked
			}
			if len(via) > MaxRedirects {
				return errTooManyRedirects
			}
			return nil
		},
	}
	return &Prober{
		url:          spec.URL,
		expectStatus: spec.ExpectStatus,
		bodyContains: spec.BodyContains,
		jsonPath:     path,
		jsonField:    spec.JSONField,
		jsonValue:    spec.JSONValue,
		client:       client,
		log:          log.With("check", spec.ID),
	}, nil
}

// Probe sends one GET request and judges the answer. Values: status_code.
func (p *Prober) Probe(ctx context.Context) (res check.Result) {
	start := time.Now()
	defer tcpcheck.Recover(p.log, start, &res)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return check.Fail(time.Since(start),
			fmt.Sprintf("Adresse ungültig: %v", err), fmt.Sprintf("invalid address: %v", err))
	}
	req.Header.Set("User-Agent", "lifeline-monitor")
	resp, err := p.client.Do(req)
	if err != nil {
		p.log.Debug("http probe failed", "url", p.url, "err", err)
		return p.failure(ctx, err, time.Since(start))
	}
	defer resp.Body.Close()
	values := map[string]float64{"status_code": float64(resp.StatusCode)}

	var body []byte
	if p.bodyContains != "" || len(p.jsonPath) > 0 {
		body, err = io.ReadAll(io.LimitReader(resp.Body, MaxBody))
		if err != nil {
			p.log.Debug("http probe: reading body failed", "url", p.url, "err", err)
			r := p.failure(ctx, err, time.Since(start))
			r.Values = values
			return r
		}
	}
	elapsed := time.Since(start)
	res = check.Result{Status: check.StatusFail, Latency: elapsed, Values: values}
	code := resp.StatusCode
	switch {
	case p.expectStatus != 0 && code != p.expectStatus:
		res.Message = check.Msg(
			fmt.Sprintf("Antwort %d statt %d%s", code, p.expectStatus, statusHintDE(code)),
			fmt.Sprintf("got status %d instead of %d%s", code, p.expectStatus, statusHintEN(code)))
	case p.expectStatus == 0 && (code < 200 || code > 399):
		res.Message = check.Msg(
			fmt.Sprintf("Antwort %d statt 200%s", code, statusHintDE(code)),
			fmt.Sprintf("got status %d instead of 200%s", code, statusHintEN(code)))
	case p.bodyContains != "" && !strings.Contains(string(body), p.bodyContains):
		res.Message = check.Msg(
			fmt.Sprintf("Erwarteter Text „%s“ fehlt in der Antwort", p.bodyContains),
			fmt.Sprintf("expected text %q missing from the response", p.bodyContains))
	case len(p.jsonPath) > 0:
		res.Message = p.judgeJSON(body)
		if res.Message.IsZero() {
			res.Status = check.StatusOK
			res.Message = okMessage(code, elapsed)
		}
	default:
		res.Status = check.StatusOK
		res.Message = okMessage(code, elapsed)
	}
	return res
}

// judgeJSON returns a message when the JSON field is missing or wrong, and
// the zero Text when it is as wanted.
func (p *Prober) judgeJSON(body []byte) check.Text {
	got, err := lookupJSON(body, p.jsonPath)
	switch {
	case errors.Is(err, errNotJSON):
		return check.Msg("Antwort ist kein gültiges JSON", "response is not valid JSON")
	case err != nil:
		return check.Msg(
			fmt.Sprintf("Feld „%s“ fehlt in der Antwort", p.jsonField),
			fmt.Sprintf("field %q missing from the response", p.jsonField))
	case p.jsonValue != "" && got != p.jsonValue:
		return check.Msg(
			fmt.Sprintf("Feld „%s“ ist „%s“ statt „%s“", p.jsonField, shorten(got), p.jsonValue),
			fmt.Sprintf("field %q is %q instead of %q", p.jsonField, shorten(got), p.jsonValue))
	}
	return check.Text{}
}

// failure explains a transport error.
func (p *Prober) failure(ctx context.Context, err error, elapsed time.Duration) check.Result {
	if errors.Is(err, errTooManyRedirects) {
		return check.Fail(elapsed,
			fmt.Sprintf("Zu viele Weiterleitungen (mehr als %d)", MaxRedirects),
			fmt.Sprintf("too many redirects (more than %d)", MaxRedirects))
	}
	if ctx.Err() == nil && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return check.Fail(elapsed,
			"Der Server spricht kein HTTPS (keine verschlüsselte Verbindung) – ist die Adresse mit http:// gemeint?",
			"the server does not speak HTTPS (no encrypted connection) – is the address meant with http://?")
	}
	return tlscheck.Failure(ctx, err, elapsed, time.Now())
}

func okMessage(code int, elapsed time.Duration) check.Text {
	return check.Msg(
		fmt.Sprintf("Antwort %d in %s", code, tcpcheck.FormatDuration(elapsed, "de")),
		fmt.Sprintf("status %d in %s", code, tcpcheck.FormatDuration(elapsed, "en")))
}

// statusHintDE explains common status codes in plain German.
func statusHintDE(code int) string {
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return " (Zugriff verweigert)"
	case code == http.StatusNotFound:
		return " (Seite nicht gefunden)"
	case code == http.StatusServiceUnavailable:
		return " (Dienst vorübergehend nicht verfügbar)"
	case code >= 500:
		return " (Fehler auf dem Server)"
	}
	return ""
}

// statusHintEN explains common status codes in plain English.
func statusHintEN(code int) string {
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return " (access denied)"
	case code == http.StatusNotFound:
		return " (page not found)"
	case code == http.StatusServiceUnavailable:
		return " (service temporarily unavailable)"
	case code >= 500:
		return " (error on the server)"
	}
	return ""
}

// shorten cuts long values for a message.
func shorten(s string) string {
	const max = 60
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
