package journalcli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifeline-project/lifeline/internal/journal"
)

func makeJournal(t *testing.T, n int) Env {
	t.Helper()
	base := t.TempDir()
	cfg := journal.Config{Dir: filepath.Join(base, "p"), MirrorDir: filepath.Join(base, "m"), Till: "Kasse 1", RegisterSerial: "R-1"}
	j, err := journal.Open(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		s := journal.Sale{IdempotencyKey: fmt.Sprintf("k%d", i), Staff: "Frau Becker", Payment: journal.PaymentCash,
			Items: []journal.Item{{PZN: "04877800", Qty: 1, Price: journal.Cents(420), Copay: journal.Cents(420)}}}
		if _, _, err := j.Append(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return Env{Dir: cfg.Dir, MirrorDir: cfg.MirrorDir}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name     string
		args     func(env Env) []string
		damage   func(t *testing.T, env Env)
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{name: "intact", wantCode: 0, wantOut: []string{"In Ordnung", "beide Kopien stimmen überein", "20 Einträge", "ersetzt keine zertifizierte TSE"}},
		{name: "hash broken", wantCode: 1, wantOut: []string{"FEHLER: Hauptkopie, Eintrag 17: Hash passt nicht zum Vorgänger", "ERROR: primary copy, entry 17"},
			damage: func(t *testing.T, env Env) {
				path := filepath.Join(env.Dir, journal.FileName)
				lines := bytes.SplitAfter(must(os.ReadFile(path)), []byte("\n"))
				// Point entry 17 elsewhere and give it a fresh, valid hash,
				// as a forger would: the chain breaks at 17.
				var e journal.Entry
				json.Unmarshal(lines[15], &e)
				lines[16] = resign(bytes.Replace(lines[16], []byte(e.Hash[:10]), []byte("0000000000"), 1))
				os.WriteFile(path, bytes.Join(lines, nil), 0o600)
			}},
		{name: "entry removed", wantCode: 1, wantOut: []string{"FEHLER: Hauptkopie, Nummer 18 fehlt"},
			damage: func(t *testing.T, env Env) {
				path := filepath.Join(env.Dir, journal.FileName)
				lines := bytes.SplitAfter(must(os.ReadFile(path)), []byte("\n"))
				os.WriteFile(path, bytes.Join(append(lines[:17], lines[18:]...), nil), 0o600)
			}},
		{name: "mirror behind", wantCode: 1, wantOut: []string{"Nummer 20 fehlt in der zweiten Kopie"},
			damage: func(t *testing.T, env Env) {
				path := filepath.Join(env.MirrorDir, journal.FileName)
				lines := bytes.SplitAfter(must(os.ReadFile(path)), []byte("\n"))
				os.WriteFile(path, bytes.Join(lines[:19], nil), 0o600)
			}},
		{name: "json", args: func(Env) []string { return []string{"--json"} }, wantCode: 0, wantOut: []string{`"entries": 20`, `"problems": []`}},
		{name: "flags override", args: func(env Env) []string { return []string{"--dir", env.MirrorDir, "--mirror-dir", env.Dir} }, wantCode: 0,
			wantOut: []string{"In Ordnung"}},
		{name: "no mirror configured", args: func(Env) []string { return []string{"--mirror-dir", ""} }, wantCode: 0,
			wantOut: []string{"keine zweite Kopie eingerichtet"}},
		{name: "unknown flag", args: func(Env) []string { return []string{"--fast"} }, wantCode: 2, wantErr: "Aufruf / usage"},
		{name: "extra argument", args: func(Env) []string { return []string{"now"} }, wantCode: 2, wantErr: "unerwartetes Argument"},
		{name: "no folder", args: func(Env) []string { return []string{"--dir", ""} }, wantCode: 2, wantErr: "journal.dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := makeJournal(t, 20)
			if tt.damage != nil {
				tt.damage(t, env)
			}
			var args []string
			if tt.args != nil {
				args = tt.args(env)
			}
			var out, errOut bytes.Buffer
			code := Verify(args, env, &out, &errOut)
			if code != tt.wantCode {
				t.Fatalf("exit code = %d; want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out.String(), errOut.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout:\n%s\nwant %q", out.String(), w)
				}
			}
			if tt.wantErr != "" && !strings.Contains(strings.ToLower(errOut.String()), strings.ToLower(tt.wantErr)) {
				t.Errorf("stderr:\n%s\nwant %q", errOut.String(), tt.wantErr)
			}
		})
	}
}

func TestVerifyUnreadable(t *testing.T) {
	env := makeJournal(t, 1)
	path := filepath.Join(env.Dir, journal.FileName)
	os.Remove(path)
	os.Mkdir(path, 0o700) // a folder where the file should be
	var out, errOut bytes.Buffer
	if code := Verify(nil, env, &out, &errOut); code != 2 {
		t.Fatalf("exit code = %d; want 2\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(errOut.String(), "nicht lesbar") {
		t.Errorf("stderr %q; want it to say the journal is not readable", errOut.String())
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// resign recomputes a line's hash as the journal's file format documents
// it: SHA-256 of the line without its final ,"hash":"…" member.
func resign(line []byte) []byte {
	l := bytes.TrimSuffix(line, []byte("\n"))
	i := bytes.LastIndex(l, []byte(`,"hash":"`))
	body := append(append([]byte{}, l[:i]...), '}')
	sum := sha256.Sum256(body)
	return fmt.Appendf(nil, "%s,\"hash\":\"%s\"}\n", l[:i], hex.EncodeToString(sum[:]))
}
