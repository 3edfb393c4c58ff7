// Package pdfdoc writes the plain A4 documents of lifeline (incident
// reports, the paper binder) with github.com/go-pdf/fpdf: pure Go, no
// browser and no font files needed on the pharmacy's PC. It uses the PDF
// core fonts (Helvetica, Courier) with fpdf's cp1252 translation, which
// covers German (ä ö ü ß „“ – €); characters outside it are replaced by a
// close ASCII form. Every page carries a header with the site, the title
// and the date ("Stand"), and a footer with the page number, so that a
// page torn out of the binder still says how current it is.
package pdfdoc

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// Options describe a document.
type Options struct {
	// Title is the document's title ("Störungsbericht Nr. 7").
	Title string
	// Site is the pharmacy's name.
	Site string
	// Stamp is printed on the right of every page's header, usually the
	// date: "Stand: 29.03.2026 06:30".
	Stamp string
	// Footer is printed on every page left of the page number (for
	// example the chain hash of an incident).
	Footer string
	// PageWord and OfWord make "Seite 2 von 5" ("Page 2 of 5").
	PageWord, OfWord string
	// Created is the document's creation date (from the clock, so that
	// tests get the same bytes).
	Created time.Time
	// Landscape turns the pages.
	Landscape bool
}

// Doc is a document being written.
type Doc struct {
	f  *fpdf.Fpdf
	tr func(string) string
	rp *strings.Replacer
	o  Options
	w  float64 // usable width
}

const (
	margin   = 15.0
	lineH    = 5.0
	fontBody = 10.0
)

// replacer turns characters outside cp1252 into close equivalents.
func replacer() *strings.Replacer {
	return strings.NewReplacer("→", "->", "←", "<-", "✓", "x", "✗", "-", "≥", ">=", "≤", "<=", "•", "-",
		"\u00a0", " ", "\u2009", " ", "\u202f", " ")
}

