// Package tilage is the prober of kind "tilage": it reads gematik's
// TI-Lagebild (GET <url>/v2/tilage, gematik/api-tilage) and reports whether
// the E-Rezept works in the Telematikinfrastruktur (appStatus.erezept.outage:
// none, partial or full). It is the sanctioned way to learn about E-Rezept
// outages; polling the E-Rezept-Fachdienst itself is not allowed.
//
// gematik allows at most one automated request per 5 minutes. The prober
// enforces that itself: a Probe earlier than check.MinTILageInterval after
// the last request returns the last result without touching the network.
package tilage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// userAgent names lifeline to gematik, so that its operators can tell who
// polls.
const userAgent = "lifeline-site (+https://github.com/lifeline-project/lifeline)"

// Prober reads the TI-Lagebild, at most once per check.MinTILageInterval.
type Prober struct {
	url    string
	client *http.Client
	log    *slog.Logger

	// Now tells the time for the rate limit. It defaults to time.Now, whose
	// monotonic reading makes the limit immune to clock changes; tests
	// replace it.
	Now func() time.Time

	mu      sync.Mutex
	hasLast bool
	lastAt  time.Time
	last    check.Result
}

var _ check.Prober = (*Prober)(nil)

// New returns a prober for the TI-Lagebild API base URL spec.URL (for
// example DefaultURL; empty means DefaultURL). Path is appended unless the
// URL already ends in it; query parameters such as the provider filters
// ciKim or ciAccess are kept.
func New(spec check.Spec, log *slog.Logger) (*Prober, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	raw := strings.TrimSpace(spec.URL)
	if raw == "" {
		raw = DefaultURL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("check %q: url %q is not a web address; use %s", spec.ID, spec.URL, DefaultURL)
	}
	if !strings.HasSuffix(strings.TrimRight(u.Path, "/"), Path) {
		u.Path = strings.TrimRight(u.Path, "/") + Path
	}
	return &Prober{
		url: u.String(),
		client: &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSHandshakeTimeout: 10 * time.Second,
			MaxIdleConns:        1,
			IdleConnTimeout:     30 * time.Second,
		}},
		log: log.With("check", spec.ID, "kind", check.KindTILage),
		Now: time.Now,
	}, nil
}

// URL returns the address the prober asks.
func (p *Prober) URL() string { return p.url }

// Probe returns the E-Rezept state from the TI-Lagebild. Within
// check.MinTILageInterval of the last request it returns the last result
// and sends nothing.
func (p *Prober) Probe(ctx context.Context) (res check.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.Now()
	if p.hasLast && now.Sub(p.lastAt) < check.MinTILageInterval {
		return p.last
	}
	// The request counts from the moment it is sent, whatever comes back.
	p.hasLast, p.lastAt = true, now
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("tilage probe panicked", "panic", r)
			res = check.Fail(0, "Interner Fehler bei der TI-Lagebild-Prüfung", "Internal error while checking the TI-Lagebild")
		}
		res.Latency = time.Since(start)
		p.last = res
	}()
	return p.fetch(ctx)
}

func (p *Prober) fetch(ctx context.Context) check.Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return check.Fail(0, "Adresse des TI-Lagebilds ungültig", "TI-Lagebild address invalid")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := p.client.Do(req)
	if err != nil {
		p.log.Info("TI-Lagebild request failed", "url", p.url, "err", err)
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return check.Fail(0, "TI-Lagebild antwortet nicht rechtzeitig", "TI-Lagebild does not answer in time")
		}
		return check.Fail(0, "TI-Lagebild nicht erreichbar (Internetzugang prüfen)", "TI-Lagebild not reachable (check internet access)")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocumentBytes))
		return check.Fail(0,
			fmt.Sprintf("TI-Lagebild nicht abrufbar (HTTP-Status %d)", resp.StatusCode),
			fmt.Sprintf("TI-Lagebild not available (HTTP status %d)", resp.StatusCode))
	}
	doc, err := ParseDocument(resp.Body)
	if err != nil {
		p.log.Info("TI-Lagebild answer unusable", "err", err)
		if ctx.Err() != nil {
			return check.Fail(0, "TI-Lagebild antwortet nicht rechtzeitig", "TI-Lagebild does not answer in time")
		}
		return check.Fail(0, "TI-Lagebild liefert keine lesbare Antwort", "TI-Lagebild sends no readable answer")
	}
	return Judge(doc)
}

// Judge turns a TI-Lagebild document into a result for the E-Rezept: none
// is ok, partial degraded, full down, anything else unknown.
func Judge(doc *Document) check.Result {
	app, ok := doc.AppStatus[AppERezept]
	if !ok {
		return check.Result{Status: check.StatusUnknown, Message: check.Msg(
			"TI-Lagebild nennt das E-Rezept nicht", "TI-Lagebild does not mention the E-Rezept")}
	}
	maintDE, maintEN := "", ""
	if app.HasMaintenance || app.HasSubComponentMaintenance {
		maintDE, maintEN = " wegen Wartung", " due to maintenance"
	}
	switch app.Outage {
	case OutageNone:
		return check.Result{Status: check.StatusOK, Values: map[string]float64{"erezept_outage": 0}, Message: check.Msg(
			"E-Rezept ungestört (TI-Lagebild)", "E-Rezept working (TI-Lagebild)")}
	case OutagePartial:
		return check.Result{Status: check.StatusDegraded, Values: map[string]float64{"erezept_outage": 1}, Message: check.Msg(
			"E-Rezept teilweise gestört"+maintDE+" (TI-Lagebild)", "E-Rezept partly disrupted"+maintEN+" (TI-Lagebild)")}
	case OutageFull:
		return check.Result{Status: check.StatusFail, Values: map[string]float64{"erezept_outage": 2}, Message: check.Msg(
			"E-Rezept ausgefallen"+maintDE+" (TI-Lagebild): Ersatzverfahren mit Papierrezept",
			"E-Rezept down"+maintEN+" (TI-Lagebild): use the paper prescription fallback")}
	default:
		v := string(app.Outage)
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return check.Result{Status: check.StatusUnknown, Message: check.Msg(
			fmt.Sprintf("TI-Lagebild meldet einen unbekannten Zustand %q für das E-Rezept", v),
			fmt.Sprintf("TI-Lagebild reports an unknown state %q for the E-Rezept", v))}
	}
}
