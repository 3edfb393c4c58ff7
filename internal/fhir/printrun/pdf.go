package printrun

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fhir"
)

// Page describes what every page of a print-out says about itself.
type Page struct {
	// Site is the hospital's name.
	Site string
	// Lang is "de" (default) or "en".
	Lang string
	// Location is the time zone of dates and times.
	Location *time.Location
	// PrintedAt is when the document was made (from the clock).
	PrintedAt time.Time
	// Fresh is the copy's Datenstand, printed on every page.
	Fresh fhir.Freshness
}

func (p Page) t(de, en string) string { return check.Msg(de, en).In(p.Lang) }

const (
	margin = 12.0
	lineH  = 5.2
)

// doc wraps fpdf with the cp1252 core fonts: German is fully covered,
// letters outside cp1252 (ı, ł, ş, ą ...) print without their accent.
type doc struct {
	f     *fpdf.Fpdf
	tr    func(string) string
	page  Page
	title string
	w     float64
}

func newDoc(p Page, title string, landscape bool) *doc {
	orient := "P"
	if landscape {
		orient = "L"
	}
	if p.Location == nil {
		p.Location = time.Local
	}
	f := fpdf.New(orient, "mm", "A4", "")
	d := &doc{f: f, tr: f.UnicodeTranslatorFromDescriptor(""), page: p, title: title}
	pw, _ := f.GetPageSize()
	d.w = pw - 2*margin
	f.SetMargins(margin, margin+16, margin)
	f.SetAutoPageBreak(true, margin+8)
	f.SetCreationDate(p.PrintedAt)
	f.SetModificationDate(p.PrintedAt)
	f.SetTitle(title, true)
	f.SetCreator("lifeline", true)
	f.AliasNbPages("{nb}")
	f.SetHeaderFunc(d.header)
	f.SetFooterFunc(d.footer)
	return d
}

// text prepares a string for a core font: characters outside cp1252 are
// reduced to their base letter.
func (d *doc) text(s string) string { return d.tr(toCP1252(s)) }

func (d *doc) header() {
	f, p := d.f, d.page
	f.SetXY(margin, margin)
	f.SetFont("Helvetica", "B", 13)
	f.CellFormat(d.w*0.68, 6, d.text(d.title), "", 0, "L", false, 0, "")
	f.SetFont("Helvetica", "", 9)
	printed := p.t("Gedruckt: ", "Printed: ") + fhir.Date{Time: p.PrintedAt, Precision: fhir.PrecisionTime}.Format(p.Lang, p.Location)
	f.CellFormat(d.w*0.32, 6, d.text(printed), "", 1, "R", false, 0, "")
	f.SetFont("Helvetica", "B", 11)
	line := p.Fresh.Line.In(p.Lang)
	if p.Fresh.Stale {
		line += p.t(" – ACHTUNG: Kopie veraltet, neuere Einträge fehlen", " – WARNING: copy out of date, newer entries missing")
	}
	f.CellFormat(d.w*0.75, 6, d.text(line), "", 0, "L", false, 0, "")
	f.SetFont("Helvetica", "", 9)
	f.CellFormat(d.w*0.25, 6, d.text(p.Site), "", 1, "R", false, 0, "")
	f.SetDrawColor(0, 0, 0)
	f.Line(margin, margin+13, margin+d.w, margin+13)
	f.SetXY(margin, margin+16)
}

func (d *doc) footer() {
	f, p := d.f, d.page
	_, ph := f.GetPageSize()
	f.SetXY(margin, ph-margin-4)
	f.SetFont("Helvetica", "", 8)
	f.CellFormat(d.w*0.7, 4, d.text(p.t("lifeline Notfallkopie des KIS – vertraulich, Patientendaten. Nach Gebrauch datenschutzgerecht vernichten.",
		"lifeline downtime copy of the EHR – confidential patient data. Shred after use.")), "", 0, "L", false, 0, "")
	f.CellFormat(d.w*0.3, 4, d.text(fmt.Sprintf(p.t("Seite %d von {nb}", "Page %d of {nb}"), f.PageNo())), "", 0, "R", false, 0, "")
}

// column is one column of a table: its share of the width and a header.
type column struct {
	share  float64
	header string
}

