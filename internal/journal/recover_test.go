package journal

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifeline-project/lifeline/internal/clock"
)

// TestOpenRecovers covers what a crash can leave behind: a torn last
// record in either copy and a copy that lags behind the other.
func TestOpenRecovers(t *testing.T) {
	type files struct{ p, m [][]byte }
	tests := []struct {
		name    string
		change  func(f *files)
		wantLog string
	}{
		{name: "nothing to do", change: func(f *files) {}, wantLog: "journal: opened"},
		{name: "torn record in primary", wantLog: "incomplete last record removed",
			change: func(f *files) { f.p = append(f.p, f.p[4][:70]) }},
		{name: "zeros after the last record in mirror", wantLog: "incomplete last record removed",
			change: func(f *files) { f.m = append(f.m, make([]byte, 4096)) }},
		{name: "torn record with zeros and a newline", wantLog: "incomplete last record removed",
			change: func(f *files) { f.p = append(f.p, append(make([]byte, 100), []byte("12.00\"}]}\n")...)) }},
		{name: "mirror lags by two", wantLog: "lagging copy",
			change: func(f *files) { f.m = f.m[:3] }},
		{name: "primary lags", wantLog: "lagging copy",
			change: func(f *files) { f.p = f.p[:4] }},
		{name: "mirror lags and primary is torn", wantLog: "lagging copy",
			change: func(f *files) { f.m = f.m[:4]; f.p = append(f.p, []byte(`{"number":6,"id":"`)) }},
		{name: "primary lost, restored from the mirror", wantLog: "lagging copy",
			change: func(f *files) { f.p = nil }},
		{name: "mirror lost", wantLog: "lagging copy",
			change: func(f *files) { f.m = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, p, m := closedJournal(t, 5)
			want := bytes.Join(readLines(t, p), nil)
			f := files{p: readLines(t, p)[:5], m: readLines(t, m)[:5]}
			tt.change(&f)
			writeLines(t, p, f.p)
			writeLines(t, m, f.m)

			var lb logBuf
			j, err := Open(cfg, lb.logger(), clock.NewFake(t0))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer j.Close()
			if !strings.Contains(lb.String(), tt.wantLog) {
				t.Errorf("log = %s; want %q", lb.String(), tt.wantLog)
			}
			if j.Last() != 5 {
				t.Fatalf("Last = %d; want 5", j.Last())
			}
			for _, path := range []string{p, m} {
				if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
					t.Errorf("%s after Open has %d bytes; want the %d bytes of the 5 acknowledged entries", path, len(got), len(want))
				}
			}
			e, existing, err := j.Append(context.Background(), sale("key-2", 2))
			if err != nil || !existing || e.Number != 2 {
				t.Errorf("Append(key-2) = %d %v %v; want the existing entry 2", e.Number, existing, err)
			}
			e = appendN(t, j, 6, 1)[0]
			if e.Number != 6 {
				t.Errorf("next number = %d; want 6", e.Number)
			}
			if _, err := Verify(p, m); err != nil {
				t.Errorf("Verify after recovery: %v", err)
			}
		})
	}
}

// TestOpenRefusesDamage: damage a crash cannot cause needs a person.
func TestOpenRefusesDamage(t *testing.T) {
	tests := []struct {
		name    string
		change  func(p, m [][]byte) ([][]byte, [][]byte)
		wantNum int64
		wantMsg string
	}{
		{name: "altered entry in the middle", wantNum: 2, wantMsg: "Hauptkopie, Eintrag 2: Prüfwert passt nicht",
			change: func(p, m [][]byte) ([][]byte, [][]byte) {
				p[1] = bytes.Replace(p[1], []byte("Becker"), []byte("Backer"), 1)
				return p, m
			}},
		{name: "garbage before a valid entry", wantNum: 3, wantMsg: "Zweite Kopie, Eintrag 3: nicht lesbar",
			change: func(p, m [][]byte) ([][]byte, [][]byte) {
				m[2] = []byte("\x00\x00\x00\n")
				return p, m
			}},
		{name: "copies differ", wantNum: 1, wantMsg: "Eintrag 1: Hauptkopie und zweite Kopie unterschiedlich",
			change: func(p, m [][]byte) ([][]byte, [][]byte) {
				_, _, other := closedJournal(t, 5) // another journal's copy
				return p, readLines(t, other)
			}},
		{name: "complete last record with a wrong hash", wantNum: 5, wantMsg: "Eintrag 5: Prüfwert",
			change: func(p, m [][]byte) ([][]byte, [][]byte) {
				p[4] = bytes.Replace(p[4], []byte("Becker"), []byte("Backer"), 1)
				m[4] = p[4]
				return p, m
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, p, m := closedJournal(t, 5)
			pl, ml := tt.change(readLines(t, p), readLines(t, m))
			writeLines(t, p, pl)
			writeLines(t, m, ml)
			_, err := Open(cfg, nil, nil)
			var je *Error
			if !errors.As(err, &je) || je.Code != ECORRUPT || je.Number != tt.wantNum || !strings.Contains(je.DE, tt.wantMsg) {
				t.Fatalf("Open error = %v; want ECORRUPT at %d with %q", err, tt.wantNum, tt.wantMsg)
			}
			if !strings.Contains(je.DE, "lifeline journal verify") {
				t.Errorf("message %q; want the hint to run lifeline journal verify", je.DE)
			}
			// Nothing was changed: the files are as the damage left them.
			if got, _ := os.ReadFile(p); !bytes.Equal(got, bytes.Join(pl, nil)) {
				t.Errorf("Open changed the damaged primary")
			}
		})
	}
}

func TestOpenCreatesFolders(t *testing.T) {
	base := t.TempDir()
	cfg := Config{Dir: filepath.Join(base, "a", "b"), MirrorDir: filepath.Join(base, "usb", "lifeline"), Till: "Kasse 2", RegisterSerial: "R"}
	j := openT(t, cfg, nil)
	appendN(t, j, 1, 1)
	for _, d := range []string{cfg.Dir, cfg.MirrorDir} {
		if _, err := os.Stat(filepath.Join(d, FileName)); err != nil {
			t.Errorf("journal file in %s: %v", d, err)
		}
	}
}
