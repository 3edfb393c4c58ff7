package fleet

import (
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/validate"
)

// Release is one version of one component, with its signed artifact.
type Release struct {
	ID int64
	// Component is what is updated ("erp", "lifeline", "konnektor-adapter").
	Component string
	// Version is the component's version ("2025.1.3").
	Version string
	// Artifact is the artifact's file name as uploaded.
	Artifact string
	// TargetPath is the artifact's path in the TUF repository:
	// component/version/artifact.
	TargetPath string
	// Length and SHA256 describe the artifact; the site verifies both
	// through TUF before installing.
	Length int64
	SHA256 string
	// InstallHook and RollbackHook name the hooks the site runs (configured
	// at the site; the fleet sends only their names).
	InstallHook  string
	RollbackHook string
	// Notes are the release notes for the hotline.
	Notes     string
	CreatedAt time.Time
	CreatedBy string
}

var (
	componentRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	versionRE   = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$`)
	hookRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	artifactRE  = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._+-]{0,127}$`)
)

// ValidComponent reports whether name is a well-formed component name.
func ValidComponent(name string) bool { return componentRE.MatchString(name) }

// Normalize trims the fields and derives the target path.
func (r *Release) Normalize() {
	r.Component = strings.TrimSpace(strings.ToLower(r.Component))
	r.Version = strings.TrimSpace(r.Version)
	r.Artifact = path.Base(strings.ReplaceAll(strings.TrimSpace(r.Artifact), "\\", "/"))
	r.InstallHook = strings.TrimSpace(r.InstallHook)
	r.RollbackHook = strings.TrimSpace(r.RollbackHook)
	r.Notes = strings.TrimSpace(r.Notes)
	r.TargetPath = r.Component + "/" + r.Version + "/" + r.Artifact
}

// Validate reports every problem of a release's editable fields.
func (r Release) Validate() validate.Problems {
	var ps validate.Problems
	if !componentRE.MatchString(r.Component) {
		ps.Add("component", "%q may only contain a-z, 0-9, - and _ (like erp)", r.Component)
	}
	if !versionRE.MatchString(r.Version) {
		ps.Add("version", "%q is not a version; use digits, letters and . + _ - (like 2025.1.3)", r.Version)
	}
	if !artifactRE.MatchString(r.Artifact) {
		ps.Add("artifact", "%q is not a file name; use letters, digits and . _ + -", r.Artifact)
	}
	if !hookRE.MatchString(r.InstallHook) {
		ps.Add("install_hook", "%q is not a hook name; use a-z, 0-9, - and _", r.InstallHook)
	}
	if !hookRE.MatchString(r.RollbackHook) {
		ps.Add("rollback_hook", "%q is not a hook name; use a-z, 0-9, - and _", r.RollbackHook)
	}
	if utf8.RuneCountInString(r.Notes) > 20000 {
		ps.Add("notes", "longer than 20000 characters")
	}
	return ps
}
