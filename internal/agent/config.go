package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/holiday"
	"github.com/lifeline-project/lifeline/internal/rollout"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// Defaults of the agent section.
const (
	DefaultHookTimeout   = 30 * time.Minute
	DefaultGateDuration  = 10 * time.Minute
	DefaultRetryInterval = 10 * time.Minute
	DefaultMaxAttempts   = 5
	DefaultMaxClockSkew  = 5 * time.Minute
	DefaultTimeZone      = "Europe/Berlin"
)

// Config is the `agent:` section of the site configuration: which
// components the fleet may update at this site, with which hooks, which
// checks must stay ok afterwards, and the pharmacy's maintenance window.
//
//	agent:
//	  window: "So 02:00-05:00"
//	  state: NW                  # federal state: its public holidays block updates
//	  duty_name: Apotheke am Markt
//	  components:
//	    - name: erp
//	      title: WinApo
//	      version: "24.2"
//	      install: C:\lifeline\hooks\winapo-install.cmd
//	      rollback: C:\lifeline\hooks\winapo-rollback.cmd
//	      hook_timeout: 30m
//	      gate_checks: [erp, konnektor]
//	      gate_duration: 10m
type Config struct {
	// Window is the pharmacy's weekly maintenance window in its local time,
	// in the notation of internal/rollout ("So 02:00-05:00",
	// "Mo-Fr 22:00-05:00"). Required when components are configured.
	Window string `yaml:"window"`
	// TimeZone is the zone of the window; the site's timezone is filled in
	// by the site configuration (default Europe/Berlin).
	TimeZone string `yaml:"time_zone"`
	// State is the federal state (BY, NW, ...) whose public holidays block
	// updates; empty: only the nationwide holidays.
	State string `yaml:"state"`
	// DutyName is the pharmacy's name as the emergency-duty rota of the
	// downtime copy spells it; its shifts block updates. The site
	// configuration fills in the site name when empty.
	DutyName string `yaml:"duty_name"`
	// MaxClockSkew is how far the site's clock may be from the fleet's
	// before the agent refuses to verify and install (default 5m).
	MaxClockSkew check.Duration `yaml:"max_clock_skew"`
	// RetryInterval is the wait after a hook asked to try again later
	// (exit code 21), default 10m.
	RetryInterval check.Duration `yaml:"retry_interval"`
	// MaxAttempts bounds the install attempts of one update (default 5).
	MaxAttempts int `yaml:"max_attempts"`
	// Components are the things the fleet may update here.
	Components []Component `yaml:"components"`
}

// Component is one updatable thing at the site, like the ERP server
// software, with the hooks that install and roll back its artifacts (like
// mender's update modules).
type Component struct {
	// Name is the component as the fleet's releases name it ("erp").
	Name string `yaml:"name"`
	// Title is shown to people ("WinApo"); default Name.
	Title string `yaml:"title"`
	// Version is the version installed before the agent's first update of
	// it, reported to the fleet; empty: unknown.
	Version string `yaml:"version"`
	// Install is the hook that installs an artifact; Rollback the hook that
	// returns to the previous version. Executables or scripts (on Windows
	// .exe, .cmd, .bat or .ps1). Exit code 0: done; 21: not now, try again
	// later (nothing was changed); anything else: failed.
	Install  string `yaml:"install"`
	Rollback string `yaml:"rollback"`
	// HookTimeout bounds one run of a hook (default 30m); a hook that runs
	// longer is killed and counts as failed.
	HookTimeout check.Duration `yaml:"hook_timeout"`
	// GateChecks are the ids of the checks that must stay ok for
	// GateDuration after the install (the health gate).
	GateChecks []string `yaml:"gate_checks"`
	// GateDuration is how long the gate checks must stay ok (default 10m).
	GateDuration check.Duration `yaml:"gate_duration"`
}

// DisplayName returns the title, or the name when there is none.
func (c Component) DisplayName() string {
	if c.Title != "" {
		return c.Title
	}
	return c.Name
}

// Enabled reports whether the section configures any component.
func (c Config) Enabled() bool { return len(c.Components) > 0 }

// Component returns the configured component with name.
func (c Config) Component(name string) (Component, bool) {
	for _, x := range c.Components {
		if x.Name == name {
			return x, true
		}
	}
	return Component{}, false
}

// Location returns the window's zone (UTC when it cannot be loaded, which
// Validate prevents).
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// ParsedWindow returns the parsed window (the zero Window when it does not
// parse, which Validate prevents).
func (c Config) ParsedWindow() rollout.Window {
	w, _ := rollout.ParseWindow(c.Window)
	return w
}

