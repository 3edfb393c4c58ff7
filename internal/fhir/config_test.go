package fhir

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lifeline-project/lifeline/internal/check"
)

func TestConfigDefaults(t *testing.T) {
	var c Config
	if err := yaml.Unmarshal([]byte("base_url: https://ehr.klinik.local/fhir/\nprint:\n  folders: [/srv/downtime]\n"), &c); err != nil {
		t.Fatal(err)
	}
	c.ApplyDefaults()
	if ps := c.Validate(); len(ps) != 0 {
		t.Fatalf("valid config: %v", ps)
	}
	if c.BaseURL != "https://ehr.klinik.local/fhir" || c.Interval.D() != 5*time.Minute || c.MaxAge.D() != 15*time.Minute ||
		c.Mode != ModeAuto || c.Print.Every.D() != 4*time.Hour || c.ExportPath != "$export" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // keys with a problem
	}{
		{"missing base", "interval: 5m", []string{"base_url"}},
		{"plain http to another host", "base_url: http://ehr.klinik.local/fhir", []string{"base_url"}},
		{"plain http on this machine", "base_url: http://127.0.0.1:8080/fhir", nil},
		{"both auths", "base_url: https://e/fhir\nauth: {bearer_token_file: t, client_id: c, key_file: k, token_url: https://e/token}", []string{"auth"}},
		{"smart incomplete", "base_url: https://e/fhir\nauth: {client_id: c}", []string{"auth.key_file", "auth.token_url"}},
		{"smart token over http", "base_url: https://e/fhir\nauth: {client_id: c, key_file: k, token_url: http://e/token}", []string{"auth.token_url"}},
		{"interval too short", "base_url: https://e/fhir\ninterval: 1s", []string{"interval"}},
		{"max age below two intervals", "base_url: https://e/fhir\ninterval: 5m\nmax_age: 6m", []string{"max_age"}},
		{"bad mode and export", "base_url: https://e/fhir\nmode: fast\nexport_path: /Patient", []string{"export_path", "mode"}},
		{"print without folder", "base_url: https://e/fhir\nprint: {every: 1h, wards: [Station 1]}", []string{"print.folders"}},
		{"print too often", "base_url: https://e/fhir\nprint: {every: 1m, folders: [/x]}", []string{"print.every"}},
		{"group export", "base_url: https://e/fhir\nexport_path: Group/inpatients/$export", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Config
			if err := yaml.Unmarshal([]byte(tt.yaml), &c); err != nil {
				t.Fatal(err)
			}
			c.ApplyDefaults()
			ps := c.Validate()
			var got []string
			for _, p := range ps {
				got = append(got, p.Key)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("problems at %v; want %v (%v)", got, tt.want, ps)
			}
		})
	}
}

func TestConfigResolvePaths(t *testing.T) {
	c := Config{Auth: AuthConfig{KeyFile: "smart.pem"}, Print: PrintConfig{Folders: []string{"print", `\\server\share`}}}
	c.ResolvePaths(func(p string) string {
		if p == "" {
			return ""
		}
		return "/etc/lifeline/" + p
	})
	if c.Auth.KeyFile != "/etc/lifeline/smart.pem" || c.Print.Folders[0] != "/etc/lifeline/print" || c.Print.Folders[1] != `\\server\share` {
		t.Errorf("resolved: %+v", c)
	}
}

func TestCheckSpec(t *testing.T) {
	s := CheckSpec()
	if s.ID != CheckID || s.Interval != check.Duration(time.Minute) || s.FailAfter != 1 {
		t.Errorf("check spec: %+v", s)
	}
}
