package incident_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/lifeline-project/lifeline/internal/incident"
)

func loadConf(t *testing.T, name string) incident.Config {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var c incident.Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c.ApplyDefaults(func(p string) string {
		if p == "" || filepath.IsAbs(p) || strings.Contains(p, `:\`) {
			return p
		}
		return filepath.Join("/etc/lifeline", p)
	})
	return c
}

func TestConfigFixtures(t *testing.T) {
	checks := []string{"erp", "konnektor"}
	receivers := []string{"anna-push", "uebung-mail"}
	good := loadConf(t, "conf.good.yaml")
	if ps := append(good.Validate(), good.ValidateRefs(checks, receivers)...); len(ps) != 0 {
		t.Fatalf("good config: %v", ps)
	}
	if good.Binder.TopSellersFile != "/etc/lifeline/top-artikel.csv" || good.Binder.Keep != 14 || !good.BinderPatients() {
		t.Fatalf("defaults and paths: %+v", good.Binder)
	}
	tests := []struct {
		file string
		keys []string
	}{
		{"conf.bad-time.yaml", []string{"binder.time"}},
		{"conf.bad-phone-tree.yaml", []string{"binder.phone_tree[0].calls"}},
		{"conf.bad-cert.yaml", []string{"certificates.entries[0].id", "certificates.entries[0].kind", "certificates.entries[0].name", "certificates.entries[0].expires"}},
		{"conf.bad-refs.yaml", []string{"ignore[0]", "drill.scenarios[0].checks[0]", "drill.receivers[0]"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			c := loadConf(t, tc.file)
			ps := append(c.Validate(), c.ValidateRefs(checks, receivers)...)
			var got []string
			for _, p := range ps {
				got = append(got, p.Key)
				if p.Msg == "" {
					t.Errorf("%s: problem without a message", p.Key)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.keys, " ") {
				t.Fatalf("problems at %v; want %v (%v)", got, tc.keys, ps)
			}
		})
	}
}
