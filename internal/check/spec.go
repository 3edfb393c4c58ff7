package check

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration that reads "10s", "5m" or "1h30m" from YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		// A TypeError lets the decoder go on, so that every other problem
		// of the file is reported too.
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %q is not a duration; write it like 10s, 5m or 1h", n.Line, s)}}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Kinds of probes. Each has one prober package.
const (
	KindHTTP      = "http"
	KindTCP       = "tcp"
	KindDNS       = "dns"
	KindTLS       = "tls"
	KindNTP       = "ntp"
	KindNUT       = "nut"
	KindKonnektor = "konnektor"
	KindTILage    = "tilage"
	KindDisk      = "disk"
)

// Kinds lists every probe kind in a stable order.
var Kinds = []string{KindHTTP, KindTCP, KindDNS, KindTLS, KindNTP, KindNUT, KindKonnektor, KindTILage, KindDisk}

// Groups of the dashboard, in the fixed recovery order of the ApoRisk
// pillars (domain.md): power, network, access, then the pharmacy's own
// systems, then everything else.
const (
	GroupPower   = "power"
	GroupNetwork = "network"
	GroupAccess  = "access"
	GroupERP     = "erp"
	GroupOther   = "other"
)

// Groups lists the dashboard groups in recovery order.
var Groups = []string{GroupPower, GroupNetwork, GroupAccess, GroupERP, GroupOther}

// GroupTitle returns the plain-language title of a dashboard group.
func GroupTitle(g string) Text {
	switch g {
	case GroupPower:
		return Msg("Strom", "Power")
	case GroupNetwork:
		return Msg("Netz", "Network")
	case GroupAccess:
		return Msg("Zugang (TI, Karten, Zertifikate)", "Access (TI, cards, certificates)")
	case GroupERP:
		return Msg("Warenwirtschaft", "Pharmacy system (ERP)")
	default:
		return Msg("Sonstiges", "Other")
	}
}

// DefaultGroup is the group of a check that names none.
func DefaultGroup(kind string) string {
	switch kind {
	case KindNUT:
		return GroupPower
	case KindTCP, KindDNS, KindNTP:
		return GroupNetwork
	case KindKonnektor, KindTILage, KindTLS:
		return GroupAccess
	default:
		return GroupOther
	}
}

// Spec is one configured check. The common keys apply to every kind; the
// target keys belong to the kinds named in their comment. The config package
// decodes and validates it; prober constructors may assume a validated Spec.
type Spec struct {
	ID           string   `yaml:"id"`
	Name         string   `yaml:"name"`
	Kind         string   `yaml:"kind"`
	Group        string   `yaml:"group"`
	Interval     Duration `yaml:"interval"`
	Timeout      Duration `yaml:"timeout"`
	FailAfter    int      `yaml:"fail_after"`
	RecoverAfter int      `yaml:"recover_after"`
	WarnLatency  Duration `yaml:"warn_latency"`
	DependsOn    []string `yaml:"depends_on"`
	// Affects names, in plain words, what stops working when this check is
	// down ("Kasse", "Bestellung"); shown in the dashboard and in alerts.
	Affects []string `yaml:"affects"`

	// URL is the target of http, konnektor and tilage checks.
	URL string `yaml:"url"`
	// Address is host:port for tcp, tls, ntp and nut checks.
	Address string `yaml:"address"`
	// Query is the name a dns check resolves. (The key "name" is the
	// check's display name, so the DNS name has a key of its own.)
	Query string `yaml:"query"`
	// Server is the DNS server (host or host:port) a dns check asks.
	Server string `yaml:"server"`
	// RecordType is the DNS record type (A, AAAA, CNAME, TXT); default A.
	RecordType string `yaml:"record_type"`
	// Expect lists acceptable DNS answers; empty means any answer.
	Expect []string `yaml:"expect"`
	// Path is the folder a disk check measures.
	Path string `yaml:"path"`

	// ExpectStatus is the HTTP status an http check wants; 0 means 200-399.
	ExpectStatus int `yaml:"expect_status"`
	// BodyContains is a substring the HTTP body must contain.
	BodyContains string `yaml:"body_contains"`
	// JSONField is a dotted path into a JSON body ("status.db"); with
	// JSONValue the field must equal it, without it the field must exist.
	JSONField string `yaml:"json_field"`
	JSONValue string `yaml:"json_value"`
	// CAFile is a PEM file of CA certificates to trust (Konnektors use
	// their own CA) for http, tls and konnektor checks.
	CAFile string `yaml:"ca_file"`
	// ServerName is the TLS host name to verify; default the host of the
	// address or URL.
	ServerName string `yaml:"server_name"`

	// WarnDays and CritDays: a tls check turns degraded when the chain
	// expires in fewer than WarnDays days (default 30) and down below
	// CritDays (default 7).
	WarnDays int `yaml:"warn_days"`
	CritDays int `yaml:"crit_days"`

	// WarnOffset and MaxOffset: an ntp check turns degraded above WarnOffset
	// (default 1s) and down above MaxOffset (default 60s).
	WarnOffset Duration `yaml:"warn_offset"`
	MaxOffset  Duration `yaml:"max_offset"`

	// UPS is the UPS name on the NUT server (default "ups"); Username and
	// Password are optional NUT credentials.
	UPS      string `yaml:"ups"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`

	// WarnFreePercent and MinFreePercent: a disk check turns degraded below
	// WarnFreePercent free space (default 15) and down below MinFreePercent
	// (default 5).
	WarnFreePercent float64 `yaml:"warn_free_percent"`
	MinFreePercent  float64 `yaml:"min_free_percent"`
}

// Defaults of the common keys.
const (
	DefaultInterval     = 30 * time.Second
	DefaultTimeout      = 5 * time.Second
	DefaultFailAfter    = 2
	DefaultRecoverAfter = 2
	// MinTILageInterval is the shortest interval at which the TI-Lagebild
	// API may be polled (gematik/api-tilage: at most every 5 minutes).
	MinTILageInterval = 5 * time.Minute
)

// ApplyDefaults fills the keys left empty with their defaults.
func (s *Spec) ApplyDefaults() {
	if s.Interval == 0 {
		s.Interval = Duration(DefaultInterval)
		if s.Kind == KindTILage {
			s.Interval = Duration(MinTILageInterval)
		}
	}
	if s.Timeout == 0 {
		s.Timeout = Duration(DefaultTimeout)
	}
	if s.FailAfter == 0 {
		s.FailAfter = DefaultFailAfter
	}
	if s.RecoverAfter == 0 {
		s.RecoverAfter = DefaultRecoverAfter
	}
	if s.Group == "" {
		s.Group = DefaultGroup(s.Kind)
	}
	if s.Name == "" {
		s.Name = s.ID
	}
	switch s.Kind {
	case KindTLS:
		if s.WarnDays == 0 {
			s.WarnDays = 30
		}
		if s.CritDays == 0 {
			s.CritDays = 7
		}
	case KindNTP:
		if s.WarnOffset == 0 {
			s.WarnOffset = Duration(time.Second)
		}
		if s.MaxOffset == 0 {
			s.MaxOffset = Duration(60 * time.Second)
		}
	case KindNUT:
		if s.UPS == "" {
			s.UPS = "ups"
		}
	case KindDisk:
		if s.WarnFreePercent == 0 {
			s.WarnFreePercent = 15
		}
		if s.MinFreePercent == 0 {
			s.MinFreePercent = 5
		}
	case KindDNS:
		if s.RecordType == "" {
			s.RecordType = "A"
		}
	}
}
