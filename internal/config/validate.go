package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// Defaults of the top-level keys.
const (
	DefaultListen   = "127.0.0.1:8080"
	DefaultLanguage = "de"
	DefaultTimezone = "Europe/Berlin"
)

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// erezeptFachdienstHosts are the hosts of gematik's E-Rezept Fachdienst.
// gematik forbids polling it at a fixed interval (gematik/api-erp,
// docs/erp_ps_probing.adoc: a GET / only after at least 10 minutes of real
// idle time plus a random delay); lifeline therefore refuses any check that
// targets it and points to the TI-Lagebild API (kind tilage) instead.
var erezeptFachdienstHosts = []string{
	"erp.zentral.erp.splitdns.ti-dienste.de",
	"erp-ref.zentral.erp.splitdns.ti-dienste.de",
	"erp-test.zentral.erp.splitdns.ti-dienste.de",
	"erp.app.ti-dienste.de",
	"erp-ref.app.ti-dienste.de",
	"erp-test.app.ti-dienste.de",
}

// isFachdienst reports whether host is the E-Rezept Fachdienst.
func isFachdienst(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, h := range erezeptFachdienstHosts {
		if host == h {
			return true
		}
	}
	return strings.HasSuffix(host, ".erp.splitdns.ti-dienste.de")
}

func (s *Site) applyDefaults() {
	if s.Listen == "" {
		s.Listen = DefaultListen
	}
	if s.DataDir == "" {
		s.DataDir = "data"
	}
	s.DataDir = s.resolve(s.DataDir)
	if s.Language == "" {
		s.Language = DefaultLanguage
	}
	if s.Timezone == "" {
		s.Timezone = DefaultTimezone
	}
	if s.SiteName == "" {
		s.SiteName = "Apotheke"
	}
	if s.Log.Level == "" {
		s.Log.Level = "info"
	}
	s.Log.File = s.resolve(s.Log.File)
	s.Alert.ApplyDefaults()
	if _, err := time.LoadLocation(s.Timezone); s.Mirror.TimeZone == "" && err == nil {
		s.Mirror.TimeZone = s.Timezone // the site's zone (a wrong one is reported once, as timezone)
	}
	s.Mirror.ApplyDefaults()
	s.Fleet.CAFile = s.resolve(s.Fleet.CAFile)
	if _, err := time.LoadLocation(s.Timezone); s.Agent.TimeZone == "" && err == nil {
		s.Agent.TimeZone = s.Timezone
	}
	if s.Agent.DutyName == "" {
		s.Agent.DutyName = s.SiteName
	}
	s.Agent.ApplyDefaults()
	s.Agent.ResolvePaths(filepath.Dir(s.file))
	if s.FHIR != nil {
		s.FHIR.ApplyDefaults()
		s.FHIR.ResolvePaths(s.resolve)
	}
	s.Counter.Replay.ExportDir = s.resolve(s.Counter.Replay.ExportDir)
	s.Counter.Replay.StateDir = s.resolve(s.Counter.Replay.StateDir)
	s.Counter.ApplyDefaults(s.DataDir)
	s.Journal.Dir = s.resolve(s.Journal.Dir)
	s.Journal.MirrorDir = s.resolve(s.Journal.MirrorDir)
	s.Journal.ApplyDefaults(s.DataDir)
	s.Incident.ApplyDefaults(s.resolve)
	s.Mirror.KeyFile = s.resolve(s.Mirror.KeyFile)
	for i := range s.Mirror.Sources {
		s.Mirror.Sources[i].File = s.resolve(s.Mirror.Sources[i].File)
	}
	for i := range s.Checks {
		c := &s.Checks[i]
		c.ApplyDefaults()
		c.CAFile = s.resolve(c.CAFile)
		switch c.Kind {
		case check.KindNTP:
			c.Address = withDefaultPort(c.Address, "123")
		case check.KindNUT:
			c.Address = withDefaultPort(c.Address, "3493")
		case check.KindDNS:
			c.Server = withDefaultPort(c.Server, "53")
		}
	}
}

func withDefaultPort(addr, port string) string {
	if addr == "" {
		return addr
	}
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	return net.JoinHostPort(strings.Trim(addr, "[]"), port)
}

