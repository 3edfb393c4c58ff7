package agent

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func loadConf(t *testing.T, name string) Config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	abs, _ := filepath.Abs("testdata")
	c.ResolvePaths(abs)
	c.ApplyDefaults()
	return c
}

func TestConfigGood(t *testing.T) {
	c := loadConf(t, "conf.good.yaml")
	if ps := c.Validate(); len(ps) > 0 {
		t.Fatalf("got problems %v; want none", ps)
	}
	comp, ok := c.Component("erp")
	if !ok || comp.DisplayName() != "WinApo" || comp.HookTimeout.D() != 20*time.Minute || comp.GateDuration.D() != DefaultGateDuration {
		t.Errorf("component: got %+v", comp)
	}
	if c.State != "NW" || c.TimeZone != DefaultTimeZone || c.MaxAttempts != DefaultMaxAttempts || c.RetryInterval.D() != DefaultRetryInterval {
		t.Errorf("defaults: got %+v", c)
	}
	if c.Location().String() != "Europe/Berlin" || c.ParsedWindow().String() == "" {
		t.Errorf("location %s, window %s", c.Location(), c.ParsedWindow())
	}
	if ps := c.CheckGateChecks([]string{"erp"}); len(ps) != 1 || ps[0].Key != "components[0].gate_checks[1]" {
		t.Errorf("unknown gate check: got %v; want components[0].gate_checks[1]", ps)
	}
	if ps := (Config{}).Validate(); len(ps) != 0 {
		t.Errorf("empty section: got %v; want none (agent off)", ps)
	}
}

func TestConfigProblems(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"conf.badwindow.yaml", []string{"window"}},
		{"conf.nowindow.yaml", []string{"window"}},
		{"conf.badcomponent.yaml", []string{"components[0].name", "components[1].install", "components[1].hook_timeout",
			"components[1].gate_duration", "components[1].gate_checks[0]", "components[2].name", "components[2].rollback"}},
		{"conf.badstate.yaml", []string{"time_zone", "state", "max_attempts"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ps := loadConf(t, tt.file).Validate()
			var got []string
			for _, p := range ps {
				got = append(got, p.Key)
				if p.Msg == "" {
					t.Errorf("%s: no message", p.Key)
				}
			}
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got keys %v; want %v (%v)", got, want, ps)
			}
		})
	}
}
