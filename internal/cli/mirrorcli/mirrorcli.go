// Package mirrorcli holds the "lifeline mirror" commands: import a CSV (or
// the Markdown handbook) into the downtime copy, rotate the data key, show
// the copy's state. cmd/lifeline parses the site configuration, builds an
// Env and passes the remaining arguments.
//
// Output is German first, then English. Exit codes: 0 done, 1 rejected or
// failed (the previous copy stays in use), 2 wrong usage.
package mirrorcli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/csvsource"
	"github.com/lifeline-project/lifeline/internal/mirror/mdsource"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/seal"
)

// Env is what the commands need from the site configuration.
type Env struct {
	// DataDir holds mirror.db.
	DataDir string
	// KeyFile is the data key file (mirror.key_file, default
	// <data_dir>/lifeline.key, the site's one key file).
	KeyFile string
	Logger  *slog.Logger
	// TimeZone reads the duty rota's local times (mirror.time_zone);
	// empty means Europe/Berlin.
	TimeZone string
	// Getenv reads LIFELINE_DATA_KEY; nil means os.Getenv.
	Getenv func(string) string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Resealers are the other holders of data sealed with the same key
	// (journal, E-Rezept tokens, FHIR copy). Rekey re-encrypts them with
	// the mirror before it removes the old key: a holder left out here can
	// no longer open its data afterwards.
	Resealers []seal.Resealer
}

func (e Env) logger() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e Env) location() (*time.Location, error) {
	tz := e.TimeZone
	if tz == "" {
		tz = mirror.DefaultTimeZone
	}
	return time.LoadLocation(tz)
}

func (e Env) keyOptions() seal.Options {
	kf := e.KeyFile
	if kf == "" {
		kf = filepath.Join(e.DataDir, "lifeline.key")
	}
	return seal.Options{File: kf, Getenv: e.Getenv}
}

type nowClock func() time.Time

func (f nowClock) Now() time.Time { return f() }

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("lifeline mirror "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", "", "Konfigurationsdatei (wird von lifeline selbst gelesen) / configuration file")
	return fs
}

// Import is "lifeline mirror import --dataset articles --file F [--strict]".
// It replaces the data set in one transaction: bad rows are listed with
// file, line, field and reason and skipped, or with --strict reject the
// whole file; a file with no good row changes nothing.
func Import(args []string, env Env, stdout, stderr io.Writer) int {
	fs := newFlags("import", stderr)
	dsName := fs.String("dataset", "", "Datenbestand / data set: articles, contacts, duty, patients, handbook")
	file := fs.String("file", "", "CSV-Datei (Handbuch: Markdown-Datei oder -Ordner) / CSV file (handbook: Markdown file or folder)")
	strict := fs.Bool("strict", false, "ganze Datei bei der ersten fehlerhaften Zeile ablehnen / reject the whole file on the first bad row")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "Unerwartete Angabe %q (unexpected argument)\n", fs.Arg(0))
		return 2
	}
	ds, err := mirror.ParseDataset(*dsName)
	if err != nil || *file == "" {
		fmt.Fprintln(stderr, "Aufruf: lifeline mirror import --dataset articles|contacts|duty|patients|handbook --file DATEI [--strict]")
		fmt.Fprintln(stderr, "Usage:  lifeline mirror import --dataset articles|contacts|duty|patients|handbook --file FILE [--strict]")
		return 2
	}
	loc, err := env.location()
	if err != nil {
		fmt.Fprintf(stderr, "Zeitzone %q unbekannt (unknown time zone): %v\n", env.TimeZone, err)
		return 2
	}
	var src mirror.Source
	if ds == mirror.Handbook {
		src = mdsource.New(*file)
	} else if src, err = csvsource.New(ds, *file, loc); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ctx := context.Background()
	db, code := openDB(ctx, env, ds.Personal(), stderr)
	if db == nil {
		return code
	}
	defer db.Close()

	rep, err := mirror.Import(ctx, db, src, mirror.ImportOptions{
		Strict: *strict, Clock: nowClock(env.now), Logger: env.logger(),
	})
	printReport(stdout, rep, *strict, err)
	if err != nil {
		msg := mirror.ErrorMessage(err)
		if mirror.ErrorCode(err) == mirror.EINTERNAL {
			fmt.Fprintf(stderr, "Import fehlgeschlagen; der bisherige Stand bleibt in Gebrauch: %v\n", err)
			fmt.Fprintln(stderr, "(import failed; the previous copy stays in use)")
		} else {
			fmt.Fprintln(stderr, msg.DE)
			fmt.Fprintf(stderr, "(%s)\n", msg.EN)
		}
		return 1
	}
	states, err := db.Status(ctx)
	if err == nil {
		for _, s := range states {
			if s.Dataset == ds {
				line := mirror.StandLine(s, env.now(), loc)
				fmt.Fprintf(stdout, "%s (%s)\n", line.DE, line.EN)
			}
		}
	}
	return 0
}

