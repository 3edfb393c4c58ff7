// Package incidentcli holds the "lifeline incident" commands. cmd/lifeline
// reads the site configuration, builds an Env from it and passes the
// remaining arguments:
//
//	lifeline incident verify --config FILE [--json]
//	lifeline incident list   --config FILE
//	lifeline incident export --config FILE --id N --format pdf|json|csv [--out FILE] [--lang de|en]
//
// Output is German first, then English. Exit codes: 0 fine, 1 the chain is
// broken (verify), 2 wrong usage or the database cannot be read.
package incidentcli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/incidentsql"
	"github.com/lifeline-project/lifeline/internal/journal/durable"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

// Env is what the commands need from the site configuration.
type Env struct {
	// DataDir is the site's data folder (site.db lives there).
	DataDir string
	// SiteName, Location and Lang are the site's name, zone and language.
	SiteName string
	Location *time.Location
	Lang     string
	Clock    clock.Clock
	Logger   *slog.Logger
}

func (e Env) defaults() Env {
	if e.Location == nil {
		e.Location = time.UTC
	}
	if e.Clock == nil {
		e.Clock = clock.Real{}
	}
	if e.Logger == nil {
		e.Logger = slog.New(slog.DiscardHandler)
	}
	if e.Lang != "en" {
		e.Lang = "de"
	}
	return e
}

// open opens the site database; it refuses to create one.
func open(ctx context.Context, env Env, stderr io.Writer) (*sqlite.DB, bool) {
	file := filepath.Join(env.DataDir, "site.db")
	if _, err := os.Stat(file); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(stderr, "Keine Datenbank in %s – wurde lifeline site hier schon gestartet? (data_dir in der Konfiguration prüfen)\nNo database in %s – has lifeline site run here? (check data_dir in the configuration)\n", env.DataDir, env.DataDir)
		} else {
			fmt.Fprintf(stderr, "Datenbank nicht lesbar / database not readable: %v\n", err)
		}
		return nil, false
	}
	db, err := sqlite.Open(ctx, file)
	if err != nil {
		fmt.Fprintf(stderr, "Datenbank nicht lesbar / database not readable: %v\n", err)
		return nil, false
	}
	return db, true
}

func parse(fs *flag.FlagSet, args []string, stderr io.Writer) bool {
	if err := fs.Parse(args); err != nil {
		return false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "Unerwartetes Argument / unexpected argument: %q\n", fs.Arg(0))
		fs.Usage()
		return false
	}
	return true
}

