package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lifeline-project/lifeline/internal/agent/agentdemo"
	"github.com/lifeline-project/lifeline/internal/cli/fleetcli"
	"github.com/lifeline-project/lifeline/internal/service"
)

// cmdFleet runs `lifeline fleet ...` (the vendor's fleet server and its
// admin commands).
func cmdFleet(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return fleetcli.Fleet(args, stdin, stdout, stderr)
}

// cmdSim runs `lifeline sim fleet ...` and `lifeline sim load ...`.
func cmdSim(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	switch {
	case len(args) > 0 && args[0] == "fleet":
		return fleetcli.SimFleet(args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "load":
		return fleetcli.SimLoad(args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, `usage:
  lifeline sim fleet --sites N --scenario good-update|failing-update|bricking-update [--json]
  lifeline sim load --sites N --heartbeat 30s --duration 5m [--store sqlite|postgres] [--fleets K] [--json]`)
	return 2
}

// cmdDemoBadUpdate runs the demo scenario "bad update": a fleet with a few
// simulated pharmacies; the update breaks the canaries' ERP check; the
// rollout halts; the canaries roll back by themselves; the others never
// get it.
func cmdDemoBadUpdate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo bad-update", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sites := fs.Int("sites", 5, "number of simulated pharmacies")
	listen := fs.String("listen", "127.0.0.1:8090", "address of the fleet console")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir, err := os.MkdirTemp("", "lifeline-bad-update-*")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	log, closer := service.NewLogger("warn", filepath.Join(dir, "lifeline.log"))
	defer closer.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := agentdemo.Start(ctx, agentdemo.Options{Dir: dir, Sites: *sites, Log: log, Listen: *listen})
	if err != nil {
		fmt.Fprintln(stderr, "lifeline demo bad-update:", err)
		return 1
	}
	defer d.Close()
	var controls []string
	for _, p := range d.Pharmacies {
		controls = append(controls, fmt.Sprintf("    %s: %s", p.Name, p.ControlURL))
	}
	fmt.Fprintf(stdout, `
lifeline Demo "fehlerhaftes Update": eine Flotte mit %d simulierten Apotheken.
Das Update macht bei den Apotheken des Testrings die Warenwirtschaft kaputt.
Der Rollout hält von selbst an, der Testring rollt selbst zurück, die anderen
bekommen das Update nie. Die Demo-Uhr läuft 60-mal schneller.

  Flottenkonsole: %s   (Benutzer admin, Passwort %s)
  Apotheken:
%s

Beenden mit Strg+C.
`, len(d.Pharmacies), d.FleetURL, d.AdminPassword, strings.Join(controls, "\n"))
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	reported := false
	for {
		select {
		case <-ctx.Done():
			return 0
		case <-tick.C:
			out, err := d.Outcome(ctx)
			if err == nil && !reported && out.Done(countCanaries(d)) {
				fmt.Fprintf(stdout, "\nErgebnis: Rollout %s, zurückgerollt: %s, Installationen bei den anderen: %d\n",
					out.RolloutStatus, strings.Join(out.RolledBack, ", "), out.Installs)
				reported = true
			}
		}
	}
}

func countCanaries(d *agentdemo.Demo) int {
	n := 0
	for _, p := range d.Pharmacies {
		if p.Canary {
			n++
		}
	}
	return n
}
