package journal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifeline-project/lifeline/internal/clock"
)

// closedJournal writes n entries and closes the journal.
func closedJournal(t *testing.T, n int) (cfg Config, primary, mirror string) {
	t.Helper()
	cfg = testConfig(t)
	j, err := Open(cfg, nil, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, j, 1, n)
	primary, mirror = j.Paths()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return cfg, primary, mirror
}

// resign re-computes the hash of a line as a forger would.
func resign(line []byte) []byte {
	l := bytes.TrimSuffix(line, []byte("\n"))
	i := bytes.LastIndex(l, []byte(hashMember))
	return append(signRaw(append(append([]byte{}, l[:i]...), '}')), '\n')
}

func TestVerify(t *testing.T) {
	type files struct{ p, m [][]byte }
	tests := []struct {
		name     string
		change   func(f *files)
		wantErr  string // substring of the German error; "" for intact
		wantNote string
	}{
		{name: "intact", change: func(f *files) {}},
		{name: "content altered", wantErr: "Hauptkopie, Eintrag 17: Prüfwert passt nicht zum Inhalt",
			change: func(f *files) { f.p[16] = bytes.Replace(f.p[16], []byte("Becker"), []byte("Backer"), 1) }},
		{name: "altered and re-signed in both copies", wantErr: "Hauptkopie, Eintrag 17: Hash passt nicht zum Vorgänger",
			change: func(f *files) {
				f.p[15] = resign(bytes.Replace(f.p[15], []byte("Becker"), []byte("Backer"), 1))
				f.m[15] = f.p[15]
			}},
		{name: "altered and re-signed in the primary", wantErr: "Eintrag 16: Hauptkopie und zweite Kopie unterschiedlich",
			change: func(f *files) { f.p[15] = resign(bytes.Replace(f.p[15], []byte("Becker"), []byte("Backer"), 1)) }},
		{name: "entry deleted", wantErr: "Hauptkopie, Nummer 18 fehlt",
			change: func(f *files) { f.p = append(f.p[:17], f.p[18:]...) }},
		{name: "two entries deleted", wantErr: "Nummer 18 bis 19 fehlen",
			change: func(f *files) { f.p = append(f.p[:17], f.p[19:]...) }},
		{name: "entry repeated", wantErr: "Nummer 5 doppelt",
			change: func(f *files) { f.p = append(f.p[:5], append([][]byte{f.p[4]}, f.p[5:]...)...) }},
		{name: "unreadable line in the middle", wantErr: "Eintrag 3: nicht lesbar, aber danach folgen weitere Einträge",
			change: func(f *files) { f.p[2] = []byte("{\"number\":3,\x00\x00\n") }},
		{name: "mirror lags", wantErr: "Nummer 20 fehlt in der zweiten Kopie",
			change: func(f *files) { f.m = f.m[:19] }},
		{name: "primary lags", wantErr: "Nummer 19 bis 20 fehlen in der Hauptkopie",
			change: func(f *files) { f.p = f.p[:18] }},
		{name: "mirror missing", wantErr: "Nummer 1 bis 20 fehlen in der zweiten Kopie",
			change: func(f *files) { f.m = nil }},
		{name: "copies differ", wantErr: "Eintrag 5: Hauptkopie und zweite Kopie unterschiedlich",
			change: func(f *files) { f.m[4] = resign(bytes.Replace(f.m[4], []byte("Becker"), []byte("Backer"), 1)) }},
		{name: "torn tail is a note", wantNote: "Eintrag 21 unvollständig",
			change: func(f *files) { f.p = append(f.p, f.p[19][:50]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, p, m := closedJournal(t, 20)
			f := files{p: readLines(t, p), m: readLines(t, m)}
			f.p, f.m = f.p[:20], f.m[:20] // drop the empty piece after the last "\n"
			tt.change(&f)
			writeLines(t, p, f.p)
			if f.m == nil {
				os.Remove(m)
			} else {
				writeLines(t, m, f.m)
			}
			rep, err := Verify(filepath.Dir(p), m)
			if tt.wantErr == "" {
				if err != nil || !rep.OK() {
					t.Fatalf("Verify = %v; want intact", err)
				}
			} else {
				var je *Error
				if !errors.As(err, &je) || je.Code != ECORRUPT || !strings.Contains(je.DE, tt.wantErr) {
					t.Fatalf("Verify error = %v (%+v); want ECORRUPT with %q", err, je, tt.wantErr)
				}
			}
			if tt.wantNote != "" && (len(rep.Notes) == 0 || !strings.Contains(rep.Notes[0].DE, tt.wantNote)) {
				t.Errorf("notes = %+v; want one with %q", rep.Notes, tt.wantNote)
			}
		})
	}
}

func TestVerifyLive(t *testing.T) {
	cfg := testConfig(t)
	j := openT(t, cfg, nil)
	appendN(t, j, 1, 3)
	rep, err := Verify(cfg.Dir, cfg.MirrorDir)
	if err != nil || !rep.Live || rep.Primary.Entries != 3 || rep.Mirror.Entries != 3 {
		t.Fatalf("Verify = %+v, %v; want live, 3 entries in each copy", rep, err)
	}
	// An entry in flight (in the primary only) is a note while live.
	p, _ := j.Paths()
	lines := readLines(t, p)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(lines[2][:40]) // the start of a 4th entry
	f.Close()
	rep, err = Verify(cfg.Dir, cfg.MirrorDir)
	if err != nil || len(rep.Notes) == 0 {
		t.Fatalf("Verify with an entry in flight = %+v, %v; want intact with a note", rep, err)
	}
}

func TestVerifyEmpty(t *testing.T) {
	dir := t.TempDir()
	rep, err := Verify(filepath.Join(dir, "a"), filepath.Join(dir, "b"))
	if err != nil || rep.Primary.Exists || rep.Primary.Entries != 0 {
		t.Fatalf("Verify of no journal = %+v, %v; want empty and intact", rep, err)
	}
}
