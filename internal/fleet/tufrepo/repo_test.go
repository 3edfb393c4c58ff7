package tufrepo_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/sqlite"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
)

var t0 = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

func setup(t *testing.T) (*tufrepo.Repo, *sqlite.Store, string, *clock.Fake) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := tufrepo.InitKeys(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	r := tufrepo.New(st, keys, clk)
	if err := r.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r, st, filepath.Join(dir, "keys"), clk
}

func TestInitKeysAndRepository(t *testing.T) {
	r, st, dir, _ := setup(t)
	ctx := context.Background()
	if runtime.GOOS != "windows" {
		for _, role := range tufrepo.Roles {
			fi, err := os.Stat(filepath.Join(dir, tufrepo.KeyFile(role)))
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s key: mode %v, %v; want 0600", role, fi.Mode().Perm(), err)
			}
		}
	}
	if _, err := tufrepo.InitKeys(dir); err == nil {
		t.Error("second keys init: got no error; want a refusal to overwrite")
	}
	if err := r.Init(ctx); fleet.ErrorCode(err) != fleet.ECONFLICT {
		t.Errorf("second repository init: got %v; want ECONFLICT", err)
	}
	for _, name := range []string{"root.json", "1.root.json", "1.targets.json", "1.snapshot.json", "timestamp.json"} {
		if _, err := st.TUFFile(ctx, name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	root, _ := r.TrustedRoot(ctx)
	var md metadata.Metadata[metadata.RootType]
	m, err := md.FromBytes(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.VerifyDelegate(metadata.ROOT, m); err != nil {
		t.Errorf("root is not self-signed: %v", err)
	}
	if !m.Signed.ConsistentSnapshot || !m.Signed.Expires.Equal(t0.Add(tufrepo.RootLifetime)) {
		t.Errorf("root: consistent %v, expires %v", m.Signed.ConsistentSnapshot, m.Signed.Expires)
	}
}

func TestOfflineTargetsKey(t *testing.T) {
	r, st, dir, clk := setup(t)
	ctx := context.Background()
	// The server keeps only snapshot and timestamp; root and targets go
	// to a USB stick.
	usb := t.TempDir()
	for _, role := range []string{tufrepo.RoleRoot, tufrepo.RoleTargets} {
		if err := os.Rename(filepath.Join(dir, tufrepo.KeyFile(role)), filepath.Join(usb, tufrepo.KeyFile(role))); err != nil {
			t.Fatal(err)
		}
	}
	online, err := tufrepo.LoadKeys(dir)
	if err != nil || online.Has(tufrepo.RoleTargets) || !online.Has(tufrepo.RoleTimestamp) {
		t.Fatalf("online keys: targets %v, timestamp %v, %v", online.Has(tufrepo.RoleTargets), online.Has(tufrepo.RoleTimestamp), err)
	}
	server := tufrepo.New(st, online, clk)
	target := fleet.TUFTarget{Path: "erp/2026.1/a.msi", Length: 3, SHA256: strings.Repeat("ab", 32)}
	err = server.AddTarget(ctx, target)
	if fleet.ErrorCode(err) != fleet.EINVALID || !strings.Contains(err.Error(), "targets key") {
		t.Fatalf("add target without the targets key: got %v; want EINVALID naming the key", err)
	}
	// The server still keeps the timestamp fresh.
	clk.Advance(13 * time.Hour)
	if ok, err := server.Refresh(ctx); err != nil || !ok {
		t.Fatalf("refresh with online keys: %v, %v", ok, err)
	}
	if ok, _ := server.Refresh(ctx); ok {
		t.Error("second refresh right after: got a new timestamp; want none")
	}
	usbKeys, err := tufrepo.LoadKeys(usb)
	if err != nil {
		t.Fatal(err)
	}
	if err := tufrepo.New(st, online.Merge(usbKeys), clk).AddTarget(ctx, target); err != nil {
		t.Fatalf("add target with the offline key brought in: %v", err)
	}
	status, _ := r.Status(ctx)
	if status.TargetsVersion != 2 {
		t.Errorf("targets version: got %d; want 2", status.TargetsVersion)
	}
	// Another repository's targets key is refused.
	_, _, otherDir, _ := setup(t)
	other, _ := tufrepo.LoadKeys(otherDir)
	err = tufrepo.New(st, online.Merge(other), clk).AddTarget(ctx, target)
	if fleet.ErrorCode(err) != fleet.EINVALID || !strings.Contains(err.Error(), "does not belong") {
		t.Errorf("foreign targets key: got %v; want EINVALID", err)
	}
}

func TestHandlers(t *testing.T) {
	r, _, _, _ := setup(t)
	dir := t.TempDir()
	sum, n, err := tufrepo.StoreArtifact(dir, bytes.NewReader([]byte("hello")), 100)
	if err != nil || n != 5 {
		t.Fatal(err)
	}
	if _, _, err := tufrepo.StoreArtifact(dir, bytes.NewReader(make([]byte, 101)), 100); fleet.ErrorCode(err) != fleet.EINVALID {
		t.Errorf("too large artifact: got %v; want EINVALID", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/tuf/", r.MetadataHandler("/tuf/"))
	mux.Handle("/targets/", tufrepo.TargetsHandler("/targets/", dir))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tests := []struct {
		path string
		want int
		body string
	}{
		{"/tuf/timestamp.json", 200, `"_type":"timestamp"`},
		{"/tuf/1.root.json", 200, `"_type":"root"`},
		{"/tuf/2.root.json", 404, ""},
		{"/tuf/../fleet.db", 404, ""},
		{"/tuf/users.json", 404, ""},
		{"/targets/erp/1/" + sum + ".a.msi", 200, "hello"},
		{"/targets/erp/1/" + strings.Repeat("0", 64) + ".a.msi", 404, ""},
		{"/targets/erp/1/a.msi", 404, ""},
	}
	for _, tt := range tests {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want || !strings.Contains(b.String(), tt.body) {
			t.Errorf("GET %s: got %d %.60q; want %d with %q", tt.path, resp.StatusCode, b.String(), tt.want, tt.body)
		}
	}
}