// row draws one table row whose cells wrap; bold marks cells printed in
// bold (allergies). It starts a new page when the row does not fit.
func (d *doc) row(cols []column, cells []string, bold []bool, size float64, fill bool) {
	f := d.f
	f.SetFont("Helvetica", "", size)
	lines := 1
	split := make([][]string, len(cells))
	for i, c := range cells {
		style := ""
		if i < len(bold) && bold[i] {
			style = "B"
		}
		f.SetFont("Helvetica", style, size)
		split[i] = d.wrap(d.text(c), cols[i].share*d.w-2)
		lines = max(lines, len(split[i]))
	}
	h := float64(lines)*lineH*size/10 + 1.5
	_, ph := f.GetPageSize()
	if f.GetY()+h > ph-margin-8 {
		f.AddPage()
		d.tableHeader(cols, size)
	}
	x, y := margin, f.GetY()
	for i := range cells {
		cw := cols[i].share * d.w
		if fill {
			f.SetFillColor(235, 235, 235)
			f.Rect(x, y, cw, h, "F")
		}
		f.Rect(x, y, cw, h, "D")
		style := ""
		if i < len(bold) && bold[i] {
			style = "B"
		}
		f.SetFont("Helvetica", style, size)
		for j, l := range split[i] {
			f.SetXY(x+1, y+0.8+float64(j)*lineH*size/10)
			f.CellFormat(cw-2, lineH*size/10, l, "", 0, "L", false, 0, "")
		}
		x += cw
	}
	f.SetXY(margin, y+h)
}

