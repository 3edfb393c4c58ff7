package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"gopkg.in/yaml.v3"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// Defaults of the fleet configuration.
const (
	DefaultListen            = "127.0.0.1:8090"
	DefaultHeartbeatInterval = 30 * time.Second
	DefaultDeadManDeadline   = 15 * time.Minute
	DefaultCodeTTL           = 14 * 24 * time.Hour
	DefaultPlannerInterval   = 30 * time.Second
	DefaultFlushInterval     = 10 * time.Second
	DefaultSilenceAfter      = 5 * time.Minute
)

// Config is the configuration of `lifeline fleet` (YAML).
type Config struct {
	// Listen is the address of the site API and the console
	// (default 127.0.0.1:8090).
	Listen string `yaml:"listen"`
	// TLSCertFile and TLSKeyFile, when both set, make the fleet serve
	// HTTPS itself; otherwise put it behind a TLS-terminating proxy.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// PublicURL is the address under which the sites reach the fleet
	// (https://fleet.example.de); it is shown with enrolment codes.
	// Default: http://<listen>.
	PublicURL string `yaml:"public_url"`
	// DSN selects PostgreSQL ("postgres://user@host/db"); empty keeps the
	// fleet in SQLite (fleet.db in the data folder).
	DSN string `yaml:"dsn"`
	// DataDir holds fleet.db, the artifacts (targets/) and by default the
	// TUF keys; relative to the configuration file. Default "data".
	DataDir string `yaml:"data_dir"`
	// TUFKeysDir holds the TUF signing keys (`lifeline fleet keys init`).
	// The root and targets keys may be kept offline; the server needs only
	// snapshot and timestamp. Default <data_dir>/keys.
	TUFKeysDir string `yaml:"tuf_keys_dir"`
	// HeartbeatInterval is how often sites send a heartbeat (default 30s);
	// it is handed to sites at enrolment.
	HeartbeatInterval check.Duration `yaml:"heartbeat_interval"`
	// DeadManDeadline: a site that began an install and is silent for this
	// long counts as failed (default 15m).
	DeadManDeadline check.Duration `yaml:"dead_man_deadline"`
	// EnrolmentCodeTTL is how long an enrolment code stays valid (default
	// 336h, 14 days).
	EnrolmentCodeTTL check.Duration `yaml:"enrolment_code_ttl"`
	// PlannerInterval is how often rollouts are advanced (default 30s).
	PlannerInterval check.Duration `yaml:"planner_interval"`
	// FlushInterval is how often heartbeats kept in memory are written
	// (default 10s).
	FlushInterval check.Duration `yaml:"flush_interval"`
	// SilenceAfter: a site without a heartbeat for this long counts as
	// silent (its node, power or line is gone): its contacts are alerted
	// and it enters the hotline's triage queue (default 5m, at least four
	// heartbeat intervals).
	SilenceAfter check.Duration `yaml:"silence_after"`
	// SilenceAlerts are the receivers of silence alerts.
	SilenceAlerts SilenceAlerts `yaml:"silence_alerts"`
	// Language of the console: "de" (default) or "en".
	Language string `yaml:"language"`
	// Timezone of the console's times (default Europe/Berlin).
	Timezone string `yaml:"timezone"`
	// DutiesFile is an optional duty rota CSV (internal/rollout's format):
	// no site takes an update on its duty day and the night after.
	DutiesFile string `yaml:"duties_file"`
	// PartialHolidays also blocks holidays that hold only in parts of a
	// state (Mariä Himmelfahrt in Bavaria, ...).
	PartialHolidays bool `yaml:"partial_holidays"`
	// LogLevel is debug, info (default), warn or error.
	LogLevel string `yaml:"log_level"`
	// MemoryLimit is the fleet process's soft memory limit ("900MiB",
	// "2GB"; empty: none, or the GOMEMLIMIT environment variable): near
	// it the Go runtime collects garbage more often instead of letting
	// the heap grow to twice what is live. A fleet holding the long-polls
	// of 20,000 sites keeps about 550 MB live (docs/benchmarks.md).
	MemoryLimit string `yaml:"memory_limit"`

	file string
}

// MemoryLimitBytes returns MemoryLimit in bytes (0: none).
func (c *Config) MemoryLimitBytes() int64 {
	if strings.TrimSpace(c.MemoryLimit) == "" {
		return 0
	}
	n, err := humanize.ParseBytes(c.MemoryLimit)
	if err != nil || n > math.MaxInt64 {
		return 0
	}
	return int64(n)
}

