// Package sim runs a simulated pharmacy on loopback for `lifeline demo` and
// for end-to-end tests. Every dependency is a real server on 127.0.0.1 with
// a random port that a real prober talks to: the ERP server (HTTP), the TI
// Konnektor (HTTPS with its own CA, and DNS), gematik's TI-Lagebild, two
// internet lines (TCP), a time server (NTP) and a UPS (NUT). Each one can be
// broken, slowed down and repaired while it runs, through Set, through the
// control page or through its JSON API; a broken server fails the way a real
// outage does (connection refused, SERVFAIL, no answer), and a repaired one
// answers again on the same address.
package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/check/ntpcheck"
	"github.com/lifeline-project/lifeline/internal/nut"
)

// Mode is the state a simulated dependency is put in.
type Mode string

// The modes of a simulated dependency. ModeDegraded means slow or partial,
// depending on the dependency; not every dependency supports it (see
// DepInfo.Modes).
const (
	ModeOK       Mode = "ok"
	ModeDegraded Mode = "degraded"
	ModeDown     Mode = "down"
)

// ParseMode reads "ok", "degraded" or "down".
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case ModeOK, ModeDegraded, ModeDown:
		return m, nil
	}
	return "", fmt.Errorf("sim: %q is not a mode; use ok, degraded or down: %w", s, ErrUnsupportedMode)
}

// Names of the simulated dependencies, as Set, Mode and the control page
// know them.
const (
	DepUPS       = "ups"
	DepLine1     = "line1"
	DepLine2     = "line2"
	DepNTP       = "ntp"
	DepKonnektor = "konnektor"
	DepTILage    = "tilage"
	DepERP       = "erp"
)

// ErrUnknownDependency is returned (wrapped) for a dependency name the
// pharmacy does not have.
var ErrUnknownDependency = errors.New("unknown dependency")

// ErrUnsupportedMode is returned (wrapped) for a mode that is not a mode or
// that the dependency does not support.
var ErrUnsupportedMode = errors.New("mode not supported")

// slowDelay is how long a slow (degraded) server waits before answering.
const slowDelay = 1500 * time.Millisecond

// DepInfo describes one simulated dependency and its current mode.
type DepInfo struct {
	// Name is the short name used by Set ("erp", "konnektor", ...).
	Name string `json:"name"`
	// Title is the German name shown to people; TitleEN the English one.
	Title   string `json:"title"`
	TitleEN string `json:"title_en"`
	// Mode is the current mode.
	Mode Mode `json:"mode"`
	// Modes lists the modes this dependency supports.
	Modes []Mode `json:"modes"`
	// Address says where the dependency listens, for display.
	Address string `json:"address"`
	// Effect says in plain words what the current mode means.
	Effect check.Text `json:"effect"`
}

// PharmacyOptions configure StartPharmacy.
type PharmacyOptions struct {
	// Name is the pharmacy's name, shown on the control page; default
	// "Simulierte Apotheke".
	Name string
	// Dir is the folder where the Konnektor's CA certificate is written.
	// When empty, a temporary folder is made and removed by Close.
	Dir string
	// Logger receives what the simulation does; default: discard.
	Logger *slog.Logger
}

// dep is one simulated dependency: its words and how to switch it.
type dep struct {
	name  string
	title check.Text
	modes []Mode
	// effect says what each mode means for this dependency.
	effect map[Mode]check.Text
	// degradeLabel is the label of the "degraded" button.
	degradeLabel check.Text
	address      func() string
	// apply switches the servers to m; called with setMu held, after the
	// new mode is visible when going down and before it when coming back,
	// so that nothing answers as healthy while it stops.
	apply func(m Mode) error
}

// Pharmacy is a running simulated pharmacy. Its methods are safe for
// concurrent use.
type Pharmacy struct {
	name    string
	log     *slog.Logger
	token   string
	dir     string
	tempDir bool
	caFile  string
	deps    []*dep

	// setMu serialises Set and Close: switching servers on and off.
	setMu  sync.Mutex
	closed bool
	// mu guards modes, which the servers read on every request.
	mu    sync.Mutex
	modes map[string]Mode
	// done is closed by Close, to wake up slow handlers.
	done chan struct{}

	erpMux    *http.ServeMux
	erp       *switchable
	konHTTPS  *switchable
	konDNS    *dnsServer
	tilage    *switchable
	tilageReq atomic.Int64
	line1     *switchable
	line2     *switchable
	ntp       *ntpcheck.Server
	ups       *nut.Server
}

