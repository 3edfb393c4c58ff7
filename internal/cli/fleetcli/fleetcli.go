// Package fleetcli implements the fleet's commands: `lifeline fleet
// --config FILE` (the server with its console), `lifeline fleet keys init`,
// `lifeline fleet site add|import|code|revoke`, `lifeline fleet user add`,
// `lifeline fleet release add` (with offline keys), `lifeline sim fleet`
// and `lifeline sim load`. cmd/lifeline only dispatches to Fleet,
// SimFleet and SimLoad.
package fleetcli

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleetapp"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
)

// Usage lists the fleet commands.
const Usage = `lifeline fleet: Updates für viele Apotheken in Ringen verteilen.

Aufruf:
  lifeline fleet --config FILE                 Fleet-Server mit Konsole starten
  lifeline fleet keys init --config FILE       TUF-Schlüssel und Signaturverzeichnis anlegen (einmalig)
  lifeline fleet site add --config FILE --id ID --name NAME --state BY --window "Mo-Fr 01:00-05:00" [--timezone Z] [--contacts C] [--ring test]
  lifeline fleet site import --config FILE sites.csv   Standorte aus CSV anlegen (- für stdin)
  lifeline fleet site code --config FILE --id ID       neuen Anmeldecode erzeugen
  lifeline fleet site revoke --config FILE --id ID --reason TEXT   Standort-Schlüssel zurückziehen
  lifeline fleet user add --config FILE --name N --role viewer|support|release|admin   (Passwort über stdin)
  lifeline fleet release add --config FILE --component C --version V --artifact FILE [--install-hook H] [--rollback-hook H] [--notes T] [--keys OFFLINE_DIR]
  lifeline sim fleet --sites N --scenario good-update|failing-update|bricking-update [--share X] [--json]
  lifeline sim load --sites N --heartbeat 30s --duration D [--store sqlite|postgres] [--fleets K] [--per-conn M] [--json]

Exit codes: 0 ok, 1 failed, 2 usage or configuration error.
`

// Fleet runs `lifeline fleet ...`; args follow "fleet".
func Fleet(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, stdin, stdout, stderr)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "keys":
			if len(args) > 1 && args[1] == "init" {
				return keysInit(ctx, args[2:], stdout, stderr)
			}
		case "site":
			if len(args) > 1 {
				switch args[1] {
				case "add":
					return siteAdd(ctx, args[2:], stdout, stderr)
				case "import":
					return siteImport(ctx, args[2:], stdin, stdout, stderr)
				case "code":
					return siteCode(ctx, args[2:], stdout, stderr)
				case "revoke":
					return siteRevoke(ctx, args[2:], stdout, stderr)
				}
			}
		case "user":
			if len(args) > 1 && args[1] == "add" {
				return userAdd(ctx, args[2:], stdin, stdout, stderr)
			}
		case "release":
			if len(args) > 1 && args[1] == "add" {
				return releaseAdd(ctx, args[2:], stdout, stderr)
			}
		case "help", "-h", "--help":
			fmt.Fprint(stdout, Usage)
			return 0
		}
		if !strings.HasPrefix(args[0], "-") {
			fmt.Fprintf(stderr, "unknown command %q\n\n%s", strings.Join(args, " "), Usage)
			return 2
		}
	}
	return serve(ctx, args, stdout, stderr)
}

// configFlag adds --config to fs.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "fleet configuration file (YAML)")
}

// load reads the configuration named by --config.
func load(path string, stderr io.Writer) (*fleet.Config, bool) {
	if path == "" {
		fmt.Fprint(stderr, "Bitte mit --config die Konfigurationsdatei angeben (Beispiel in docs/protocol.md).\n")
		return nil, false
	}
	cfg, err := fleet.LoadConfig(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, false
	}
	return cfg, true
}

func logger(cfg *fleet.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := configFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, ok := load(*cfgPath, stderr)
	if !ok {
		return 2
	}
	log := logger(cfg, stderr)
	fleetapp.ApplyMemoryLimit(cfg)
	app, err := fleetapp.Open(ctx, fleetapp.Options{Config: cfg, Log: log, Out: stdout, Version: version()})
	if err != nil {
		fmt.Fprintln(stderr, "lifeline fleet:", err)
		return 1
	}
	defer app.Close()
	if err := app.Listen(""); err != nil {
		fmt.Fprintln(stderr, "lifeline fleet:", err)
		return 1
	}
	fmt.Fprintf(stdout, "lifeline fleet läuft auf %s (Konsole und Standort-API; öffentlich: %s)\n", app.URL(), cfg.PublicURL)
	if err := app.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "lifeline fleet:", err)
		return 1
	}
	return 0
}

