package fleetclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleettest"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// enrolled returns a fleet with one release and an enrolled site client.
func enrolled(t *testing.T) (*fleettest.Env, *fleetclient.Client, fleet.Release, []byte) {
	t.Helper()
	env := fleettest.New(t, nil)
	codes := env.AddSites(t, fleet.Site{ID: "apo-a"})
	c, err := fleetclient.New(fleetclient.Options{Config: fleetclient.Config{URL: env.URL, EnrolmentCode: codes["apo-a"]},
		Dir: filepath.Join(env.Dir, "site"), Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Enrol(ctx(t)); err != nil {
		t.Fatalf("enrol: %v", err)
	}
	artifact := []byte("MZ... the installer of erp 2026.1")
	sum, n, err := tufrepo.StoreArtifact(env.App.Config.TargetsDir(), bytes.NewReader(artifact), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := env.Service().PublishRelease(ctx(t), "anna", fleet.Release{Component: "erp", Version: "2026.1", Artifact: "setup.msi",
		Length: n, SHA256: sum, InstallHook: "install", RollbackHook: "rollback"})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return env, c, rel, artifact
}

func wantNotTrusted(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, fleetclient.ErrNotTrusted) {
		t.Fatalf("%s: got %v; want ErrNotTrusted", what, err)
	}
}

func TestFetchVerifiesAndDownloads(t *testing.T) {
	env, c, rel, artifact := enrolled(t)
	d, err := c.Fetch(ctx(t), rel.TargetPath, rel.SHA256)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	got, err := os.ReadFile(d.Path)
	if err != nil || !bytes.Equal(got, artifact) || d.SHA256 != rel.SHA256 || d.Length != int64(len(artifact)) {
		t.Fatalf("download: got %q (%+v), %v", got, d, err)
	}
	// Cached: the artifact is not downloaded again, even when the fleet
	// has lost it.
	os.Remove(filepath.Join(env.App.Config.TargetsDir(), rel.SHA256))
	if _, err := c.Fetch(ctx(t), rel.TargetPath, rel.SHA256); err != nil {
		t.Errorf("fetch from cache: %v", err)
	}
	// A day later the fleet has re-signed its timestamp; the site follows.
	env.Clock.Advance(20 * time.Hour)
	if _, err := env.App.Repo.Refresh(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Fetch(ctx(t), rel.TargetPath, ""); err != nil {
		t.Errorf("fetch after the timestamp was re-signed: %v", err)
	}
	_, err = c.Fetch(ctx(t), "erp/2026.1/other.msi", "")
	wantNotTrusted(t, "a target the metadata does not list", err)
}

// tamper rewrites a stored metadata file's signed part without signing it.
func tamper(t *testing.T, env *fleettest.Env, name string, edit func(signed map[string]any)) {
	t.Helper()
	data, err := env.App.Store.TUFFile(ctx(t), name)
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]any
	if err := json.Unmarshal(data, &md); err != nil {
		t.Fatal(err)
	}
	edit(md["signed"].(map[string]any))
	out, _ := json.Marshal(md)
	files := map[string][]byte{name: out}
	if name == "targets.json" || name == "snapshot.json" {
		// Sites fetch these by version (consistent snapshots).
		v := int(md["signed"].(map[string]any)["version"].(float64))
		files[strconv.Itoa(v)+"."+name] = out
	}
	if err := env.App.Store.PutTUFFiles(ctx(t), files); err != nil {
		t.Fatal(err)
	}
}

func TestTamperedMetadataIsRefused(t *testing.T) {
	tests := []struct {
		name string
		file string
		edit func(signed map[string]any)
	}{
		{"targets: another hash for the artifact", "targets.json", func(s map[string]any) {
			for _, tf := range s["targets"].(map[string]any) {
				tf.(map[string]any)["hashes"] = map[string]any{"sha256": strings.Repeat("0", 64)}
			}
		}},
		{"targets: a longer expiry", "targets.json", func(s map[string]any) { s["expires"] = "2099-01-01T00:00:00Z" }},
		{"timestamp: a newer snapshot version", "timestamp.json", func(s map[string]any) {
			s["version"] = s["version"].(float64) + 1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, c, rel, _ := enrolled(t)
			tamper(t, env, tt.file, tt.edit)
			_, err := c.Fetch(ctx(t), rel.TargetPath, rel.SHA256)
			wantNotTrusted(t, "fetch with tampered "+tt.file, err)
		})
	}
}

func TestArtifactNotMatchingItsHashIsRefused(t *testing.T) {
	env, c, rel, artifact := enrolled(t)
	evil := bytes.ToUpper(artifact) // same length, other content
	if err := os.WriteFile(filepath.Join(env.App.Config.TargetsDir(), rel.SHA256), evil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := c.Fetch(ctx(t), rel.TargetPath, rel.SHA256)
	wantNotTrusted(t, "artifact with other content", err)
	if err := os.WriteFile(filepath.Join(env.App.Config.TargetsDir(), rel.SHA256), append(artifact, 'x'), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = c.Fetch(ctx(t), rel.TargetPath, rel.SHA256)
	wantNotTrusted(t, "artifact one byte longer", err)
	entries, _ := os.ReadDir(filepath.Join(env.Dir, "site", "tuf", "targets"))
	if len(entries) != 0 {
		t.Errorf("refused artifacts kept on disk: %d files; want none", len(entries))
	}
}

func TestCommandHashMustMatchSignedHash(t *testing.T) {
	_, c, rel, _ := enrolled(t)
	_, err := c.Fetch(ctx(t), rel.TargetPath, strings.Repeat("ab", 32))
	wantNotTrusted(t, "command naming another hash", err)
}

func TestExpiredTimestampIsRefused(t *testing.T) {
	env, c, rel, _ := enrolled(t)
	env.Clock.Advance(tufrepo.TimestampLifetime + time.Minute) // the fleet did not re-sign (frozen)
	_, err := c.Fetch(ctx(t), rel.TargetPath, rel.SHA256)
	wantNotTrusted(t, "expired timestamp", err)
}
