// Package config reads the site node's YAML configuration file. Load decodes
// it, applies defaults and validates every key, reporting every problem at
// once with the file, line and key, so that a pharmacy's IT service can fix
// the file in one pass. Nothing starts with an invalid configuration.
package config

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/lifeline-project/lifeline/internal/agent"
	"github.com/lifeline-project/lifeline/internal/alert"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/yamlconf"
)

// Site is the configuration of `lifeline site`.
type Site struct {
	// Listen is the address of the dashboard and API (default 127.0.0.1:8080).
	Listen string `yaml:"listen"`
	// DataDir holds the databases and keys; relative paths are relative to
	// the configuration file's folder. Default: "data" beside the file.
	DataDir string `yaml:"data_dir"`
	// SiteName is shown on the dashboard and in messages.
	SiteName string `yaml:"site_name"`
	// Language of the user interface: "de" (default) or "en".
	Language string `yaml:"language"`
	// Timezone is the IANA zone of the site's wall clock (default Europe/Berlin).
	Timezone string `yaml:"timezone"`
	// MetricsPublic serves /metrics without login when true.
	MetricsPublic bool `yaml:"metrics_public"`
	// Log configures logging.
	Log Log `yaml:"log"`
	// Checks are the dependencies to watch.
	Checks []check.Spec `yaml:"checks"`
	// Alert routes outages to the people on call (internal/alert).
	Alert alert.Config `yaml:"alert"`
	// Mirror is the downtime copy: articles, contacts, priority patients,
	// handbook (internal/mirror).
	Mirror mirror.Config `yaml:"mirror"`
	// FHIR is the hospital downtime viewer (internal/fhir); nil means the
	// site has none.
	FHIR *fhir.Config `yaml:"fhir"`
	// Fleet connects the site to its vendor's fleet (internal/fleetclient).
	Fleet fleetclient.Config `yaml:"fleet"`
	// Agent installs the vendor's updates inside the window, checks the
	// site's health after them and rolls back by itself (internal/agent).
	Agent agent.Config `yaml:"agent"`
	// Counter is the emergency mode at the counter (internal/counter).
	Counter counter.Config `yaml:"counter"`
	// Journal is the offline sales journal of emergency mode
	// (internal/journal).
	Journal journal.Config `yaml:"journal"`
	// Incident configures the incident log, the paper binder, the
	// certificate calendar and drills (internal/incident).
	Incident incident.Config `yaml:"incident"`

	// file is the path the configuration was read from.
	file string
}

// Log configures logging: to stderr by default, or to a rotating file.
type Log struct {
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
	// File, when set, receives the log, rotated at 10 MB, 5 files kept.
	File string `yaml:"file"`
}

// File returns the path the configuration was loaded from.
func (s *Site) File() string { return s.file }

// Problem is one thing wrong in a configuration file.
type Problem = yamlconf.Problem

// Error lists every problem of a configuration file.
type Error = yamlconf.Error

// AsError returns the *Error inside err, if any.
func AsError(err error) (*Error, bool) { return yamlconf.AsError(err) }

// Load reads, defaults and validates the site configuration at path.
func Load(path string) (*Site, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a site configuration; path names the file in
// messages and anchors relative paths.
func Parse(path string, data []byte) (*Site, error) {
	s := &Site{file: path}
	d := yamlconf.Decode(path, data, s, "examples/site.yaml")
	if d.Broken {
		return nil, d.Finish(nil)
	}
	s.applyDefaults()
	if err := d.Finish(s.validate()); err != nil {
		return nil, err
	}
	return s, nil
}

// resolve makes p absolute relative to the configuration file's folder.
func (s *Site) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(s.file), p)
}

// Build applies defaults to a configuration assembled in code (the demo,
// tests) and validates it like a file; file anchors relative paths.
func Build(s Site, file string) (*Site, error) {
	s.file = file
	s.applyDefaults()
	if err := yamlconf.Check(file, s.validate()); err != nil {
		return nil, err
	}
	return &s, nil
}
