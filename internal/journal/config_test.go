package journal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		file     string
		wantKeys []string
		wantMsg  string
	}{
		{file: "conf.good.yaml"},
		{file: "conf.defaults.yaml"},
		{file: "conf.mirror-missing.yaml", wantKeys: []string{"mirror_dir"}, wantMsg: "anderen Platte"},
		{file: "conf.mirror-same.yaml", wantKeys: []string{"mirror_dir"}, wantMsg: "anderen Platte"},
		{file: "conf.mirror-inside.yaml", wantKeys: []string{"mirror_dir"}, wantMsg: "andere Platte"},
		{file: "conf.serial-missing.yaml", wantKeys: []string{"register_serial"}, wantMsg: "Seriennummer"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var c Config
			dec := yaml.NewDecoder(strings.NewReader(string(b)))
			dec.KnownFields(true)
			if err := dec.Decode(&c); err != nil {
				t.Fatalf("decode: %v", err)
			}
			c.ApplyDefaults("/var/lib/lifeline")
			ps := c.Validate()
			var keys []string
			for _, p := range ps {
				keys = append(keys, p.Key)
			}
			if strings.Join(keys, ",") != strings.Join(tt.wantKeys, ",") {
				t.Fatalf("problem keys = %v (%v); want %v", keys, ps, tt.wantKeys)
			}
			if tt.wantMsg != "" && !strings.Contains(ps[0].Msg, tt.wantMsg) {
				t.Errorf("message = %q; want it to contain %q", ps[0].Msg, tt.wantMsg)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	var c Config
	c.ApplyDefaults(filepath.Join("data"))
	if c.Dir != filepath.Join("data", "journal") || c.Till != "Kasse 1" || c.MirrorDir != "" {
		t.Errorf("defaults = %+v; want dir data/journal, till Kasse 1, no mirror", c)
	}
	ps := c.Validate()
	if len(ps) != 2 || ps[0].Key != "mirror_dir" || ps[1].Key != "register_serial" {
		t.Errorf("Validate of defaults = %v; want mirror_dir and register_serial", ps)
	}
}