// Location returns the site's time zone. Load has validated it.
func (s *Site) Location() *time.Location {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func (s *Site) validate() validate.Problems {
	var ps validate.Problems
	if _, port, err := net.SplitHostPort(s.Listen); err != nil || port == "" {
		ps.Add("listen", "%q is not host:port; write it like 127.0.0.1:8080", s.Listen)
	}
	if s.Language != "de" && s.Language != "en" {
		ps.Add("language", "%q is not supported; use de or en", s.Language)
	}
	if _, err := time.LoadLocation(s.Timezone); err != nil {
		ps.Add("timezone", "%q is not an IANA time zone; write it like Europe/Berlin", s.Timezone)
	}
	switch s.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		ps.Add("log.level", "%q is not a log level; use debug, info, warn or error", s.Log.Level)
	}
	if len(s.Checks) == 0 {
		ps.Add("checks", "no checks configured; add at least one (see examples/site.yaml)")
	}
	ids := map[string]int{}
	for i, c := range s.Checks {
		key := fmt.Sprintf("checks[%d]", i)
		if c.ID == "" {
			ps.Add(key+".id", "missing; every check needs a short id like erp or konnektor")
		} else if !idRE.MatchString(c.ID) {
			ps.Add(key+".id", "%q may only contain a-z, 0-9, - and _ (at most 64 characters)", c.ID)
		} else if j, dup := ids[c.ID]; dup {
			ps.Add(key+".id", "%q is used twice (also checks[%d]); ids must be unique", c.ID, j)
		} else {
			ids[c.ID] = i
		}
		ps = append(ps, validateCheck(c).Prefixed(key)...)
	}
	for i, c := range s.Checks {
		for j, d := range c.DependsOn {
			k := fmt.Sprintf("checks[%d].depends_on[%d]", i, j)
			if d == c.ID {
				ps.Add(k, "a check cannot depend on itself")
			} else if _, ok := ids[d]; !ok {
				ps.Add(k, "%q is not the id of any check", d)
			}
		}
	}
	checkIDs := make([]string, 0, len(s.Checks))
	for _, c := range s.Checks {
		checkIDs = append(checkIDs, c.ID)
	}
	ps = append(ps, s.Alert.Validate().Prefixed("alert")...)
	ps = append(ps, s.Mirror.Validate().Prefixed("mirror")...)
	ps = append(ps, s.Fleet.Validate().Prefixed("fleet")...)
	ps = append(ps, s.Agent.Validate().Prefixed("agent")...)
	ps = append(ps, s.Agent.CheckGateChecks(checkIDs).Prefixed("agent")...)
	if s.FHIR != nil {
		ps = append(ps, s.FHIR.Validate().Prefixed("fhir")...)
	}
	ps = append(ps, s.Counter.Validate().Prefixed("counter")...)
	ps = append(ps, s.Counter.ValidateChecks(checkIDs).Prefixed("counter")...)
	if s.Journal.MirrorDir != "" || s.Journal.RegisterSerial != "" { // a site without the journal section sells without booking
		ps = append(ps, s.Journal.Validate().Prefixed("journal")...)
	}
	ps = append(ps, s.Alert.ValidateChecks(checkIDs).Prefixed("alert")...)
	receivers := make([]string, 0, len(s.Alert.Receivers))
	for _, r := range s.Alert.Receivers {
		receivers = append(receivers, r.Name)
	}
	ps = append(ps, s.Incident.Validate().Prefixed("incident")...)
	ps = append(ps, s.Incident.ValidateRefs(checkIDs, receivers).Prefixed("incident")...)
	if cyc := findCycle(s.Checks); cyc != nil {
		ps.Add(fmt.Sprintf("checks[%d].depends_on", ids[cyc[0]]), "dependencies form a loop: %s", strings.Join(cyc, " -> "))
	}
	return ps
}