// wrap breaks translated (cp1252) text into lines of at most width mm in
// the current font; fpdf's SplitText expects UTF-8, which the core fonts
// do not take.
func (d *doc) wrap(s string, width float64) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for d.f.GetStringWidth(word) > width && len(word) > 1 { // a word wider than the column
			n := len(word) - 1
			for n > 1 && d.f.GetStringWidth(word[:n]) > width {
				n--
			}
			if line != "" {
				lines, line = append(lines, line), ""
			}
			lines = append(lines, word[:n])
			word = word[n:]
		}
		switch {
		case line == "":
			line = word
		case d.f.GetStringWidth(line+" "+word) <= width:
			line += " " + word
		default:
			lines, line = append(lines, line), word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

func (d *doc) tableHeader(cols []column, size float64) {
	cells := make([]string, len(cols))
	bold := make([]bool, len(cols))
	for i, c := range cols {
		cells[i], bold[i] = c.header, true
	}
	d.row(cols, cells, bold, size, true)
}

func (d *doc) output(w io.Writer) error {
	if err := d.f.Output(w); err != nil {
		return fmt.Errorf("write PDF %q: %w", d.title, err)
	}
	return nil
}

// AllergyText is the allergy line of a print-out: the substances, or
// whether none are known or none were recorded.
func AllergyText(s *fhir.Summary, lang string) string {
	t := func(de, en string) string { return check.Msg(de, en).In(lang) }
	switch s.AllergyState {
	case fhir.AllergiesNoneKnown:
		return t("keine bekannt", "none known")
	case fhir.AllergiesNotRecorded:
		return t("nicht erfasst", "not recorded")
	}
	var parts []string
	for _, a := range s.Allergies {
		p := a.Code.Text
		var extra []string
		if fhir.HighRiskAllergy(a) {
			extra = append(extra, t("HOCH", "HIGH"))
		}
		if len(a.Reactions) > 0 {
			extra = append(extra, strings.Join(a.Reactions, ", "))
		}
		if a.Verification == "unconfirmed" {
			extra = append(extra, t("unbestätigt", "unconfirmed"))
		}
		if len(extra) > 0 {
			p += " (" + strings.Join(extra, "; ") + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// WardList writes the PDF ward list of a sheet: one row per bed.
func WardList(w io.Writer, p Page, s *fhir.Sheet) error {
	d := newDoc(p, p.t("Stationsliste ", "Ward list ")+fhir.WardName(s.Ward.ID, s.Ward.Name).In(p.Lang), true)
	d.f.AddPage()
	cols := []column{{0.13, p.t("Zimmer / Bett", "Room / bed")}, {0.2, p.t("Name", "Name")},
		{0.12, p.t("Geb.-Datum (Alter)", "Born (age)")}, {0.25, p.t("Allergien", "Allergies")},
		{0.1, p.t("Aufnahme", "Admitted")}, {0.2, p.t("Grund / Arzt", "Reason / doctor")}}
	d.tableHeader(cols, 10)
	for _, r := range s.Rows {
		d.row(cols, wardCells(r, p), []bool{false, true, false, true, false, false}, 10, false)
	}
	if len(s.Rows) == 0 {
		d.f.SetFont("Helvetica", "", 11)
		d.f.CellFormat(d.w, 8, d.text(p.t("Keine Patienten auf dieser Station.", "No patients on this ward.")), "", 1, "L", false, 0, "")
	}
	return d.output(w)
}

func wardCells(r fhir.SheetRow, p Page) []string {
	place := r.Bed.Place()
	if r.Summary == nil || r.Summary.Patient == nil {
		return []string{place, p.t("(Patient fehlt in der Kopie)", "(patient missing in the copy)"), "", "", "", ""}
	}
	s := r.Summary
	born := s.Patient.BirthDate.Format(p.Lang, p.Location)
	if age := fhir.Age(s.Patient.BirthDate, p.PrintedAt); age >= 0 {
		born += fmt.Sprintf(" (%d)", age)
	}
	var admitted, reason string
	if s.Stay != nil {
		admitted = s.Stay.Start.Format(p.Lang, p.Location)
		reason = s.Stay.Reason
		if len(s.Stay.Participants) > 0 {
			reason = strings.TrimSpace(reason + " / " + s.Stay.Participants[0])
		}
	}
	return []string{place, s.Patient.Name(), born, AllergyText(s, p.Lang), admitted, reason}
}

// lastGiven returns when a medication order was last given, "" when not
// within the summary's window.
func lastGiven(s *fhir.Summary, m *fhir.MedicationRequest, p Page) string {
	for _, a := range s.Administrations { // newest first
		if (a.Request.ID != "" && a.Request.ID == m.ID) || (a.Request.ID == "" && strings.EqualFold(a.Medication, m.Medication)) {
			return a.Effective.Format(p.Lang, p.Location)
		}
	}
	return ""
}

// MedicationList writes the PDF medication list of a sheet: per patient
// the allergies and the active orders with dosage and last dose.
func MedicationList(w io.Writer, p Page, s *fhir.Sheet) error {
	d := newDoc(p, p.t("Medikationsliste ", "Medication list ")+fhir.WardName(s.Ward.ID, s.Ward.Name).In(p.Lang), false)
	d.f.AddPage()
	cols := []column{{0.42, p.t("Medikament", "Drug")}, {0.28, p.t("Dosierung", "Dosage")},
		{0.13, p.t("seit", "since")}, {0.17, p.t("zuletzt gegeben", "last given")}}
	for _, r := range s.Rows {
		cells := wardCells(r, p)
		_, ph := d.f.GetPageSize()
		if d.f.GetY()+30 > ph-margin-8 {
			d.f.AddPage()
		}
		d.f.SetFont("Helvetica", "B", 11)
		d.f.MultiCell(d.w, 5.5, d.text(cells[0]+" – "+cells[1]+" – "+cells[2]), "", "L", false)
		d.f.SetFont("Helvetica", "B", 10)
		d.f.MultiCell(d.w, 5, d.text(p.t("Allergien: ", "Allergies: ")+cells[3]), "", "L", false)
		if r.Summary == nil {
			continue
		}
		if len(r.Summary.Medications) == 0 {
			d.f.SetFont("Helvetica", "", 10)
			d.f.MultiCell(d.w, 5, d.text(p.t("Keine aktiven Verordnungen in der Kopie.", "No active orders in the copy.")), "", "L", false)
		} else {
			d.tableHeader(cols, 9)
			for _, m := range r.Summary.Medications {
				d.row(cols, []string{m.Medication, m.Dosage(p.Lang), m.AuthoredOn.Format(p.Lang, p.Location), lastGiven(r.Summary, m, p)}, nil, 9, false)
			}
		}
		d.f.Ln(4)
	}
	if len(s.Rows) == 0 {
		d.f.SetFont("Helvetica", "", 11)
		d.f.CellFormat(d.w, 8, d.text(p.t("Keine Patienten auf dieser Station.", "No patients on this ward.")), "", 1, "L", false, 0, "")
	}
	return d.output(w)
}

// render runs one of the writers into memory.
func render(f func(io.Writer, Page, *fhir.Sheet) error, p Page, s *fhir.Sheet) ([]byte, error) {
	var b bytes.Buffer
	if err := f(&b, p, s); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// toCP1252 keeps what cp1252 can print and reduces other letters to their
// base letter ("Yılmaz" -> "Yilmaz", "Dąbrowski" -> "Dabrowski").
func toCP1252(s string) string {
	ok := func(r rune) bool {
		return r < 0x80 || (r >= 0xa0 && r <= 0xff) || strings.ContainsRune("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ", r)
	}
	clean := true
	for _, r := range s {
		if !ok(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	special := map[rune]string{'ı': "i", 'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D", 'ħ': "h", '≤': "<=", '≥': ">=", '×': "x", '⚠': "!", '→': "->"}
	var b strings.Builder
	for _, r := range s {
		switch {
		case ok(r):
			b.WriteRune(r)
		case special[r] != "":
			b.WriteString(special[r])
		default:
			base := []rune(norm.NFKD.String(string(r)))
			if len(base) > 0 && ok(base[0]) && !unicode.Is(unicode.Mn, base[0]) {
				b.WriteRune(base[0])
			} else {
				b.WriteByte('?')
			}
		}
	}
	return b.String()
}
