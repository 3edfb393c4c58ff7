package incident

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/validate"
)

// Config is the incident section of the site configuration: incidents,
// the paper binder, the certificate calendar and drills.
//
//	incident:
//	  binder:
//	    folders: ['E:\Notfallmappe', '\\PC-BUERO\Notfallmappe']
//	    time: "06:30"
//	    phone_tree:
//	      - {name: Anna Becker, role: Inhaberin, phone: 0171 1234567, calls: [Jonas Wolf]}
//	  certificates:
//	    entries:
//	      - {id: smcb, kind: smcb, name: SMC-B Apotheke am Markt, expires: 2027-03-31}
//	  drill:
//	    receivers: [uebung-mail]
type Config struct {
	// OpenOnDegraded opens incidents for degraded root causes too; by
	// default only an outage (down) opens one.
	OpenOnDegraded bool `yaml:"open_on_degraded"`
	// Ignore lists check ids that never open an incident (for example a
	// test check); the certificate calendar's own check is always ignored.
	Ignore       []string     `yaml:"ignore"`
	Binder       BinderConfig `yaml:"binder"`
	Certificates CertConfig   `yaml:"certificates"`
	Drill        DrillConfig  `yaml:"drill"`
}

// BinderConfig configures the paper binder (Notfallmappe).
type BinderConfig struct {
	// Folders receive a copy of the binder PDF every day and on demand:
	// a USB stick, a share on a second PC. The site always keeps one in
	// <data_dir>/notfallmappe too.
	Folders []string `yaml:"folders"`
	// Time is the local time of the daily binder (default 06:30).
	Time string `yaml:"time"`
	// Keep is the number of dated copies kept per folder (default 7).
	Keep int `yaml:"keep"`
	// Articles is the number of most-sold articles listed (default 300).
	Articles int `yaml:"articles"`
	// TopSellersFile is a top-seller list exported from the pharmacy
	// system (CSV: PZN, quantity), read at every binder; the sales of the
	// emergency-mode journal are added to it.
	TopSellersFile string `yaml:"top_sellers_file"`
	// Patients puts the priority patients into the binder (default true).
	// Every binder with patients is logged.
	Patients *bool `yaml:"patients"`
	// PhoneTree is the calling order when the IT fails: who calls whom.
	PhoneTree []PhoneTreeEntry `yaml:"phone_tree"`
}

// PhoneTreeEntry is one person of the phone tree (Telefonkette).
type PhoneTreeEntry struct {
	Name  string `yaml:"name"`
	Role  string `yaml:"role"`
	Phone string `yaml:"phone"`
	// Calls names the people this person calls next.
	Calls []string `yaml:"calls"`
}

// CertConfig configures the certificate and identity calendar.
type CertConfig struct {
	// WarnDays are the days before expiry at which warnings fire
	// (default 90, 30 and 7). The smallest turns the check to "down".
	WarnDays []int `yaml:"warn_days"`
	// Entries are certificates, cards and contracts entered by hand.
	// More can be added on the dashboard.
	Entries []CertEntry `yaml:"entries"`
}

// CertEntry is a certificate, card or contract entered in the
// configuration.
type CertEntry struct {
	ID   string `yaml:"id"`
	Kind string `yaml:"kind"`
	Name string `yaml:"name"`
	// Expires is the last day of validity, "2027-03-31".
	Expires string `yaml:"expires"`
	Note    string `yaml:"note"`
}

// Kinds of calendar entries.
const (
	CertSMCB      = "smcb"
	CertHBA       = "hba"
	CertGSMCKT    = "gsmckt"
	CertKonnektor = "konnektor"
	CertTerminal  = "terminal"
	CertContract  = "contract"
	CertTLS       = "tls"
	CertOther     = "other"
)

// CertKinds lists the kinds that can be entered by hand.
var CertKinds = []string{CertSMCB, CertHBA, CertGSMCKT, CertKonnektor, CertTerminal, CertContract, CertOther}

// DrillConfig configures drills (Notfallübungen).
type DrillConfig struct {
	// Receivers are the alert receivers (names from alert.receivers) that
	// get the drill's messages; nobody else does.
	Receivers []string `yaml:"receivers"`
	// Scenarios add to the built-in ones (power, internet, TI, ERP).
	Scenarios []ScenarioConfig `yaml:"scenarios"`
}

// ScenarioConfig is a drill scenario: the checks that fail during it.
type ScenarioConfig struct {
	ID     string   `yaml:"id"`
	Title  string   `yaml:"title"`
	Checks []string `yaml:"checks"`
}

// Defaults.
const (
	DefaultBinderTime   = "06:30"
	DefaultBinderKeep   = 7
	DefaultArticles     = 300
	DefaultBinderFolder = "notfallmappe"
)

// DefaultWarnDays are the days before expiry at which the certificate
// calendar warns.
func DefaultWarnDays() []int { return []int{90, 30, 7} }

// ApplyDefaults fills unset keys; resolve makes a relative folder absolute
// (against the configuration file's folder).
func (c *Config) ApplyDefaults(resolve func(string) string) {
	if c.Binder.Time == "" {
		c.Binder.Time = DefaultBinderTime
	}
	if c.Binder.Keep == 0 {
		c.Binder.Keep = DefaultBinderKeep
	}
	if c.Binder.Articles == 0 {
		c.Binder.Articles = DefaultArticles
	}
	if c.Binder.Patients == nil {
		yes := true
		c.Binder.Patients = &yes
	}
	if resolve != nil {
		for i, f := range c.Binder.Folders {
			c.Binder.Folders[i] = resolve(f)
		}
		c.Binder.TopSellersFile = resolve(c.Binder.TopSellersFile)
	}
	if len(c.Certificates.WarnDays) == 0 {
		c.Certificates.WarnDays = DefaultWarnDays()
	}
}

