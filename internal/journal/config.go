package journal

import (
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/validate"
)

// Config is the journal section of the site configuration.
type Config struct {
	// Dir holds the primary copy. Default: <data dir>/journal.
	Dir string `yaml:"dir"`
	// MirrorDir holds the second copy, written with every entry. It should
	// be on another disk, a USB stick or a network share, so that one dead
	// disk loses nothing. Required; no default.
	MirrorDir string `yaml:"mirror_dir"`
	// Till names the till (Kasse) the sales are made at. Default "Kasse 1".
	Till string `yaml:"till"`
	// RegisterSerial is the serial number of the cash register, recorded in
	// every entry as the KassenSichV asks. Required.
	RegisterSerial string `yaml:"register_serial"`
	// TSESerial is the serial number of the (failed) technical security
	// system, recorded in every entry when known. Optional.
	TSESerial string `yaml:"tse_serial"`
}

// ApplyDefaults fills unset fields: Dir from the site's data directory and
// the till's name.
func (c *Config) ApplyDefaults(dataDir string) {
	if c.Dir == "" && dataDir != "" {
		c.Dir = filepath.Join(dataDir, "journal")
	}
	if c.Till == "" {
		c.Till = "Kasse 1"
	}
}

// Validate reports every problem of the section at once; keys are relative
// to the section.
func (c Config) Validate() validate.Problems {
	var ps validate.Problems
	if strings.TrimSpace(c.Dir) == "" {
		ps.Add("dir", "Ordner für das Verkaufsjournal fehlt / folder of the sales journal missing")
	}
	if strings.TrimSpace(c.MirrorDir) == "" {
		ps.Add("mirror_dir", "zweiter Ordner für die Kopie des Journals fehlt; bitte einen Ordner auf einer anderen Platte, einem USB-Stick oder einer Netzwerkfreigabe angeben / "+
			"second folder for the journal copy missing; give a folder on another disk, a USB stick or a network share")
	} else if strings.TrimSpace(c.Dir) != "" {
		d, m := filepath.Clean(c.Dir), filepath.Clean(c.MirrorDir)
		switch {
		case samePath(d, m):
			ps.Add("mirror_dir", "muss ein anderer Ordner als dir sein, am besten auf einer anderen Platte, sonst geht mit einer defekten Platte alles verloren / "+
				"must differ from dir, best on another disk, or one dead disk loses everything")
		case within(m, d) || within(d, m):
			ps.Add("mirror_dir", "darf nicht in dir liegen und dir nicht enthalten; die Kopie gehört auf eine andere Platte / "+
				"must not be inside dir nor contain it; the copy belongs on another disk")
		}
	}
	if strings.TrimSpace(c.Till) == "" {
		ps.Add("till", "Name der Kasse fehlt / name of the till missing")
	} else if utf8.RuneCountInString(c.Till) > 100 {
		ps.Add("till", "Name der Kasse ist länger als 100 Zeichen / name of the till longer than 100 characters")
	}
	if strings.TrimSpace(c.RegisterSerial) == "" {
		ps.Add("register_serial", "Seriennummer der Kasse fehlt (KassenSichV); sie steht auf dem Typenschild oder in der Kassensoftware / "+
			"serial number of the cash register missing (KassenSichV)")
	} else if utf8.RuneCountInString(c.RegisterSerial) > 100 {
		ps.Add("register_serial", "Seriennummer ist länger als 100 Zeichen / serial number longer than 100 characters")
	}
	if utf8.RuneCountInString(c.TSESerial) > 200 {
		ps.Add("tse_serial", "Seriennummer der TSE ist länger als 200 Zeichen / TSE serial number longer than 200 characters")
	}
	return ps
}

// samePath compares cleaned paths; Windows paths are case-insensitive.
func samePath(a, b string) bool {
	if filepath.Separator == '\\' {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// within reports whether path lies inside dir.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
