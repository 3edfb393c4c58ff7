// Package printrun prints like the downtime report PCs of the big EHRs,
// but from lifeline's copy: every few hours, per ward, a PDF ward list and
// a PDF medication list are written into the configured folders (a local
// folder, a share the ward printer reads), so that paper is ready before
// it is needed. Every page says the Datenstand and when it was printed.
// Files are replaced atomically (temporary file, fsync, rename): a reader
// never sees half a PDF, and the latest list is always at the same path.
package printrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fhir"
)

// Options configure a Runner.
type Options struct {
	Reader fhir.Reader
	// Access records every patient printed (user "printrun").
	Access fhir.Access
	Config fhir.PrintConfig
	// MaxAge is the age past which the copy counts as stale (printed as
	// a warning).
	MaxAge   time.Duration
	Site     string
	Lang     string
	Location *time.Location
	Clock    clock.Clock
	// Sleep waits between runs; nil uses a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	Log   *slog.Logger
}

// Runner writes the print-outs.
type Runner struct {
	o Options
}

// Result says what one run wrote.
type Result struct {
	Files    []string
	Wards    int
	Patients int
	// Missing are configured wards the copy does not know.
	Missing []string
}

// New returns a Runner.
func New(o Options) (*Runner, error) {
	if o.Reader == nil || o.Access == nil {
		return nil, errors.New("printrun: reader and access log are required")
	}
	if len(o.Config.Folders) == 0 {
		return nil, errors.New("printrun: no folders configured")
	}
	if o.Config.Every.D() <= 0 {
		o.Config.Every = check.Duration(fhir.DefaultPrintEvery)
	}
	if o.Lang == "" {
		o.Lang = "de"
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Sleep == nil {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 3 * fhir.DefaultInterval
	}
	return &Runner{o: o}, nil
}

// ErrNoCopy means there is no copy to print yet.
var ErrNoCopy = errors.New("print run: no copy of the EHR yet; nothing to print")

// NoCopyWait is how often Run looks for the first copy.
const NoCopyWait = 15 * time.Second

// Run prints as soon as the copy exists and then every interval until ctx
// ends. A failed run is logged and tried again after a tenth of the
// interval (at least a minute).
func (r *Runner) Run(ctx context.Context) error {
	for {
		wait := r.o.Config.Every.D()
		if _, err := r.RunOnce(ctx); errors.Is(err, ErrNoCopy) {
			wait = NoCopyWait
		} else if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.o.Log.Warn("print run failed", "err", err)
			wait = max(time.Minute, wait/10)
		}
		if err := r.o.Sleep(ctx, wait); err != nil {
			return nil
		}
	}
}

// FileName returns the file name of a ward's print-out of kind
// ("Stationsliste" or "Medikation"): letters, digits and dashes only, so
// that every file system and share takes it.
func FileName(wardName, kind string) string {
	r := strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue", "ß", "ss")
	var b strings.Builder
	dash := false
	for _, c := range toCP1252(r.Replace(wardName)) {
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == "" {
		name = "Station"
	}
	return name + "_" + kind + ".pdf"
}

// RunOnce writes the ward and medication lists of the configured wards
// (all wards with patients when none are configured) into every folder.
func (r *Runner) RunOnce(ctx context.Context) (Result, error) {
	var res Result
	st, err := r.o.Reader.State(ctx)
	if err != nil {
		return res, err
	}
	if st.DataAsOf.IsZero() {
		return res, ErrNoCopy
	}
	census, err := fhir.CensusOf(ctx, r.o.Reader)
	if err != nil {
		return res, err
	}
	var wards []fhir.Ward
	if len(r.o.Config.Wards) == 0 {
		for _, w := range census.Wards {
			if w.Patients > 0 {
				wards = append(wards, w)
			}
		}
	}
	for _, spec := range r.o.Config.Wards {
		w, ok := census.MatchWard(spec)
		if !ok {
			res.Missing = append(res.Missing, spec)
			r.o.Log.Warn("print run: configured ward not in the copy", "ward", spec)
			continue
		}
		wards = append(wards, w)
	}
	now := r.o.Clock.Now()
	page := Page{Site: r.o.Site, Lang: r.o.Lang, Location: r.o.Location, PrintedAt: now,
		Fresh: fhir.FreshnessOf(st, now, r.o.MaxAge, r.o.Location)}
	var errs []error
	for _, w := range wards {
		sheet, err := fhir.LoadSheet(ctx, r.o.Reader, census, w.ID, now, fhir.MedicationTypes())
		if err != nil {
			errs = append(errs, fmt.Errorf("ward %s: %w", w.Name, err))
			continue
		}
		name := fhir.WardName(w.ID, w.Name).In(r.o.Lang)
		var entries []fhir.AccessEntry
		for kind, f := range map[string]func(*fhir.Sheet) ([]byte, error){
			"Stationsliste": func(s *fhir.Sheet) ([]byte, error) { return render(WardList, page, s) },
			"Medikation":    func(s *fhir.Sheet) ([]byte, error) { return render(MedicationList, page, s) },
		} {
			pdf, err := f(sheet)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			file := FileName(name, kind)
			for _, dir := range r.o.Config.Folders {
				p := filepath.Join(dir, file)
				if err := fhir.WriteFileAtomic(p, pdf, 0o640); err != nil {
					errs = append(errs, err)
					continue
				}
				res.Files = append(res.Files, p)
			}
			for _, row := range sheet.Rows {
				entries = append(entries, fhir.AccessEntry{At: now, User: "printrun", Role: "system", Action: fhir.ActionPrintRun,
					Patient: row.Bed.Patient, Ward: w.ID, Detail: file})
			}
		}
		if err := r.o.Access.LogAccess(ctx, entries...); err != nil {
			errs = append(errs, err)
		}
		res.Wards++
		res.Patients += len(sheet.Rows)
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("print run: %w", errors.Join(errs...))
	}
	r.o.Log.Info("print run done", "wards", res.Wards, "patients", res.Patients, "files", len(res.Files))
	return res, nil
}