// StartPharmacy starts all simulated dependencies of one pharmacy on
// 127.0.0.1, each in mode ok. ctx bounds the start only; the pharmacy runs
// until Close.
func StartPharmacy(ctx context.Context, opts PharmacyOptions) (_ *Pharmacy, err error) {
	p := &Pharmacy{
		name:  opts.Name,
		log:   opts.Logger,
		dir:   opts.Dir,
		modes: make(map[string]Mode),
		done:  make(chan struct{}),
	}
	if p.name == "" {
		p.name = "Simulierte Apotheke"
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.log = p.log.With("sim", p.name)
	if p.token, err = randomToken(); err != nil {
		return nil, err
	}
	if p.dir == "" {
		if p.dir, err = os.MkdirTemp("", "lifeline-sim-*"); err != nil {
			return nil, fmt.Errorf("sim: make a folder for the Konnektor CA: %w", err)
		}
		p.tempDir = true
	}
	defer func() {
		if err != nil {
			_ = p.Close()
		}
	}()
	if err := p.startServers(ctx); err != nil {
		return nil, err
	}
	p.deps = p.describeDeps()
	for _, d := range p.deps {
		p.modes[d.name] = ModeOK
	}
	p.log.Info("simulated pharmacy started", "erp", p.ERPURL(), "konnektor", p.KonnektorURL(),
		"konnektor_dns", p.KonnektorDNSAddr(), "tilage", p.TILageURL())
	return p, nil
}

// startServers starts every server, checking ctx between them.
func (p *Pharmacy) startServers(ctx context.Context) error {
	steps := []struct {
		what  string
		start func() error
	}{
		{"ERP", p.startERP},
		{"Konnektor", p.startKonnektor},
		{"TI-Lagebild", p.startTILage},
		{"internet lines", p.startLines},
		{"NTP", p.startNTP},
		{"UPS", p.startUPS},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sim: start cancelled: %w", err)
		}
		if err := s.start(); err != nil {
			return fmt.Errorf("sim: start %s: %w", s.what, err)
		}
	}
	return nil
}

// Name returns the pharmacy's name.
func (p *Pharmacy) Name() string { return p.name }

// Set puts the dependency dep into mode m. It fails with
// ErrUnknownDependency (naming the known ones) or ErrUnsupportedMode.
func (p *Pharmacy) Set(dep string, m Mode) error {
	d, err := p.dep(dep)
	if err != nil {
		return err
	}
	if !supports(d, m) {
		return fmt.Errorf("sim: %s supports the modes %s, not %q: %w", d.name, joinModes(d.modes), m, ErrUnsupportedMode)
	}
	p.setMu.Lock()
	defer p.setMu.Unlock()
	if p.closed {
		return fmt.Errorf("sim: pharmacy %q is closed", p.name)
	}
	old := p.Mode(d.name)
	if old == m {
		return nil
	}
	if m == ModeDown {
		// Make the new mode visible first, so that nothing answers as
		// healthy while the servers stop.
		p.setMode(d.name, m)
		if err := d.apply(m); err != nil {
			return fmt.Errorf("sim: set %s to %s: %w", d.name, m, err)
		}
	} else {
		if err := d.apply(m); err != nil {
			return fmt.Errorf("sim: set %s to %s: %w", d.name, m, err)
		}
		p.setMode(d.name, m)
	}
	p.log.Info("simulated dependency changed", "dep", d.name, "from", string(old), "to", string(m))
	return nil
}

// Mode returns the current mode of dep, or "" for an unknown name.
func (p *Pharmacy) Mode(dep string) Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.modes[dep]
}

func (p *Pharmacy) setMode(dep string, m Mode) {
	p.mu.Lock()
	p.modes[dep] = m
	p.mu.Unlock()
}

// Deps describes every dependency, in the recovery order of the dashboard
// (power, network, access, ERP).
func (p *Pharmacy) Deps() []DepInfo {
	out := make([]DepInfo, 0, len(p.deps))
	for _, d := range p.deps {
		out = append(out, p.info(d))
	}
	return out
}

func (p *Pharmacy) info(d *dep) DepInfo {
	m := p.Mode(d.name)
	return DepInfo{
		Name:    d.name,
		Title:   d.title.DE,
		TitleEN: d.title.EN,
		Mode:    m,
		Modes:   append([]Mode(nil), d.modes...),
		Address: d.address(),
		Effect:  d.effect[m],
	}
}

// dep finds a dependency by name.
func (p *Pharmacy) dep(name string) (*dep, error) {
	for _, d := range p.deps {
		if d.name == name {
			return d, nil
		}
	}
	names := make([]string, 0, len(p.deps))
	for _, d := range p.deps {
		names = append(names, d.name)
	}
	return nil, fmt.Errorf("sim: %q is not a simulated dependency; known are %s: %w",
		name, strings.Join(names, ", "), ErrUnknownDependency)
}

// Close stops every server and removes the CA file (and the folder, when
// StartPharmacy made it). Calling it again does nothing.
func (p *Pharmacy) Close() error {
	p.setMu.Lock()
	defer p.setMu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	close(p.done)
	var errs []error
	for _, s := range []*switchable{p.erp, p.konHTTPS, p.tilage, p.line1, p.line2} {
		if s != nil {
			errs = append(errs, s.off())
		}
	}
	if p.konDNS != nil {
		errs = append(errs, p.konDNS.close())
	}
	if p.ntp != nil {
		errs = append(errs, p.ntp.Close())
	}
	if p.ups != nil {
		errs = append(errs, p.ups.Close())
	}
	if p.caFile != "" {
		if err := os.Remove(p.caFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if p.tempDir {
		errs = append(errs, os.RemoveAll(p.dir))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sim: close %q: %w", p.name, err)
	}
	p.log.Info("simulated pharmacy stopped")
	return nil
}

// pause waits d, or less when ctx ends or the pharmacy closes; it reports
// whether the full time passed.
func (p *Pharmacy) pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-p.done:
		return false
	}
}

func supports(d *dep, m Mode) bool {
	for _, x := range d.modes {
		if x == m {
			return true
		}
	}
	return false
}

func joinModes(ms []Mode) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}
