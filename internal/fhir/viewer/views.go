package viewer

import (
	"fmt"
	"strings"

	"github.com/lifeline-project/lifeline/internal/fhir"
)

// allergyView is one allergy as shown.
type allergyView struct {
	Substance, Details string
	High, Unconfirmed  bool
}

// headView is the identifying part of a patient, on every list.
type headView struct {
	Key, Name, Born, Age, Gender, Record, Place, Admitted, Reason, Doctor string
	Deceased                                                              bool
	Missing                                                               bool
	AllergyState                                                          string
	Allergies                                                             []allergyView
}

func (v *Viewer) head(t tr, s *fhir.Summary, b fhir.Bed, now fhir.Date) headView {
	h := headView{Key: b.Patient.String(), Place: b.Place()}
	if s == nil || s.Patient == nil {
		h.Missing, h.Name = true, t.T("missing")
		return h
	}
	p := s.Patient
	h.Name, h.Born, h.Record, h.Deceased = p.Name(), t.Date(p.BirthDate), p.RecordNumber(), p.Deceased
	if age := fhir.Age(p.BirthDate, now.Time); age >= 0 {
		h.Age = fmt.Sprintf("%d %s", age, t.T("years"))
	}
	switch p.Gender {
	case "female", "male", "other":
		h.Gender = t.T("gender." + p.Gender)
	default:
		h.Gender = t.T("gender.unknown")
	}
	if s.Stay != nil {
		h.Admitted, h.Reason = t.Date(s.Stay.Start), s.Stay.Reason
		if len(s.Stay.Participants) > 0 {
			h.Doctor = s.Stay.Participants[0]
		}
	}
	h.AllergyState = s.AllergyState
	for _, a := range s.Allergies {
		av := allergyView{Substance: a.Code.Text, High: fhir.HighRiskAllergy(a), Unconfirmed: a.Verification == "unconfirmed"}
		var d []string
		if len(a.Reactions) > 0 {
			d = append(d, strings.Join(a.Reactions, ", "))
		}
		switch a.Criticality {
		case "high":
			d = append(d, t.T("crit.high"))
		case "low":
			d = append(d, t.T("crit.low"))
		case "unable-to-assess":
			d = append(d, t.T("crit.unable"))
		}
		for _, c := range a.Categories {
			if w := t.T("cat." + c); w != "cat."+c {
				d = append(d, w)
			}
		}
		if a.Note != "" {
			d = append(d, a.Note)
		}
		av.Details = strings.Join(d, " · ")
		if av.Substance == "" {
			av.Substance = "?"
		}
		h.Allergies = append(h.Allergies, av)
	}
	return h
}

type medView struct{ Name, Dosage, Since, By, Note, LastGiven string }

type adminView struct{ Time, Name, Dose, Route, Status string }

type condView struct{ Name, Since string }

type obsView struct {
	Name, Value, Time, Flag, Range, Earlier string
	Abnormal                                bool
}

type procView struct{ Name, Date string }

type docView struct{ Type, Date, Author string }

// patientView fills templates/patient.html.
type patientView struct {
	base
	Head          headView
	Meds          []medView
	Given         []adminView
	Problems      []condView
	Past          []condView
	Vitals, Labs  []obsView
	Procedures    []procView
	MoreProcs     int
	Documents     []docView
	MoreDocuments int
	WardID        string
}

const (
	maxProcedures = 15
	maxDocuments  = 10
)

func lastGivenOf(s *fhir.Summary, m *fhir.MedicationRequest) *fhir.MedicationAdministration {
	for _, a := range s.Administrations {
		if (a.Request.ID != "" && a.Request.ID == m.ID) || (a.Request.ID == "" && strings.EqualFold(a.Medication, m.Medication)) {
			return a
		}
	}
	return nil
}

func (v *Viewer) patientView(t tr, b base, s *fhir.Summary, bed fhir.Bed) patientView {
	now := fhir.Date{Time: v.o.Clock.Now(), Precision: fhir.PrecisionTime}
	pv := patientView{base: b, Head: v.head(t, s, bed, now), WardID: bed.WardID}
	for _, m := range s.Medications {
		mv := medView{Name: m.Medication, Dosage: m.Dosage(t.lang), Since: t.Date(m.AuthoredOn), By: m.Requester, Note: m.Note}
		if m.Status == "on-hold" {
			mv.Note = strings.TrimSpace(t.T("onhold") + " " + mv.Note)
		}
		if a := lastGivenOf(s, m); a != nil {
			mv.LastGiven = t.Date(a.Effective)
		}
		pv.Meds = append(pv.Meds, mv)
	}
	for _, a := range s.Administrations {
		av := adminView{Time: t.Date(a.Effective), Name: a.Medication, Dose: a.Dose(t.lang), Route: a.Route}
		if a.Status == "not-done" {
			av.Status = t.T("notgiven")
		}
		pv.Given = append(pv.Given, av)
	}
	for _, c := range s.Problems {
		pv.Problems = append(pv.Problems, condView{Name: c.Code.Text, Since: t.Date(c.Onset)})
	}
	for _, c := range s.PastProblems {
		pv.Past = append(pv.Past, condView{Name: c.Code.Text, Since: t.Date(c.Onset)})
	}
	obs := func(series []fhir.ObservationSeries) []obsView {
		var out []obsView
		for _, se := range series {
			o := se.Latest
			ov := obsView{Name: o.Code.Text, Value: o.FormatValue(t.lang), Time: t.Date(o.Effective), Flag: o.Interpretation,
				Range: o.Range, Abnormal: o.Abnormal()}
			if ov.Flag == "N" {
				ov.Flag = ""
			}
			var e []string
			for _, x := range se.Earlier {
				e = append(e, x.FormatValue(t.lang)+" ("+t.Date(x.Effective)+")")
			}
			ov.Earlier = strings.Join(e, "; ")
			out = append(out, ov)
		}
		return out
	}
	pv.Vitals, pv.Labs = obs(s.Vitals), obs(s.Labs)
	for i, p := range s.Procedures {
		if i == maxProcedures {
			pv.MoreProcs = len(s.Procedures) - maxProcedures
			break
		}
		pv.Procedures = append(pv.Procedures, procView{Name: p.Code.Text, Date: t.Date(p.Performed)})
	}
	for i, d := range s.Documents {
		if i == maxDocuments {
			pv.MoreDocuments = len(s.Documents) - maxDocuments
			break
		}
		pv.Documents = append(pv.Documents, docView{Type: d.Type, Date: t.Date(d.Date), Author: d.Author})
	}
	return pv
}
