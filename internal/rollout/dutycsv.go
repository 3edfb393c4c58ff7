package rollout

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/holiday"
)

// maxDutyRecords bounds the lines of one rota file.
const maxDutyRecords = 200000

// maxNoteRunes bounds a duty's note.
const maxNoteRunes = 500

// ImportError is one problem of a rota file.
type ImportError struct {
	// Line is the 1-based line of the file.
	Line int
	// Field is the column's name (site, date, start, end, note), or ""
	// for the line as a whole.
	Field string
	// Message says what is wrong, in German and English.
	Message check.Text
}

// Error returns "Zeile 3, date: " and the German and English message.
func (e ImportError) Error() string {
	where := fmt.Sprintf("Zeile %d", e.Line)
	if e.Field != "" {
		where += ", " + e.Field
	}
	return where + ": " + e.Message.DE + " (" + e.Message.EN + ")"
}

// ImportErrors is every problem of one rota file, in line order. The
// import reports at most 100 of them.
type ImportErrors []ImportError

// Error joins the problems, one per line.
func (es ImportErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// maxImportErrors bounds the problems an import reports.
const maxImportErrors = 100

// dutyFields are the columns in order.
var dutyFields = [...]string{"site", "date", "start", "end", "note"}

// ImportDutyCSV reads a duty rota (Notdienstplan) as CSV, for example:
//
//	# Notdienste Kammerbezirk Nordrhein, Juni 2026
//	site;date;start;end;note
//	apo-koeln-3;2026-06-04;08:30;08:30;Notdienst 24 h
//	apo-koeln-3;13.06.2026;20:00;06:00;Nachtdienst
//	apo-bonn-1;2026-06-05;09:00;09:00;
//
// The format:
//   - UTF-8 (a leading byte order mark is skipped), one duty per line,
//     fields separated by semicolons (the German spreadsheet default) or,
//     when the first record has none, by commas; fields may be quoted.
//   - Lines starting with # are comments; empty lines are skipped. A first
//     record whose first field is "site", "site_id" or "standort" is the
//     header and is skipped.
//   - site: the fleet's site id (a-z, 0-9, - and _, at most 64 characters;
//     upper case is folded to lower case).
//   - date: the day the duty begins, 2026-06-04 or 04.06.2026.
//   - start, end: local wall-clock times HH:MM (H:MM too, end up to 24:00).
//     An end not after the start is on the next day: 08:30;08:30 is the
//     24-hour duty, 20:00;06:00 a full night.
//   - note: optional free text, at most 500 characters; the field may be
//     left out.
//
// On any problem it returns no duties and an ImportErrors that names every
// bad line and field (at most 100), so that a rota is never half imported;
// a read error of r is returned as is. Add the duties to a Calendar with
// AddDuties; WriteDutyCSV writes the same format.
func ImportDutyCSV(r io.Reader) ([]Duty, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
		head = head[3:]
	}
	first := firstDataLine(head)
	cr := csv.NewReader(br)
	cr.Comma = ';'
	if !strings.Contains(first, ";") && strings.Contains(first, ",") {
		cr.Comma = ','
	}
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true

	var duties []Duty
	var errs ImportErrors
	bad := func(line int, field string, de, en string) {
		if len(errs) < maxImportErrors {
			errs = append(errs, ImportError{Line: line, Field: field, Message: check.Msg(de, en)})
		}
	}
	records := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if pe, ok := errors.AsType[*csv.ParseError](err); ok {
			bad(pe.Line, "", "CSV unlesbar: "+pe.Err.Error(), "CSV unreadable: "+pe.Err.Error())
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		records++
		if records == 1 && isHeader(rec[0]) {
			continue
		}
		if records > maxDutyRecords {
			bad(line, "", fmt.Sprintf("mehr als %d Zeilen", maxDutyRecords), fmt.Sprintf("more than %d lines", maxDutyRecords))
			break
		}
		for len(rec) > len(dutyFields) && strings.TrimSpace(rec[len(rec)-1]) == "" {
			rec = rec[:len(rec)-1] // trailing separators
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		d, ok := decodeDuty(rec, line, bad)
		if ok {
			duties = append(duties, d)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return duties, nil
}

// firstDataLine returns the first line of head that is neither empty nor
// a comment, to choose the separator.
func firstDataLine(head []byte) string {
	for len(head) > 0 {
		line, rest, _ := bytes.Cut(head, []byte{'\n'})
		if t := strings.TrimSpace(string(line)); t != "" && t[0] != '#' {
			return t
		}
		head = rest
	}
	return ""
}

func isHeader(f string) bool {
	switch strings.ToLower(strings.TrimSpace(f)) {
	case "site", "site_id", "standort":
		return true
	}
	return false
}

// decodeDuty reads one record; it reports problems through bad and returns
// ok false when there were any.
func decodeDuty(rec []string, line int, bad func(line int, field, de, en string)) (Duty, bool) {
	if len(rec) < 4 || len(rec) > 5 {
		bad(line, "", fmt.Sprintf("%d Felder; erwartet werden site;date;start;end;note", len(rec)),
			fmt.Sprintf("%d fields; expected site;date;start;end;note", len(rec)))
		return Duty{}, false
	}
	ok := true
	fail := func(field, de, en string) {
		bad(line, field, de, en)
		ok = false
	}
	var d Duty
	d.SiteID = strings.ToLower(strings.TrimSpace(rec[0]))
	if !validSiteID(d.SiteID) {
		fail("site", fmt.Sprintf("%q ist keine Standort-ID (a-z, 0-9, - und _, höchstens 64 Zeichen)", rec[0]),
			fmt.Sprintf("%q is not a site id (a-z, 0-9, - and _, at most 64 characters)", rec[0]))
	}
	date, err := parseDutyDate(strings.TrimSpace(rec[1]))
	if err != nil {
		fail("date", fmt.Sprintf("%q ist kein Datum wie 2026-06-04 oder 04.06.2026", rec[1]),
			fmt.Sprintf("%q is not a date like 2026-06-04 or 04.06.2026", rec[1]))
	}
	d.Date = date
	for i, p := range []*TimeOfDay{&d.Start, &d.End} {
		field := dutyFields[2+i]
		v, err := ParseTimeOfDay(strings.TrimSpace(rec[2+i]))
		switch {
		case err != nil:
			fail(field, fmt.Sprintf("%q ist keine Uhrzeit wie 08:30", rec[2+i]), fmt.Sprintf("%q is not a time like 08:30", rec[2+i]))
		case i == 0 && v == Midnight24:
			fail(field, "ein Dienst beginnt nicht um 24:00; schreiben Sie 00:00 am Folgetag", "a duty does not start at 24:00; write 00:00 of the next day")
		}
		*p = v
	}
	if len(rec) == 5 {
		d.Note = strings.TrimSpace(rec[4])
		switch {
		case !utf8.ValidString(d.Note):
			fail("note", "kein gültiges UTF-8", "not valid UTF-8")
		case utf8.RuneCountInString(d.Note) > maxNoteRunes:
			fail("note", fmt.Sprintf("länger als %d Zeichen", maxNoteRunes), fmt.Sprintf("longer than %d characters", maxNoteRunes))
		case strings.ContainsFunc(d.Note, unicode.IsControl):
			fail("note", "enthält Steuerzeichen (etwa einen Zeilenumbruch)", "contains control characters (a line break, for example)")
		}
	}
	return d, ok
}

// parseDutyDate reads 2026-06-04 or 04.06.2026 (also 4.6.2026).
func parseDutyDate(s string) (Date, error) {
	for _, layout := range []string{time.DateOnly, "02.01.2006", "2.1.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return holiday.DateOf(t), nil
		}
	}
	return Date{}, errors.New("not a date")
}

// validSiteID reports whether id is a site id as the fleet gives them:
// a-z, 0-9, - and _, starting with a letter or digit, at most 64 bytes.
func validSiteID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// WriteDutyCSV writes duties in the format ImportDutyCSV reads, with a
// header, dates as 2026-06-04.
func WriteDutyCSV(w io.Writer, duties []Duty) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	if err := cw.Write(dutyFields[:]); err != nil {
		return err
	}
	for _, d := range duties {
		if err := cw.Write([]string{d.SiteID, d.Date.String(), d.Start.String(), d.End.String(), d.Note}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
