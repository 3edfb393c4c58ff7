package mirror

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Page is one page of the emergency handbook (Notfallhandbuch), in
// Markdown. Rendering is the web layer's job.
type Page struct {
	// Slug is the page's key and URL part: "strom", "ti-ausfall".
	Slug  string
	Title string
	// Order places the page in the table of contents.
	Order    int
	Markdown string
}

// Dataset returns Handbook.
func (Page) Dataset() Dataset { return Handbook }

// Key returns the slug.
func (p Page) Key() string { return p.Slug }

var _ Record = Page{}

// PageColumns are the JSON field names of a handbook page.
var PageColumns = []string{"slug", "title", "order", "markdown"}

// MaxPageBytes is the largest accepted handbook page.
const MaxPageBytes = 1 << 20

// MarshalJSON writes the page with the PageColumns names.
func (p Page) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"slug": p.Slug, "title": p.Title, "order": p.Order, "markdown": p.Markdown})
}

// DecodePage reads and validates a handbook page.
func DecodePage(get func(string) string) (Page, []FieldError) {
	var p Page
	var errs []FieldError
	bad := func(field string, r *check.Text) { errs = append(errs, FieldError{Field: field, Reason: *r}) }
	var r *check.Text
	if p.Slug, r = cleanKey(get("slug")); r != nil {
		bad("slug", r)
	} else if Slugify(p.Slug) != p.Slug {
		bad("slug", reasonf("Kurzname %q: nur Kleinbuchstaben, Ziffern und Bindestriche", "slug %q: lower-case letters, digits and hyphens only", clip(p.Slug)))
	}
	if p.Title, r = cleanText(get("title"), false); r != nil {
		bad("title", r)
	} else if p.Title == "" {
		bad("title", reason("Titel fehlt", "title missing"))
	}
	if s := strings.TrimSpace(get("order")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			bad("order", reasonf("keine ganze Zahl: %q", "not a whole number: %q", clip(s)))
		}
		p.Order = n
	}
	if p.Markdown, r = cleanText(get("markdown"), true); r != nil {
		bad("markdown", r)
	} else if p.Markdown == "" {
		bad("markdown", reason("Seite ohne Inhalt", "page has no content"))
	} else if len(p.Markdown) > MaxPageBytes {
		bad("markdown", reason("Seite größer als 1 MB", "page larger than 1 MB"))
	}
	return p, errs
}

// Slugify turns a title into a slug: lower case, umlauts spelt out, every
// other run of characters a single hyphen. "Strom & USV" -> "strom-usv".
func Slugify(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(s) {
		var rep string
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			rep = string(r)
		case r == 'ä':
			rep = "ae"
		case r == 'ö':
			rep = "oe"
		case r == 'ü':
			rep = "ue"
		case r == 'ß':
			rep = "ss"
		default:
			hyphen = b.Len() > 0
			continue
		}
		if hyphen {
			b.WriteByte('-')
			hyphen = false
		}
		b.WriteString(rep)
	}
	return b.String()
}
