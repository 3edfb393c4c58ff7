// Package probe wires the probe kinds to their prober packages: Build is
// the one place that knows every kind (CONVENTIONS: small plug-in
// interfaces, wired explicitly, no switch on URL prefixes elsewhere).
package probe

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/check/diskcheck"
	"github.com/lifeline-project/lifeline/internal/check/dnscheck"
	"github.com/lifeline-project/lifeline/internal/check/httpcheck"
	"github.com/lifeline-project/lifeline/internal/check/konnektor"
	"github.com/lifeline-project/lifeline/internal/check/ntpcheck"
	"github.com/lifeline-project/lifeline/internal/check/nutcheck"
	"github.com/lifeline-project/lifeline/internal/check/tcpcheck"
	"github.com/lifeline-project/lifeline/internal/check/tilage"
	"github.com/lifeline-project/lifeline/internal/check/tlscheck"
)

// New returns the prober for one validated check.
func New(spec check.Spec, log *slog.Logger) (check.Prober, error) {
	log = log.With("check", spec.ID)
	var (
		p   check.Prober
		err error
	)
	switch spec.Kind {
	case check.KindHTTP:
		p, err = httpcheck.New(spec, log)
	case check.KindTCP:
		p, err = tcpcheck.New(spec, log)
	case check.KindDNS:
		p, err = dnscheck.New(spec, log)
	case check.KindTLS:
		p, err = tlscheck.New(spec, log)
	case check.KindNTP:
		p, err = ntpcheck.New(spec, log)
	case check.KindNUT:
		p, err = nutcheck.New(spec, log)
	case check.KindKonnektor:
		p, err = konnektor.New(spec, log)
	case check.KindTILage:
		p, err = tilage.New(spec, log)
	case check.KindDisk:
		p, err = diskcheck.New(spec, log)
	default:
		return nil, fmt.Errorf("check %s: unknown kind %q", spec.ID, spec.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", spec.ID, err)
	}
	return p, nil
}

// All returns the probers of every check, keyed by id, or every error.
func All(specs []check.Spec, log *slog.Logger) (map[string]check.Prober, error) {
	out := make(map[string]check.Prober, len(specs))
	var errs []error
	for _, s := range specs {
		p, err := New(s, log)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[s.ID] = p
	}
	if len(errs) > 0 {
		return nil, joinErrs(errs)
	}
	return out, nil
}

func joinErrs(errs []error) error { return errors.Join(errs...) }