// ConfigProblem is one thing wrong in a fleet configuration file.
type ConfigProblem struct {
	File string
	Line int
	Key  string
	Msg  string
}

// String formats the problem as "file:line: key: message".
func (p ConfigProblem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc += ":" + strconv.Itoa(p.Line)
	}
	if p.Key != "" {
		return fmt.Sprintf("%s: %s: %s", loc, p.Key, p.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, p.Msg)
}

// ConfigError lists every problem of a configuration file.
type ConfigError struct {
	Problems []ConfigProblem
}

// Error formats all problems, one per line.
func (e *ConfigError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("configuration has %d problem(s):\n%s", len(e.Problems), strings.Join(lines, "\n"))
}

// LoadConfig reads, defaults and validates the fleet configuration at path.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return ParseConfig(path, data)
}

var yamlLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// ParseConfig decodes and validates a fleet configuration; path names the
// file in messages and anchors relative paths. Unknown keys are refused;
// every problem is reported at once with its line.
func ParseConfig(path string, data []byte) (*Config, error) {
	c := &Config{file: path}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &ConfigError{Problems: []ConfigProblem{yamlProblem(path, err.Error())}}
	}
	lines := map[string]int{}
	if len(root.Content) > 0 {
		indexLines(root.Content[0], "", lines)
	}
	var problems []ConfigProblem
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				problems = append(problems, yamlProblem(path, e))
			}
		} else {
			problems = append(problems, yamlProblem(path, err.Error()))
		}
	}
	c.applyDefaults()
	for _, p := range c.Validate() {
		problems = append(problems, ConfigProblem{File: path, Line: lookupLine(lines, p.Key), Key: p.Key, Msg: p.Msg})
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return nil, &ConfigError{Problems: problems}
	}
	return c, nil
}

// BuildConfig applies defaults to a configuration assembled in code (the
// simulation, tests) and validates it; file anchors relative paths.
func BuildConfig(c Config, file string) (*Config, error) {
	c.file = file
	c.applyDefaults()
	var problems []ConfigProblem
	for _, p := range c.Validate() {
		problems = append(problems, ConfigProblem{File: file, Key: p.Key, Msg: p.Msg})
	}
	if len(problems) > 0 {
		return nil, &ConfigError{Problems: problems}
	}
	return &c, nil
}

func yamlProblem(path, msg string) ConfigProblem {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		inner := m[2]
		if f, ok := strings.CutPrefix(inner, "field "); ok {
			if name, _, ok := strings.Cut(f, " not found"); ok {
				return ConfigProblem{File: path, Line: n, Key: name, Msg: "unknown key; check the spelling against docs/protocol.md (fleet configuration)"}
			}
		}
		return ConfigProblem{File: path, Line: n, Msg: inner}
	}
	return ConfigProblem{File: path, Msg: msg}
}

// indexLines records the line of every key path ("a.b[2].c"). Copied from
// internal/config, which does not export it.
func indexLines(n *yaml.Node, prefix string, out map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if prefix != "" {
				p = prefix + "." + k.Value
			}
			out[p] = k.Line
			indexLines(v, p, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", prefix, i)
			out[p] = c.Line
			indexLines(c, p, out)
		}
	}
}