// BinderPatients reports whether the binder lists priority patients.
func (c Config) BinderPatients() bool { return c.Binder.Patients == nil || *c.Binder.Patients }

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ParseClock reads a local time of day "HH:MM" into hour and minute.
func ParseClock(s string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a time of day; write it like 06:30", s)
	}
	return t.Hour(), t.Minute(), nil
}

// Validate reports every problem of the section at once; keys are relative
// to the section.
func (c Config) Validate() validate.Problems {
	var ps validate.Problems
	if _, _, err := ParseClock(c.Binder.Time); err != nil {
		ps.Add("binder.time", "%v", err)
	}
	if c.Binder.Keep < 1 || c.Binder.Keep > 366 {
		ps.Add("binder.keep", "%d copies: keep between 1 and 366", c.Binder.Keep)
	}
	if c.Binder.Articles < 1 || c.Binder.Articles > 5000 {
		ps.Add("binder.articles", "%d articles: list between 1 and 5000", c.Binder.Articles)
	}
	seenFolder := map[string]int{}
	for i, f := range c.Binder.Folders {
		key := fmt.Sprintf("binder.folders[%d]", i)
		if strings.TrimSpace(f) == "" {
			ps.Add(key, "folder is empty")
			continue
		}
		clean := filepath.Clean(f)
		if j, dup := seenFolder[clean]; dup {
			ps.Add(key, "same folder as binder.folders[%d]", j)
		}
		seenFolder[clean] = i
	}
	names := map[string]bool{}
	for _, p := range c.Binder.PhoneTree {
		names[strings.TrimSpace(p.Name)] = true
	}
	for i, p := range c.Binder.PhoneTree {
		key := func(k string) string { return fmt.Sprintf("binder.phone_tree[%d].%s", i, k) }
		if strings.TrimSpace(p.Name) == "" {
			ps.Add(key("name"), "name missing")
		}
		if strings.TrimSpace(p.Phone) == "" {
			ps.Add(key("phone"), "phone number missing: the phone tree is for calling")
		}
		for _, callee := range p.Calls {
			if !names[strings.TrimSpace(callee)] {
				ps.Add(key("calls"), "%q is not a name in the phone tree", callee)
			}
		}
	}
	if len(c.Certificates.WarnDays) > 0 {
		for i, d := range c.Certificates.WarnDays {
			if d < 1 || d > 400 {
				ps.Add(fmt.Sprintf("certificates.warn_days[%d]", i), "%d days: use 1 to 400", d)
			}
		}
	}
	seenCert := map[string]int{}
	for i, e := range c.Certificates.Entries {
		key := func(k string) string { return fmt.Sprintf("certificates.entries[%d].%s", i, k) }
		if !idRE.MatchString(e.ID) {
			ps.Add(key("id"), "%q: use lower-case letters, digits, - and _ (at most 64)", e.ID)
		} else if j, dup := seenCert[e.ID]; dup {
			ps.Add(key("id"), "%q is used by certificates.entries[%d] already", e.ID, j)
		} else {
			seenCert[e.ID] = i
		}
		if !slices.Contains(CertKinds, e.Kind) {
			ps.Add(key("kind"), "%q unknown; use one of %s", e.Kind, strings.Join(CertKinds, ", "))
		}
		if strings.TrimSpace(e.Name) == "" {
			ps.Add(key("name"), "name missing")
		}
		if _, err := time.Parse("2006-01-02", strings.TrimSpace(e.Expires)); err != nil {
			ps.Add(key("expires"), "%q is not a date; write it like 2027-03-31", e.Expires)
		}
	}
	seenScen := map[string]int{}
	for i, s := range c.Drill.Scenarios {
		key := func(k string) string { return fmt.Sprintf("drill.scenarios[%d].%s", i, k) }
		if !idRE.MatchString(s.ID) {
			ps.Add(key("id"), "%q: use lower-case letters, digits, - and _ (at most 64)", s.ID)
		} else if j, dup := seenScen[s.ID]; dup {
			ps.Add(key("id"), "%q is used by drill.scenarios[%d] already", s.ID, j)
		} else {
			seenScen[s.ID] = i
		}
		if strings.TrimSpace(s.Title) == "" {
			ps.Add(key("title"), "title missing")
		}
		if len(s.Checks) == 0 {
			ps.Add(key("checks"), "name at least one check that fails in the drill")
		}
	}
	return ps
}

// ValidateRefs reports references to unknown checks and alert receivers.
func (c Config) ValidateRefs(checkIDs, receivers []string) validate.Problems {
	var ps validate.Problems
	for i, id := range c.Ignore {
		if !slices.Contains(checkIDs, id) {
			ps.Add(fmt.Sprintf("ignore[%d]", i), "no check with id %q", id)
		}
	}
	for i, s := range c.Drill.Scenarios {
		for j, id := range s.Checks {
			if !slices.Contains(checkIDs, id) {
				ps.Add(fmt.Sprintf("drill.scenarios[%d].checks[%d]", i, j), "no check with id %q", id)
			}
		}
	}
	for i, r := range c.Drill.Receivers {
		if !slices.Contains(receivers, r) {
			ps.Add(fmt.Sprintf("drill.receivers[%d]", i), "no alert receiver named %q (see alert.receivers)", r)
		}
	}
	return ps
}
