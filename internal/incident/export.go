package incident

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/incident/pdfdoc"
)

// ReportFormat identifies the JSON export's layout.
const ReportFormat = "lifeline-incident-report/1"

type jsonLine struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	Kind  Kind      `json:"kind"`
	Text  string    `json:"text"`
}

type jsonChain struct {
	LastSeq  int64  `json:"last_seq"`
	LastHash string `json:"last_hash"`
	Entries  int    `json:"entries"`
	Verified *bool  `json:"verified,omitempty"`
	Summary  string `json:"verify_summary,omitempty"`
}

type jsonReport struct {
	Format          string        `json:"format"`
	Site            string        `json:"site"`
	IncidentID      int64         `json:"incident_id"`
	Title           check.Text    `json:"title"`
	Source          Source        `json:"source"`
	DrillID         int64         `json:"drill_id,omitempty"`
	Open            bool          `json:"open"`
	OpenedAt        time.Time     `json:"opened_at"`
	ClosedAt        *time.Time    `json:"closed_at"`
	DurationSeconds int64         `json:"duration_seconds"`
	TimeZone        string        `json:"time_zone"`
	RootCauses      []Cause       `json:"root_causes"`
	Affected        []string      `json:"affected"`
	Measures        []jsonLine    `json:"measures"`
	Observations    []jsonLine    `json:"observations"`
	Costs           []CostLine    `json:"costs"`
	CostTotalCents  int64         `json:"cost_total_cents"`
	Retrospective   *Retro        `json:"retrospective"`
	Improvements    []Improvement `json:"improvements"`
	Chain           jsonChain     `json:"chain"`
	Entries         []Entry       `json:"entries"`
	GeneratedAt     time.Time     `json:"generated_at"`
}

func (r Report) lines(es []Entry) []jsonLine {
	out := make([]jsonLine, 0, len(es))
	for _, e := range es {
		out = append(out, jsonLine{At: e.At, Actor: e.Actor, Kind: e.Kind, Text: e.Text.In(r.Lang)})
	}
	return out
}

