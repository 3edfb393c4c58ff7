//go:build !windows

package nutcheck

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/nut"
)

// Debian's nut-server puts the real binaries here; /usr/sbin/upsd is a
// wrapper that needs /etc/nut/nut.conf.
const (
	upsdBin   = "/lib/nut/upsd"
	driverBin = "/lib/nut/dummy-ups"
)

// syncBuffer collects a process's output for the failure message.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// realUPSD is a real upsd with the dummy-ups driver in a temporary folder.
type realUPSD struct {
	t      *testing.T
	dir    string
	name   string
	addr   string
	runAs  string
	driver *exec.Cmd
	out    *syncBuffer
}

func startRealUPSD(t *testing.T, name, dev string) *realUPSD {
	t.Helper()
	for _, bin := range []string{upsdBin, driverBin} {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("nut-server missing: run `make test`, which installs it (%s: %v)", bin, err)
		}
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, state} {
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	// A free loopback port: bind, note it, release it for upsd.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)

	runAs := "root"
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			t.Fatalf("current user: %v", err)
		}
		runAs = u.Username
	}
	files := map[string]string{
		"ups.conf": fmt.Sprintf("[%s]\n\tdriver = dummy-ups\n\tport = %s.dev\n\tdesc = \"Test UPS\"\n", name, name),
		// MAXAGE 3: upsd calls the data stale 3 s after the driver goes quiet.
		"upsd.conf":   fmt.Sprintf("LISTEN 127.0.0.1 %s\nMAXAGE 3\n", port),
		"upsd.users":  "",
		"nut.conf":    "MODE=standalone\n",
		name + ".dev": dev,
	}
	for f, content := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	u := &realUPSD{t: t, dir: dir, name: name, addr: addr, runAs: runAs, out: &syncBuffer{}}
	u.startDriver()
	server := u.command(upsdBin, "-F", "-u", runAs)
	if err := server.Start(); err != nil {
		t.Fatalf("start upsd: %v", err)
	}
	t.Cleanup(func() {
		_ = server.Process.Kill()
		_ = server.Wait()
		if t.Failed() {
			t.Logf("upsd and driver output:\n%s", u.out.String())
		}
	})
	return u
}

func (u *realUPSD) command(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "NUT_CONFPATH="+u.dir, "NUT_STATEPATH="+filepath.Join(u.dir, "state"))
	cmd.Stdout, cmd.Stderr = u.out, u.out
	return cmd
}

// startDriver starts dummy-ups in the foreground, so that its pid is ours.
func (u *realUPSD) startDriver() {
	u.t.Helper()
	cmd := u.command(driverBin, "-a", u.name, "-u", u.runAs, "-F")
	if err := cmd.Start(); err != nil {
		u.t.Fatalf("start dummy-ups: %v", err)
	}
	u.driver = cmd
	u.t.Cleanup(func() {
		_ = cmd.Process.Kill() // also ends a stopped process
		_ = cmd.Wait()
	})
}

// killDriver ends the driver, as when it crashes.
func (u *realUPSD) killDriver() {
	u.t.Helper()
	_ = u.driver.Process.Kill()
	_ = u.driver.Wait()
}

// restartDriver replaces the driver with one reading a new .dev file.
func (u *realUPSD) restartDriver(dev string) {
	u.t.Helper()
	u.killDriver()
	if err := os.WriteFile(filepath.Join(u.dir, u.name+".dev"), []byte(dev), 0o644); err != nil {
		u.t.Fatal(err)
	}
	u.startDriver()
}

// waitStatus polls upsd until ups.status equals want.
func (u *realUPSD) waitStatus(want string) {
	u.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := nut.Dial(ctx, u.addr)
		if err == nil {
			v, err := c.GetVar(ctx, u.name, "ups.status")
			_ = c.Close()
			if err == nil && v == want {
				cancel()
				return
			}
			last = fmt.Sprintf("%q %v", v, err)
		} else {
			last = err.Error()
		}
		cancel()
		time.Sleep(100 * time.Millisecond)
	}
	u.t.Fatalf("upsd never reported ups.status %q; last answer %s", want, last)
}

