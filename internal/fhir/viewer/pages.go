package viewer

import (
	"bytes"
	"net/http"
	"sort"
	"strings"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/fhir/printrun"
)

type wardItem struct {
	ID, Name string
	Patients int
}

type overviewView struct {
	base
	Wards    []wardItem
	NoWards  bool
	NoCopy   bool
	State    fhir.SyncState
	LastTry  string
	Problems []fhir.LineError
}

func (v *Viewer) overview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st, err := v.o.Reader.State(ctx)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	census, err := fhir.CensusOf(ctx, v.o.Reader)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	sc, err := v.scopeOf(r)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	b := v.base(r, st)
	ov := overviewView{base: b, NoCopy: st.DataAsOf.IsZero(), State: st, Problems: st.Problems}
	if !st.LastAttempt.IsZero() {
		ov.LastTry = b.L.Time(st.LastAttempt)
	}
	for _, wd := range census.Wards {
		if sc.ward(wd.ID) {
			ov.Wards = append(ov.Wards, wardItem{ID: wd.ID, Name: fhir.WardName(wd.ID, wd.Name).In(b.L.lang), Patients: wd.Patients})
		}
	}
	ov.NoWards = !sc.all && len(sc.wards) == 0
	v.page(w, r, check.Msg("Klinik-Notfallansicht", "Hospital downtime view"), "overview", ov)
}

type rowView struct {
	headView
	Meds []medView
}

type wardView struct {
	base
	WardID, WardName string
	Rows             []rowView
	Printed          string
}

// loadWard checks the user's ward, reads the sheet and logs every patient
// on it before anything is shown.
func (v *Viewer) loadWard(w http.ResponseWriter, r *http.Request, types []string, action, detail string) (*fhir.Sheet, scope, bool) {
	ctx := r.Context()
	id := r.PathValue("ward")
	sc, err := v.scopeOf(r)
	if err != nil {
		v.fail(w, r, err)
		return nil, sc, false
	}
	if !sc.ward(id) {
		if err := v.record(ctx, sc, fhir.ActionDenied, id, "ward"); err != nil {
			v.fail(w, r, err)
			return nil, sc, false
		}
		v.fail(w, r, errForbidden(v, "forbidden.ward"))
		return nil, sc, false
	}
	census, err := fhir.CensusOf(ctx, v.o.Reader)
	if err != nil {
		v.fail(w, r, err)
		return nil, sc, false
	}
	sheet, err := fhir.LoadSheet(ctx, v.o.Reader, census, id, v.o.Clock.Now(), types)
	if err != nil {
		v.fail(w, r, err)
		return nil, sc, false
	}
	keys := make([]fhir.Key, len(sheet.Rows))
	for i, row := range sheet.Rows {
		keys[i] = row.Bed.Patient
	}
	if len(keys) > 0 {
		if err := v.record(ctx, sc, action, id, detail, keys...); err != nil {
			v.fail(w, r, err)
			return nil, sc, false
		}
	}
	return sheet, sc, true
}

func (v *Viewer) wardView(r *http.Request, sheet *fhir.Sheet, meds bool) wardView {
	b := v.base(r, sheet.State)
	now := fhir.Date{Time: v.o.Clock.Now(), Precision: fhir.PrecisionTime}
	wv := wardView{base: b, WardID: sheet.Ward.ID, WardName: fhir.WardName(sheet.Ward.ID, sheet.Ward.Name).In(b.L.lang), Printed: b.L.Time(now.Time)}
	for _, row := range sheet.Rows {
		rv := rowView{headView: v.head(b.L, row.Summary, row.Bed, now)}
		if meds && row.Summary != nil {
			rv.Meds = v.patientView(b.L, b, row.Summary, row.Bed).Meds
		}
		wv.Rows = append(wv.Rows, rv)
	}
	return wv
}

func (v *Viewer) ward(w http.ResponseWriter, r *http.Request) {
	sheet, _, ok := v.loadWard(w, r, fhir.WardTypes(), fhir.ActionWardList, "")
	if !ok {
		return
	}
	wv := v.wardView(r, sheet, false)
	v.page(w, r, check.Msg(wv.WardName, wv.WardName), "ward", wv)
}

func (v *Viewer) printView(w http.ResponseWriter, r *http.Request) {
	sheet, _, ok := v.loadWard(w, r, fhir.MedicationTypes(), fhir.ActionPrint, "print view")
	if !ok {
		return
	}
	wv := v.wardView(r, sheet, true)
	v.page(w, r, check.Msg("Druck "+wv.WardName, "Print "+wv.WardName), "print", wv)
}

