package fleetcli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/lifeline-project/lifeline/internal/fleetsim"
)

// serveFleetFlag starts the serving mode of a load run's fleet process;
// SimLoad passes it to the copies of this program it starts.
const serveFleetFlag = "--serve-fleet"

// SimLoad runs `lifeline sim load`; args follow "load". It starts the
// fleet processes as copies of this program (os.Executable with the
// arguments that led here and --serve-fleet CONFIG), so that their CPU
// and memory are measured apart from the emulated sites; --in-process
// keeps them in this process.
func SimLoad(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) == 2 && args[0] == serveFleetFlag {
		if err := fleetsim.ServeFleet(ctx, args[1], os.Stdin, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "lifeline sim load (fleet):", err)
			return 1
		}
		return 0
	}
	var exe string
	var prefix []string
	if self, err := os.Executable(); err == nil && len(os.Args) > len(args) {
		exe = self
		prefix = append(prefix, os.Args[1:len(os.Args)-len(args)]...)
	}
	return simLoad(ctx, args, exe, prefix, stdout, stderr)
}

func simLoad(ctx context.Context, args []string, exe string, prefix []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sim load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o fleetsim.LoadOptions
	fs.IntVar(&o.Sites, "sites", 1000, "number of emulated sites")
	fs.DurationVar(&o.Heartbeat, "heartbeat", 0, "heartbeat interval of every site (default 30s)")
	fs.DurationVar(&o.Duration, "duration", 0, "length of the run (default 5m)")
	fs.StringVar(&o.Store, "store", "sqlite", "sqlite or postgres")
	fs.StringVar(&o.DSN, "dsn", "", "PostgreSQL server (default $LIFELINE_TEST_POSTGRES or postgres://postgres@127.0.0.1:5432/test); the run uses its own schema")
	fs.IntVar(&o.Fleets, "fleets", 1, "number of fleet processes (more than one: --store postgres)")
	fs.IntVar(&o.PerConn, "per-conn", 1, "sites sharing one HTTP/2 connection, as behind a multiplexing load balancer (1: one connection per site)")
	fs.StringVar(&o.MemoryLimit, "memory-limit", "", "memory_limit of the fleet processes (like 900MiB; default none)")
	fs.DurationVar(&o.BroadcastAt, "broadcast-at", 0, "when to send the broadcast (default half-way)")
	inProc := fs.Bool("in-process", false, "run the fleet in this process (CPU and memory then include the emulated sites)")
	dir := fs.String("dir", "", "keep the run's files (fleet logs) here")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return 2
	}
	if !*inProc {
		if exe == "" {
			fmt.Fprintln(stderr, "lifeline sim load: cannot find this program to start the fleet processes; use --in-process")
			return 2
		}
		o.Exe, o.Args = exe, append(append([]string(nil), prefix...), serveFleetFlag)
	}
	o.Dir = *dir
	if !*quiet {
		o.Progress = stderr
	}
	rep, err := fleetsim.RunLoad(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "lifeline sim load:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return 1
		}
		return 0
	}
	fmt.Fprint(stdout, rep.Words())
	return 0
}
