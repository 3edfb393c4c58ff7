package fhir_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirsim"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirtest"
)

// Facts of the Synthea sample (../shared/testdata/fhir/10-patients): 13
// patients, 3 of them deceased; 555 conditions, 2056 procedures, 1215
// document references, 11 allergies; all encounters finished years ago.
// The simulator admits the 10 living patients to 6 wards and gives every
// third a penicillin allergy (4 more).
const (
	samplePatients   = 13
	sampleLiving     = 10
	sampleConditions = 555
	sampleProcedures = 2056
	sampleDocuments  = 1215
	sampleAllergies  = 11 + 4
)

func counts(t *testing.T, e *fhirtest.Env) map[string]int {
	t.Helper()
	c, err := e.DB.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// activeOrders counts the simulator's active MedicationRequests: only
// those (and recent ones, of which the sample has none) are copied.
func activeOrders(t *testing.T, e *fhirtest.Env) int {
	n := 0
	for _, id := range e.Sim.IDs(fhir.TypeMedicationRequest) {
		raw, _ := e.Sim.Resource(fhir.TypeMedicationRequest, id)
		m, err := fhir.ParseMedicationRequest(raw)
		if err != nil {
			t.Fatal(err)
		}
		if m.Active() {
			n++
		}
	}
	return n
}

func TestFullExportOfSample(t *testing.T) {
	e := fhirtest.New(t, fhirtest.Options{})
	rep := e.Sync()
	if rep.Mode != fhir.ModeBulk || !rep.Full || rep.ProblemCount != 0 {
		t.Fatalf("report: got mode %s full %v problems %d %v; want a full bulk export without problems", rep.Mode, rep.Full, rep.ProblemCount, rep.Problems)
	}
	got := counts(t, e)
	want := map[string]int{
		fhir.TypePatient: samplePatients, fhir.TypeCondition: sampleConditions, fhir.TypeProcedure: sampleProcedures,
		fhir.TypeDocumentReference: sampleDocuments, fhir.TypeAllergyIntolerance: sampleAllergies,
		fhir.TypeEncounter:         sampleLiving, // only the current stays: the sample's visits are years old
		fhir.TypeMedicationRequest: activeOrders(t, e),
	}
	for typ, n := range want {
		if got[typ] != n {
			t.Errorf("%s: got %d in the copy; want %d", typ, got[typ], n)
		}
	}
	for _, typ := range []string{fhir.TypeObservation, fhir.TypeMedicationAdministration, fhir.TypeLocation, fhir.TypePractitioner} {
		if got[typ] == 0 {
			t.Errorf("no %s in the copy", typ)
		}
	}
	if _, ok := got["Immunization"]; ok {
		t.Error("Immunization copied; only the configured types belong in the copy")
	}
	st := e.Sim.Stats()
	if st.KickOffs != 1 || st.Polls != 2 || st.Early != 0 {
		t.Errorf("simulator: %+v; want 1 kick-off, 2 polls (one in progress), no early request", st)
	}
	ctx := context.Background()
	stays, err := e.DB.Stays(ctx)
	if err != nil {
		t.Fatal(err)
	}
	locs, err := e.DB.Locations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := fhir.BuildCensus(stays, locs)
	n := 0
	for _, w := range c.Wards {
		n += w.Patients
	}
	if n != sampleLiving || len(c.Beds(fhir.NoWard)) != 0 {
		t.Errorf("census: %d patients on wards, %d without ward; want %d on wards", n, len(c.Beds(fhir.NoWard)), sampleLiving)
	}
	// Search by name with umlaut folding and prefix, by birth date, by
	// record number.
	keys, err := e.DB.FindPatients(ctx, fhir.QueryTerms("medhurst sumiko"), 10)
	if err != nil || len(keys) != 1 {
		t.Fatalf("search medhurst sumiko: %v %v; want one patient", keys, err)
	}
	rec, err := e.DB.Record(ctx, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	if rec.Patient.Family != "Medhurst46" || rec.Patient.BirthDate.Format("de", time.UTC) != "21.05.1927" {
		t.Errorf("record: %s %v; want Medhurst46 born 21.05.1927", rec.Patient.Family, rec.Patient.BirthDate)
	}
	for _, q := range []string{"21.05.1927 sumiko", "1927-05-21 Medhurst", "999-94-5397", "Medh", "larue"} {
		ks, err := e.DB.FindPatients(ctx, fhir.QueryTerms(q), 10)
		if err != nil || len(ks) != 1 || ks[0] != keys[0] {
			t.Errorf("search %q: got %v %v; want Medhurst46", q, ks, err)
		}
	}
}

func TestIncrementAppliesChangesAndDeletions(t *testing.T) {
	e := fhirtest.New(t, fhirtest.Options{})
	full := e.Sync()
	before := counts(t, e)
	ctx := context.Background()
	stays, _ := e.DB.Stays(ctx)
	e.Clock.Advance(5 * time.Minute)

	// Rename a patient, discharge a stay, add an allergy, delete a
	// condition and an allergy.
	pid := "129c6ac7-8d06-89de-ad63-0204a93e76c3"
	raw, _ := e.Sim.Resource(fhir.TypePatient, pid)
	raw = bytes.Replace(raw, []byte(`"family":"Medhurst46"`), []byte(`"family":"Überall"`), 1)
	if err := e.Sim.Put(raw); err != nil {
		t.Fatal(err)
	}
	encID := e.Sim.IDs(fhir.TypeEncounter)[len(e.Sim.IDs(fhir.TypeEncounter))-1] // an admission of the simulator
	enc, _ := e.Sim.Resource(fhir.TypeEncounter, encID)
	var m map[string]any
	json.Unmarshal(enc, &m)
	m["status"] = "finished"
	m["period"].(map[string]any)["end"] = e.Clock.Now().Format(time.RFC3339)
	enc, _ = json.Marshal(m)
	if err := e.Sim.Put(enc); err != nil {
		t.Fatal(err)
	}
	allergy := `{"resourceType":"AllergyIntolerance","id":"new-allergy","clinicalStatus":{"coding":[{"code":"active"}]},"criticality":"high","code":{"text":"Sulfonamide"},"patient":{"reference":"Patient/` + pid + `"}}`
	if err := e.Sim.Put([]byte(allergy)); err != nil {
		t.Fatal(err)
	}
	cond := e.Sim.IDs(fhir.TypeCondition)[0]
	if err := e.Sim.Delete(fhir.TypeCondition, cond); err != nil {
		t.Fatal(err)
	}
	if err := e.Sim.Delete(fhir.TypeAllergyIntolerance, e.Sim.IDs(fhir.TypeAllergyIntolerance)[0]); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(time.Minute)
	rep := e.Sync()
	if rep.Full || rep.Mode != fhir.ModeBulk {
		t.Fatalf("second sync: full %v mode %s; want an increment", rep.Full, rep.Mode)
	}
	if rep.Counts.Put != 3 || rep.Counts.Deleted != 2 {
		t.Errorf("increment: put %d, deleted %d; want 3 changed and 2 deleted", rep.Counts.Put, rep.Counts.Deleted)
	}
	if rep.TransactionTime == full.TransactionTime {
		t.Error("transactionTime did not advance")
	}
	after := counts(t, e)
	if after[fhir.TypeCondition] != before[fhir.TypeCondition]-1 {
		t.Errorf("conditions: %d -> %d; want one fewer", before[fhir.TypeCondition], after[fhir.TypeCondition])
	}
	if after[fhir.TypeAllergyIntolerance] != before[fhir.TypeAllergyIntolerance] {
		t.Errorf("allergies: %d -> %d; want the same (one added, one deleted)", before[fhir.TypeAllergyIntolerance], after[fhir.TypeAllergyIntolerance])
	}
	if s2, _ := e.DB.Stays(ctx); len(s2) != len(stays)-1 {
		t.Errorf("stays: %d -> %d; want the discharged one gone", len(stays), len(s2))
	}
	old, _ := e.DB.FindPatients(ctx, fhir.QueryTerms("Medhurst46"), 5)
	neu, _ := e.DB.FindPatients(ctx, fhir.QueryTerms("ueberall"), 5)
	if len(old) != 0 || len(neu) != 1 {
		t.Fatalf("search after rename: old name %d hits, new name %d; want 0 and 1", len(old), len(neu))
	}
	rec, err := e.DB.Record(ctx, neu[0], fhir.TypeAllergyIntolerance)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range rec.Allergies {
		found = found || a.Code.Text == "Sulfonamide"
	}
	if !found {
		t.Error("the new allergy is not in the patient's record")
	}
}

func TestInterruptedDownloadResumes(t *testing.T) {
	e := fhirtest.New(t, fhirtest.Options{})
	e.Sim.CutDownloads(3, 300_000)
	rep := e.Sync()
	st := e.Sim.Stats()
	if st.Cuts != 3 || st.RangeRequests < 3 {
		t.Errorf("simulator: %d cuts, %d range requests; want 3 cuts each resumed with a Range request", st.Cuts, st.RangeRequests)
	}
	if rep.ProblemCount != 0 {
		t.Errorf("resumed files have %d malformed lines: %v", rep.ProblemCount, rep.Problems)
	}
	if got := counts(t, e); got[fhir.TypeDocumentReference] != sampleDocuments || got[fhir.TypeCondition] != sampleConditions {
		t.Errorf("after resumed downloads: %v", got)
	}
}

// TestDownloadResumesAfterRestart stops the sync in the middle of a
// download, checks that the part on disk is sealed, and lets a new Syncer
// (a restarted lifeline) resume at the byte it had.
func TestDownloadResumesAfterRestart(t *testing.T) {
	e := fhirtest.New(t, fhirtest.Options{})
	e.Sim.CutDownloads(1, 400_000)
	ctx, cancel := context.WithCancel(context.Background())
	stopAtRetry := func(c context.Context, d time.Duration) error {
		if d < time.Minute { // the retry after the cut: the process "dies" here
			cancel()
			return context.Canceled
		}
		return e.Sleep(c, d)
	}
	s1, err := fhir.NewSyncer(fhir.SyncOptions{Client: e.Client, Store: e.DB, Keys: e.Keys, WorkDir: filepath.Join(e.DataDir, "fhir-work"),
		Clock: e.Clock, Sleep: func(c context.Context, d time.Duration) error {
			if e.Sim.Stats().Cuts == 1 {
				return stopAtRetry(c, d)
			}
			return e.Sleep(c, d)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s1.SyncOnce(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("first sync: got %v; want it stopped", err)
	}
	work := filepath.Join(e.DataDir, "fhir-work")
	if _, err := os.Stat(filepath.Join(work, "job.json")); err != nil {
		t.Fatalf("no persisted job after the stop: %v", err)
	}
	parts, _ := filepath.Glob(filepath.Join(work, "*", "*.part"))
	var partBytes int64
	for _, p := range parts {
		b, _ := os.ReadFile(p)
		partBytes += int64(len(b))
		for _, name := range []string{"Medhurst46", "resourceType", "Sumiko254"} {
			if bytes.Contains(b, []byte(name)) {
				t.Errorf("download part %s holds %q in plain", p, name)
			}
		}
	}
	if partBytes < 400_000 {
		t.Fatalf("parts hold %d bytes; want the 400000 received before the stop", partBytes)
	}
	ranges := e.Sim.Stats().RangeRequests
	rep := e.Sync() // a new process would build a new Syncer; e.Syncer is one
	if !rep.Resumed {
		t.Error("the second sync did not resume the job")
	}
	if got := e.Sim.Stats(); got.RangeRequests != ranges+1 || got.KickOffs != 1 {
		t.Errorf("simulator after resume: %+v; want one more Range request and no new kick-off", got)
	}
	if got := counts(t, e); got[fhir.TypeDocumentReference] != sampleDocuments {
		t.Errorf("documents after resume: %d; want %d", got[fhir.TypeDocumentReference], sampleDocuments)
	}
	if _, err := os.Stat(filepath.Join(work, "job.json")); !os.IsNotExist(err) {
		t.Error("job file left after the import")
	}
}

func TestMalformedLinesAreReportedAndTheRestImported(t *testing.T) {
	src := fhirtest.SampleDir(t)
	dir := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(src, "*.ndjson"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Base(f) {
		case "Condition.000.ndjson":
			b = append(b, []byte(`{"resourceType":"Condition","id":"cut-off","code":`+"\n")...)
		case "AllergyIntolerance.000.ndjson":
			lines := bytes.SplitAfter(b, []byte("\n"))
			lines = append(lines[:4], append([][]byte{[]byte("this is not json\n"), []byte(`{"resourceType":"AllergyIntolerance","id":"orphan","code":{"text":"x"}}` + "\n")}, lines[4:]...)...)
			b = bytes.Join(lines, nil)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e := fhirtest.New(t, fhirtest.Options{Dir: dir})
	rep := e.Sync()
	want := map[string]string{
		"AllergyIntolerance.000.ndjson:5": "not a JSON object",
		"AllergyIntolerance.000.ndjson:6": "names no patient",
		"Condition.000.ndjson:556":        "invalid JSON",
	}
	if rep.ProblemCount != len(want) {
		t.Fatalf("problems: got %d %v; want %d", rep.ProblemCount, rep.Problems, len(want))
	}
	for _, p := range rep.Problems {
		key := p.File + ":" + itoa(p.Line)
		if w, ok := want[key]; !ok || !strings.Contains(p.Reason, w) {
			t.Errorf("problem %s: %q; want one of %v", key, p.Reason, want)
		}
	}
	got := counts(t, e)
	if got[fhir.TypeCondition] != sampleConditions || got[fhir.TypeAllergyIntolerance] != sampleAllergies {
		t.Errorf("imported: %d conditions, %d allergies; want %d and %d (all good lines)", got[fhir.TypeCondition], got[fhir.TypeAllergyIntolerance], sampleConditions, sampleAllergies)
	}
	st, _ := e.DB.State(context.Background())
	if st.ProblemCount != 3 || len(st.Problems) != 3 {
		t.Errorf("stored state: %d problems; want 3 kept for the status page", st.ProblemCount)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestRetryAfterIsHonoured(t *testing.T) {
	e := fhirtest.New(t, fhirtest.Options{Sim: fhirsim.Options{StatusPolls: 2, RetryAfter: 5 * time.Second}})
	e.Sim.Fail(fhirsim.PhaseKickOff, http.StatusTooManyRequests, 7*time.Second, 1)
	e.Sim.Fail(fhirsim.PhaseStatus, http.StatusServiceUnavailable, 11*time.Second, 2)
	e.Sim.Fail(fhirsim.PhaseDownload, http.StatusTooManyRequests, 3*time.Second, 1)
	e.Sync()
	st := e.Sim.Stats()
	if st.Failed != 4 || st.Early != 0 {
		t.Errorf("simulator: %d injected failures, %d early requests; want 4 and none early", st.Failed, st.Early)
	}
	want := []time.Duration{7 * time.Second, 11 * time.Second, 11 * time.Second, 5 * time.Second, 5 * time.Second, 3 * time.Second}
	got := e.Sleeps()
	if len(got) != len(want) {
		t.Fatalf("waits: got %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("wait %d: got %s; want %s (all waits %v)", i, got[i], want[i], got)
		}
	}

	// The simulator notices a client that does not wait long enough.
	impatient := fhirtest.New(t, fhirtest.Options{Dir: smallHospital(t), NoAdmit: true})
	c, err := fhir.NewClient(fhir.ClientOptions{BaseURL: impatient.BaseURL(), Clock: impatient.Clock,
		Sleep: func(ctx context.Context, d time.Duration) error { return impatient.Sleep(ctx, d/2) }})
	if err != nil {
		t.Fatal(err)
	}
	impatient.Sim.Fail(fhirsim.PhaseKickOff, http.StatusServiceUnavailable, 10*time.Second, 1)
	if _, err := c.KickOff(context.Background(), fhir.ExportRequest{}); err != nil {
		t.Fatal(err)
	}
	if impatient.Sim.Stats().Early == 0 {
		t.Error("a client waiting half the Retry-After was not counted as early")
	}
}

func TestRetryGivesUpAfterTooManyFailures(t *testing.T) {
	e := fhirtest.New(t, fhirtest.Options{Dir: smallHospital(t), NoAdmit: true})
	e.Sim.Fail(fhirsim.PhaseKickOff, http.StatusServiceUnavailable, time.Second, 20)
	_, err := e.Syncer.SyncOnce(context.Background())
	if err == nil || !fhir.IsTransient(err) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("got %v; want the 503 reported after the retries", err)
	}
	st, _ := e.DB.State(context.Background())
	if st.LastError == "" || !st.DataAsOf.IsZero() {
		t.Errorf("state after failure: %+v; want the error recorded and no copy", st)
	}
}

func TestFreshnessProber(t *testing.T) {
	e := fhirtest.New(t, fhirtest.Options{})
	p := fhir.Prober(e.DB, 15*time.Minute, e.Clock)
	ctx := context.Background()
	if r := p.Probe(ctx); r.Status != check.StatusUnknown || !strings.Contains(r.Message.DE, "Erster Abgleich") {
		t.Errorf("before the first sync: %v %q; want unknown while the first sync runs", r.Status, r.Message.DE)
	}
	e.Sim.Fail(fhirsim.PhaseKickOff, http.StatusInternalServerError, 0, 1)
	if _, err := e.Syncer.SyncOnce(ctx); err == nil {
		t.Fatal("first sync against a failing EHR succeeded")
	}
	if r := p.Probe(ctx); r.Status != check.StatusFail || !strings.Contains(r.Message.DE, "Noch keine Kopie des EHR; letzter Versuch") {
		t.Errorf("after a failed first sync: %v %q; want failed, no copy", r.Status, r.Message.DE)
	}
	e.Sync()
	e.Clock.Advance(3 * time.Minute)
	// DataAsOf is the kick-off; the sync itself waited 2 s for the export.
	if r := p.Probe(ctx); r.Status != check.StatusOK || r.Message.DE != "Datenstand 3 Minuten alt" || r.Values["age_seconds"] != 182 {
		t.Errorf("3 minutes after the sync: %v %q %v", r.Status, r.Message.DE, r.Values)
	}
	// The EHR goes down: syncs fail, the copy ages.
	e.Server.Close()
	e.Clock.Advance(20 * time.Minute)
	if _, err := e.Syncer.SyncOnce(ctx); err == nil {
		t.Fatal("sync against a stopped EHR succeeded")
	}
	r := p.Probe(ctx)
	if r.Status != check.StatusDegraded || !strings.HasPrefix(r.Message.DE, "Datenstand 24 Minuten alt; letzter Abgleich fehlgeschlagen") ||
		!strings.Contains(r.Message.DE, "connection refused") {
		t.Errorf("EHR down: %v %q; want degraded with the age and the failure", r.Status, r.Message.DE)
	}
	// The copy stays readable.
	if keys, err := e.DB.FindPatients(ctx, fhir.QueryTerms("Cummings51"), 5); err != nil || len(keys) != 1 {
		t.Errorf("copy while the EHR is down: %v %v", keys, err)
	}
}
