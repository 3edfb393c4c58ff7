package counter

import (
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/reconcile"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// Config is the "counter" section of the site configuration:
//
//	counter:
//	  offer_when_down: [erp]          # check ids; default: every check of group erp
//	  ti_checks: [konnektor, erezept] # check ids; default: every check of group access
//	  erezept_keep_days: 30           # handled E-Rezepte are deleted after this
//	  receipt:
//	    header: ["Apotheke am Markt", "Marktplatz 1, 12345 Musterstadt", "Tel. 01234 5678"]
//	    footer: ["Vielen Dank und gute Besserung!"]
//	  replay:
//	    erp_url: http://erp.local:8081   # ERP with a sales endpoint, or
//	    export_dir: //server/import      # a folder the ERP imports files from
//	    export_format: csv               # csv (default) or json
//	    token: "..."                     # bearer token for erp_url
//	    timeout: 10s
//	    state_dir: data/reconcile        # progress of the hand-over
//
// The till's name and the serial numbers of register and TSE are in the
// journal section, which records them in every sale.
type Config struct {
	// OfferWhenDown names the checks whose outage makes the dashboard
	// offer emergency mode. Empty: every check of group "erp".
	OfferWhenDown []string `yaml:"offer_when_down"`
	// TIChecks names the checks that tell whether E-Rezepte can be
	// redeemed (the TI). Empty: every check of group "access".
	TIChecks []string `yaml:"ti_checks"`
	// ERezeptKeepDays is how many days E-Rezepte marked redeemed or
	// returned are kept before they are deleted (default 30).
	ERezeptKeepDays int `yaml:"erezept_keep_days"`
	// Receipt sets the lines printed on every receipt.
	Receipt ReceiptConfig `yaml:"receipt"`
	// Replay says where the offline sales go after the outage.
	Replay ReplayConfig `yaml:"replay"`
}

// ReceiptConfig holds the fixed lines of a receipt.
type ReceiptConfig struct {
	// Header lines: name, address, phone, tax number of the pharmacy.
	// Default: the site name.
	Header []string `yaml:"header"`
	// Footer lines, optional.
	Footer []string `yaml:"footer"`
}

// ReplayConfig says how the offline journal is handed to the ERP: over
// HTTP (ERPURL) or as files into the ERP's import folder (ExportDir).
// Neither: the hand-over is not set up and the page says so.
type ReplayConfig struct {
	// ERPURL is the base address of an ERP with a sales endpoint; sales go
	// to ERPURL + "/api/sales" (see reconcile.HTTPAdapter).
	ERPURL string `yaml:"erp_url"`
	// Token is sent as "Authorization: Bearer <token>" to ERPURL.
	Token string `yaml:"token"`
	// Timeout bounds one request to the ERP (default 10s).
	Timeout check.Duration `yaml:"timeout"`
	// ExportDir is the ERP's import folder for a file export.
	ExportDir string `yaml:"export_dir"`
	// ExportFormat is "csv" (default) or "json".
	ExportFormat string `yaml:"export_format"`
	// StateDir keeps the hand-over's progress and reports. Default
	// <data_dir>/reconcile.
	StateDir string `yaml:"state_dir"`
}

// Defaults of the section.
const (
	DefaultERezeptKeepDays = 30
	DefaultReplayTimeout   = 10 * time.Second
	maxHeaderLines         = 8
	maxLineLen             = 120
	maxCheckRefs           = 100
)

// ApplyDefaults fills unset keys; dataDir is the site's data folder.
func (c *Config) ApplyDefaults(dataDir string) {
	if c.ERezeptKeepDays == 0 {
		c.ERezeptKeepDays = DefaultERezeptKeepDays
	}
	if c.Replay.Timeout == 0 {
		c.Replay.Timeout = check.Duration(DefaultReplayTimeout)
	}
	if c.Replay.ExportDir != "" && c.Replay.ExportFormat == "" {
		c.Replay.ExportFormat = reconcile.FormatCSV
	}
	c.Replay.ExportFormat = strings.ToLower(strings.TrimSpace(c.Replay.ExportFormat))
	if c.Replay.StateDir == "" && dataDir != "" {
		c.Replay.StateDir = filepath.Join(dataDir, "reconcile")
	}
}

// Validate reports every problem of the section at once; keys are relative
// to the section. References to checks are checked by ValidateChecks.
func (c Config) Validate() validate.Problems {
	var ps validate.Problems
	if c.ERezeptKeepDays < 1 || c.ERezeptKeepDays > 3650 {
		ps.Add("erezept_keep_days", "%d liegt außerhalb von 1 bis 3650 Tagen / out of range 1 to 3650 days", c.ERezeptKeepDays)
	}
	lines := func(key string, ls []string) {
		if len(ls) > maxHeaderLines {
			ps.Add(key, "höchstens %d Zeilen / at most %d lines", maxHeaderLines, maxHeaderLines)
		}
		for i, l := range ls {
			if !utf8.ValidString(l) || utf8.RuneCountInString(l) > maxLineLen || strings.ContainsAny(l, "\r\n") {
				ps.Add(key+"["+strconv.Itoa(i)+"]", "Zeile zu lang (höchstens %d Zeichen) oder mit Zeilenumbruch / line longer than %d characters or with a line break", maxLineLen, maxLineLen)
			}
		}
	}
	lines("receipt.header", c.Receipt.Header)
	lines("receipt.footer", c.Receipt.Footer)
	r := c.Replay
	switch {
	case r.ERPURL != "" && r.ExportDir != "":
		ps.Add("replay", "erp_url und export_dir schließen sich aus; bitte nur eines angeben / erp_url and export_dir exclude each other; give one")
	case r.ERPURL != "":
		u, err := url.Parse(r.ERPURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ps.Add("replay.erp_url", "%q ist keine http(s)-Adresse, z. B. http://erp.local:8081 / is not an http(s) URL", r.ERPURL)
		}
	case r.ExportDir != "":
		if r.ExportFormat != reconcile.FormatCSV && r.ExportFormat != reconcile.FormatJSON {
			ps.Add("replay.export_format", "%q unbekannt; erlaubt sind csv und json / unknown; use csv or json", r.ExportFormat)
		}
	}
	if r.Token != "" && r.ERPURL == "" {
		ps.Add("replay.token", "nur zusammen mit erp_url sinnvoll / only used with erp_url")
	}
	if r.Timeout.D() < time.Second || r.Timeout.D() > 5*time.Minute {
		ps.Add("replay.timeout", "%s liegt außerhalb von 1s bis 5m / out of range 1s to 5m", r.Timeout.D())
	}
	if strings.TrimSpace(r.StateDir) == "" {
		ps.Add("replay.state_dir", "Ordner für den Fortschritt der Übertragung fehlt / folder for the hand-over's progress missing")
	}
	if len(c.OfferWhenDown) > maxCheckRefs {
		ps.Add("offer_when_down", "höchstens %d Prüfungen / at most %d checks", maxCheckRefs, maxCheckRefs)
	}
	if len(c.TIChecks) > maxCheckRefs {
		ps.Add("ti_checks", "höchstens %d Prüfungen / at most %d checks", maxCheckRefs, maxCheckRefs)
	}
	return ps
}

// ValidateChecks reports references to checks that do not exist; ids are
// the configured check ids.
func (c Config) ValidateChecks(ids []string) validate.Problems {
	var ps validate.Problems
	for key, refs := range map[string][]string{"offer_when_down": c.OfferWhenDown, "ti_checks": c.TIChecks} {
		for i, id := range refs {
			if !slices.Contains(ids, id) {
				ps.Add(key+"["+strconv.Itoa(i)+"]", "keine Prüfung mit der id %q / no check with id %q", id, id)
			}
		}
	}
	slices.SortFunc(ps, func(a, b validate.Problem) int { return strings.Compare(a.Key, b.Key) })
	return ps
}

// ReplayConfigured reports whether a hand-over to the ERP is set up.
func (c Config) ReplayConfigured() bool {
	return c.Replay.ERPURL != "" || c.Replay.ExportDir != ""
}