func (u *realUPSD) probe(ups string) check.Result {
	u.t.Helper()
	return probe(u.t, check.Spec{Address: u.addr, UPS: ups})
}

// waitProbe probes until the prober reports want, or fails after 15 s.
func (u *realUPSD) waitProbe(want check.Status) check.Result {
	u.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var got check.Result
	for time.Now().Before(deadline) {
		got = u.probe(u.name)
		if got.Status == want {
			return got
		}
		time.Sleep(200 * time.Millisecond)
	}
	u.t.Fatalf("prober never reported %v; last %v %q", want, got.Status, got.Message.DE)
	return got
}

// TestProbeAgainstRealUPSD runs the prober against a real upsd with the
// dummy-ups driver (Debian package nut-server), through the states of a
// power cut.
func TestProbeAgainstRealUPSD(t *testing.T) {
	u := startRealUPSD(t, "apotheke", "ups.status: OL\nbattery.charge: 100\nbattery.runtime: 2400\n")

	t.Run("on mains is ok", func(t *testing.T) {
		u.waitStatus("OL")
		got := u.probe("apotheke")
		if got.Status != check.StatusOK || got.Message.DE != "Netzbetrieb, Akku 100 %, Laufzeit 40 min" {
			t.Errorf("got %v %q; want ok %q", got.Status, got.Message.DE, "Netzbetrieb, Akku 100 %, Laufzeit 40 min")
		}
		if got.Values["battery_charge"] != 100 || got.Values["battery_runtime"] != 2400 {
			t.Errorf("values got %v; want battery_charge 100, battery_runtime 2400", got.Values)
		}
	})
	t.Run("on battery is degraded", func(t *testing.T) {
		u.restartDriver("ups.status: OB\nbattery.charge: 45\nbattery.runtime: 720\n")
		u.waitStatus("OB")
		got := u.probe("apotheke")
		if got.Status != check.StatusDegraded || got.Message.DE != "Batteriebetrieb! Akku 45 %, noch ca. 12 min" {
			t.Errorf("got %v %q; want degraded %q", got.Status, got.Message.DE, "Batteriebetrieb! Akku 45 %, noch ca. 12 min")
		}
	})
	t.Run("low battery is down", func(t *testing.T) {
		u.restartDriver("ups.status: OB LB\nbattery.charge: 8\nbattery.runtime: 90\n")
		u.waitStatus("OB LB")
		got := u.probe("apotheke")
		if got.Status != check.StatusFail || !strings.HasPrefix(got.Message.DE, "Akku fast leer!") {
			t.Errorf("got %v %q; want fail \"Akku fast leer!...\"", got.Status, got.Message.DE)
		}
	})
	t.Run("silent driver gives stale data, unknown", func(t *testing.T) {
		if err := u.driver.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		got := u.waitProbe(check.StatusUnknown)
		if !strings.Contains(got.Message.DE, "Daten der USV veraltet") {
			t.Errorf("message got %q; want it to say \"Daten der USV veraltet\"", got.Message.DE)
		}
		if err := u.driver.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		u.waitProbe(check.StatusFail) // back to OB LB
	})
	t.Run("killed driver gives unknown", func(t *testing.T) {
		u.killDriver()
		got := u.waitProbe(check.StatusUnknown)
		if !strings.Contains(got.Message.DE, "Daten der USV veraltet") {
			t.Errorf("message got %q; want it to say \"Daten der USV veraltet\"", got.Message.DE)
		}
	})
	t.Run("unknown ups name fails", func(t *testing.T) {
		got := u.probe("keller")
		if got.Status != check.StatusFail || !strings.Contains(got.Message.DE, "nicht bekannt") {
			t.Errorf("got %v %q; want fail ...nicht bekannt", got.Status, got.Message.DE)
		}
	})
}
