package fleetcli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// setup writes a fleet configuration and creates the keys.
func setup(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(cfg, []byte("listen: 127.0.0.1:0\npublic_url: https://fleet.example.de\ndata_dir: data\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"keys", "init", "--config", cfg}, nil, &out, &errb); code != 0 {
		t.Fatalf("keys init: exit %d: %s", code, errb.String())
	}
	return dir, cfg
}

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

var codeRE = regexp.MustCompile(`(?m)^([a-z0-9-]+);([0-9A-Z]{4}(-[0-9A-Z]{4}){4});`)

func TestKeysInit(t *testing.T) {
	dir, cfg := setup(t)
	if runtime.GOOS != "windows" {
		for _, f := range []string{"root.key", "targets.key", "snapshot.key", "timestamp.key"} {
			st, err := os.Stat(filepath.Join(dir, "data", "keys", f))
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("%s: %v %v; want 0600", f, st.Mode().Perm(), err)
			}
		}
	}
	if code, _, errs := runCmd(t, "", "keys", "init", "--config", cfg); code != 1 || !strings.Contains(errs, "exists already") {
		t.Errorf("second keys init: exit %d %q; want 1 and a refusal", code, errs)
	}
	if code, _, _ := runCmd(t, "", "keys", "init"); code != 2 {
		t.Errorf("keys init without --config: exit %d; want 2", code)
	}
	if code, _, _ := runCmd(t, "", "sites"); code != 2 {
		t.Errorf("unknown command: exit %d; want 2", code)
	}
}

func TestSiteCommands(t *testing.T) {
	dir, cfg := setup(t)
	code, out, errs := runCmd(t, "", "site", "add", "--config", cfg, "--id", "apo-1", "--name", "Rosen-Apotheke", "--state", "BY", "--window", "Mo-Fr 01:00-05:00")
	if code != 0 || len(codeRE.FindAllString(out, -1)) != 1 {
		t.Fatalf("site add: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runCmd(t, "", "site", "add", "--config", cfg, "--id", "apo-1", "--name", "X", "--state", "BY", "--window", "Mo 01:00-02:00"); code != 2 || !strings.Contains(errs, "gibt es schon") {
		t.Errorf("site add twice: exit %d %q; want 2 and a conflict", code, errs)
	}
	csv := filepath.Join(dir, "sites.csv")
	os.WriteFile(csv, []byte("id;name;state;window\napo-2;Dom-Apotheke;NW;täglich 02:00-04:00\napo-3;Löwen-Apotheke;SN;Sa 01:00-03:00\n"), 0o600)
	if code, out, errs := runCmd(t, "", "site", "import", "--config", cfg, csv); code != 0 || len(codeRE.FindAllString(out, -1)) != 2 {
		t.Fatalf("site import: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runCmd(t, "id;name;state;window\napo-4;A;XX;nie\n", "site", "import", "--config", cfg, "-"); code != 2 || !strings.Contains(errs, "line 2") {
		t.Errorf("bad import from stdin: exit %d %q; want 2 naming line 2", code, errs)
	}
	if code, out, _ := runCmd(t, "", "site", "code", "--config", cfg, "--id", "apo-2"); code != 0 || len(codeRE.FindAllString(out, -1)) != 1 {
		t.Errorf("site code: exit %d %s", code, out)
	}
	if code, _, _ := runCmd(t, "", "site", "revoke", "--config", cfg, "--id", "apo-2"); code != 2 {
		t.Errorf("revoke without reason: exit %d; want 2", code)
	}
	if code, _, errs := runCmd(t, "", "site", "revoke", "--config", cfg, "--id", "apo-2", "--reason", "Server ausgetauscht"); code != 0 {
		t.Errorf("revoke: exit %d %s", code, errs)
	}
	if code, _, errs := runCmd(t, "hotline-passwort-1\n", "user", "add", "--config", cfg, "--name", "hotline", "--role", "viewer"); code != 0 {
		t.Errorf("user add: exit %d %s", code, errs)
	}
	if code, _, _ := runCmd(t, "kurz\n", "user", "add", "--config", cfg, "--name", "x", "--role", "viewer"); code != 2 {
		t.Errorf("user add with a short password: exit %d; want 2", code)
	}
}

func TestReleaseAddWithOfflineKeys(t *testing.T) {
	dir, cfg := setup(t)
	usb := filepath.Join(dir, "usb")
	os.MkdirAll(usb, 0o700)
	for _, f := range []string{"root.key", "targets.key"} {
		if err := os.Rename(filepath.Join(dir, "data", "keys", f), filepath.Join(usb, f)); err != nil {
			t.Fatal(err)
		}
	}
	art := filepath.Join(dir, "erp-setup.msi")
	os.WriteFile(art, []byte("MSI"), 0o600)
	args := []string{"release", "add", "--config", cfg, "--component", "erp", "--version", "2026.1", "--artifact", art}
	if code, _, errs := runCmd(t, "", args...); code != 2 || !strings.Contains(errs, "offline") {
		t.Errorf("release add without the targets key: exit %d %q; want 2 naming the offline key", code, errs)
	}
	if code, out, errs := runCmd(t, "", append(args, "--keys", usb)...); code != 0 || !strings.Contains(out, "erp 2026.1") {
		t.Errorf("release add with --keys: exit %d %s %s", code, out, errs)
	}
}

func TestServe(t *testing.T) {
	_, cfg := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		var errb bytes.Buffer
		done <- run(ctx, []string{"--config", cfg}, nil, pw, &errb)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	url := ""
	for sc.Scan() {
		if m := regexp.MustCompile(`läuft auf (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		cancel()
		t.Fatal("the server did not print its address")
	}
	resp, err := http.Get(url + "/login")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /login: %v %v", resp, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit after shutdown: %d; want 0", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop within 20 s of its context ending")
	}
}

func TestSimFleetJSON(t *testing.T) {
	var out, errb bytes.Buffer
	if code := simFleet(context.Background(), []string{"--sites", "20", "--scenario", "bricking-update", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("sim fleet: exit %d %s", code, errb.String())
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	for _, k := range []string{"sites", "rings_completed", "installed", "failed", "silent", "rolled_back", "halted", "blast_radius", "minutes_to_halt", "baseline"} {
		if _, ok := r[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	if r["halted"] != true || r["baseline"].(map[string]any)["blast_radius"] != 100.0 {
		t.Errorf("result: got %s", out.String())
	}
	out.Reset()
	if code := simFleet(context.Background(), []string{"--sites", "20", "--scenario", "nope"}, &out, &errb); code != 1 {
		t.Errorf("unknown scenario: exit %d; want 1", code)
	}
}
