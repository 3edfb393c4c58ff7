package mirrorcli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/cli/mirrorcli"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/seal"
)

func fixture(name string) string {
	return filepath.Join("..", "..", "mirror", "csvsource", "testdata", name)
}

func newEnv(t *testing.T, vars map[string]string) mirrorcli.Env {
	t.Helper()
	dir := t.TempDir()
	return mirrorcli.Env{
		DataDir: dir,
		KeyFile: filepath.Join(dir, "lifeline.key"),
		Getenv:  func(k string) string { return vars[k] },
		Now:     func() time.Time { return time.Now() },
	}
}

func run(f func([]string, mirrorcli.Env, *bytes.Buffer, *bytes.Buffer) int, env mirrorcli.Env, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := f(args, env, &out, &errb)
	return code, out.String(), errb.String()
}

func imp(args []string, env mirrorcli.Env, o, e *bytes.Buffer) int {
	return mirrorcli.Import(args, env, o, e)
}
func rekey(args []string, env mirrorcli.Env, o, e *bytes.Buffer) int {
	return mirrorcli.Rekey(args, env, o, e)
}
func status(args []string, env mirrorcli.Env, o, e *bytes.Buffer) int {
	return mirrorcli.Status(args, env, o, e)
}

func TestImport(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		{"good", []string{"--config", "site.yaml", "--dataset", "articles", "--file", fixture("articles_good.csv")}, 0,
			[]string{"4 Artikel übernommen\n", "(4 articles imported)", "Preisdaten Stand: "}, nil},
		{"bad rows reported", []string{"--dataset", "articles", "--file", fixture("articles_bad.csv")}, 0,
			[]string{
				"2 Artikel übernommen, 10 Zeilen fehlerhaft:\n",
				"  articles_bad.csv, Zeile 3, Feld pzn: Prüfziffer falsch",
				"  articles_bad.csv, Zeile 4, Feld avp: negativer Preis (negative price)\n",
				"  articles_bad.csv, Zeile 5, Feld name: Name fehlt (name missing)\n",
				"  articles_bad.csv, Zeile 6: 3 Spalten statt 12",
				"(2 articles imported, 10 rows rejected)",
			}, nil},
		{"strict", []string{"--strict", "--dataset", "articles", "--file", fixture("articles_bad.csv")}, 1,
			[]string{"0 Artikel übernommen: Datei wegen fehlerhafter Zeile abgelehnt (--strict):\n", "Zeile 3, Feld pzn"},
			[]string{"bisherige Stand bleibt in Gebrauch"}},
		{"nothing", []string{"--dataset", "articles", "--file", fixture("articles_header_only.csv")}, 1,
			[]string{"0 Artikel übernommen"}, []string{"keine gültige Zeile"}},
		{"header", []string{"--dataset", "articles", "--file", fixture("articles_comma.csv")}, 1,
			nil, []string{"Zeile 1 (Kopfzeile)", "Semikolon"}},
		{"missing file", []string{"--dataset", "articles", "--file", "nix.csv"}, 1, nil, []string{"nix.csv nicht lesbar"}},
		{"patients", []string{"--dataset", "patients", "--file", fixture("patients_good.csv")}, 0,
			[]string{"3 Patienten übernommen", "Vorrang-Patienten Stand:"}, nil},
		{"usage: no dataset", []string{"--file", "x.csv"}, 2, nil, []string{"Aufruf:"}},
		{"usage: unknown dataset", []string{"--dataset", "prices", "--file", "x.csv"}, 2, nil, []string{"Usage:"}},
		{"usage: stray arg", []string{"--dataset", "articles", "--file", "x.csv", "extra"}, 2, nil, []string{"extra"}},
		{"usage: bad flag", []string{"--nope"}, 2, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, nil)
			code, out, errs := run(imp, env, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d; want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errs)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs)
				}
			}
		})
	}
}

func TestStrictKeepsPreviousCopy(t *testing.T) {
	env := newEnv(t, nil)
	if code, out, errs := run(imp, env, "--dataset", "articles", "--file", fixture("articles_good.csv")); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	if code, _, _ := run(imp, env, "--strict", "--dataset", "articles", "--file", fixture("articles_bad.csv")); code != 1 {
		t.Fatalf("strict exit %d; want 1", code)
	}
	code, out, _ := run(status, env)
	if code != 0 || !strings.Contains(out, "Preisdaten") || !strings.Contains(out, "Preisdaten                 4  Stand: ") {
		t.Errorf("status after a rejected import (exit %d):\n%s\nwant 4 articles", code, out)
	}
}

