package incident

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Report is everything an export shows about one incident: for an
// insurer, a vendor or a court.
type Report struct {
	Site         string
	Incident     Incident
	Entries      []Entry
	Improvements []Improvement
	// Chain is the verification of the whole chain at the time of the
	// export; nil when not verified.
	Chain     *VerifyReport
	Generated time.Time
	Location  *time.Location
	Lang      string
}

// LoadReport reads an incident with its entries and improvements, and
// verifies the chain.
func LoadReport(ctx context.Context, st Store, id int64, site string, loc *time.Location, lang string, now time.Time) (Report, error) {
	inc, err := st.Incident(ctx, id)
	if err != nil {
		return Report{}, err
	}
	entries, err := st.Entries(ctx, id)
	if err != nil {
		return Report{}, err
	}
	ims, err := st.Improvements(ctx, ImprovementQuery{IncidentID: id})
	if err != nil {
		return Report{}, err
	}
	vr, err := Verify(ctx, st)
	if err != nil {
		return Report{}, err
	}
	if loc == nil {
		loc = time.UTC
	}
	if lang != "en" {
		lang = "de"
	}
	return Report{Site: site, Incident: inc, Entries: entries, Improvements: ims, Chain: &vr, Generated: now, Location: loc, Lang: lang}, nil
}

// OpenedAt returns the start as the opening entry records it.
func (r Report) OpenedAt() time.Time {
	for _, e := range r.Entries {
		if e.Kind == KindOpened {
			return e.At
		}
	}
	return r.Incident.OpenedAt
}

// ClosedAt returns the end as the closing entry records it (zero while
// open).
func (r Report) ClosedAt() time.Time {
	var t time.Time
	for _, e := range r.Entries {
		if e.Kind == KindClosed {
			t = e.At
		}
	}
	return t
}

// Duration returns how long the incident lasted (until Generated while
// open).
func (r Report) Duration() time.Duration {
	end := r.ClosedAt()
	if end.IsZero() {
		end = r.Generated
	}
	if end.Before(r.OpenedAt()) {
		return 0
	}
	return end.Sub(r.OpenedAt())
}

// Measures returns the entries that record what the pharmacy did.
func (r Report) Measures() []Entry {
	var out []Entry
	for _, e := range r.Entries {
		if e.IsMeasure() {
			out = append(out, e)
		}
	}
	return out
}

// Observations returns the entries that record what was seen.
func (r Report) Observations() []Entry {
	var out []Entry
	for _, e := range r.Entries {
		if e.IsObservation() {
			out = append(out, e)
		}
	}
	return out
}

// CostLine is one cost entered by staff.
type CostLine struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	Label string    `json:"label"`
	Cents int64     `json:"cents"`
}

// Costs returns the costs entered by staff and their sum.
func (r Report) Costs() ([]CostLine, int64) {
	var out []CostLine
	var sum int64
	for _, e := range r.Entries {
		if e.Kind != KindCost {
			continue
		}
		c, _ := strconv.ParseInt(e.Data["cents"], 10, 64)
		out = append(out, CostLine{At: e.At, Actor: e.Actor, Label: e.Data["label"], Cents: c})
		sum += c
	}
	return out, sum
}

// Retrospective returns the answers of the retrospective, if recorded.
func (r Report) Retrospective() (Retro, bool) {
	for _, e := range r.Entries {
		if e.Kind == KindRetrospective {
			return Retro{WhatHappened: e.Data["what_happened"], WhatHelped: e.Data["what_helped"], Improvement: e.Data["improvement"],
				Owner: e.Data["owner"], Due: e.Data["due"], Skipped: e.Data["skipped"] == "true"}, true
		}
	}
	return Retro{}, false
}

// ChainHash returns the sequence number and hash of the incident's last
// entry: the fingerprint of the incident and of everything before it.
func (r Report) ChainHash() (int64, string) {
	if len(r.Entries) == 0 {
		return 0, ""
	}
	e := r.Entries[len(r.Entries)-1]
	return e.Seq, e.Hash
}

// RootCauseLines describes the root causes: "Warenwirtschaft (Grund:
// Verbindung abgelehnt)".
func (r Report) RootCauseLines() []string {
	var out []string
	for _, c := range r.Incident.RootCauses {
		out = append(out, c.Name+reasonSuffix(c.Reason.In(r.Lang), r.Lang))
	}
	if len(out) == 0 && r.Incident.Source == SourceManual {
		out = append(out, r.tr("von Hand eröffnet: ", "opened by hand: ")+r.Incident.Title.In(r.Lang))
	}
	return out
}

// Affected returns what stopped working, as the closing entry recorded it
// (or the incident so far).
func (r Report) Affected() []string {
	for i := len(r.Entries) - 1; i >= 0; i-- {
		if e := r.Entries[i]; e.Kind == KindClosed && e.Data["affected"] != "" {
			return strings.Split(e.Data["affected"], "; ")
		}
	}
	return r.Incident.Affected
}

func (r Report) tr(de, en string) string {
	if r.Lang == "en" {
		return en
	}
	return de
}

// time formats a moment of the report with seconds and zone.
func (r Report) time(t time.Time) string { return FormatTimeSec(t, r.Location, r.Lang) }

// Actor returns an entry's actor as the report names it.
func (r Report) Actor(actor string) string { return ActorWords(actor).In(r.Lang) }

// Title returns the report's title: "Störungsbericht Nr. 7".
func (r Report) Title() string {
	s := fmt.Sprintf(r.tr("Störungsbericht Nr. %d", "Incident report no. %d"), r.Incident.ID)
	if r.Incident.Drill() {
		s += r.tr(" (Übung)", " (drill)")
	}
	return s
}

// FileName returns a file name for the export: "stoerung-7.pdf".
func (r Report) FileName(ext string) string {
	return fmt.Sprintf("%s-%d.%s", r.tr("stoerung", "incident"), r.Incident.ID, ext)
}