// WriteJSON writes the report as JSON: the key facts, the measures, the
// costs, the retrospective, every entry with its hashes, and the chain's
// state. Times are RFC 3339 in UTC; time_zone names the site's zone.
func (r Report) WriteJSON(w io.Writer) error {
	costs, sum := r.Costs()
	seq, hash := r.ChainHash()
	out := jsonReport{
		Format: ReportFormat, Site: r.Site, IncidentID: r.Incident.ID, Title: r.Incident.Title, Source: r.Incident.Source,
		DrillID: r.Incident.DrillID, Open: r.ClosedAt().IsZero(), OpenedAt: r.OpenedAt().UTC(),
		DurationSeconds: int64(r.Duration() / time.Second), TimeZone: r.Location.String(),
		RootCauses: nonNilCauses(r.Incident.RootCauses), Affected: nonNilStrings(r.Affected()),
		Measures: r.lines(r.Measures()), Observations: r.lines(r.Observations()),
		Costs: costs, CostTotalCents: sum, Improvements: r.Improvements, Entries: r.Entries,
		Chain: jsonChain{LastSeq: seq, LastHash: hash, Entries: len(r.Entries)}, GeneratedAt: r.Generated.UTC(),
	}
	if out.Costs == nil {
		out.Costs = []CostLine{}
	}
	if out.Improvements == nil {
		out.Improvements = []Improvement{}
	}
	if out.Entries == nil {
		out.Entries = []Entry{}
	}
	if c := r.ClosedAt(); !c.IsZero() {
		cu := c.UTC()
		out.ClosedAt = &cu
	}
	if rt, ok := r.Retrospective(); ok {
		out.Retrospective = &rt
	}
	if r.Chain != nil {
		ok := r.Chain.OK()
		out.Chain.Verified = &ok
		out.Chain.Summary = r.Chain.Summary().In(r.Lang)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

func nonNilCauses(c []Cause) []Cause {
	if c == nil {
		return []Cause{}
	}
	return c
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteCSV writes the report for a spreadsheet (German Excel reads it as
// is: UTF-8 with BOM, semicolons): first the key facts as "Feld;Wert"
// rows, an empty row, then the timeline with one row per entry and its
// hashes.
func (r Report) WriteCSV(w io.Writer) error {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	cw := csv.NewWriter(&buf)
	cw.Comma = ';'
	_, sum := r.Costs()
	seq, hash := r.ChainHash()
	closed := r.tr("dauert an", "ongoing")
	if c := r.ClosedAt(); !c.IsZero() {
		closed = r.time(c)
	}
	var measures []string
	for _, e := range r.Measures() {
		measures = append(measures, FormatTime(e.At, r.Location, r.Lang)+" "+e.Text.In(r.Lang))
	}
	facts := [][]string{
		{r.tr("Feld", "Field"), r.tr("Wert", "Value")},
		{r.tr("Apotheke", "Site"), r.Site},
		{r.tr("Störung", "Incident"), fmt.Sprintf("%d", r.Incident.ID)},
		{r.tr("Titel", "Title"), r.Incident.Title.In(r.Lang)},
		{r.tr("Übung", "Drill"), r.tr(yesNo(r.Incident.Drill(), "de"), yesNo(r.Incident.Drill(), "en"))},
		{r.tr("Beginn", "Start"), r.time(r.OpenedAt())},
		{r.tr("Ende", "End"), closed},
		{r.tr("Dauer", "Duration"), FormatDuration(r.Duration()).In(r.Lang)},
		{r.tr("Dauer in Sekunden", "Duration in seconds"), fmt.Sprintf("%d", int64(r.Duration()/time.Second))},
		{r.tr("Ursache", "Root cause"), strings.Join(r.RootCauseLines(), "; ")},
		{r.tr("Betroffen", "Affected"), strings.Join(r.Affected(), "; ")},
		{r.tr("Maßnahmen", "Measures"), strings.Join(measures, " | ")},
		{r.tr("Kosten gesamt", "Total cost"), FormatEuro(sum, r.Lang)},
		{r.tr("Letzter Eintrag der Hash-Kette", "Last entry of the hash chain"), fmt.Sprintf("%d", seq)},
		{r.tr("Hash", "Hash"), hash},
	}
	if r.Chain != nil {
		facts = append(facts, []string{r.tr("Prüfung der Kette", "Chain verification"), r.Chain.Summary().In(r.Lang)})
	}
	for _, row := range facts {
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	if err := cw.Write(nil); err != nil {
		return err
	}
	if err := cw.Write([]string{r.tr("Nr", "No"), r.tr("Zeit", "Time"), r.tr("Zeit UTC", "Time UTC"), r.tr("Art", "Kind"),
		r.tr("Wer", "Who"), r.tr("Eintrag", "Entry"), r.tr("Vorheriger Hash", "Previous hash"), "Hash"}); err != nil {
		return err
	}
	for _, e := range r.Entries {
		if err := cw.Write([]string{fmt.Sprintf("%d", e.Seq), r.time(e.At), e.At.UTC().Format(time.RFC3339Nano), e.Kind.Words().In(r.Lang),
			r.Actor(e.Actor), e.Text.In(r.Lang), e.PrevHash, e.Hash}); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func yesNo(b bool, lang string) string {
	switch {
	case b && lang == "en":
		return "yes"
	case b:
		return "ja"
	case lang == "en":
		return "no"
	default:
		return "nein"
	}
}

// PDF renders the report as an A4 PDF: key facts, measures, observations,
// costs, retrospective, the full timeline and the chain's hash, the date
// and the hash on every page.
func (r Report) PDF() ([]byte, error) {
	seq, hash := r.ChainHash()
	d := pdfdoc.New(pdfdoc.Options{
		Title: r.Title(), Site: r.Site,
		Stamp:    r.tr("Erstellt: ", "Generated: ") + FormatTime(r.Generated, r.Location, r.Lang),
		Footer:   fmt.Sprintf(r.tr("Hash-Kette bis Eintrag %d: %s", "Hash chain up to entry %d: %s"), seq, short(hash)),
		PageWord: r.tr("Seite", "Page"), OfWord: r.tr("von", "of"), Created: r.Generated,
	})
	d.H1(r.Title())
	if r.Incident.Drill() {
		d.Box(r.tr("ÜBUNG – keine echte Störung. Dieser Bericht dokumentiert eine Notfallübung.",
			"DRILL – not a real outage. This report documents an emergency drill."))
	}
	closed := r.tr("dauert an", "ongoing")
	if c := r.ClosedAt(); !c.IsZero() {
		closed = r.time(c)
	}
	_, sum := r.Costs()
	source := r.tr("erkannt von der Überwachung", "detected by monitoring")
	if r.Incident.Source == SourceManual {
		source = r.tr("von Hand eröffnet", "opened by hand")
	}
	d.Facts([][2]string{
		{r.tr("Apotheke", "Site"), r.Site},
		{r.tr("Störung", "Incident"), r.Incident.Title.In(r.Lang)},
		{r.tr("Beginn", "Start"), r.time(r.OpenedAt())},
		{r.tr("Ende", "End"), closed},
		{r.tr("Dauer", "Duration"), FormatDuration(r.Duration()).In(r.Lang)},
		{r.tr("Ursache", "Root cause"), orDash(strings.Join(r.RootCauseLines(), "; "))},
		{r.tr("Betroffen", "Affected"), orDash(strings.Join(r.Affected(), ", "))},
		{r.tr("Erfasst", "Recorded"), source},
		{r.tr("Kosten gesamt", "Total cost"), FormatEuro(sum, r.Lang)},
	})

	d.H2(r.tr("Maßnahmen", "Measures"))
	r.entryTable(d, r.Measures(), r.tr("Keine Maßnahmen eingetragen.", "No measures recorded."))
	d.H2(r.tr("Beobachtungen", "Observations"))
	r.entryTable(d, r.Observations(), r.tr("Keine Beobachtungen eingetragen.", "No observations recorded."))

	d.H2(r.tr("Kosten", "Costs"))
	costs, _ := r.Costs()
	if len(costs) == 0 {
		d.Para(r.tr("Keine Kosten eingetragen.", "No costs recorded."))
	} else {
		rows := make([][]string, 0, len(costs)+1)
		for _, c := range costs {
			rows = append(rows, []string{FormatTime(c.At, r.Location, r.Lang), r.Actor(c.Actor), c.Label, FormatEuro(c.Cents, r.Lang)})
		}
		rows = append(rows, []string{"", "", r.tr("Summe", "Total"), FormatEuro(sum, r.Lang)})
		d.Table([]pdfdoc.Col{{Title: r.tr("Zeit", "Time"), Width: 22}, {Title: r.tr("Wer", "Who"), Width: 18},
			{Title: r.tr("Bezeichnung", "Item"), Width: 45}, {Title: r.tr("Betrag", "Amount"), Width: 17, Align: "R"}}, rows, 9)
	}

	d.H2(r.tr("Nachbesprechung", "Retrospective"))
	if rt, ok := r.Retrospective(); !ok {
		d.Para(r.tr("Noch nicht eingetragen.", "Not recorded yet."))
	} else if rt.Skipped {
		d.Para(r.tr("Nicht nötig (so entschieden).", "Not needed (so decided)."))
	} else {
		d.Facts([][2]string{
			{r.tr("Was ist passiert?", "What happened?"), rt.WhatHappened},
			{r.tr("Was hat geholfen?", "What helped?"), rt.WhatHelped},
			{r.tr("Verbesserung", "Improvement"), orDash(rt.Improvement)},
		})
	}
	if len(r.Improvements) > 0 {
		var items []string
		for _, im := range r.Improvements {
			s := im.Text + " – " + r.tr("verantwortlich: ", "owner: ") + im.Owner + dueWords(im.Due, r.Lang)
			if im.Done() {
				s += r.tr(" (erledigt ", " (done ") + FormatTime(im.DoneAt, r.Location, r.Lang) + ")"
			}
			items = append(items, s)
		}
		d.Bullets(items)
	}

	d.H2(r.tr("Zeitlicher Ablauf", "Timeline"))
	rows := make([][]string, 0, len(r.Entries))
	for _, e := range r.Entries {
		rows = append(rows, []string{fmt.Sprintf("%d", e.Seq), r.time(e.At), e.Kind.Words().In(r.Lang), r.Actor(e.Actor), e.Text.In(r.Lang)})
	}
	d.Table([]pdfdoc.Col{{Title: r.tr("Nr.", "No."), Width: 6, Align: "R"}, {Title: r.tr("Zeit", "Time"), Width: 27},
		{Title: r.tr("Art", "Kind"), Width: 19}, {Title: r.tr("Wer", "Who"), Width: 15}, {Title: r.tr("Eintrag", "Entry"), Width: 60}}, rows, 8)

	d.H2(r.tr("Nachweis: Hash-Kette", "Evidence: hash chain"))
	d.Para(r.tr(
		"Jeder Eintrag ist mit SHA-256 an seinen Vorgänger gekettet. Wird ein Eintrag nachträglich geändert, entfernt oder eingefügt, passt die Kette nicht mehr. Prüfen mit: lifeline incident verify --config <Datei>.",
		"Every entry is chained to its predecessor with SHA-256. If an entry is changed, removed or inserted afterwards, the chain no longer fits. Verify with: lifeline incident verify --config <file>."))
	d.Facts([][2]string{{r.tr("Letzter Eintrag", "Last entry"), fmt.Sprintf("%d", seq)}})
	d.Para(r.tr("Hash der Kette bis hier (SHA-256):", "Chain hash up to here (SHA-256):"))
	d.Mono(hash)
	if r.Chain != nil {
		d.Para(r.tr("Prüfung beim Erstellen: ", "Verified when generated: ") + r.Chain.Summary().In(r.Lang))
	}
	return d.Bytes()
}

func (r Report) entryTable(d *pdfdoc.Doc, es []Entry, none string) {
	if len(es) == 0 {
		d.Para(none)
		return
	}
	rows := make([][]string, 0, len(es))
	for _, e := range es {
		rows = append(rows, []string{r.time(e.At), r.Actor(e.Actor), e.Text.In(r.Lang)})
	}
	d.Table([]pdfdoc.Col{{Title: r.tr("Zeit", "Time"), Width: 30}, {Title: r.tr("Wer", "Who"), Width: 17},
		{Title: r.tr("Was", "What"), Width: 70}}, rows, 9)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "–"
	}
	return s
}