func TestRekey(t *testing.T) {
	env := newEnv(t, nil)
	if code, out, errs := run(imp, env, "--dataset", "patients", "--file", fixture("patients_good.csv")); code != 0 {
		t.Fatalf("import exit %d: %s %s", code, out, errs)
	}
	before, err := os.ReadFile(env.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(rekey, env, "--config", "site.yaml")
	if code != 0 {
		t.Fatalf("rekey exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "Neuer Datenschlüssel") || !strings.Contains(out, "neu sichern") {
		t.Errorf("rekey output:\n%s", out)
	}
	after, _ := os.ReadFile(env.KeyFile)
	if bytes.Equal(before, after) {
		t.Fatal("key file unchanged by rekey")
	}
	kr, _, err := seal.Load(seal.Options{File: env.KeyFile, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if len(kr.IDs()) != 1 {
		t.Errorf("key file holds %d keys; want 1", len(kr.IDs()))
	}
	db, err := mirrordb.Open(context.Background(), filepath.Join(env.DataDir, mirrordb.FileName), kr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ps, err := db.Patients(context.Background())
	if err != nil || len(ps) != 3 {
		t.Errorf("patients with the new key: %d, %v; want 3", len(ps), err)
	}
}

func TestRekeyEnv(t *testing.T) {
	k, _ := seal.GenerateKey()
	env := newEnv(t, map[string]string{seal.EnvVar: seal.EncodeKey(k)})
	if code, _, errs := run(imp, env, "--dataset", "patients", "--file", fixture("patients_good.csv")); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	code, _, errs := run(rekey, env)
	if code != 1 || !strings.Contains(errs, seal.EnvVar+"=") || !strings.Contains(errs, "lifeline mirror rekey erneut") {
		t.Errorf("rekey with one key in %s: exit %d\n%s\nwant 1 and instructions", seal.EnvVar, code, errs)
	}
	if _, err := os.Stat(env.KeyFile); err == nil {
		t.Errorf("a key file was written although the key comes from %s", seal.EnvVar)
	}
	k2, _ := seal.GenerateKey()
	env.Getenv = func(string) string { return seal.EncodeKey(k2) + "," + seal.EncodeKey(k) }
	code, out, errs := run(rekey, env)
	if code != 0 || !strings.Contains(out, "neu starten") {
		t.Errorf("rekey with new,old in %s: exit %d\n%s%s", seal.EnvVar, code, out, errs)
	}
	env.Getenv = func(string) string { return seal.EncodeKey(k) }
	code, _, errs = run(imp, env, "--dataset", "patients", "--file", fixture("patients_good.csv"))
	if code != 1 || !strings.Contains(errs, "Schlüssel passt nicht zu den Daten") {
		t.Errorf("import with the retired key: exit %d\n%s\nwant the wrong-key message", code, errs)
	}
}

func TestStatus(t *testing.T) {
	env := newEnv(t, nil)
	run(imp, env, "--dataset", "contacts", "--file", fixture("contacts_good.csv"))
	code, out, errs := run(status, env)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, w := range []string{"Preisdaten", "Stand: nie", "Kontakte", "contacts_good.csv", "Notfallhandbuch"} {
		if !strings.Contains(out, w) {
			t.Errorf("status lacks %q:\n%s", w, out)
		}
	}
	_ = mirror.Articles
}

// holder is another holder of sealed data, as the journal would be.
type holder struct {
	sealed []byte
	calls  int
}

func (h *holder) Reseal(_ context.Context, kr *seal.Keyring) error {
	h.calls++
	pt, err := kr.Open(h.sealed, seal.AD("journal", "1"))
	if err != nil {
		return err
	}
	h.sealed, err = kr.Seal(pt, seal.AD("journal", "1"))
	return err
}

func TestRekeyResealsOtherHolders(t *testing.T) {
	env := newEnv(t, nil)
	kr, _, err := seal.Load(seal.Options{File: env.KeyFile, Getenv: env.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	h := &holder{}
	if h.sealed, err = kr.Seal([]byte("Quittung 17"), seal.AD("journal", "1")); err != nil {
		t.Fatal(err)
	}
	env.Resealers = []seal.Resealer{h}
	if code, out, errs := run(rekey, env); code != 0 {
		t.Fatalf("rekey exit %d: %s %s", code, out, errs)
	}
	kr2, _, _ := seal.Load(seal.Options{File: env.KeyFile, Getenv: env.Getenv})
	pt, err := kr2.Open(h.sealed, seal.AD("journal", "1"))
	if h.calls != 1 || err != nil || string(pt) != "Quittung 17" {
		t.Errorf("other holder: %d reseals, %q, %v; want its data open with the new key", h.calls, pt, err)
	}
}
