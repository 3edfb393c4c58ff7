package alert

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func loadFixture(t *testing.T, name string) Config {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c.ApplyDefaults()
	return c
}

func TestValidateFixtures(t *testing.T) {
	tests := []struct {
		file string
		want []string // problem keys
	}{
		{"conf.good.yaml", nil},
		{"conf.bad-refs.yaml", []string{
			"people[0].receivers[0]", "escalation_policies[0].steps[0].rotas[0]", "escalation_policies[0].steps[1].delay",
			"routes[0].escalation", "routes[1].groups[0]", "routes[1].severity[0]", "routes[1].people[0]"}},
		{"conf.bad-times.yaml", []string{
			"rotas[0].layers[0].days", "rotas[0].layers[0].start", "rotas[0].layers[0].end", "rotas[0].layers[0].rotate",
			"rotas[0].overrides[0].from", "silences[0].comment", "silences[0].until", "maintenance_windows[0].start",
			"heartbeat.url", "heartbeat.every"}},
		{"conf.bad-channels.yaml", []string{
			"public_url", "receivers[0]", "receivers[1].email.tls", "receivers[1].email.from", "receivers[1].email.to",
			"receivers[2].webhook.url", "receivers[2].webhook.secret", "receivers[3].name", "receivers[3].sms.to",
			"receivers[3].sms.url", "receivers[3].sms.method", "receivers[3].sms.body"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c := loadFixture(t, tt.file)
			var got []string
			for _, p := range c.Validate() {
				got = append(got, p.Key)
				if p.Msg == "" {
					t.Errorf("%s: empty message", p.Key)
				}
			}
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("problems:\n got %v\nwant %v\nall: %v", got, want, c.Validate())
			}
		})
	}
}

func TestGoodFixtureCompilesAndBuilds(t *testing.T) {
	c := loadFixture(t, "conf.good.yaml")
	if c.Receivers[1].Email.Host != "smtp.example.de" || c.Receivers[1].Email.To[0] != "chef@apotheke.de" {
		t.Errorf("YAML merge of the SMTP settings: got %+v", c.Receivers[1].Email)
	}
	if _, err := compile(c, berlin); err != nil {
		t.Fatal(err)
	}
	ns, err := Build(c, quietLog())
	if err != nil || len(ns) != 5 {
		t.Fatalf("Build: got %d notifiers, %v; want 5", len(ns), err)
	}
	if ps := c.ValidateChecks([]string{"erp"}); len(ps) != 1 || ps[0].Key != "silences[0].checks[0]" {
		t.Errorf("ValidateChecks: got %v; want the unknown check line", ps)
	}
}

func TestDefaults(t *testing.T) {
	var c Config
	c.Routes = []Route{{}}
	c.EscalationPolicies = []Policy{{ID: "p"}}
	c.ApplyDefaults()
	if c.GroupWait.D() != DefaultGroupWait || c.RepeatInterval.D() != DefaultRepeatInterval || c.Routes[0].GroupBy != GroupBySite ||
		!slices.Equal(c.Routes[0].Severity, []string{"down"}) || c.EscalationPolicies[0].AckTimeout.D() != DefaultAckTimeout {
		t.Errorf("defaults: got %+v", c)
	}
}