// printReport writes the German summary, each bad row, then the English
// summary.
func printReport(w io.Writer, rep mirror.Report, strict bool, err error) {
	sum := rep.Summary()
	if err != nil {
		// Nothing was written: say so instead of "übernommen".
		n := rep.Dataset.Noun()
		sum.DE = fmt.Sprintf("0 %s übernommen", n.DE)
		sum.EN = fmt.Sprintf("0 %s imported", n.EN)
		if strict && rep.RejectedCount > 0 {
			sum.DE += ": Datei wegen fehlerhafter Zeile abgelehnt (--strict)"
			sum.EN += ": file rejected because of a bad row (--strict)"
		} else if rep.RejectedCount > 0 {
			sum.DE += fmt.Sprintf(", %s fehlerhaft", rowsDE(rep.RejectedCount))
			sum.EN += fmt.Sprintf(", %s rejected", rowsEN(rep.RejectedCount))
		}
	}
	if rep.RejectedCount == 0 && err == nil {
		fmt.Fprintln(w, sum.DE)
		fmt.Fprintf(w, "(%s)\n", sum.EN)
		return
	}
	if len(rep.Rejected) == 0 {
		fmt.Fprintln(w, sum.DE)
		fmt.Fprintf(w, "(%s)\n", sum.EN)
		return
	}
	fmt.Fprintln(w, sum.DE+":")
	for _, e := range rep.Rejected {
		fmt.Fprintln(w, "  "+e.Error())
	}
	if more := rep.RejectedCount - countRows(rep.Rejected); more > 0 {
		fmt.Fprintf(w, "  … und %s weitere fehlerhafte Zeilen (and %s more bad rows)\n", mirror.GermanCount(more), mirror.EnglishCount(more))
	}
	fmt.Fprintf(w, "(%s)\n", sum.EN)
}

func rowsDE(n int) string {
	if n == 1 {
		return "1 Zeile"
	}
	return mirror.GermanCount(n) + " Zeilen"
}

func rowsEN(n int) string {
	if n == 1 {
		return "1 row"
	}
	return mirror.EnglishCount(n) + " rows"
}

func countRows(es []mirror.RowError) int {
	n := 0
	var last mirror.Pos
	for i, e := range es {
		if i == 0 || e.Pos != last || e.Line == 0 {
			n++
		}
		last = e.Pos
	}
	return n
}

