package fhir

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// Modes of reading the EHR.
const (
	// ModeAuto uses Bulk Data $export and falls back to searches when the
	// server does not offer it.
	ModeAuto = "auto"
	// ModeBulk uses Bulk Data $export only.
	ModeBulk = "bulk"
	// ModeSearch uses paged searches with _lastUpdated only.
	ModeSearch = "search"
)

// Defaults of the fhir section.
const (
	DefaultInterval     = 5 * time.Minute
	DefaultFullEvery    = 24 * time.Hour
	DefaultRecent       = 30 * 24 * time.Hour
	DefaultTimeout      = time.Minute
	DefaultExportPath   = "$export"
	DefaultScope        = "system/*.read"
	DefaultPrintEvery   = 4 * time.Hour
	MinInterval         = 10 * time.Second
	MaxInterval         = 24 * time.Hour
	MinPrintEvery       = 10 * time.Minute
	DefaultMaxAgeFactor = 3
)

// Config is the "fhir" section of the site configuration: where the EHR's
// FHIR R4 server is, how to log in, how often to copy and where to print.
//
//	fhir:
//	  base_url: https://ehr.klinik.local/fhir
//	  auth:
//	    client_id: lifeline-downtime
//	    key_file: /etc/lifeline/smart-key.pem   # RSA or EC P-384, PEM
//	    token_url: https://ehr.klinik.local/oauth/token
//	  interval: 5m
//	  print:
//	    every: 4h
//	    folders: [/srv/downtime, '\\druckserver\downtime']
//	    wards: [Station 3A, Intensiv]
type Config struct {
	// BaseURL is the FHIR R4 base ("https://ehr.local/fhir").
	BaseURL string `yaml:"base_url"`
	// ExportPath is the export operation below the base: "$export"
	// (default, the whole system), "Patient/$export" or
	// "Group/<id>/$export".
	ExportPath string `yaml:"export_path"`
	// Mode is auto (default), bulk or search.
	Mode string `yaml:"mode"`
	// Auth is how lifeline logs in to the server.
	Auth AuthConfig `yaml:"auth"`
	// CAFile is a PEM file of CA certificates for the server's TLS.
	CAFile string `yaml:"ca_file"`
	// Interval between increments (default 5m).
	Interval check.Duration `yaml:"interval"`
	// FullEvery is how often a full export replaces the copy, which also
	// removes what a server without deleted[] deleted (default 24h).
	FullEvery check.Duration `yaml:"full_every"`
	// MaxAge is the age past which the copy's check turns degraded
	// (default three intervals).
	MaxAge check.Duration `yaml:"max_age"`
	// Recent is how far back finished stays, stopped orders, observations
	// and administrations are kept (default 720h, 30 days).
	Recent check.Duration `yaml:"recent"`
	// Timeout of one HTTP request (default 1m).
	Timeout check.Duration `yaml:"timeout"`
	// Print configures the scheduled print-outs.
	Print PrintConfig `yaml:"print"`
}

// AuthConfig is either a bearer token file or SMART backend services.
type AuthConfig struct {
	// BearerTokenFile holds a static access token (one line).
	BearerTokenFile string `yaml:"bearer_token_file"`
	// ClientID, KeyFile and TokenURL configure SMART backend services:
	// lifeline signs a JWT with the private key (PEM, RSA for RS384 or EC
	// P-384 for ES384) and exchanges it for an access token.
	ClientID string `yaml:"client_id"`
	KeyFile  string `yaml:"key_file"`
	TokenURL string `yaml:"token_url"`
	// KeyID is the "kid" of the key as registered at the server.
	KeyID string `yaml:"key_id"`
	// Scope asked for (default "system/*.read").
	Scope string `yaml:"scope"`
}

// SMART reports whether SMART backend services are configured.
func (a AuthConfig) SMART() bool { return a.ClientID != "" || a.KeyFile != "" || a.TokenURL != "" }

// PrintConfig is the scheduled printing of ward and medication lists.
type PrintConfig struct {
	// Every is the interval of print runs (default 4h when folders are
	// set).
	Every check.Duration `yaml:"every"`
	// Folders receive the PDF files (a local folder, a share the report
	// PC prints from). No folders: no print runs.
	Folders []string `yaml:"folders"`
	// Wards to print, by name or Location id; empty means every ward.
	Wards []string `yaml:"wards"`
}

