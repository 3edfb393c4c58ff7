package mirror

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lifeline-project/lifeline/internal/validate"
)

func loadConfig(t *testing.T, name string) Config {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c.ApplyDefaults()
	return c
}

func TestConfigGood(t *testing.T) {
	c := loadConfig(t, "conf.good.yaml")
	if ps := c.Validate(); len(ps) > 0 {
		t.Fatalf("conf.good.yaml: problems %v; want none", ps)
	}
	if c.Sources[2].MaxAge.D() != 48*time.Hour {
		t.Errorf("sources[2].max_age = %v; want 48h", c.Sources[2].MaxAge.D())
	}
	loc, err := c.Location()
	if err != nil || loc.String() != "Europe/Berlin" {
		t.Errorf("Location = %v, %v; want Europe/Berlin", loc, err)
	}
}

func TestConfigDefaults(t *testing.T) {
	c := loadConfig(t, "conf.defaults.yaml")
	if ps := c.Validate(); len(ps) > 0 {
		t.Fatalf("problems %v; want none", ps)
	}
	if c.Interval.D() != 60*time.Second || c.FullSyncAt != "03:30" || c.MaxAge.D() != 10*time.Minute || c.TimeZone != "Europe/Berlin" {
		t.Errorf("defaults = interval %v, full_sync_at %q, max_age %v, time_zone %q; want 60s, 03:30, 10m, Europe/Berlin",
			c.Interval.D(), c.FullSyncAt, c.MaxAge.D(), c.TimeZone)
	}
}

func TestConfigProblems(t *testing.T) {
	tests := []struct {
		file    string
		wantKey string
		wantMsg string
	}{
		{"conf.interval.yaml", "interval", "out of range"},
		{"conf.full_sync_at.yaml", "full_sync_at", "not a time of day"},
		{"conf.time_zone.yaml", "time_zone", "IANA"},
		{"conf.max_age.yaml", "max_age", "twice the interval"},
		{"conf.dataset.yaml", "sources[0].dataset", "not a data set"},
		{"conf.duplicate.yaml", "sources[1].dataset", "already has a source"},
		{"conf.kind.yaml", "sources[0].kind", "not a source kind"},
		{"conf.nofile.yaml", "sources[0].file", "needs a file"},
		{"conf.url.yaml", "sources[0].url", "not an http(s) URL"},
		{"conf.http_personal.yaml", "sources[0].url", "use https"},
		{"conf.markdown.yaml", "sources[0].kind", "handbook only"},
		{"conf.handbook_csv.yaml", "sources[0].kind", "use kind markdown"},
		{"conf.token.yaml", "sources[0].token", "only a feed"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ps := loadConfig(t, tt.file).Validate()
			if len(ps) != 1 {
				t.Fatalf("problems %v; want exactly one at %s", ps, tt.wantKey)
			}
			if ps[0].Key != tt.wantKey || !strings.Contains(ps[0].Msg, tt.wantMsg) {
				t.Errorf("problem %q: %q; want key %q with %q", ps[0].Key, ps[0].Msg, tt.wantKey, tt.wantMsg)
			}
		})
	}
}

func TestConfigReportsAllAtOnce(t *testing.T) {
	c := Config{Interval: 1, FullSyncAt: "x", TimeZone: "Nowhere/None", Sources: []SourceConfig{{Dataset: "x"}}}
	ps := c.Validate()
	keys := map[string]bool{}
	for _, p := range ps {
		keys[p.Key] = true
	}
	for _, k := range []string{"interval", "full_sync_at", "time_zone", "sources[0].dataset", "sources[0].kind"} {
		if !keys[k] {
			t.Errorf("problems %v lack key %s", ps, k)
		}
	}
	var _ validate.Problems = ps
}
