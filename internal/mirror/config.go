package mirror

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// Source kinds of the configuration.
const (
	SourceCSV      = "csv"
	SourceFeed     = "feed"
	SourceMarkdown = "markdown"
)

// Defaults of the mirror section.
const (
	DefaultInterval   = 60 * time.Second
	DefaultFullSyncAt = "03:30"
	DefaultMaxAge     = 10 * time.Minute
	DefaultTimeZone   = "Europe/Berlin"
	MinInterval       = 5 * time.Second
	MaxInterval       = time.Hour
)

// Config is the "mirror" section of the site configuration.
//
//	mirror:
//	  interval: 60s          # increments
//	  full_sync_at: "03:30"  # nightly full re-sync, local time
//	  time_zone: Europe/Berlin
//	  max_age: 10m           # older copy: check turns degraded
//	  key_file: /var/lib/lifeline/lifeline.key
//	  sources:
//	    - {dataset: articles, kind: feed, url: "https://erp.local/feed/articles", token: "..."}
//	    - {dataset: contacts, kind: csv, file: /srv/export/kontakte.csv}
//	    - {dataset: handbook, kind: markdown, file: /srv/handbuch}
type Config struct {
	// Interval between increments (default 60s).
	Interval check.Duration `yaml:"interval"`
	// FullSyncAt is the local wall-clock time of the nightly full
	// re-sync, "HH:MM" (default "03:30").
	FullSyncAt string `yaml:"full_sync_at"`
	// TimeZone is the IANA zone of FullSyncAt and of the duty rota's
	// local times (default Europe/Berlin).
	TimeZone string `yaml:"time_zone"`
	// MaxAge is the age past which the copy's check turns degraded
	// (default 10m).
	MaxAge check.Duration `yaml:"max_age"`
	// KeyFile holds the data key for personal data (0600 rights); empty
	// means the site's key file <data_dir>/lifeline.key. LIFELINE_DATA_KEY
	// overrides it.
	KeyFile string         `yaml:"key_file"`
	Sources []SourceConfig `yaml:"sources"`
}

// SourceConfig is one source of one data set.
type SourceConfig struct {
	Dataset string `yaml:"dataset"`
	// Kind is csv, feed or markdown (handbook only).
	Kind string `yaml:"kind"`
	// File is the CSV file, or the Markdown file or folder.
	File string `yaml:"file"`
	// URL is the feed's address; the cursor is added as ?since=.
	URL string `yaml:"url"`
	// Token is sent as "Authorization: Bearer <token>" to a feed.
	Token string `yaml:"token"`
	// MaxAge overrides the section's max_age for this data set. By default
	// feeds and article files are watched; other files (contacts, rota,
	// handbook) change rarely and are not.
	MaxAge check.Duration `yaml:"max_age"`
}

// ApplyDefaults fills the keys left empty.
func (c *Config) ApplyDefaults() {
	if c.Interval == 0 {
		c.Interval = check.Duration(DefaultInterval)
	}
	if c.FullSyncAt == "" {
		c.FullSyncAt = DefaultFullSyncAt
	}
	if c.TimeZone == "" {
		c.TimeZone = DefaultTimeZone
	}
	if c.MaxAge == 0 {
		c.MaxAge = check.Duration(DefaultMaxAge)
	}
	for i := range c.Sources {
		c.Sources[i].Kind = strings.ToLower(strings.TrimSpace(c.Sources[i].Kind))
	}
}

// Validate reports every problem of the section at once, with keys
// relative to the section ("sources[1].url").
func (c Config) Validate() validate.Problems {
	var ps validate.Problems
	if c.Interval.D() < MinInterval || c.Interval.D() > MaxInterval {
		ps.Add("interval", "%s is out of range; use 5s to 1h (60s is the default)", c.Interval.D())
	}
	if _, err := ParseTimeOfDay(c.FullSyncAt); err != nil {
		ps.Add("full_sync_at", "%v", err)
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" {
		ps.Add("time_zone", "%q is not a known IANA time zone; write it like Europe/Berlin", c.TimeZone)
	}
	if c.MaxAge.D() < 2*c.Interval.D() {
		ps.Add("max_age", "%s must be at least twice the interval (%s), or the check alerts between two syncs", c.MaxAge.D(), c.Interval.D())
	}
	seen := map[string]int{}
	for i, s := range c.Sources {
		key := func(k string) string { return fmt.Sprintf("sources[%d].%s", i, k) }
		ds, err := ParseDataset(s.Dataset)
		if err != nil {
			ps.Add(key("dataset"), "%q is not a data set; use articles, contacts, duty, patients or handbook", s.Dataset)
		} else if j, dup := seen[s.Dataset]; dup {
			ps.Add(key("dataset"), "%s already has a source (sources[%d]); one source per data set", s.Dataset, j)
		} else {
			seen[s.Dataset] = i
		}
		if s.MaxAge != 0 && s.MaxAge.D() < 2*c.Interval.D() {
			ps.Add(key("max_age"), "%s must be at least twice the interval (%s)", s.MaxAge.D(), c.Interval.D())
		}
		switch s.Kind {
		case SourceCSV, SourceMarkdown:
			if strings.TrimSpace(s.File) == "" {
				ps.Add(key("file"), "a %s source needs a file", s.Kind)
			}
			if s.URL != "" {
				ps.Add(key("url"), "a %s source reads a file; url belongs to kind feed", s.Kind)
			}
			if s.Token != "" {
				ps.Add(key("token"), "only a feed source uses a token")
			}
			if err == nil && s.Kind == SourceCSV && ds == Handbook {
				ps.Add(key("kind"), "the handbook is read from Markdown: use kind markdown")
			}
			if err == nil && s.Kind == SourceMarkdown && ds != Handbook {
				ps.Add(key("kind"), "kind markdown is for the handbook only; use csv or feed")
			}
		case SourceFeed:
			if s.File != "" {
				ps.Add(key("file"), "a feed source reads a URL; file belongs to kind csv or markdown")
			}
			u, uerr := url.Parse(s.URL)
			switch {
			case s.URL == "":
				ps.Add(key("url"), "a feed source needs a url")
			case uerr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
				ps.Add(key("url"), "%q is not an http(s) URL", s.URL)
			case u.Scheme == "http" && err == nil && ds.Personal() && !isLoopback(u.Hostname()):
				ps.Add(key("url"), "%s holds personal data: use https, not http, unless the feed is on this machine", ds)
			}
		case "":
			ps.Add(key("kind"), "missing; use csv, feed or markdown")
		default:
			ps.Add(key("kind"), "%q is not a source kind; use csv, feed or markdown", s.Kind)
		}
	}
	return ps
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Location returns the configured zone; call after Validate.
func (c Config) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("mirror.time_zone %q: %w (on Windows the binary must embed time/tzdata)", c.TimeZone, err)
	}
	return loc, nil
}

// TimeOfDay is a local wall-clock time.
type TimeOfDay struct{ Hour, Minute int }

// ParseTimeOfDay reads "HH:MM" (24 hours).
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return TimeOfDay{}, fmt.Errorf("%q is not a time of day; write it like 03:30", s)
	}
	return TimeOfDay{t.Hour(), t.Minute()}, nil
}

// String returns "HH:MM".
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

// On returns the instant of this wall-clock time on a local date. On a
// night when the clocks go forward and the time does not exist, Go moves it
// forward by the gap (02:30 -> 03:30 CEST); when it exists twice, one of the
// two instants is taken. Either way each local date has exactly one instant.
func (t TimeOfDay) On(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, t.Hour, t.Minute, 0, 0, loc)
}
