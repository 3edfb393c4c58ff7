package binder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/journal/durable"
)

// File names in each folder: one dated copy per day and the current one.
const (
	FilePrefix  = "Notfallmappe-"
	CurrentFile = "Notfallmappe-aktuell.pdf"
)

// Result is one generated binder.
type Result struct {
	Binder  Binder
	PDF     []byte
	SHA256  string
	Written []string
	// Problems lists the folders that could not be written, in words.
	Problems []string
}

// Folders returns every folder the binder goes to: the site's own copy
// first, then the configured ones.
func (g *Generator) Folders() []string {
	out := []string{filepath.Join(g.o.DataDir, incident.DefaultBinderFolder)}
	return append(out, g.o.Config.Folders...)
}

// Generate builds the binder, renders it and writes it into every folder;
// who and reason go into the binder log. A folder that cannot be written
// (the USB stick is not plugged in) is a problem of the result, not an
// error: the other copies are still made. The error is set when no copy
// could be written at all.
func (g *Generator) Generate(ctx context.Context, who, reason string) (Result, error) {
	b := g.Build(ctx)
	pdf, err := b.PDF(g.lang())
	if err != nil {
		return Result{}, err
	}
	sum := sha256.Sum256(pdf)
	res := Result{Binder: b, PDF: pdf, SHA256: hex.EncodeToString(sum[:])}
	day := b.Generated.In(g.loc).Format("2006-01-02")
	for _, dir := range g.Folders() {
		if err := writeInto(dir, day, pdf, g.o.Config.Keep); err != nil {
			g.log.Warn("binder not written to folder", "folder", dir, "err", err)
			res.Problems = append(res.Problems, fmt.Sprintf("%s: %v", dir, err))
			continue
		}
		res.Written = append(res.Written, dir)
	}
	g.record(ctx, who, reason, b, res.SHA256, res.Written, res.Problems)
	if len(res.Written) == 0 {
		return res, fmt.Errorf("binder: no folder could be written: %s", strings.Join(res.Problems, "; "))
	}
	return res, nil
}

// Render builds the binder for a download or the print view, and logs it
// like a written one.
func (g *Generator) Render(ctx context.Context, who, reason string) (Binder, []byte, error) {
	b := g.Build(ctx)
	var pdf []byte
	sum := ""
	if reason != ReasonPrint {
		var err error
		if pdf, err = b.PDF(g.lang()); err != nil {
			return b, nil, err
		}
		s := sha256.Sum256(pdf)
		sum = hex.EncodeToString(s[:])
	}
	g.record(ctx, who, reason, b, sum, nil, nil)
	return b, pdf, nil
}

// record writes the binder log; a binder with patient data is also
// logged at level info with who and why.
func (g *Generator) record(ctx context.Context, who, reason string, b Binder, sum string, folders, problems []string) {
	e := LogEntry{At: b.Generated.UTC(), By: who, Reason: reason, Patients: len(b.Patients), Articles: len(b.Articles),
		SHA256: sum, Folders: folders, Problems: problems}
	if err := g.o.Log.LogBinder(ctx, e); err != nil {
		g.log.Error("binder log not written", "err", err)
	}
	if b.PatientsIncluded && len(b.Patients) > 0 {
		g.log.Info("binder with priority patients generated", "by", who, "reason", reason, "patients", len(b.Patients), "folders", folders)
	}
}

func (g *Generator) lang() string {
	if g.o.Lang == "en" {
		return "en"
	}
	return "de"
}

// writeInto writes the dated and the current copy into dir atomically and
// keeps the newest keep dated copies.
func writeInto(dir, day string, pdf []byte, keep int) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create folder: %w", err)
	}
	if err := durable.WriteFileAtomic(filepath.Join(dir, FilePrefix+day+".pdf"), pdf, 0o600); err != nil {
		return err
	}
	if err := durable.WriteFileAtomic(filepath.Join(dir, CurrentFile), pdf, 0o600); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list folder: %w", err)
	}
	var dated []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && n != CurrentFile && strings.HasPrefix(n, FilePrefix) && strings.HasSuffix(n, ".pdf") && len(n) == len(FilePrefix)+len("2006-01-02.pdf") {
			dated = append(dated, n)
		}
	}
	sort.Strings(dated)
	for len(dated) > keep {
		if err := os.Remove(filepath.Join(dir, dated[0])); err != nil {
			return fmt.Errorf("remove old copy: %w", err)
		}
		dated = dated[1:]
	}
	return nil
}
