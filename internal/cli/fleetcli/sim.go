package fleetcli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"text/tabwriter"

	"github.com/lifeline-project/lifeline/internal/fleetsim"
)

// SimFleet runs `lifeline sim fleet`; args follow "fleet".
func SimFleet(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return simFleet(ctx, args, stdout, stderr)
}

func simFleet(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sim fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o fleetsim.Options
	var scenario string
	fs.IntVar(&o.Sites, "sites", 200, "number of emulated sites")
	fs.StringVar(&scenario, "scenario", string(fleetsim.GoodUpdate), "good-update, failing-update or bricking-update")
	fs.Float64Var(&o.Share, "share", 0, "share of sites the release breaks (default 0.2 failing, 0.5 bricking)")
	fs.IntVar(&o.TestSites, "test-sites", 0, "sites pinned to the test ring (default 0.5 %, at least 3)")
	fs.StringVar(&o.Seed, "seed", "", "seed for the choice of broken sites and ring order")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o.Scenario = fleetsim.Scenario(scenario)
	r, err := fleetsim.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "lifeline sim fleet:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "Szenario %s, %d Standorte, Anteil %.0f %%\n\n", r.Scenario, r.Sites, 100*r.Share)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tin Ringen\talle auf einmal")
	row := func(name string, a, b any) { fmt.Fprintf(tw, "%s\t%v\t%v\n", name, a, b) }
	row("Ringe bestanden", r.RingsCompleted, r.Baseline.RingsCompleted)
	row("installiert", r.Installed, r.Baseline.Installed)
	row("fehlgeschlagen", r.Failed, r.Baseline.Failed)
	row("stumm", r.Silent, r.Baseline.Silent)
	row("zurückgesetzt", r.RolledBack, r.Baseline.RolledBack)
	row("angehalten", r.Halted, r.Baseline.Halted)
	row("betroffen (%)", fmt.Sprintf("%.1f", r.BlastRadius), fmt.Sprintf("%.1f", r.Baseline.BlastRadius))
	row("Minuten bis Halt", minutes(r.MinutesToHalt), minutes(r.Baseline.MinutesToHalt))
	row("Status", r.Status, r.Baseline.Status)
	tw.Flush()
	return 0
}

func minutes(m *float64) string {
	if m == nil {
		return "–"
	}
	return fmt.Sprintf("%.0f", *m)
}

// version is the module's build version for the console's footer.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}
