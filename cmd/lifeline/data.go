package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/lifeline-project/lifeline/internal/cli/journalcli"
	"github.com/lifeline-project/lifeline/internal/cli/mirrorcli"
	"github.com/lifeline-project/lifeline/internal/config"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirdb"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrorsite"
	"github.com/lifeline-project/lifeline/internal/seal"
	"github.com/lifeline-project/lifeline/internal/service"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

// configFlag reads --config from args (other flags are left to the
// subcommand) and loads the site configuration.
func configFlag(args []string, stderr io.Writer) (*config.Site, int) {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := fs.String("config", "site.yaml", "")
	for i := 0; i < len(args); i++ {
		if args[i] == "--config" || args[i] == "-config" {
			if i+1 < len(args) {
				*path = args[i+1]
			}
		} else if v, ok := cutPrefixes(args[i], "--config=", "-config="); ok {
			*path = v
		}
	}
	return loadConfig(*path, stderr)
}

func cutPrefixes(s string, prefixes ...string) (string, bool) {
	for _, p := range prefixes {
		if len(s) > len(p) && s[:len(p)] == p {
			return s[len(p):], true
		}
	}
	return "", false
}

// withoutConfig returns args without --config and its value.
func withoutConfig(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--config" || args[i] == "-config" {
			i++
			continue
		}
		if _, ok := cutPrefixes(args[i], "--config=", "-config="); ok {
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// cmdMirror runs `lifeline mirror import|rekey|status --config FILE ...`.
func cmdMirror(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: lifeline mirror import|rekey|status --config FILE [...]")
		return 2
	}
	cfg, code := configFlag(args[1:], stderr)
	if cfg == nil {
		return code
	}
	log, _ := service.NewLogger("warn", "")
	env := mirrorcli.Env{
		DataDir: cfg.DataDir, KeyFile: mirrorsite.KeyFile(cfg.Mirror, cfg.DataDir), Logger: log,
		TimeZone: cfg.Mirror.TimeZone,
	}
	rest := withoutConfig(args[1:])
	switch args[0] {
	case "import":
		return mirrorcli.Import(rest, env, stdout, stderr)
	case "rekey":
		// Every holder of data sealed with the site key is re-encrypted
		// with the copy, or it could not be read after the rotation.
		closeAll, err := addResealers(cfg, &env)
		if err != nil {
			fmt.Fprintln(stderr, "lifeline mirror rekey:", err)
			return 1
		}
		defer closeAll()
		return mirrorcli.Rekey(rest, env, stdout, stderr)
	case "status":
		return mirrorcli.Status(rest, env, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "unknown mirror command %q: use import, rekey or status\n", args[0])
		return 2
	}
}

// cmdJournal runs `lifeline journal verify --config FILE [--json]`.
func cmdJournal(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: lifeline journal verify --config FILE [--json]")
		return 2
	}
	cfg, code := configFlag(args[1:], stderr)
	if cfg == nil {
		return code
	}
	log, _ := service.NewLogger("warn", "")
	return journalcli.Verify(withoutConfig(args[1:]), journalcli.Env{Dir: cfg.Journal.Dir, MirrorDir: cfg.Journal.MirrorDir, Logger: log}, stdout, stderr)
}

// addResealers opens the site database (E-Rezept queue) and, for a
// hospital, the FHIR copy, and adds them to env.Resealers.
func addResealers(cfg *config.Site, env *mirrorcli.Env) (func(), error) {
	ctx := context.Background()
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	db, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "site.db"))
	if err != nil {
		return closeAll, err
	}
	closers = append(closers, func() { db.Close() })
	env.Resealers = append(env.Resealers, sqlite.NewERezeptResealer(db))
	if cfg.FHIR != nil {
		kr, _, err := seal.Load(seal.Options{File: env.KeyFile})
		if err != nil {
			closeAll()
			return func() {}, err
		}
		fdb, err := fhirdb.Open(ctx, filepath.Join(cfg.DataDir, fhirdb.FileName), kr, env.Logger)
		if err != nil {
			closeAll()
			return func() {}, err
		}
		closers = append(closers, func() { fdb.Close() })
		env.Resealers = append(env.Resealers, fdb)
	}
	return closeAll, nil
}
