// Package journalcli holds the "lifeline journal" commands. cmd/lifeline
// reads the site configuration, builds an Env from its journal section and
// passes the remaining arguments.
//
// Output is German first, then English. Exit codes of verify: 0 the chain
// is intact and both copies agree, 1 an entry is broken (the first is
// named), 2 wrong usage or a copy cannot be read.
package journalcli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/lifeline-project/lifeline/internal/journal"
)

// Env is what the commands need from the site configuration.
type Env struct {
	// Dir and MirrorDir are journal.dir and journal.mirror_dir.
	Dir       string
	MirrorDir string
	Logger    *slog.Logger
}

// Verify runs "lifeline journal verify [--dir D] [--mirror-dir M] [--json]":
// it checks the hash chain and the numbering of both copies and that they
// agree, and names the first broken entry.
func Verify(args []string, env Env, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("journal verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", env.Dir, "Ordner der Hauptkopie / folder of the primary copy (journal.dir)")
	mirror := fs.String("mirror-dir", env.MirrorDir, "Ordner der zweiten Kopie / folder of the mirror copy (journal.mirror_dir)")
	asJSON := fs.Bool("json", false, "Bericht als JSON / report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Aufruf / usage: lifeline journal verify [--config DATEI] [--dir ORDNER] [--mirror-dir ORDNER] [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "Unerwartetes Argument / unexpected argument: %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "Journal-Ordner unbekannt: journal.dir in der Konfiguration oder --dir angeben.\n"+
			"Journal folder unknown: set journal.dir in the configuration or give --dir.")
		return 2
	}
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rep, err := journal.Verify(*dir, *mirror)
	var je *journal.Error
	broken := errors.As(err, &je) && je.Code == journal.ECORRUPT
	if err != nil && !broken {
		log.Error("journal verify: cannot read the journal", "err", err)
		if errors.As(err, &je) {
			fmt.Fprintf(stderr, "%s\n%s\n", je.DE, err)
		} else {
			fmt.Fprintf(stderr, "Journal nicht lesbar / journal not readable: %v\n", err)
		}
		return 2
	}
	if *asJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		printReport(stdout, rep, je, *mirror == "")
	}
	if broken {
		log.Warn("journal verify: journal broken", "number", je.Number, "problem", je.EN)
		return 1
	}
	return 0
}

func printReport(w io.Writer, rep *journal.Report, je *journal.Error, noMirror bool) {
	fmt.Fprintln(w, "Verkaufsjournal prüfen / verify the sales journal")
	copyLine := func(nameDE, nameEN string, c journal.CopyReport) {
		if !c.Exists {
			fmt.Fprintf(w, "  %s / %s: %s – keine Datei / no file\n", nameDE, nameEN, c.Path)
			return
		}
		fmt.Fprintf(w, "  %s / %s: %s – %s / %d entries\n", nameDE, nameEN, c.Path, entriesDE(c.Entries), c.Entries)
	}
	copyLine("Hauptkopie", "primary", rep.Primary)
	if rep.Mirror != nil {
		copyLine("Zweite Kopie", "mirror", *rep.Mirror)
	}
	if rep.Live {
		fmt.Fprintln(w, "  lifeline läuft gerade und schreibt ins Journal. / lifeline is running and writing to the journal.")
	}
	fmt.Fprintln(w)
	if je == nil {
		if noMirror {
			fmt.Fprintln(w, "In Ordnung: Die Kette ist lückenlos und unverändert. Es ist aber keine zweite Kopie eingerichtet (journal.mirror_dir)!")
			fmt.Fprintln(w, "OK: the chain is complete and unaltered. But no mirror copy is configured (journal.mirror_dir)!")
		} else {
			fmt.Fprintln(w, "In Ordnung: Die Kette ist lückenlos und unverändert, beide Kopien stimmen überein.")
			fmt.Fprintln(w, "OK: the chain is complete and unaltered, both copies agree.")
		}
	} else {
		fmt.Fprintf(w, "FEHLER: %s\n", je.DE)
		fmt.Fprintf(w, "ERROR: %s\n", je.EN)
		if len(rep.Problems) > 1 {
			fmt.Fprintln(w, "Weitere Probleme / further problems:")
			for _, p := range rep.Problems[1:] {
				fmt.Fprintf(w, "  - %s%s\n", copyPrefix(p.Copy), p.String())
			}
		}
		fmt.Fprintln(w, "Was tun: Die Dateien nicht verändern und die IT verständigen; die andere Kopie ist vielleicht heil.")
		fmt.Fprintln(w, "What to do: leave the files as they are and call IT; the other copy may be intact.")
	}
	if len(rep.Notes) > 0 {
		fmt.Fprintln(w, "\nHinweise / notes:")
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "  - %s\n", n.String())
		}
	}
	fmt.Fprintln(w, "\nDas Journal dokumentiert Verkäufe während eines TSE-Ausfalls; es ersetzt keine zertifizierte TSE.")
	fmt.Fprintln(w, "The journal documents sales during a TSE failure; it does not replace a certified TSE.")
}

func copyPrefix(c string) string {
	switch c {
	case "primary":
		return "Hauptkopie, "
	case "mirror":
		return "Zweite Kopie, "
	}
	return ""
}

func entriesDE(n int64) string {
	if n == 1 {
		return "1 Eintrag"
	}
	return fmt.Sprintf("%d Einträge", n)
}