func keysInit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleet keys init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := configFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, ok := load(*cfgPath, stderr)
	if !ok {
		return 2
	}
	if err := fleetapp.InitKeys(ctx, cfg, clock.Real{}, logger(cfg, stderr)); err != nil {
		fmt.Fprintln(stderr, "lifeline fleet keys init:", err)
		return 1
	}
	fmt.Fprintf(stdout, `TUF-Schlüssel angelegt in %s (root, targets, snapshot, timestamp; je 0600).
Das Signaturverzeichnis ist eingerichtet.

Empfehlung: root.key und targets.key auf einen Datenträger verschieben, der im Tresor liegt.
Der Server braucht nur snapshot.key und timestamp.key. Neue Freigaben dann mit
  lifeline fleet release add --config FILE --keys /pfad/zum/datentraeger ...

TUF keys created in %s; move root.key and targets.key offline (the server needs only
snapshot.key and timestamp.key).
`, cfg.TUFKeysDir, cfg.TUFKeysDir)
	return 0
}

// withService opens the fleet's store and service for a one-off command.
func withService(ctx context.Context, cfgPath string, stderr io.Writer, fn func(*fleetapp.App) int) int {
	cfg, ok := load(cfgPath, stderr)
	if !ok {
		return 2
	}
	app, err := fleetapp.Open(ctx, fleetapp.Options{Config: cfg, Log: logger(cfg, io.Discard)})
	if err != nil {
		fmt.Fprintln(stderr, "lifeline fleet:", err)
		return 1
	}
	defer app.Close()
	return fn(app)
}

// cliActor names the person at the command line for the audit log.
func cliActor() string {
	name := os.Getenv("USER")
	if name == "" {
		name = os.Getenv("USERNAME")
	}
	if name == "" {
		name = "unknown"
	}
	return "cli:" + name
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, fleet.ErrorMessage(err, "de"))
	if fleet.ErrorCode(err) == fleet.EINTERNAL {
		fmt.Fprintln(stderr, "(", err, ")")
	}
	if c := fleet.ErrorCode(err); c == fleet.EINVALID || c == fleet.ECONFLICT || c == fleet.ENOTFOUND {
		return 2
	}
	return 1
}

func printCodes(w io.Writer, url string, codes []fleet.SiteCode) {
	fmt.Fprintf(w, "# Anmeldecodes für %s (nur jetzt sichtbar; in den Abschnitt fleet: enrolment_code der Apotheke eintragen)\n", url)
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.Write([]string{"site", "enrolment_code", "valid_until"})
	for _, c := range codes {
		cw.Write([]string{c.SiteID, c.Code, c.ExpiresAt.Format(time.RFC3339)})
	}
	cw.Flush()
}

func siteAdd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleet site add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := configFlag(fs)
	var s fleet.Site
	fs.StringVar(&s.ID, "id", "", "site id (a-z, 0-9, - and _)")
	fs.StringVar(&s.Name, "name", "", "name of the pharmacy or clinic")
	fs.StringVar(&s.Timezone, "timezone", "Europe/Berlin", "IANA time zone")
	fs.StringVar(&s.State, "state", "", "federal state (BY, NW, ...)")
	fs.StringVar(&s.Window, "window", "", "maintenance window, like \"Mo-Fr 01:00-05:00\"")
	fs.StringVar(&s.Contacts, "contacts", "", "people to call")
	fs.StringVar(&s.Ring, "ring", "", "pin to a ring (test)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	return withService(ctx, *cfgPath, stderr, func(a *fleetapp.App) int {
		codes, err := a.Service.AddSites(ctx, cliActor(), []fleet.Site{s})
		if err != nil {
			return fail(stderr, err)
		}
		printCodes(stdout, a.Config.PublicURL, codes)
		return 0
	})
}

func siteImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleet site import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := configFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "Bitte die CSV-Datei angeben (oder - für stdin).")
		return 2
	}
	var in io.Reader = stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		defer f.Close()
		in = f
	}
	return withService(ctx, *cfgPath, stderr, func(a *fleetapp.App) int {
		codes, err := a.Service.ImportSites(ctx, cliActor(), bufio.NewReader(in))
		if err != nil {
			return fail(stderr, err)
		}
		printCodes(stdout, a.Config.PublicURL, codes)
		return 0
	})
}

