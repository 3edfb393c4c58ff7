package fhirdb_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirdb"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirtest"
	"github.com/lifeline-project/lifeline/internal/seal"
)

// secrets returns what must never be readable in the database file: the
// names, identifiers and ids of the sample's patients.
func secrets(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(fhirtest.SampleDir(t), "Patient.000.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var p struct {
			ID   string
			Name []struct {
				Family string
				Given  []string
			}
			Identifier []struct{ Value string }
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.ID)
		for _, n := range p.Name {
			out = append(out, n.Family)
			out = append(out, n.Given...)
		}
		for _, id := range p.Identifier {
			out = append(out, id.Value)
		}
	}
	return out
}

func fileBytes(t *testing.T, db string) []byte {
	t.Helper()
	var all []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(db + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func TestNoPatientDataInPlain(t *testing.T) {
	e := fhirtest.New(t, fhirtest.Options{})
	e.Sync()
	ctx := context.Background()
	keys, err := e.DB.FindPatients(ctx, fhir.QueryTerms("Cummings51"), 5)
	if err != nil || len(keys) != 1 {
		t.Fatalf("the copy does not find Cummings51: %v %v", keys, err)
	}
	if err := e.DB.LogAccess(ctx, fhir.AccessEntry{At: e.Clock.Now(), User: "pflege1", Role: "staff", Action: fhir.ActionSearch, Detail: "Cummings51 Yvone889"}); err != nil {
		t.Fatal(err)
	}
	raw := append(fileBytes(t, e.DB.Path()), fileBytes(t, e.DB.AccessPath())...)
	if len(raw) < 1<<20 {
		t.Fatalf("database files hold only %d bytes; the import is missing", len(raw))
	}
	secret := secrets(t)
	if len(secret) < 50 {
		t.Fatalf("only %d secrets read from the sample", len(secret))
	}
	for _, s := range secret {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("%q is readable in %s", s, e.DB.Path())
		}
	}
	// The encounter display names in the sample ("Mrs. Sumiko254 ...") and
	// the allergy texts are sealed as well.
	for _, s := range []string{"Mrs.", "Penicillin", "Aspirin", "resourceType"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("%q is readable in the database", s)
		}
	}
}

func TestWrongKeyIsRefused(t *testing.T) {
	e := fhirtest.New(t, fhirtest.Options{})
	e.Sync()
	other, _ := seal.GenerateKey()
	kr, _ := seal.NewKeyring(other)
	_, err := fhirdb.Open(context.Background(), e.DB.Path(), kr, nil)
	if fhir.ErrorCode(err) != fhir.EKEY {
		t.Fatalf("open with another key: got %v; want EKEY", err)
	}
}

func TestResealRotatesTheKey(t *testing.T) {
	oldRaw, _ := seal.GenerateKey()
	old, _ := seal.NewKeyring(oldRaw)
	e := fhirtest.New(t, fhirtest.Options{Keys: old})
	e.Sync()
	ctx := context.Background()
	if err := e.DB.LogAccess(ctx, fhir.AccessEntry{At: e.Clock.Now(), User: "arzt", Role: "admin", Action: fhir.ActionSearch, Detail: "schmitt"}); err != nil {
		t.Fatal(err)
	}
	newRaw, _ := seal.GenerateKey()
	both, err := seal.NewKeyring(newRaw, oldRaw)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Reseal(ctx, both); err != nil {
		t.Fatal(err)
	}
	e.DB.Close()
	only, _ := seal.NewKeyring(newRaw)
	db, err := fhirdb.Open(ctx, e.DB.Path(), only, nil)
	if err != nil {
		t.Fatalf("open with the new key only: %v", err)
	}
	defer db.Close()
	keys, err := db.FindPatients(ctx, fhir.QueryTerms("Schmitt836"), 3)
	if err != nil || len(keys) != 1 {
		t.Fatalf("search after rotation: %v %v (the index key must survive)", keys, err)
	}
	if _, err := db.Record(ctx, keys[0]); err != nil {
		t.Fatalf("record after rotation: %v", err)
	}
	log, err := db.AccessLog(ctx, fhir.Key{}, 10)
	if err != nil || len(log) != 1 || log[0].Detail != "schmitt" {
		t.Fatalf("access log after rotation: %+v %v", log, err)
	}
	if _, err := fhirdb.Open(ctx, e.DB.Path(), old, nil); fhir.ErrorCode(err) != fhir.EKEY {
		t.Errorf("open with the old key after rotation: %v; want EKEY", err)
	}
}