// ApplyDefaults fills the keys left empty.
func (c *Config) ApplyDefaults() {
	c.BaseURL = strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	if c.ExportPath == "" {
		c.ExportPath = DefaultExportPath
	}
	c.Mode = strings.ToLower(strings.TrimSpace(c.Mode))
	if c.Mode == "" {
		c.Mode = ModeAuto
	}
	if c.Interval == 0 {
		c.Interval = check.Duration(DefaultInterval)
	}
	if c.FullEvery == 0 {
		c.FullEvery = check.Duration(DefaultFullEvery)
	}
	if c.MaxAge == 0 {
		c.MaxAge = check.Duration(DefaultMaxAgeFactor * c.Interval.D())
	}
	if c.Recent == 0 {
		c.Recent = check.Duration(DefaultRecent)
	}
	if c.Timeout == 0 {
		c.Timeout = check.Duration(DefaultTimeout)
	}
	if c.Auth.SMART() && c.Auth.Scope == "" {
		c.Auth.Scope = DefaultScope
	}
	if len(c.Print.Folders) > 0 && c.Print.Every == 0 {
		c.Print.Every = check.Duration(DefaultPrintEvery)
	}
}

// ResolvePaths makes the file and folder keys absolute with resolve (the
// config loader's "relative to the configuration file").
func (c *Config) ResolvePaths(resolve func(string) string) {
	c.CAFile = resolve(c.CAFile)
	c.Auth.BearerTokenFile = resolve(c.Auth.BearerTokenFile)
	c.Auth.KeyFile = resolve(c.Auth.KeyFile)
	for i, f := range c.Print.Folders {
		if !strings.HasPrefix(f, `\\`) {
			c.Print.Folders[i] = resolve(f)
		}
	}
}

// Validate reports every problem of the section at once, with keys
// relative to the section ("auth.token_url").
func (c Config) Validate() validate.Problems {
	var ps validate.Problems
	checkURL(&ps, "base_url", c.BaseURL, true)
	if !strings.HasSuffix(c.ExportPath, "$export") || strings.HasPrefix(c.ExportPath, "/") || strings.Contains(c.ExportPath, "://") {
		ps.Add("export_path", "%q is not an export operation; use $export, Patient/$export or Group/<id>/$export", c.ExportPath)
	}
	switch c.Mode {
	case ModeAuto, ModeBulk, ModeSearch:
	default:
		ps.Add("mode", "%q is not a mode; use auto, bulk or search", c.Mode)
	}
	a := c.Auth
	switch {
	case a.BearerTokenFile != "" && a.SMART():
		ps.Add("auth", "give either bearer_token_file or client_id, key_file and token_url, not both")
	case a.SMART():
		if a.ClientID == "" {
			ps.Add("auth.client_id", "missing; SMART backend services need the client id registered at the EHR")
		}
		if a.KeyFile == "" {
			ps.Add("auth.key_file", "missing; SMART backend services need a private key file (PEM, RSA or EC P-384)")
		}
		if a.TokenURL == "" {
			ps.Add("auth.token_url", "missing; SMART backend services need the token endpoint")
		} else {
			checkURL(&ps, "auth.token_url", a.TokenURL, false)
		}
	}
	if d := c.Interval.D(); d < MinInterval || d > MaxInterval {
		ps.Add("interval", "%s is out of range; use 10s to 24h (5m is the default)", d)
	}
	if c.FullEvery.D() < c.Interval.D() {
		ps.Add("full_every", "%s is shorter than the interval (%s)", c.FullEvery.D(), c.Interval.D())
	}
	if c.MaxAge.D() < 2*c.Interval.D() {
		ps.Add("max_age", "%s must be at least twice the interval (%s), or the check alerts between two increments", c.MaxAge.D(), c.Interval.D())
	}
	if c.Recent.D() < time.Hour {
		ps.Add("recent", "%s is too short; keep at least 1h of observations (720h is the default)", c.Recent.D())
	}
	if c.Timeout.D() < time.Second {
		ps.Add("timeout", "%s is too short; use at least 1s", c.Timeout.D())
	}
	p := c.Print
	if len(p.Folders) == 0 && (p.Every != 0 || len(p.Wards) > 0) {
		ps.Add("print.folders", "missing; print runs need at least one folder for the PDF files")
	}
	if len(p.Folders) > 0 && p.Every.D() < MinPrintEvery {
		ps.Add("print.every", "%s is too short; print at most every 10m (4h is the default)", p.Every.D())
	}
	for i, f := range p.Folders {
		if strings.TrimSpace(f) == "" {
			ps.Add(fmt.Sprintf("print.folders[%d]", i), "empty folder name")
		}
	}
	for i, w := range p.Wards {
		if strings.TrimSpace(w) == "" {
			ps.Add(fmt.Sprintf("print.wards[%d]", i), "empty ward name")
		}
	}
	return ps
}

// checkURL adds a problem when s is not an http(s) URL; plain http is
// accepted only on this machine, since patient data travels over it.
func checkURL(ps *validate.Problems, key, s string, required bool) {
	if s == "" {
		if required {
			ps.Add(key, "missing; give the FHIR base URL of the EHR, like https://ehr.klinik.local/fhir")
		}
		return
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		ps.Add(key, "%q is not an http(s) URL", s)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		ps.Add(key, "patient data must travel encrypted: use https, not http, unless the server runs on this machine")
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
