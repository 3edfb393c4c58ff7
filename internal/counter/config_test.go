package counter

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

func good() Config {
	c := Config{Receipt: ReceiptConfig{Header: []string{"Apotheke am Markt"}}, Replay: ReplayConfig{ERPURL: "http://127.0.0.1:8081"}}
	c.ApplyDefaults("/var/lib/lifeline")
	return c
}

func TestConfigDefaults(t *testing.T) {
	c := good()
	if c.ERezeptKeepDays != 30 || c.Replay.Timeout.D() != 10*time.Second || c.Replay.StateDir != filepath.Join("/var/lib/lifeline", "reconcile") {
		t.Errorf("defaults: got %+v", c)
	}
	e := Config{Replay: ReplayConfig{ExportDir: "/srv/import"}}
	e.ApplyDefaults("/d")
	if e.Replay.ExportFormat != "csv" {
		t.Errorf("export format: got %q; want csv", e.Replay.ExportFormat)
	}
	if ps := good().Validate(); len(ps) != 0 {
		t.Errorf("good config: got problems %v", ps)
	}
	var none Config
	none.ApplyDefaults("/d")
	if ps := none.Validate(); len(ps) != 0 || none.ReplayConfigured() {
		t.Errorf("config without hand-over: got problems %v, configured %v; want none and false", ps, none.ReplayConfigured())
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		key  string
	}{
		{"both targets", func(c *Config) { c.Replay.ExportDir = "/srv" }, "replay"},
		{"not a URL", func(c *Config) { c.Replay.ERPURL = "erp.local:8081" }, "replay.erp_url"},
		{"ftp URL", func(c *Config) { c.Replay.ERPURL = "ftp://erp.local" }, "replay.erp_url"},
		{"bad format", func(c *Config) { c.Replay.ERPURL, c.Replay.ExportDir, c.Replay.ExportFormat = "", "/srv", "xml" }, "replay.export_format"},
		{"token without URL", func(c *Config) {
			c.Replay.ERPURL, c.Replay.ExportDir, c.Replay.ExportFormat, c.Replay.Token = "", "/srv", "csv", "t"
		}, "replay.token"},
		{"timeout too short", func(c *Config) { c.Replay.Timeout = check.Duration(time.Millisecond) }, "replay.timeout"},
		{"no state folder", func(c *Config) { c.Replay.StateDir = " " }, "replay.state_dir"},
		{"keep days", func(c *Config) { c.ERezeptKeepDays = -1 }, "erezept_keep_days"},
		{"header line too long", func(c *Config) { c.Receipt.Header = []string{strings.Repeat("x", 121)} }, "receipt.header[0]"},
		{"footer line break", func(c *Config) { c.Receipt.Footer = []string{"a", "b\nc"} }, "receipt.footer[1]"},
		{"too many header lines", func(c *Config) { c.Receipt.Header = make([]string, 9) }, "receipt.header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.mod(&c)
			ps := c.Validate()
			if len(ps) != 1 || ps[0].Key != tt.key {
				t.Errorf("got %v; want one problem at %s", ps, tt.key)
			}
		})
	}
}

func TestConfigValidateChecks(t *testing.T) {
	c := Config{OfferWhenDown: []string{"erp", "kasse"}, TIChecks: []string{"konnektor", "ti"}}
	ps := c.ValidateChecks([]string{"erp", "konnektor"})
	if len(ps) != 2 || ps[0].Key != "offer_when_down[1]" || ps[1].Key != "ti_checks[1]" {
		t.Errorf("got %v; want offer_when_down[1] and ti_checks[1]", ps)
	}
}
