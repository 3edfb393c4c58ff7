// Package diskcheck probes the free space of the drive that holds a folder,
// so that the site node, its database and backups do not run out of room.
package diskcheck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/check/tcpcheck"
)

var _ check.Prober = (*Prober)(nil)

// usage is the space of one file system as an ordinary program sees it.
type usage struct {
	// free is the space lifeline may still write (without the blocks
	// reserved for the administrator).
	free uint64
	// total is the usable size: used plus free, as df and Explorer count.
	total uint64
}

// Prober measures the free space of one folder's drive.
type Prober struct {
	path     string
	warnFree float64
	minFree  float64
	// busy holds a token while a measurement runs. A hung network drive
	// can block the system call for minutes; the next probe then reports
	// at once instead of piling up blocked calls.
	busy chan struct{}
	log  *slog.Logger
}

// New returns a prober for spec.Path. The folder need not exist yet (a
// backup drive may be plugged in later); it fails only without a path or
// with thresholds outside 0-100.
func New(spec check.Spec, log *slog.Logger) (*Prober, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if strings.TrimSpace(spec.Path) == "" {
		return nil, fmt.Errorf("disk check %q: path is empty; name a folder on the drive to watch, for example C:\\ or /var/lib/lifeline", spec.ID)
	}
	for key, v := range map[string]float64{"warn_free_percent": spec.WarnFreePercent, "min_free_percent": spec.MinFreePercent} {
		if v < 0 || v > 100 {
			return nil, fmt.Errorf("disk check %q: %s %g is not a percentage between 0 and 100", spec.ID, key, v)
		}
	}
	return &Prober{
		path:     spec.Path,
		warnFree: spec.WarnFreePercent,
		minFree:  spec.MinFreePercent,
		busy:     make(chan struct{}, 1),
		log:      log.With("check", spec.ID),
	}, nil
}

// Probe measures the free space: down below min_free_percent, degraded
// below warn_free_percent. Values: free_percent, free_bytes, total_bytes.
func (p *Prober) Probe(ctx context.Context) (res check.Result) {
	start := time.Now()
	defer tcpcheck.Recover(p.log, start, &res)
	if err := ctx.Err(); err != nil {
		return tcpcheck.Failure(ctx, err, 0)
	}
	select {
	case p.busy <- struct{}{}:
	default:
		return check.Fail(time.Since(start),
			fmt.Sprintf("Laufwerk von „%s“ antwortet noch immer nicht auf die vorige Abfrage", p.path),
			fmt.Sprintf("drive of %q still has not answered the previous query", p.path))
	}
	type answer struct {
		u   usage
		err error
	}
	done := make(chan answer, 1)
	go func() {
		defer func() { <-p.busy }()
		u, err := diskUsage(p.path)
		done <- answer{u, err}
	}()
	select {
	case a := <-done:
		elapsed := time.Since(start)
		if a.err != nil {
			p.log.Debug("disk probe failed", "path", p.path, "err", a.err)
			return p.failure(a.err, elapsed)
		}
		return p.judge(a.u, elapsed)
	case <-ctx.Done():
		elapsed := time.Since(start)
		if errors.Is(ctx.Err(), context.Canceled) {
			return tcpcheck.Failure(ctx, ctx.Err(), elapsed)
		}
		return check.Fail(elapsed,
			fmt.Sprintf("Laufwerk von „%s“ antwortet nicht (nach %s) – Netzlaufwerk oder Festplatte prüfen", p.path, tcpcheck.FormatDuration(elapsed, "de")),
			fmt.Sprintf("drive of %q does not answer (after %s) – check the network drive or disk", p.path, tcpcheck.FormatDuration(elapsed, "en")))
	}
}

// failure explains why the space could not be read.
func (p *Prober) failure(err error, elapsed time.Duration) check.Result {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return check.Fail(elapsed,
			fmt.Sprintf("Ordner „%s“ nicht gefunden – ist das Laufwerk angeschlossen?", p.path),
			fmt.Sprintf("folder %q not found – is the drive connected?", p.path))
	case errors.Is(err, fs.ErrPermission):
		return check.Fail(elapsed,
			fmt.Sprintf("Kein Zugriff auf den Ordner „%s“", p.path),
			fmt.Sprintf("no access to the folder %q", p.path))
	}
	return check.Fail(elapsed,
		fmt.Sprintf("Freier Speicher von „%s“ nicht lesbar (%v)", p.path, err),
		fmt.Sprintf("cannot read the free space of %q (%v)", p.path, err))
}

// judge rates a measurement against the thresholds.
func (p *Prober) judge(u usage, elapsed time.Duration) check.Result {
	if u.total == 0 {
		return check.Result{Status: check.StatusUnknown, Latency: elapsed, Message: check.Msg(
			fmt.Sprintf("Größe des Laufwerks von „%s“ nicht feststellbar", p.path),
			fmt.Sprintf("cannot tell the size of the drive of %q", p.path))}
	}
	free := u.free
	if free > u.total {
		free = u.total
	}
	pct := float64(free) / float64(u.total) * 100
	res := check.Result{Status: check.StatusOK, Latency: elapsed, Values: map[string]float64{
		"free_percent": pct,
		"free_bytes":   float64(free),
		"total_bytes":  float64(u.total),
	}}
	de := fmt.Sprintf("%s frei (%s)", formatPercent(pct, "de"), formatBytes(free, "de"))
	en := fmt.Sprintf("%s free (%s)", formatPercent(pct, "en"), formatBytes(free, "en"))
	switch {
	case pct < p.minFree:
		res.Status = check.StatusFail
		res.Message = check.Msg("Speicher fast voll: nur noch "+de+" – bitte sofort Platz schaffen",
			"disk almost full: only "+en+" – please free space now")
	case pct < p.warnFree:
		res.Status = check.StatusDegraded
		res.Message = check.Msg("Speicher wird knapp: nur noch "+de, "disk space running low: only "+en)
	default:
		res.Message = check.Msg(de, en)
	}
	return res
}

// formatPercent writes a share for people: whole percent from 10 % up, one
// decimal below, with a decimal comma for lang "de".
func formatPercent(pct float64, lang string) string {
	s := fmt.Sprintf("%.0f %%", pct)
	if pct < 10 {
		s = fmt.Sprintf("%.1f %%", pct)
	}
	if lang == "de" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// formatBytes writes a size with one decimal in the largest fitting unit.
// Units step by 1024 and are named KB, MB, GB, TB as Windows Explorer
// shows them, so the figure matches what staff see on the computer.
func formatBytes(b uint64, lang string) string {
	units := []string{"KB", "MB", "GB", "TB", "PB"}
	if b < 1024 {
		return fmt.Sprintf("%d B", b)
	}
	v := float64(b) / 1024
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	s := fmt.Sprintf("%.1f %s", v, units[i])
	if lang == "de" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}
