package fleet

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// The site list CSV, as ParseSitesCSV reads it:
//
//	# Apotheken Bezirk Süd
//	id;name;timezone;state;window;contacts;ring
//	apo-muenchen-12;Rosen-Apotheke;Europe/Berlin;BY;Mo-Fr 01:00-05:00;Frau Muster 089 123;test
//	apo-koeln-3;Dom-Apotheke;;NW;täglich 02:00-04:00;;
//
//   - UTF-8 (a leading byte order mark is skipped); fields separated by
//     semicolons (the German spreadsheet default) or, when the header has
//     none, by commas; fields may be quoted.
//   - Lines starting with # are comments; empty lines are skipped.
//   - The first record is the header. Columns may come in any order; the
//     German names work too: id, name, timezone (zeitzone), state
//     (bundesland), window (wartungsfenster), contacts (kontakte), ring.
//     id, name, state and window are required; timezone defaults to
//     Europe/Berlin.
//   - Every problem is reported with its line; one bad line rejects the
//     whole file, so that a list is never half imported.

// maxSiteRecords bounds an import (all German pharmacies and hospitals fit).
const maxSiteRecords = 50000

var csvColumns = map[string]string{
	"id": "id", "site": "id", "site_id": "id", "standort": "id",
	"name":     "name",
	"timezone": "timezone", "zeitzone": "timezone", "tz": "timezone",
	"state": "state", "bundesland": "state", "land": "state",
	"window": "window", "wartungsfenster": "window", "maintenance_window": "window",
	"contacts": "contacts", "kontakte": "contacts", "kontakt": "contacts",
	"ring": "ring",
}

// ParseSitesCSV reads a site list. It returns EINVALID with every problem
// and its line.
func ParseSitesCSV(r io.Reader) ([]Site, error) {
	data, err := io.ReadAll(io.LimitReader(r, 32<<20+1))
	if err != nil {
		return nil, fmt.Errorf("read site list: %w", err)
	}
	if len(data) > 32<<20 {
		return nil, Errorf(EINVALID, "Die Datei ist größer als 32 MB.", "The file is larger than 32 MB.")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, Errorf(EINVALID, "Die Datei ist nicht UTF-8. Bitte als „CSV UTF-8“ speichern.",
			"The file is not UTF-8. Please save it as \"CSV UTF-8\".")
	}
	sep := ';'
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if !strings.Contains(l, ";") {
			sep = ','
		}
		break
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sep
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	var problems []string
	add := func(line int, format string, args ...any) {
		if len(problems) < 100 {
			problems = append(problems, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
		}
	}
	var cols []string
	var sites []Site
	lines := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				add(pe.Line, "%v", pe.Err)
				break
			}
			return nil, fmt.Errorf("read site list: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if cols == nil {
			cols = make([]string, len(rec))
			have := map[string]bool{}
			for i, h := range rec {
				name := csvColumns[strings.ToLower(strings.TrimSpace(h))]
				if name == "" {
					add(line, "unknown column %q; use id, name, timezone, state, window, contacts, ring", strings.TrimSpace(h))
				} else if have[name] {
					add(line, "column %q appears twice", name)
				}
				cols[i], have[name] = name, true
			}
			for _, req := range []string{"id", "name", "state", "window"} {
				if !have[req] {
					add(line, "column %q is missing", req)
				}
			}
			if len(problems) > 0 {
				break
			}
			continue
		}
		if len(sites) >= maxSiteRecords {
			add(line, "more than %d sites; split the file", maxSiteRecords)
			break
		}
		if len(rec) > len(cols) {
			add(line, "%d fields, but the header has %d", len(rec), len(cols))
			continue
		}
		st := Site{Timezone: "Europe/Berlin"}
		for i, v := range rec {
			v = strings.TrimSpace(v)
			switch cols[i] {
			case "id":
				st.ID = v
			case "name":
				st.Name = v
			case "timezone":
				if v != "" {
					st.Timezone = v
				}
			case "state":
				st.State = v
			case "window":
				st.Window = v
			case "contacts":
				st.Contacts = v
			case "ring":
				st.Ring = v
			}
		}
		st.Normalize()
		for _, p := range st.Validate(checkWindow) {
			add(line, "%s: %s", p.Key, p.Msg)
		}
		if prev, dup := lines[st.ID]; dup && st.ID != "" {
			add(line, "id %q appears twice (also line %d)", st.ID, prev)
		}
		lines[st.ID] = line
		sites = append(sites, st)
	}
	if cols == nil && len(problems) == 0 {
		return nil, Errorf(EINVALID, "Die Datei ist leer: es fehlt die Kopfzeile id;name;timezone;state;window;contacts;ring.",
			"The file is empty: the header id;name;timezone;state;window;contacts;ring is missing.")
	}
	if len(problems) > 0 {
		msg := strings.Join(problems, "\n")
		return nil, Err(EINVALID, "Die Standortliste hat Fehler; nichts wurde importiert:\n"+msg,
			"The site list has errors; nothing was imported:\n"+msg)
	}
	if len(sites) == 0 {
		return nil, Errorf(EINVALID, "Die Datei enthält keine Standorte.", "The file holds no sites.")
	}
	return sites, nil
}

// ImportSites reads a site list CSV and creates all its sites, each with
// a one-time enrolment code, or none. EINVALID lists the problems with
// their lines; ECONFLICT names an id in use.
func (s *Service) ImportSites(ctx context.Context, actor string, r io.Reader) ([]SiteCode, error) {
	sites, err := ParseSitesCSV(r)
	if err != nil {
		return nil, err
	}
	codes, err := s.AddSites(ctx, actor, sites)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, actor, "site.import", "sites", fmt.Sprintf("%d sites imported", len(codes)))
	return codes, nil
}