// lookupLine finds the line of key, or of its nearest parent.
func lookupLine(lines map[string]int, key string) int {
	for key != "" {
		if n, ok := lines[key]; ok {
			return n
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.file == "" {
		return p
	}
	return filepath.Join(filepath.Dir(c.file), p)
}

func (c *Config) applyDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	c.DataDir = c.resolve(c.DataDir)
	if c.TUFKeysDir == "" {
		c.TUFKeysDir = filepath.Join(c.DataDir, "keys")
	} else {
		c.TUFKeysDir = c.resolve(c.TUFKeysDir)
	}
	c.TLSCertFile, c.TLSKeyFile, c.DutiesFile = c.resolve(c.TLSCertFile), c.resolve(c.TLSKeyFile), c.resolve(c.DutiesFile)
	if c.PublicURL == "" {
		scheme := "http"
		if c.TLSCertFile != "" {
			scheme = "https"
		}
		c.PublicURL = scheme + "://" + c.Listen
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	def := func(d *check.Duration, v time.Duration) {
		if *d == 0 {
			*d = check.Duration(v)
		}
	}
	def(&c.HeartbeatInterval, DefaultHeartbeatInterval)
	def(&c.DeadManDeadline, DefaultDeadManDeadline)
	def(&c.EnrolmentCodeTTL, DefaultCodeTTL)
	def(&c.PlannerInterval, DefaultPlannerInterval)
	def(&c.FlushInterval, DefaultFlushInterval)
	def(&c.SilenceAfter, max(DefaultSilenceAfter, 4*c.HeartbeatInterval.D()))
	c.SilenceAlerts.applyDefaults()
	if c.Language == "" {
		c.Language = "de"
	}
	if c.Timezone == "" {
		c.Timezone = "Europe/Berlin"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
}

// Validate reports every problem of the configuration at once, keyed by
// the YAML key.
func (c *Config) Validate() validate.Problems {
	var ps validate.Problems
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		ps.Add("listen", "%q is not host:port; write it like 127.0.0.1:8090", c.Listen)
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		ps.Add("tls_cert_file", "give both tls_cert_file and tls_key_file, or neither")
	}
	for key, f := range map[string]string{"tls_cert_file": c.TLSCertFile, "tls_key_file": c.TLSKeyFile, "duties_file": c.DutiesFile} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			ps.Add(key, "cannot read %s: %v", f, err)
		}
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		ps.Add("public_url", "%q is not an http(s) URL; write it like https://fleet.example.de", c.PublicURL)
	}
	if c.DSN != "" && !strings.HasPrefix(c.DSN, "postgres://") && !strings.HasPrefix(c.DSN, "postgresql://") && !strings.Contains(c.DSN, "=") {
		ps.Add("dsn", "not a PostgreSQL connection string; write it like postgres://lifeline@db.example.de/fleet, or leave it empty for SQLite")
	}
	if d := c.HeartbeatInterval.D(); d < time.Second || d > time.Hour {
		ps.Add("heartbeat_interval", "%s is out of range 1s..1h", d)
	}
	if c.DeadManDeadline.D() < 2*c.HeartbeatInterval.D() {
		ps.Add("dead_man_deadline", "%s is shorter than two heartbeat intervals (%s); a site would count as silent between two heartbeats",
			c.DeadManDeadline.D(), 2*c.HeartbeatInterval.D())
	}
	if d := c.EnrolmentCodeTTL.D(); d < time.Minute || d > 365*24*time.Hour {
		ps.Add("enrolment_code_ttl", "%s is out of range 1m..8760h", d)
	}
	if c.PlannerInterval.D() < 100*time.Millisecond {
		ps.Add("planner_interval", "%s is too short; at least 100ms", c.PlannerInterval.D())
	}
	if c.FlushInterval.D() < 10*time.Millisecond || c.FlushInterval.D() > c.DeadManDeadline.D()/2 {
		ps.Add("flush_interval", "%s must be at least 10ms and at most half the dead-man deadline", c.FlushInterval.D())
	}
	if c.SilenceAfter.D() < 2*c.HeartbeatInterval.D() {
		ps.Add("silence_after", "%s is shorter than two heartbeat intervals (%s); sites would count as silent between two heartbeats",
			c.SilenceAfter.D(), 2*c.HeartbeatInterval.D())
	}
	for _, p := range c.SilenceAlerts.validate() {
		ps.Add("silence_alerts."+p.Key, "%s", p.Msg)
	}
	if c.Language != "de" && c.Language != "en" {
		ps.Add("language", "%q is not supported; use de or en", c.Language)
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		ps.Add("timezone", "%q is not an IANA time zone; write it like Europe/Berlin", c.Timezone)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		ps.Add("log_level", "%q is not a log level; use debug, info, warn or error", c.LogLevel)
	}
	if m := strings.TrimSpace(c.MemoryLimit); m != "" {
		n, err := humanize.ParseBytes(m)
		switch {
		case err != nil:
			ps.Add("memory_limit", "%q is not a size; write it like 900MiB or 2GB", c.MemoryLimit)
		case n < 64<<20:
			ps.Add("memory_limit", "%q is too small; the fleet needs at least 64MiB", c.MemoryLimit)
		}
	}
	return ps
}

// File returns the path the configuration was read from.
func (c *Config) File() string { return c.file }

// Location returns the console's time zone.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// SQLitePath is the SQLite database file used when DSN is empty.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "fleet.db") }

// TargetsDir holds the release artifacts, named by their SHA-256.
func (c *Config) TargetsDir() string { return filepath.Join(c.DataDir, "targets") }