func TestAccessLogAndWards(t *testing.T) {
	e := fhirtest.New(t, fhirtest.Options{})
	ctx := context.Background()
	var p1, p2 fhir.Key
	p1[0], p2[0] = 1, 2
	at := e.Clock.Now()
	err := e.DB.LogAccess(ctx,
		fhir.AccessEntry{At: at, User: "pflege1", Role: "staff", Action: fhir.ActionWardList, Patient: p1, Ward: "ward-1a"},
		fhir.AccessEntry{At: at.Add(time.Second), User: "pflege1", Role: "staff", Action: fhir.ActionPatient, Patient: p1, Ward: "ward-1a"},
		fhir.AccessEntry{At: at.Add(2 * time.Second), User: "arzt", Role: "admin", Action: fhir.ActionPatient, Patient: p2, Detail: "Notfall"},
	)
	if err != nil {
		t.Fatal(err)
	}
	all, err := e.DB.AccessLog(ctx, fhir.Key{}, 10)
	if err != nil || len(all) != 3 {
		t.Fatalf("log: %v %v", all, err)
	}
	if all[0].User != "arzt" || all[0].Detail != "Notfall" || !all[0].At.Equal(at.Add(2*time.Second)) {
		t.Errorf("newest entry: %+v; want arzt's view with its detail", all[0])
	}
	of1, _ := e.DB.AccessLog(ctx, p1, 10)
	if len(of1) != 2 || of1[0].Action != fhir.ActionPatient || of1[1].Action != fhir.ActionWardList {
		t.Errorf("entries of patient 1: %+v", of1)
	}
	if n := len(fileBytes(t, e.DB.AccessPath())); n == 0 {
		t.Fatal("no access log file")
	}
	if bytes.Contains(fileBytes(t, e.DB.AccessPath()), []byte("Notfall")) {
		t.Error("the access log's detail is readable in its database")
	}
	if err := e.DB.SetUserWards(ctx, "Pflege1", []string{"ward-1a", "ward-2b", " "}); err != nil {
		t.Fatal(err)
	}
	ws, _ := e.DB.UserWards(ctx, "pflege1")
	if len(ws) != 2 || ws[0] != "ward-1a" || ws[1] != "ward-2b" {
		t.Errorf("wards: %v", ws)
	}
	e.DB.SetUserWards(ctx, "pflege1", nil)
	if ws, _ := e.DB.UserWards(ctx, "pflege1"); len(ws) != 0 {
		t.Errorf("wards after clearing: %v", ws)
	}
}

// TestAccessLogDuringImport: an import holds the copy's write lock for as
// long as it runs (a daily full export of a large hospital: minutes); the
// access log, in its own file, is written meanwhile, and readers see the
// old copy.
func TestAccessLogDuringImport(t *testing.T) {
	e := fhirtest.New(t, fhirtest.Options{})
	e.Sync()
	ctx := context.Background()
	before, _ := e.DB.Counts(ctx)
	imp, err := e.DB.BeginImport(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	r, err := fhir.ParseResource([]byte(`{"resourceType":"Patient","id":"new-one","name":[{"family":"Neu"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := imp.Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := e.DB.LogAccess(lctx, fhir.AccessEntry{At: e.Clock.Now(), User: "pflege1", Role: "staff", Action: fhir.ActionPatient}); err != nil {
		t.Fatalf("access log during an import: %v", err)
	}
	if ws, err := e.DB.UserWards(lctx, "pflege1"); err != nil || ws != nil {
		t.Fatalf("user wards during an import: %v %v", ws, err)
	}
	during, _ := e.DB.Counts(ctx)
	if during[fhir.TypePatient] != before[fhir.TypePatient] {
		t.Errorf("readers see the import before its commit: %d patients; want %d", during[fhir.TypePatient], before[fhir.TypePatient])
	}
	if err := imp.Rollback(); err != nil {
		t.Fatal(err)
	}
	after, _ := e.DB.Counts(ctx)
	if after[fhir.TypePatient] != before[fhir.TypePatient] {
		t.Errorf("rolled back import changed the copy: %d patients", after[fhir.TypePatient])
	}
}

// TestFullImportReplaces: a full import removes what it did not put, with
// its index rows.
func TestFullImportReplaces(t *testing.T) {
	e := fhirtest.New(t, fhirtest.Options{})
	e.Sync()
	ctx := context.Background()
	imp, err := e.DB.BeginImport(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := fhir.ParseResource([]byte(`{"resourceType":"Patient","id":"only-one","name":[{"family":"Allein"}]}`))
	imp.Put(ctx, r)
	if err := imp.Commit(ctx, fhir.SyncState{DataAsOf: e.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	c, _ := e.DB.Counts(ctx)
	stays, _ := e.DB.Stays(ctx)
	locs, _ := e.DB.Locations(ctx)
	if len(c) != 1 || c[fhir.TypePatient] != 1 || len(stays) != 0 || len(locs) != 0 {
		t.Errorf("after a full import of one patient: %v, %d stays, %d locations", c, len(stays), len(locs))
	}
	if ks, _ := e.DB.FindPatients(ctx, fhir.QueryTerms("Cummings51"), 5); len(ks) != 0 {
		t.Error("search terms of a removed patient remain")
	}
	if ks, _ := e.DB.FindPatients(ctx, fhir.QueryTerms("Allein"), 5); len(ks) != 1 {
		t.Error("the new patient is not found")
	}
}