func validateCheck(c check.Spec) validate.Problems {
	var ps validate.Problems
	known := false
	for _, k := range check.Kinds {
		if c.Kind == k {
			known = true
		}
	}
	if !known {
		ps.Add("kind", "%q is not a probe kind; use one of %s", c.Kind, strings.Join(check.Kinds, ", "))
	}
	groupOK := false
	for _, g := range check.Groups {
		if c.Group == g {
			groupOK = true
		}
	}
	if !groupOK {
		ps.Add("group", "%q is not a group; use one of %s", c.Group, strings.Join(check.Groups, ", "))
	}
	if c.Interval.D() < time.Second {
		ps.Add("interval", "%s is too short; at least 1s", c.Interval.D())
	}
	if c.Timeout.D() <= 0 {
		ps.Add("timeout", "must be positive")
	} else if c.Timeout.D() > c.Interval.D() {
		ps.Add("timeout", "%s is longer than the interval %s", c.Timeout.D(), c.Interval.D())
	}
	if c.FailAfter < 1 || c.FailAfter > 100 {
		ps.Add("fail_after", "%d is out of range 1..100", c.FailAfter)
	}
	if c.RecoverAfter < 1 || c.RecoverAfter > 100 {
		ps.Add("recover_after", "%d is out of range 1..100", c.RecoverAfter)
	}
	if c.WarnLatency.D() < 0 {
		ps.Add("warn_latency", "must not be negative")
	}
	if c.CAFile != "" {
		if _, err := os.Stat(c.CAFile); err != nil {
			ps.Add("ca_file", "cannot read %s: %v", c.CAFile, err)
		}
	}
	switch c.Kind {
	case check.KindHTTP, check.KindKonnektor, check.KindTILage:
		u, err := url.Parse(c.URL)
		switch {
		case c.URL == "":
			ps.Add("url", "missing; a %s check needs the address of the service, like https://host/path", c.Kind)
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			ps.Add("url", "%q is not an http:// or https:// address", c.URL)
		case isFachdienst(u.Hostname()):
			ps.Add("url", "%s is the E-Rezept Fachdienst: gematik forbids polling it at a fixed interval; use a check of kind tilage (TI-Lagebild) for the E-Rezept status", u.Hostname())
		}
		if c.Kind == check.KindHTTP && c.ExpectStatus != 0 && (c.ExpectStatus < 100 || c.ExpectStatus > 599) {
			ps.Add("expect_status", "%d is not an HTTP status; use 100..599 or leave it out for any 200-399", c.ExpectStatus)
		}
		if c.Kind == check.KindTILage && c.Interval.D() < check.MinTILageInterval {
			ps.Add("interval", "%s is too short: gematik allows the TI-Lagebild API to be polled at most every 5 minutes; use 5m or more", c.Interval.D())
		}
	case check.KindTCP, check.KindTLS, check.KindNTP, check.KindNUT:
		host, port, err := net.SplitHostPort(c.Address)
		switch {
		case c.Address == "":
			ps.Add("address", "missing; a %s check needs host:port", c.Kind)
		case err != nil || host == "" || port == "":
			ps.Add("address", "%q is not host:port", c.Address)
		case isFachdienst(host):
			ps.Add("address", "%s is the E-Rezept Fachdienst: gematik forbids polling it at a fixed interval; use a check of kind tilage", host)
		}
		if c.Kind == check.KindTLS && c.CritDays >= c.WarnDays {
			ps.Add("crit_days", "%d must be smaller than warn_days (%d)", c.CritDays, c.WarnDays)
		}
		if c.Kind == check.KindNTP && c.WarnOffset.D() >= c.MaxOffset.D() {
			ps.Add("warn_offset", "%s must be smaller than max_offset (%s)", c.WarnOffset.D(), c.MaxOffset.D())
		}
	case check.KindDNS:
		if c.Query == "" {
			ps.Add("query", "missing; the name to resolve, like erp.zentral.erp.splitdns.ti-dienste.de")
		}
		if c.Server == "" {
			ps.Add("server", "missing; the DNS server to ask (for TI names: the Konnektor), like 10.0.0.1")
		}
		switch strings.ToUpper(c.RecordType) {
		case "A", "AAAA", "CNAME", "TXT":
		default:
			ps.Add("record_type", "%q is not supported; use A, AAAA, CNAME or TXT", c.RecordType)
		}
	case check.KindDisk:
		if c.Path == "" {
			ps.Add("path", "missing; the folder whose disk to watch, like C:\\ or /var/lib")
		}
		if c.MinFreePercent < 0 || c.WarnFreePercent > 100 || c.MinFreePercent >= c.WarnFreePercent {
			ps.Add("min_free_percent", "must be between 0 and warn_free_percent (%.0f)", c.WarnFreePercent)
		}
	}
	return ps
}

// findCycle returns the ids of a dependency loop, or nil.
func findCycle(checks []check.Spec) []string {
	deps := map[string][]string{}
	for _, c := range checks {
		deps[c.ID] = c.DependsOn
	}
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var found []string
	var visit func(id string) bool
	visit = func(id string) bool {
		color[id] = grey
		stack = append(stack, id)
		for _, d := range deps[id] {
			if _, ok := deps[d]; !ok || d == id {
				continue
			}
			switch color[d] {
			case grey:
				for i, s := range stack {
					if s == d {
						found = append(append([]string{}, stack[i:]...), d)
					}
				}
				return true
			case white:
				if visit(d) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[id] = black
		return false
	}
	for _, c := range checks {
		if color[c.ID] == white && visit(c.ID) {
			return found
		}
	}
	return nil
}