// ApplyDefaults fills in the defaults of empty keys.
func (c *Config) ApplyDefaults() {
	if c.TimeZone == "" {
		c.TimeZone = DefaultTimeZone
	}
	c.State = strings.ToUpper(strings.TrimSpace(c.State))
	c.DutyName = strings.TrimSpace(c.DutyName)
	if c.MaxClockSkew == 0 {
		c.MaxClockSkew = check.Duration(DefaultMaxClockSkew)
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = check.Duration(DefaultRetryInterval)
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	for i := range c.Components {
		x := &c.Components[i]
		x.Name = strings.TrimSpace(x.Name)
		x.Title = strings.TrimSpace(x.Title)
		if x.HookTimeout == 0 {
			x.HookTimeout = check.Duration(DefaultHookTimeout)
		}
		if x.GateDuration == 0 {
			x.GateDuration = check.Duration(DefaultGateDuration)
		}
	}
}

// ResolvePaths makes relative hook paths absolute against dir (the
// configuration file's folder).
func (c *Config) ResolvePaths(dir string) {
	for i := range c.Components {
		x := &c.Components[i]
		for _, p := range []*string{&x.Install, &x.Rollback} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(dir, *p)
			}
		}
	}
}

var componentRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// hookExtensions are the hook files Windows can run.
var hookExtensions = []string{".exe", ".cmd", ".bat", ".ps1"}

// Validate reports every problem of the section at once, keyed relative
// to it ("components[0].install"). An empty section (no components) is
// valid: the agent then stays off.
func (c Config) Validate() validate.Problems {
	var ps validate.Problems
	if !c.Enabled() {
		return ps
	}
	if strings.TrimSpace(c.Window) == "" {
		ps.Add("window", "missing; write the maintenance window like So 02:00-05:00")
	} else if _, err := rollout.ParseWindow(c.Window); err != nil {
		ps.Add("window", "%s", windowMessage(err))
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		ps.Add("time_zone", "%q is not an IANA time zone; write it like Europe/Berlin", c.TimeZone)
	}
	if c.State != "" && !holiday.State(c.State).Valid() {
		ps.Add("state", "%q is not a federal state; use a two-letter code like NW or BY", c.State)
	}
	if d := c.MaxClockSkew.D(); d < 30*time.Second || d > time.Hour {
		ps.Add("max_clock_skew", "%s is out of range 30s..1h", d)
	}
	if d := c.RetryInterval.D(); d < time.Minute || d > 24*time.Hour {
		ps.Add("retry_interval", "%s is out of range 1m..24h", d)
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > 100 {
		ps.Add("max_attempts", "%d is out of range 1..100", c.MaxAttempts)
	}
	seen := map[string]int{}
	for i, x := range c.Components {
		key := fmt.Sprintf("components[%d]", i)
		switch {
		case x.Name == "":
			ps.Add(key+".name", "missing; give the component as the fleet's releases name it, like erp")
		case !componentRE.MatchString(x.Name):
			ps.Add(key+".name", "%q may only contain a-z, 0-9, - and _ (like erp)", x.Name)
		default:
			if j, dup := seen[x.Name]; dup {
				ps.Add(key+".name", "%q is configured twice (also components[%d])", x.Name, j)
			}
			seen[x.Name] = i
		}
		hookProblems(&ps, key+".install", x.Install)
		hookProblems(&ps, key+".rollback", x.Rollback)
		if d := x.HookTimeout.D(); d < 10*time.Second || d > 24*time.Hour {
			ps.Add(key+".hook_timeout", "%s is out of range 10s..24h", d)
		}
		if d := x.GateDuration.D(); d < time.Minute || d > 24*time.Hour {
			ps.Add(key+".gate_duration", "%s is out of range 1m..24h", d)
		}
		for j, id := range x.GateChecks {
			if strings.TrimSpace(id) == "" {
				ps.Add(fmt.Sprintf("%s.gate_checks[%d]", key, j), "empty; name a check id like erp")
			}
		}
	}
	return ps
}

// CheckGateChecks reports gate checks that name no configured check;
// the site configuration calls it with the ids of its checks.
func (c Config) CheckGateChecks(known []string) validate.Problems {
	var ps validate.Problems
	for i, x := range c.Components {
		for j, id := range x.GateChecks {
			if id != "" && !slices.Contains(known, id) {
				ps.Add(fmt.Sprintf("components[%d].gate_checks[%d]", i, j), "%q is not a configured check; use the id of one of the checks", id)
			}
		}
	}
	return ps
}

func hookProblems(ps *validate.Problems, key, path string) {
	if strings.TrimSpace(path) == "" {
		ps.Add(key, "missing; give the path of the hook program or script")
		return
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		ps.Add(key, "cannot find %s: %v", path, err)
		return
	case st.IsDir():
		ps.Add(key, "%s is a folder; give the hook program or script", path)
		return
	}
	if runtime.GOOS == "windows" {
		if !slices.Contains(hookExtensions, strings.ToLower(filepath.Ext(path))) {
			ps.Add(key, "%s: Windows runs hooks ending in .exe, .cmd, .bat or .ps1", path)
		}
	} else if st.Mode().Perm()&0o111 == 0 {
		ps.Add(key, "%s is not executable (chmod +x)", path)
	}
}

// windowMessage returns the English message of a rollout error.
func windowMessage(err error) string {
	if e, ok := err.(*rollout.Error); ok {
		return e.Message.EN
	}
	return err.Error()
}
