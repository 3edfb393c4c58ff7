package fleetcli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/lifeline-project/lifeline/internal/fleetsim"
)

// childEnv makes the test binary act as a load run's fleet process.
const childEnv = "LIFELINE_FLEETCLI_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		if i := slices.Index(os.Args, serveFleetFlag); i >= 0 {
			os.Exit(SimLoad(os.Args[i:], os.Stdout, os.Stderr))
		}
	}
	os.Exit(m.Run())
}

func runSimLoad(t *testing.T, exe string, args ...string) fleetsim.LoadReport {
	t.Helper()
	var out, errb bytes.Buffer
	if code := simLoad(context.Background(), append(args, "--json", "--quiet"), exe, nil, &out, &errb); code != 0 {
		t.Fatalf("sim load %v: exit %d: %s", args, code, errb.String())
	}
	var rep fleetsim.LoadReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	return rep
}

func checkLoad(t *testing.T, rep fleetsim.LoadReport, sites int) {
	t.Helper()
	if rep.Errors != 0 {
		t.Errorf("errors: got %d (%v); want 0", rep.Errors, rep.ErrorSamples)
	}
	if rep.Heartbeats < int64(sites) || rep.HeartbeatP50ms <= 0 || rep.HeartbeatP99ms < rep.HeartbeatP50ms {
		t.Errorf("heartbeats: got %d, p50 %.2f ms, p99 %.2f ms; want at least one per site", rep.Heartbeats, rep.HeartbeatP50ms, rep.HeartbeatP99ms)
	}
	if rep.Connected != sites || rep.Reached != sites || rep.Broadcast100ms < 0 || rep.Broadcast50ms > rep.Broadcast100ms {
		t.Errorf("broadcast: connected %d, reached %d, 50%% %.0f ms, 100%% %.0f ms; want all %d", rep.Connected, rep.Reached,
			rep.Broadcast50ms, rep.Broadcast100ms, sites)
	}
	if rep.Delivered != sites {
		t.Errorf("delivered counted by the fleet: got %d; want %d", rep.Delivered, sites)
	}
	if rep.FleetPeakMB <= 0 || rep.FleetCPUSeconds <= 0 {
		t.Errorf("fleet resources: got %.1f MB, %.2f s CPU; want measured", rep.FleetPeakMB, rep.FleetCPUSeconds)
	}
}

// TestSimLoadSQLite runs a small load against a fleet process started as
// a copy of this program (the test binary in the fleet's serving mode).
func TestSimLoadSQLite(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(childEnv, "1")
	rep := runSimLoad(t, exe, "--sites", "60", "--heartbeat", "1s", "--duration", "4s", "--per-conn", "7")
	checkLoad(t, rep, 60)
	if rep.InProcess || rep.Conns != 9 {
		t.Errorf("run: in process %v, %d connections; want a child process and 9 connections", rep.InProcess, rep.Conns)
	}
}

// TestSimLoadPostgresTwoFleets runs the sites against two fleet processes
// on PostgreSQL, in this process; the broadcast sent through one reaches
// the sites of both.
func TestSimLoadPostgresTwoFleets(t *testing.T) {
	rep := runSimLoad(t, "", "--sites", "40", "--heartbeat", "1s", "--duration", "4s", "--store", "postgres", "--fleets", "2", "--in-process")
	checkLoad(t, rep, 40)
}

func TestSimLoadUsage(t *testing.T) {
	var out, errb bytes.Buffer
	for _, args := range [][]string{{"--sites", "0"}, {"--store", "mysql"}, {"--fleets", "2"}, {"extra"}} {
		if code := simLoad(context.Background(), append(args, "--in-process"), "", nil, &out, &errb); code == 0 {
			t.Errorf("sim load %v: exit 0; want an error", args)
		}
	}
}
