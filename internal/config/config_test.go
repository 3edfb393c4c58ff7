package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

func TestLoadGood(t *testing.T) {
	s, err := Load("testdata/conf.good.yaml")
	if err != nil {
		t.Fatalf("got error %v; want none", err)
	}
	if s.Listen != "127.0.0.1:8080" || s.Language != "de" || s.Timezone != "Europe/Berlin" {
		t.Errorf("top-level defaults: got %q %q %q", s.Listen, s.Language, s.Timezone)
	}
	if want := filepath.Join("testdata", "data"); s.DataDir != want {
		t.Errorf("data_dir: got %q; want %q (relative to the file)", s.DataDir, want)
	}
	byID := map[string]check.Spec{}
	for _, c := range s.Checks {
		byID[c.ID] = c
	}
	if got := byID["tilage"].Interval.D(); got != 5*time.Minute {
		t.Errorf("tilage default interval: got %v; want 5m", got)
	}
	if got := byID["ups"].Address; got != "127.0.0.1:3493" {
		t.Errorf("nut default port: got %q; want 127.0.0.1:3493", got)
	}
	if got := byID["clock"].Address; got != "ptbtime1.ptb.de:123" {
		t.Errorf("ntp default port: got %q", got)
	}
	if got := byID["erezept"].Server; got != "10.0.0.2:53" {
		t.Errorf("dns default port: got %q", got)
	}
	if got := byID["line1"]; got.FailAfter != 2 || got.RecoverAfter != 2 || got.Interval.D() != 30*time.Second || got.Group != check.GroupNetwork {
		t.Errorf("check defaults: got %+v", got)
	}
	if got := byID["ups"].Group; got != check.GroupPower {
		t.Errorf("nut group: got %q; want power", got)
	}
}

// want is one expected problem: its line and words in key and message.
type want struct {
	line int
	key  string
	msg  string
}

func TestLoadBad(t *testing.T) {
	tests := []struct {
		file string
		want []want
	}{
		{"conf.unknown-kind.yaml", []want{{3, "checks[0].kind", "not a probe kind"}}},
		{"conf.missing-url.yaml", []want{{2, "checks[0].url", "missing"}}},
		{"conf.fachdienst.yaml", []want{{4, "checks[0].url", "gematik forbids polling"}}},
		{"conf.tilage-too-often.yaml", []want{{5, "checks[0].interval", "at most every 5 minutes"}}},
		{"conf.cycle.yaml", []want{{5, "depends_on", "loop"}}},
		{"conf.unknown-key.yaml", []want{{0, "checks", "no checks"}, {2, "chekcs", "unknown key"}}},
		{"conf.bad-duration.yaml", []want{{5, "", "not a duration"}}},
		{"conf.duplicate-id.yaml", []want{{5, "checks[1].id", "used twice"}}},
		{"conf.many.yaml", []want{
			{1, "listen", "not host:port"},
			{2, "language", "not supported"},
			{3, "timezone", "IANA"},
			{7, "checks[0].url", "not an http"},
			{8, "checks[0].timeout", "longer than the interval"},
			{10, "checks[1].address", "missing"},
			{12, "checks[1].depends_on[0]", "not the id"},
		}},
		{"conf.not-yaml.yaml", []want{{1, "", "expected"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata", tt.file))
			cerr, ok := AsError(err)
			if !ok {
				t.Fatalf("got %v; want a configuration error", err)
			}
			if len(cerr.Problems) != len(tt.want) {
				t.Fatalf("got %d problems:\n%v\nwant %d", len(cerr.Problems), err, len(tt.want))
			}
			for i, w := range tt.want {
				p := cerr.Problems[i]
				if p.Line != w.line || !strings.Contains(p.Key, w.key) || !strings.Contains(p.Msg, w.msg) {
					t.Errorf("problem %d: got %q; want line %d, key containing %q, message containing %q", i, p.String(), w.line, w.key, w.msg)
				}
				if !strings.HasPrefix(p.String(), filepath.Join("testdata", tt.file)) {
					t.Errorf("problem %d does not name the file: %q", i, p.String())
				}
			}
		})
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "site.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("examples/site.yaml missing: %v", err)
	}
	if _, err := Load(path); err != nil {
		t.Fatalf("examples/site.yaml: %v", err)
	}
}
