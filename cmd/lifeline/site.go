package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/cli/alertcli"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/config"
	"github.com/lifeline-project/lifeline/internal/service"
	"github.com/lifeline-project/lifeline/internal/siteapp"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

func cmdSite(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "user":
			return cmdSiteUser(args[1:], stdin, stdout, stderr)
		case "token":
			return cmdSiteToken(args[1:], stdout, stderr)
		case "service":
			return cmdSiteService(args[1:], stdout, stderr)
		case "alert":
			return cmdSiteAlert(args[1:], stdout, stderr)
		default:
			fmt.Fprintf(stderr, "unknown site command %q\n\n%s", args[0], usage)
			return 2
		}
	}
	fs := flag.NewFlagSet("site", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "site.yaml", "configuration file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, code := loadConfig(*cfgPath, stderr)
	if cfg == nil {
		return code
	}
	logFile := cfg.Log.File
	if logFile == "" && service.IsService() {
		logFile = filepath.Join(cfg.DataDir, "lifeline.log") // a service has no console
	}
	log, closer := service.NewLogger(cfg.Log.Level, logFile)
	defer closer.Close()
	runSite := func(ctx context.Context) error {
		app, err := siteapp.Open(ctx, siteapp.Options{Config: cfg, Log: log, Version: buildVersion(), Out: stdout})
		if err != nil {
			return err
		}
		defer app.Close()
		if err := app.Listen(""); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "lifeline site läuft: %s\n", app.URL())
		return app.Run(ctx)
	}
	if service.IsService() {
		if err := service.Run(runSite); err != nil {
			log.Error("service stopped", "err", err)
			return 1
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runSite(ctx); err != nil {
		fmt.Fprintln(stderr, "lifeline site:", err)
		return 1
	}
	return 0
}

// loadConfig loads the site configuration; on error it prints every
// problem and returns exit code 2.
func loadConfig(path string, stderr io.Writer) (*config.Site, int) {
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if _, ok := config.AsError(err); ok {
			fmt.Fprintln(stderr, "Nothing was started. Fix the lines above and start again.")
		}
		return nil, 2
	}
	return cfg, 0
}

// openAuth opens the site database's users for the admin commands.
func openAuth(cfgPath string, stderr io.Writer) (*auth.Service, func(), int) {
	cfg, code := loadConfig(cfgPath, stderr)
	if cfg == nil {
		return nil, nil, code
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		fmt.Fprintln(stderr, err)
		return nil, nil, 1
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(cfg.DataDir, "site.db"))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, nil, 1
	}
	log, _ := service.NewLogger("warn", "")
	return auth.New(sqlite.NewAuthStore(db), clock.Real{}, log), func() { db.Close() }, 0
}

func cmdSiteUser(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(stderr, "usage: lifeline site user add --config FILE --name NAME --role admin|staff|viewer  (password on stdin)")
		return 2
	}
	fs := flag.NewFlagSet("site user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "site.yaml", "configuration file")
	name := fs.String("name", "", "user name (a-z, 0-9, . _ -)")
	roleS := fs.String("role", "staff", "role: admin, staff or viewer")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	role, err := auth.ParseRole(*roleS)
	if err != nil || *name == "" {
		fmt.Fprintln(stderr, "need --name and a --role of admin, staff or viewer")
		return 2
	}
	svc, done, code := openAuth(*cfgPath, stderr)
	if svc == nil {
		return code
	}
	defer done()
	pw, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(stderr, "read password from stdin:", err)
		return 1
	}
	pw = strings.TrimRight(pw, "\r\n")
	if err := svc.AddUser(context.Background(), *name, role, pw); err != nil {
		fmt.Fprintln(stderr, auth.ErrorMessage(err, "de"))
		return 1
	}
	fmt.Fprintf(stdout, "Benutzer %s (%s) angelegt.\n", *name, role)
	return 0
}

func cmdSiteToken(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "create" && args[0] != "revoke") {
		fmt.Fprintln(stderr, "usage: lifeline site token create|revoke --config FILE --name NAME [--role viewer|staff|admin]")
		return 2
	}
	fs := flag.NewFlagSet("site token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "site.yaml", "configuration file")
	name := fs.String("name", "", "token name, e.g. the script that uses it")
	roleS := fs.String("role", "staff", "role of the token: viewer, staff or admin")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *name == "" {
		fmt.Fprintln(stderr, "need --name")
		return 2
	}
	svc, done, code := openAuth(*cfgPath, stderr)
	if svc == nil {
		return code
	}
	defer done()
	if args[0] == "revoke" {
		if err := svc.RevokeToken(context.Background(), *name); err != nil {
			fmt.Fprintln(stderr, auth.ErrorMessage(err, "de"))
			return 1
		}
		fmt.Fprintf(stdout, "Token %s gesperrt.\n", *name)
		return 0
	}
	role, err := auth.ParseRole(*roleS)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	tok, err := svc.CreateToken(context.Background(), *name, role)
	if err != nil {
		fmt.Fprintln(stderr, auth.ErrorMessage(err, "de"))
		return 1
	}
	fmt.Fprintln(stdout, tok)
	fmt.Fprintln(stderr, "Das Token wird nur dieses eine Mal angezeigt. Senden als: Authorization: Bearer <token>")
	return 0
}

func cmdSiteService(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "install" && args[0] != "uninstall") {
		fmt.Fprintln(stderr, "usage: lifeline site service install|uninstall --config FILE")
		return 2
	}
	fs := flag.NewFlagSet("site service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "site.yaml", "configuration file")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var err error
	if args[0] == "install" {
		if cfg, code := loadConfig(*cfgPath, stderr); cfg == nil {
			return code
		}
		err = service.Install(*cfgPath)
	} else {
		err = service.Uninstall()
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "Dienst %s: %s erledigt.\n", service.Name, args[0])
	return 0
}

func cmdSiteAlert(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "test" {
		fmt.Fprintln(stderr, "usage: lifeline site alert test --config FILE --receiver NAME")
		return 2
	}
	fs := flag.NewFlagSet("site alert test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgPath := fs.String("config", "site.yaml", "configuration file")
	fs.String("receiver", "", "")
	_ = fs.Parse(args[1:]) // alertcli reports usage errors itself
	cfg, code := loadConfig(*cfgPath, stderr)
	if cfg == nil {
		return code
	}
	log, _ := service.NewLogger("warn", "")
	return alertcli.Test(args[1:], alertcli.Env{
		Alert: cfg.Alert, SiteName: cfg.SiteName, Language: cfg.Language, Location: cfg.Location(),
		DataDir: cfg.DataDir, Log: log,
	}, stdout, stderr)
}