// openDB loads the key (required when needKey) and opens mirror.db.
func openDB(ctx context.Context, env Env, needKey bool, stderr io.Writer) (*mirrordb.DB, int) {
	if env.DataDir == "" {
		fmt.Fprintln(stderr, "Datenordner nicht gesetzt (data_dir missing in the configuration)")
		return nil, 2
	}
	kr, _, err := seal.Load(env.keyOptions())
	if err != nil {
		if needKey {
			fmt.Fprintf(stderr, "Datenschlüssel nicht verfügbar (data key not available): %v\n", err)
			return nil, 1
		}
		env.logger().Warn("mirror: data key not available; personal data untouched", "err", err)
		kr = nil
	}
	if err := os.MkdirAll(env.DataDir, 0o700); err != nil {
		fmt.Fprintf(stderr, "Datenordner %s nicht anlegbar (cannot create data folder): %v\n", env.DataDir, err)
		return nil, 1
	}
	opts := env.keyOptions()
	db, err := mirrordb.Open(ctx, filepath.Join(env.DataDir, mirrordb.FileName), kr, env.logger(), mirrordb.Options{
		LoadKey: func() (*seal.Keyring, error) {
			kr, _, err := seal.Load(opts)
			return kr, err
		},
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, 1
	}
	return db, 0
}

// Rekey is "lifeline mirror rekey": a new data key is created and every
// personal value of the mirror and of env.Resealers re-encrypted with it
// (one transaction per holder); the old key is then removed from the key
// file. A running "lifeline site" mirror picks up the new key file by
// itself.
func Rekey(args []string, env Env, stdout, stderr io.Writer) int {
	fs := newFlags("rekey", stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx := context.Background()
	db, code := openDB(ctx, env, true, stderr)
	if db == nil {
		return code
	}
	defer db.Close()
	res, err := seal.Rotate(ctx, env.keyOptions(), append([]seal.Resealer{db}, env.Resealers...)...)
	if errors.Is(err, seal.ErrEnvSingleKey) {
		raw, gerr := seal.GenerateKey()
		if gerr != nil {
			fmt.Fprintln(stderr, gerr)
			return 1
		}
		nk := seal.EncodeKey(raw)
		fmt.Fprintf(stderr, "Der Schlüssel kommt aus %s; lifeline kann ihn dort nicht selbst wechseln.\n", seal.EnvVar)
		fmt.Fprintln(stderr, "So geht der Wechsel:")
		fmt.Fprintf(stderr, "  1. %s=\"%s,<bisheriger Schlüssel>\" setzen (neuer Schlüssel zuerst, Vorschlag oben)\n", seal.EnvVar, nk)
		fmt.Fprintln(stderr, "  2. lifeline mirror rekey erneut ausführen")
		fmt.Fprintf(stderr, "  3. %s auf den neuen Schlüssel allein setzen und lifeline site neu starten\n", seal.EnvVar)
		fmt.Fprintf(stderr, "(The key comes from %s, which lifeline cannot change: set it to \"new,old\" with the new key above first, run rekey again, then set only the new key and restart lifeline site.)\n", seal.EnvVar)
		return 1
	}
	if err != nil {
		msg := mirror.ErrorMessage(err)
		if mirror.ErrorCode(err) == mirror.EINTERNAL {
			fmt.Fprintf(stderr, "Schlüsselwechsel fehlgeschlagen (rekey failed): %v\n", err)
		} else {
			fmt.Fprintf(stderr, "%s\n(%s)\n", msg.DE, msg.EN)
		}
		return 1
	}
	fmt.Fprintf(stdout, "Neuer Datenschlüssel %s aktiv; alle persönlichen Daten der Downtime-Kopie sind damit neu verschlüsselt.\n", res.New)
	fmt.Fprintf(stdout, "(New data key %s active; all personal data of the downtime copy is re-encrypted with it.)\n", res.New)
	if res.KeepOld {
		fmt.Fprintf(stdout, "Jetzt %s auf den neuen Schlüssel allein setzen und lifeline site neu starten.\n", seal.EnvVar)
		fmt.Fprintf(stdout, "(Now set %s to the new key alone and restart lifeline site.)\n", seal.EnvVar)
	} else {
		fmt.Fprintln(stdout, "Die Schlüsseldatei enthält nur noch den neuen Schlüssel: bitte neu sichern.")
		fmt.Fprintln(stdout, "(The key file now holds only the new key: back it up again.)")
	}
	return 0
}

// Status is "lifeline mirror status": per data set the number of records,
// the freshness, the source and the last error.
func Status(args []string, env Env, stdout, stderr io.Writer) int {
	fs := newFlags("status", stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	loc, err := env.location()
	if err != nil {
		fmt.Fprintf(stderr, "Zeitzone %q unbekannt (unknown time zone): %v\n", env.TimeZone, err)
		return 2
	}
	ctx := context.Background()
	db, code := openDB(ctx, env, false, stderr)
	if db == nil {
		return code
	}
	defer db.Close()
	states, err := db.Status(ctx)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	now := env.now()
	for _, s := range states {
		src := s.Source
		if src == "" {
			src = "-"
		}
		fmt.Fprintf(stdout, "%-18s %9s  Stand: %-17s %s\n", s.Dataset.Title().DE, mirror.GermanCount(s.Rows),
			check.StandWords(s.SyncedAt, now, loc).DE, src)
		if s.LastError != "" {
			fmt.Fprintf(stdout, "%22s letzter Fehler %s: %s\n", "", check.StandWords(s.LastErrorAt, now, loc).DE, s.LastError)
		}
	}
	if err := db.KeyError(); err != nil {
		fmt.Fprintln(stdout, strings.TrimSpace(mirror.ErrorMessage(err).DE))
	}
	return 0
}