func (v *Viewer) pdf(w http.ResponseWriter, r *http.Request) {
	meds := r.URL.Query().Get("list") == "meds"
	kind := "Stationsliste"
	if meds {
		kind = "Medikation"
	}
	sheet, _, ok := v.loadWard(w, r, fhir.MedicationTypes(), fhir.ActionPrint, "PDF "+kind)
	if !ok {
		return
	}
	lang := v.o.Hooks.Lang(r)
	now := v.o.Clock.Now()
	page := printrun.Page{Site: v.o.Site, Lang: lang, Location: v.o.Location, PrintedAt: now,
		Fresh: fhir.FreshnessOf(sheet.State, now, v.o.MaxAge, v.o.Location)}
	var b bytes.Buffer
	write := printrun.WardList
	if meds {
		write = printrun.MedicationList
	}
	if err := write(&b, page, sheet); err != nil {
		v.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+printrun.FileName(sheet.Ward.Name, kind)+`"`)
	w.Write(b.Bytes())
}

func (v *Viewer) patient(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	key, err := fhir.ParseKey(r.PathValue("key"))
	if err != nil {
		v.fail(w, r, err)
		return
	}
	sc, err := v.scopeOf(r)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	census, err := fhir.CensusOf(ctx, v.o.Reader)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	bed, _ := census.StayOf(key)
	if !sc.patient(census, key) {
		if err := v.record(ctx, sc, fhir.ActionDenied, bed.WardID, "patient", key); err != nil {
			v.fail(w, r, err)
			return
		}
		v.fail(w, r, errForbidden(v, "forbidden"))
		return
	}
	rec, err := v.o.Reader.Record(ctx, key)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	st, err := v.o.Reader.State(ctx)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	if err := v.record(ctx, sc, fhir.ActionPatient, bed.WardID, "", key); err != nil {
		v.fail(w, r, err)
		return
	}
	b := v.base(r, st)
	if bed.Patient.IsZero() {
		bed.Patient = key
	}
	pv := v.patientView(b.L, b, fhir.Summarize(rec, v.o.Clock.Now()), bed)
	v.page(w, r, check.Msg(pv.Head.Name, pv.Head.Name), "patient", pv)
}

type hitView struct {
	Key, Name, Born, Record, Ward, Place string
}

type searchView struct {
	base
	Hits    []hitView
	Hidden  int
	Empty   bool
	Invalid bool
}

// MaxHits is the most search results shown.
const MaxHits = 50

func (v *Viewer) search(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	st, err := v.o.Reader.State(ctx)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	b := v.base(r, st)
	b.Query = q
	sv := searchView{base: b}
	groups := fhir.QueryTerms(q)
	if len(groups) == 0 {
		sv.Invalid = q != ""
		v.page(w, r, check.Msg("Suche", "Search"), "search", sv)
		return
	}
	sc, err := v.scopeOf(r)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	census, err := fhir.CensusOf(ctx, v.o.Reader)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	keys, err := v.o.Reader.FindPatients(ctx, groups, 4*MaxHits)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	var shown []fhir.Key
	for _, k := range keys {
		if !sc.patient(census, k) {
			sv.Hidden++
			continue
		}
		if len(shown) < MaxHits {
			shown = append(shown, k)
		}
	}
	// The query is sealed in the log: it may hold a name.
	if err := v.record(ctx, sc, fhir.ActionSearch, "", q, shown...); err != nil {
		v.fail(w, r, err)
		return
	}
	for _, k := range shown {
		rec, err := v.o.Reader.Record(ctx, k, fhir.TypePatient)
		if err != nil {
			continue
		}
		h := hitView{Key: k.String(), Name: rec.Patient.Name(), Born: b.L.Date(rec.Patient.BirthDate), Record: rec.Patient.RecordNumber()}
		if bed, ok := census.StayOf(k); ok {
			wd, _ := census.Ward(bed.WardID)
			h.Ward, h.Place = fhir.WardName(wd.ID, wd.Name).In(b.L.lang), bed.Place()
		}
		sv.Hits = append(sv.Hits, h)
	}
	sort.SliceStable(sv.Hits, func(i, j int) bool { return strings.ToLower(sv.Hits[i].Name) < strings.ToLower(sv.Hits[j].Name) })
	sv.Empty = len(sv.Hits) == 0
	v.page(w, r, check.Msg("Suche", "Search"), "search", sv)
}