// Verify runs "lifeline incident verify": it walks the hash chain of every
// incident entry and names each entry that was changed, removed or
// inserted. Exit 0 intact, 1 broken, 2 not readable.
func Verify(args []string, env Env, stdout, stderr io.Writer) int {
	env = env.defaults()
	fs := flag.NewFlagSet("incident verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "Bericht als JSON / report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Aufruf / usage: lifeline incident verify --config DATEI [--json]")
		fs.PrintDefaults()
	}
	if !parse(fs, args, stderr) {
		return 2
	}
	ctx := context.Background()
	db, ok := open(ctx, env, stderr)
	if !ok {
		return 2
	}
	defer db.Close()
	rep, err := incident.Verify(ctx, incidentsql.NewStore(db))
	if err != nil {
		fmt.Fprintf(stderr, "Kette nicht lesbar / chain not readable: %v\n", err)
		return 2
	}
	if *asJSON {
		b, _ := json.MarshalIndent(struct {
			OK       bool               `json:"ok"`
			Entries  int                `json:"entries"`
			Incident int                `json:"incidents"`
			LastSeq  int64              `json:"last_seq"`
			LastHash string             `json:"last_hash"`
			Problems []incident.Problem `json:"problems"`
		}{rep.OK(), rep.Entries, rep.Incidents, rep.LastSeq, rep.LastHash, nonNil(rep.Problems)}, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		s := rep.Summary()
		fmt.Fprintf(stdout, "%s\n%s\n", s.DE, s.EN)
		for _, p := range rep.Problems {
			where := ""
			if p.Seq != 0 {
				where = fmt.Sprintf("Eintrag/entry %d", p.Seq)
			}
			if p.IncidentID != 0 {
				if where != "" {
					where += ", "
				}
				where += fmt.Sprintf("Störung/incident %d", p.IncidentID)
			}
			if where != "" {
				where += ": "
			}
			fmt.Fprintf(stdout, "  %s%s\n    %s\n", where, p.Text.DE, p.Text.EN)
		}
		if rep.OK() {
			fmt.Fprintf(stdout, "Letzter Eintrag / last entry: %d, Hash: %s\n", rep.LastSeq, rep.LastHash)
		}
	}
	if !rep.OK() {
		env.Logger.Error("incident chain broken", "problems", len(rep.Problems))
		return 1
	}
	return 0
}

func nonNil(p []incident.Problem) []incident.Problem {
	if p == nil {
		return []incident.Problem{}
	}
	return p
}

// List runs "lifeline incident list": the incidents, newest first, with
// their numbers for export.
func List(args []string, env Env, stdout, stderr io.Writer) int {
	env = env.defaults()
	fs := flag.NewFlagSet("incident list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "Aufruf / usage: lifeline incident list --config DATEI") }
	if !parse(fs, args, stderr) {
		return 2
	}
	ctx := context.Background()
	db, ok := open(ctx, env, stderr)
	if !ok {
		return 2
	}
	defer db.Close()
	incs, err := incidentsql.NewStore(db).Incidents(ctx, incident.Query{})
	if err != nil {
		fmt.Fprintf(stderr, "Störungen nicht lesbar / incidents not readable: %v\n", err)
		return 2
	}
	if len(incs) == 0 {
		fmt.Fprintln(stdout, "Keine Störungen. / No incidents.")
	}
	now := env.Clock.Now()
	for _, inc := range incs {
		end := incident.FormatTime(inc.ClosedAt, env.Location, env.Lang)
		if inc.Open() {
			end = map[bool]string{true: "ongoing", false: "läuft"}[env.Lang == "en"]
		}
		drill := ""
		if inc.Drill() {
			drill = map[bool]string{true: " [drill]", false: " [Übung]"}[env.Lang == "en"]
		}
		fmt.Fprintf(stdout, "%4d  %s – %s  (%s)  %s%s\n", inc.ID, incident.FormatTime(inc.OpenedAt, env.Location, env.Lang), end,
			incident.FormatDuration(inc.Duration(now)).In(env.Lang), inc.Title.In(env.Lang), drill)
	}
	return 0
}

// Export runs "lifeline incident export --id N --format pdf|json|csv": the
// incident's report for an insurer or a vendor, to --out (written
// atomically) or to standard output.
func Export(args []string, env Env, stdout, stderr io.Writer) int {
	env = env.defaults()
	fs := flag.NewFlagSet("incident export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.Int64("id", 0, "Nummer der Störung / incident number (lifeline incident list)")
	format := fs.String("format", "pdf", "pdf, json oder/or csv")
	out := fs.String("out", "-", "Zieldatei; - ist die Standardausgabe / output file; - is standard output")
	lang := fs.String("lang", env.Lang, "Sprache / language: de, en")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Aufruf / usage: lifeline incident export --config DATEI --id N --format pdf|json|csv [--out DATEI] [--lang de|en]")
		fs.PrintDefaults()
	}
	if !parse(fs, args, stderr) {
		return 2
	}
	if *id <= 0 {
		fmt.Fprintln(stderr, "Bitte --id angeben (siehe lifeline incident list). / Please give --id (see lifeline incident list).")
		return 2
	}
	if *format != "pdf" && *format != "json" && *format != "csv" {
		fmt.Fprintf(stderr, "Format %q unbekannt: pdf, json oder csv. / Unknown format %q: pdf, json or csv.\n", *format, *format)
		return 2
	}
	ctx := context.Background()
	db, ok := open(ctx, env, stderr)
	if !ok {
		return 2
	}
	defer db.Close()
	rep, err := incident.LoadReport(ctx, incidentsql.NewStore(db), *id, env.SiteName, env.Location, *lang, env.Clock.Now())
	if err != nil {
		if incident.ErrorCode(err) == incident.ENOTFOUND {
			fmt.Fprintf(stderr, "Die Störung Nr. %d gibt es nicht. / There is no incident no. %d.\n", *id, *id)
		} else {
			fmt.Fprintf(stderr, "Bericht nicht lesbar / report not readable: %v\n", err)
		}
		return 2
	}
	var buf bytes.Buffer
	switch *format {
	case "pdf":
		var pdf []byte
		if pdf, err = rep.PDF(); err == nil {
			buf.Write(pdf)
		}
	case "json":
		err = rep.WriteJSON(&buf)
	case "csv":
		err = rep.WriteCSV(&buf)
	}
	if err != nil {
		fmt.Fprintf(stderr, "Bericht nicht erstellt / report not made: %v\n", err)
		return 2
	}
	if *out == "-" {
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			return 2
		}
	} else {
		if err := durable.WriteFileAtomic(*out, buf.Bytes(), 0o600); err != nil {
			fmt.Fprintf(stderr, "Datei nicht geschrieben / file not written: %v\n", err)
			return 2
		}
		seq, hash := rep.ChainHash()
		fmt.Fprintf(stderr, "Bericht gespeichert / report saved: %s (Hash-Kette bis Eintrag %d: %s)\n", *out, seq, hash)
	}
	if rep.Chain != nil && !rep.Chain.OK() {
		fmt.Fprintln(stderr, "Achtung: Die Hash-Kette ist beschädigt (lifeline incident verify). / Warning: the hash chain is broken (lifeline incident verify).")
	}
	env.Logger.Info("incident exported", "incident", *id, "format", *format, "by", "command line")
	return 0
}
