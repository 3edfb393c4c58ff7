// Package fleetclient is the site's side of the fleet protocol
// (internal/fleet/protocol, docs/protocol.md): it exchanges the one-time
// enrolment code for a site token (kept with 0600 rights), sends a
// heartbeat every 30 s built from the monitor's Overview and the installed
// versions, long-polls for commands and hands them to a callback, reports
// results, and verifies downloads with go-tuf's updater against the TUF
// root received at enrolment. Every call is opened by the site. It builds
// for Windows.
package fleetclient

import (
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// DefaultHeartbeat is the heartbeat interval when neither the site's
// configuration nor the fleet says otherwise.
const DefaultHeartbeat = 30 * time.Second

// Config is the `fleet:` section of the site configuration.
//
//	fleet:
//	  url: https://fleet.example.de
//	  enrolment_code: 7K2M-Q9XD-4HNB-PW3E-R8TA
//	  heartbeat: 30s
//	  ca_file: /etc/lifeline/fleet-ca.pem
type Config struct {
	// URL is the fleet's address (https://...); empty: no fleet.
	URL string `yaml:"url"`
	// EnrolmentCode is the one-time code from the fleet console. It is
	// used once (or again after the token was revoked) and may then be
	// removed; the token is kept in the data folder.
	EnrolmentCode string `yaml:"enrolment_code"`
	// Heartbeat overrides the fleet's heartbeat interval (0: the fleet's,
	// 30s by default).
	Heartbeat check.Duration `yaml:"heartbeat"`
	// CAFile is a PEM file of the CA that signed the fleet's certificate,
	// for a fleet with its own CA; empty: the system's roots.
	CAFile string `yaml:"ca_file"`
}

// Enabled reports whether the section configures a fleet.
func (c Config) Enabled() bool { return strings.TrimSpace(c.URL) != "" }

// Validate reports every problem of the section, keyed relative to it
// ("url"); an empty section (no fleet) is valid.
func (c Config) Validate() validate.Problems {
	var ps validate.Problems
	if !c.Enabled() {
		if c.EnrolmentCode != "" || c.CAFile != "" || c.Heartbeat != 0 {
			ps.Add("url", "missing; the other fleet keys need the fleet's address, like https://fleet.example.de")
		}
		return ps
	}
	u, err := url.Parse(c.URL)
	switch {
	case err != nil || u.Host == "":
		ps.Add("url", "%q is not a URL; write it like https://fleet.example.de", c.URL)
	case u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())):
		ps.Add("url", "%q must use https (http only for a fleet on this machine, 127.0.0.1 or localhost)", c.URL)
	case u.RawQuery != "" || u.Fragment != "":
		ps.Add("url", "%q must not carry a query or fragment", c.URL)
	}
	if code := strings.TrimSpace(c.EnrolmentCode); code != "" && (len(code) < 8 || len(code) > 64) {
		ps.Add("enrolment_code", "does not look like a code from the fleet console (like 7K2M-Q9XD-4HNB-PW3E-R8TA)")
	}
	if d := c.Heartbeat.D(); d != 0 && (d < 5*time.Second || d > time.Hour) {
		ps.Add("heartbeat", "%s is out of range 5s..1h", d)
	}
	if c.CAFile != "" {
		if _, err := os.Stat(c.CAFile); err != nil {
			ps.Add("ca_file", "cannot read %s: %v", c.CAFile, err)
		}
	}
	return ps
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}