func siteCode(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleet site code", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := configFlag(fs)
	id := fs.String("id", "", "site id")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	return withService(ctx, *cfgPath, stderr, func(a *fleetapp.App) int {
		code, err := a.Service.NewEnrolmentCode(ctx, cliActor(), *id)
		if err != nil {
			return fail(stderr, err)
		}
		printCodes(stdout, a.Config.PublicURL, []fleet.SiteCode{code})
		return 0
	})
}

func siteRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleet site revoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := configFlag(fs)
	id := fs.String("id", "", "site id")
	reason := fs.String("reason", "", "why (goes into the audit log)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	return withService(ctx, *cfgPath, stderr, func(a *fleetapp.App) int {
		if err := a.Service.RevokeToken(ctx, cliActor(), *id, *reason); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "Schlüssel von %s zurückgezogen; der Standort wird ab sofort abgewiesen.\n", *id)
		return 0
	})
}

func userAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleet user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := configFlag(fs)
	name := fs.String("name", "", "user name")
	role := fs.String("role", "viewer", "viewer (read-only), support (hotline: broadcasts, triage), release (release manager) or admin")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	pw, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(stderr, err)
		return 2
	}
	pw = strings.TrimRight(pw, "\r\n")
	return withService(ctx, *cfgPath, stderr, func(a *fleetapp.App) int {
		r, err := fleet.ParseRole(*role)
		if err != nil {
			return fail(stderr, err)
		}
		if err := a.Auth.AddUser(ctx, *name, r.AuthRole(), pw); err != nil {
			fmt.Fprintln(stderr, auth.ErrorMessage(err, "de"))
			return 2
		}
		if err := a.Service.SetRole(ctx, cliActor(), auth.Principal{Name: *name, Role: r.AuthRole()}, r); err != nil {
			return fail(stderr, err)
		}
		a.Store.AddAudit(ctx, fleet.AuditEntry{At: time.Now(), Actor: cliActor(), Action: "user.add", Target: "user:" + *name, Detail: string(r)})
		fmt.Fprintf(stdout, "Benutzer %s (%s) angelegt.\n", *name, *role)
		return 0
	})
}

func releaseAdd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleet release add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := configFlag(fs)
	var r fleet.Release
	fs.StringVar(&r.Component, "component", "", "component (erp)")
	fs.StringVar(&r.Version, "version", "", "version (2026.1.0)")
	artifact := fs.String("artifact", "", "the file to ship")
	fs.StringVar(&r.InstallHook, "install-hook", "install", "name of the site's install hook")
	fs.StringVar(&r.RollbackHook, "rollback-hook", "rollback", "name of the site's rollback hook")
	fs.StringVar(&r.Notes, "notes", "", "release notes for the hotline")
	keysDir := fs.String("keys", "", "folder with the offline targets key (when it is not on the server)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	f, err := os.Open(*artifact)
	if err != nil {
		fmt.Fprintln(stderr, "Bitte mit --artifact die Datei angeben:", err)
		return 2
	}
	defer f.Close()
	cfg, ok := load(*cfgPath, stderr)
	if !ok {
		return 2
	}
	log := logger(cfg, io.Discard)
	st, err := fleetapp.OpenStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "lifeline fleet:", err)
		return 1
	}
	defer st.Close()
	keys, err := tufrepo.LoadKeys(cfg.TUFKeysDir)
	if err != nil {
		fmt.Fprintln(stderr, "lifeline fleet:", err)
		return 1
	}
	if *keysDir != "" {
		offline, err := tufrepo.LoadKeys(*keysDir)
		if err != nil {
			fmt.Fprintln(stderr, "lifeline fleet:", err)
			return 1
		}
		keys = keys.Merge(offline)
	}
	repo := tufrepo.New(st, keys, clock.Real{})
	cal, err := fleetapp.Calendar(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "lifeline fleet:", err)
		return 1
	}
	svc, err := fleet.NewService(fleet.Options{Config: cfg, Store: st, TUF: repo, Log: log, Calendar: cal})
	if err != nil {
		fmt.Fprintln(stderr, "lifeline fleet:", err)
		return 1
	}
	r.Artifact = filepath.Base(*artifact)
	sum, n, err := tufrepo.StoreArtifact(cfg.TargetsDir(), f, 8<<30)
	if err != nil {
		return fail(stderr, err)
	}
	r.SHA256, r.Length = sum, n
	out, err := svc.PublishRelease(ctx, cliActor(), r)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "Freigabe %d: %s %s signiert (sha256 %s, %d Bytes).\n", out.ID, out.Component, out.Version, out.SHA256, out.Length)
	return 0
}