// New starts a document.
func New(o Options) *Doc {
	orient := "P"
	if o.Landscape {
		orient = "L"
	}
	f := fpdf.New(orient, "mm", "A4", "")
	if o.PageWord == "" {
		o.PageWord, o.OfWord = "Seite", "von"
	}
	d := &Doc{f: f, o: o, rp: replacer()}
	d.tr = f.UnicodeTranslatorFromDescriptor("")
	f.SetMargins(margin, margin+8, margin)
	f.SetAutoPageBreak(true, margin+6)
	f.SetTitle(o.Title, true)
	f.SetAuthor(o.Site, true)
	f.SetCreator("lifeline", true)
	f.SetProducer("lifeline (go-pdf/fpdf)", true)
	if !o.Created.IsZero() {
		f.SetCreationDate(o.Created)
		f.SetModificationDate(o.Created)
	}
	f.SetCatalogSort(true)
	f.AliasNbPages("{nb}")
	pw, _ := f.GetPageSize()
	d.w = pw - 2*margin
	f.SetHeaderFuncMode(func() {
		f.SetY(8)
		f.SetFont("Helvetica", "B", 9)
		f.SetTextColor(60, 60, 60)
		left := o.Site
		if left != "" && o.Title != "" {
			left += " – "
		}
		left += o.Title
		f.CellFormat(d.w*0.62, 5, d.t(left), "", 0, "L", false, 0, "")
		f.SetFont("Helvetica", "", 9)
		f.CellFormat(d.w*0.38, 5, d.t(o.Stamp), "", 1, "R", false, 0, "")
		f.SetDrawColor(160, 160, 160)
		f.Line(margin, 14, margin+d.w, 14)
		f.SetTextColor(0, 0, 0)
		f.SetY(margin + 8)
	}, true)
	f.SetFooterFunc(func() {
		_, ph := f.GetPageSize()
		f.SetY(ph - 12)
		f.SetFont("Helvetica", "", 7.5)
		f.SetTextColor(90, 90, 90)
		page := fmt.Sprintf("%s %d %s {nb}", o.PageWord, f.PageNo(), o.OfWord)
		f.CellFormat(d.w-30, 4, d.t(o.Footer), "", 0, "L", false, 0, "")
		f.CellFormat(30, 4, d.t(page), "", 0, "R", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()
	f.SetFont("Helvetica", "", fontBody)
	return d
}

// t prepares text for the core fonts.
func (d *Doc) t(s string) string {
	return d.tr(d.rp.Replace(s))
}

// Width returns the usable width of a page in millimetres.
func (d *Doc) Width() float64 { return d.w }

// NewPage starts a new page.
func (d *Doc) NewPage() { d.f.AddPage() }

// ensure starts a new page when less than h millimetres are left.
func (d *Doc) ensure(h float64) {
	_, ph := d.f.GetPageSize()
	if d.f.GetY()+h > ph-margin-6 {
		d.f.AddPage()
	}
}

// H1 writes a main heading.
func (d *Doc) H1(s string) {
	d.ensure(20)
	d.f.SetFont("Helvetica", "B", 16)
	d.f.MultiCell(d.w, 8, d.t(s), "", "L", false)
	d.f.Ln(2)
	d.f.SetFont("Helvetica", "", fontBody)
}

// H2 writes a section heading, kept together with the next lines.
func (d *Doc) H2(s string) {
	d.ensure(22)
	d.f.Ln(2)
	d.f.SetFont("Helvetica", "B", 12.5)
	d.f.MultiCell(d.w, 6.5, d.t(s), "B", "L", false)
	d.f.Ln(1.5)
	d.f.SetFont("Helvetica", "", fontBody)
}

// H3 writes a small heading.
func (d *Doc) H3(s string) {
	d.ensure(14)
	d.f.Ln(1)
	d.f.SetFont("Helvetica", "B", 10.5)
	d.f.MultiCell(d.w, 5.5, d.t(s), "", "L", false)
	d.f.SetFont("Helvetica", "", fontBody)
}

// Para writes a paragraph.
func (d *Doc) Para(s string) {
	d.f.SetFont("Helvetica", "", fontBody)
	d.f.MultiCell(d.w, lineH, d.t(s), "", "L", false)
	d.f.Ln(1)
}

// Note writes a paragraph in small grey type.
func (d *Doc) Note(s string) {
	d.f.SetFont("Helvetica", "", 8.5)
	d.f.SetTextColor(70, 70, 70)
	d.f.MultiCell(d.w, 4.2, d.t(s), "", "L", false)
	d.f.SetTextColor(0, 0, 0)
	d.f.SetFont("Helvetica", "", fontBody)
	d.f.Ln(1)
}

// Box writes a framed, bold paragraph (a warning, the drill mark).
func (d *Doc) Box(s string) {
	d.ensure(14)
	d.f.SetFont("Helvetica", "B", 11)
	d.f.SetLineWidth(0.6)
	d.f.MultiCell(d.w, 6, d.t(s), "1", "L", false)
	d.f.SetLineWidth(0.2)
	d.f.SetFont("Helvetica", "", fontBody)
	d.f.Ln(2)
}

// Mono writes text in a fixed-width font (hashes), wrapping as needed.
func (d *Doc) Mono(s string) {
	d.f.SetFont("Courier", "", 8.5)
	d.f.MultiCell(d.w, 4.2, d.t(s), "", "L", false)
	d.f.SetFont("Helvetica", "", fontBody)
	d.f.Ln(1)
}

// Facts writes label–value pairs in two columns.
func (d *Doc) Facts(pairs [][2]string) {
	lw := 45.0
	for _, p := range pairs {
		d.f.SetFont("Helvetica", "", fontBody)
		lines := d.f.SplitLines([]byte(d.t(p[1])), d.w-lw)
		d.ensure(float64(len(lines)) * lineH)
		y := d.f.GetY()
		d.f.SetFont("Helvetica", "B", fontBody)
		d.f.MultiCell(lw, lineH, d.t(p[0]), "", "L", false)
		yl := d.f.GetY()
		d.f.SetXY(margin+lw, y)
		d.f.SetFont("Helvetica", "", fontBody)
		d.f.MultiCell(d.w-lw, lineH, d.t(p[1]), "", "L", false)
		if yl > d.f.GetY() {
			d.f.SetY(yl)
		}
	}
	d.f.Ln(1.5)
}

// Bullets writes a list.
func (d *Doc) Bullets(items []string) {
	for _, it := range items {
		d.ensure(lineH)
		d.f.SetFont("Helvetica", "", fontBody)
		y := d.f.GetY()
		d.f.CellFormat(5, lineH, "-", "", 0, "L", false, 0, "")
		d.f.SetXY(margin+5, y)
		d.f.MultiCell(d.w-5, lineH, d.t(it), "", "L", false)
	}
	d.f.Ln(1)
}

// Checkboxes writes a list with an empty box before each item, to tick
// with a pen.
func (d *Doc) Checkboxes(items []string) {
	for _, it := range items {
		lines := d.f.SplitLines([]byte(d.t(it)), d.w-8)
		d.ensure(float64(len(lines))*lineH + 1)
		y := d.f.GetY()
		d.f.Rect(margin+0.5, y+0.8, 3.6, 3.6, "D")
		d.f.SetXY(margin+7, y)
		d.f.MultiCell(d.w-7, lineH, d.t(it), "", "L", false)
		d.f.Ln(0.8)
	}
	d.f.Ln(1)
}

// Col is a table column: its title, its share of the width and its
// alignment ("L", "R", "C").
type Col struct {
	Title string
	Width float64
	Align string
}

// Table writes rows under a header row that repeats on every page. Cells
// wrap; a row never splits across pages. Widths are relative.
func (d *Doc) Table(cols []Col, rows [][]string, fontSize float64) {
	if fontSize == 0 {
		fontSize = 9
	}
	lh := fontSize * 0.45
	total := 0.0
	for _, c := range cols {
		total += c.Width
	}
	ws := make([]float64, len(cols))
	for i, c := range cols {
		ws[i] = d.w * c.Width / total
	}
	header := func() {
		d.f.SetFont("Helvetica", "B", fontSize)
		d.f.SetFillColor(230, 232, 235)
		h := 0.0
		for i, c := range cols {
			if n := float64(len(d.f.SplitLines([]byte(d.t(c.Title)), ws[i]-2))); n*lh > h {
				h = n * lh
			}
		}
		h += 2
		d.ensure(h + lh + 2)
		x, y := margin, d.f.GetY()
		for i, c := range cols {
			d.f.Rect(x, y, ws[i], h, "FD")
			d.f.SetXY(x+1, y+1)
			d.f.MultiCell(ws[i]-2, lh, d.t(c.Title), "", c.Align, false)
			x += ws[i]
		}
		d.f.SetXY(margin, y+h)
		d.f.SetFont("Helvetica", "", fontSize)
	}
	header()
	for _, row := range rows {
		d.f.SetFont("Helvetica", "", fontSize)
		h := 0.0
		for i := range cols {
			cell := ""
			if i < len(row) {
				cell = row[i]
			}
			if n := float64(len(d.f.SplitLines([]byte(d.t(cell)), ws[i]-2))); n*lh > h {
				h = n * lh
			}
		}
		h += 2
		_, ph := d.f.GetPageSize()
		if d.f.GetY()+h > ph-margin-6 {
			d.f.AddPage()
			header()
		}
		x, y := margin, d.f.GetY()
		for i, c := range cols {
			cell := ""
			if i < len(row) {
				cell = row[i]
			}
			d.f.Rect(x, y, ws[i], h, "D")
			d.f.SetXY(x+1, y+1)
			d.f.MultiCell(ws[i]-2, lh, d.t(cell), "", c.Align, false)
			x += ws[i]
		}
		d.f.SetXY(margin, y+h)
	}
	d.f.Ln(2)
	d.f.SetFont("Helvetica", "", fontBody)
}

// Bytes finishes the document and returns the PDF.
func (d *Doc) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	if err := d.f.Output(&buf); err != nil {
		return nil, fmt.Errorf("write PDF: %w", err)
	}
	return buf.Bytes(), nil
}
