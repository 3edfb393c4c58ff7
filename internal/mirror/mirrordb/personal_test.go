package mirrordb_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/seal"
)

var secrets = []string{"Erika Mustermann", "0201 123456", "Insulin glargin", "Sohn holt ab", "0171 2233445"}

func personal() ([]mirror.Record, []mirror.Record) {
	pats := []mirror.Record{
		mirror.Patient{CustomerNo: "4711", Name: "Erika Mustermann", Phone: "0201 123456", Drugs: "Insulin glargin",
			NextDue: time.Date(2025, 4, 3, 0, 0, 0, 0, time.UTC), Note: "Sohn holt ab"},
		mirror.Patient{CustomerNo: "4712", Name: "Max Beispiel", Drugs: "Methadon"},
	}
	cons := []mirror.Record{
		mirror.Contact{ID: "praxis", Kind: mirror.KindPractice, Name: "Praxis Dr. Kern", Phone: "0201 445566", PhonePrivate: "0171 2233445"},
		mirror.Contact{ID: "erp", Kind: mirror.KindERPHotline, Name: "Hotline", Phone: "0800 123456"},
	}
	return pats, cons
}

func filesHold(t *testing.T, dbPath string, s string) []string {
	t.Helper()
	var found []string
	for _, f := range []string{dbPath, dbPath + "-wal", dbPath + "-shm"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if bytes.Contains(b, []byte(s)) {
			found = append(found, filepath.Base(f))
		}
	}
	return found
}

func TestPersonalDataEncryptedAtRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), mirrordb.FileName)
	db := open(t, path, newKeyring(t))
	ctx := context.Background()
	pats, cons := personal()
	replace(t, db, mirror.Patients, pats...)
	replace(t, db, mirror.Contacts, cons...)
	got, err := db.Patients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "Erika Mustermann" || got[0].Note != "Sohn holt ab" || got[0].NextDue.Day() != 3 {
		t.Fatalf("patients = %+v; want Erika first (due date known), decrypted", got)
	}
	cs, err := db.Contacts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cs[0].ID != "erp" || cs[1].PhonePrivate != "0171 2233445" {
		t.Errorf("contacts = %+v; want the ERP hotline first and the private number decrypted", cs)
	}
	// While open (data in the WAL) and after closing (checkpointed).
	for _, s := range secrets {
		if f := filesHold(t, path, s); len(f) > 0 {
			t.Errorf("plain text %q found in %v while open", s, f)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || len(b) == 0 {
		t.Fatalf("database file unreadable or empty: %v", err)
	}
	for _, s := range secrets {
		if f := filesHold(t, path, s); len(f) > 0 {
			t.Errorf("plain text %q found in %v after close", s, f)
		}
	}
	// The public parts are there in plain text: the check above can fail.
	if f := filesHold(t, path, "Praxis Dr. Kern"); len(f) == 0 {
		t.Errorf("public contact name not found in the files; the scan does not see the data")
	}
}

func TestWrongKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), mirrordb.FileName)
	ctx := context.Background()
	db := open(t, path, newKeyring(t))
	pats, cons := personal()
	replace(t, db, mirror.Patients, pats...)
	replace(t, db, mirror.Contacts, cons...)
	replace(t, db, mirror.Articles, articles(3)...)
	db.Close()

	for _, tc := range []struct {
		name string
		kr   *seal.Keyring
	}{{"wrong key", newKeyring(t)}, {"no key", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			db := open(t, path, tc.kr)
			_, err := db.Patients(ctx)
			if mirror.ErrorCode(err) != mirror.EKEY {
				t.Fatalf("Patients: error %v; want EKEY", err)
			}
			if tc.kr != nil && !strings.Contains(mirror.ErrorMessage(err).DE, "Schlüssel passt nicht zu den Daten") {
				t.Errorf("message %q; want it to say %q", mirror.ErrorMessage(err).DE, "Schlüssel passt nicht zu den Daten")
			}
			if db.KeyError() == nil {
				t.Errorf("KeyError() = nil; want the key problem")
			}
			cs, err := db.Contacts(ctx)
			if err != nil || len(cs) != 2 {
				t.Fatalf("Contacts with a bad key: %v, %v; want both contacts", cs, err)
			}
			for _, c := range cs {
				if c.ID == "praxis" && (!c.PrivateUnavailable || c.PhonePrivate != "" || c.Phone != "0201 445566") {
					t.Errorf("contact %+v; want public number, private unavailable", c)
				}
			}
			if _, err := db.Article(ctx, articles(1)[0].(mirror.Article).PZN); err != nil {
				t.Errorf("articles with a bad key: %v; want them readable", err)
			}
			err = db.Replace(ctx, mirror.Patients, func(w mirror.Writer) (mirror.Commit, error) { return mirror.Commit{}, nil })
			if mirror.ErrorCode(err) != mirror.EKEY {
				t.Errorf("writing patients with a bad key: %v; want EKEY", err)
			}
		})
	}
}

// TestRotationByAnotherProcess rotates the key through a second handle (as
// "lifeline mirror rekey" would while the site runs) and checks the first
// handle reloads the key file and keeps working.
func TestRotationByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, mirrordb.FileName)
	ko := seal.Options{File: filepath.Join(dir, "data.key"), Getenv: func(string) string { return "" }}
	load := func() (*seal.Keyring, error) { kr, _, err := seal.Load(ko); return kr, err }
	ctx := context.Background()
	kr1, err := load()
	if err != nil {
		t.Fatal(err)
	}
	site := open(t, path, kr1, mirrordb.Options{LoadKey: load})
	pats, cons := personal()
	replace(t, site, mirror.Patients, pats...)
	replace(t, site, mirror.Contacts, cons...)

	cli := open(t, path, kr1)
	res, err := seal.Rotate(ctx, ko, cli)
	if err != nil {
		t.Fatal(err)
	}
	if res.New == kr1.Primary() {
		t.Fatal("rotation kept the old key")
	}
	// The site's keyring lacks the new key: it reloads.
	got, err := site.Patients(ctx)
	if err != nil || len(got) != 2 {
		t.Fatalf("site Patients after rotation: %v, %v; want both, via a reloaded key", got, err)
	}
	replace(t, site, mirror.Patients, mirror.Patient{CustomerNo: "9", Name: "Neu", Drugs: "X"})
	// A fresh handle with only the new key reads everything.
	kr2, err := load()
	if err != nil {
		t.Fatal(err)
	}
	if ids := kr2.IDs(); len(ids) != 1 || ids[0] != res.New {
		t.Fatalf("key file holds %v; want only %s", ids, res.New)
	}
	fresh := open(t, path, kr2)
	if got, err := fresh.Patients(ctx); err != nil || len(got) != 1 || got[0].Name != "Neu" {
		t.Errorf("patients with the new key only: %v, %v; want the one written after rotation", got, err)
	}
	cs, err := fresh.Contacts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.PrivateUnavailable {
			t.Errorf("contact %s: private number not readable with the new key", c.ID)
		}
	}
	// The old key alone no longer opens anything.
	old := open(t, path, kr1)
	if _, err := old.Patients(ctx); mirror.ErrorCode(err) != mirror.EKEY {
		t.Errorf("old key after rotation: %v; want EKEY", err)
	}
}

func TestResealWithWrongKeyChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), mirrordb.FileName)
	kr := newKeyring(t)
	db := open(t, path, kr)
	pats, _ := personal()
	replace(t, db, mirror.Patients, pats...)
	if err := db.Reseal(context.Background(), newKeyring(t)); mirror.ErrorCode(err) != mirror.EKEY {
		t.Fatalf("Reseal with an unrelated key: %v; want EKEY", err)
	}
	if got, err := db.Patients(context.Background()); err != nil || len(got) != 2 {
		t.Errorf("after a refused reseal: %v, %v; want the data unchanged", got, err)
	}
}

func TestContactsWithoutKey(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), mirrordb.FileName), nil)
	ctx := context.Background()
	replace(t, db, mirror.Contacts, mirror.Contact{ID: "erp", Kind: mirror.KindERPHotline, Name: "Hotline", Phone: "0800 123456"})
	if cs, err := db.Contacts(ctx); err != nil || len(cs) != 1 {
		t.Errorf("contacts without private numbers and without key: %v, %v; want the hotline", cs, err)
	}
	err := db.Replace(ctx, mirror.Contacts, func(w mirror.Writer) (mirror.Commit, error) {
		return mirror.Commit{}, w.Put(ctx, mirror.Contact{ID: "p", Kind: mirror.KindPractice, Name: "Praxis", PhonePrivate: "0171 1"})
	})
	if mirror.ErrorCode(err) != mirror.EKEY {
		t.Errorf("private number without key: %v; want EKEY", err)
	}
	if cs, _ := db.Contacts(ctx); len(cs) != 1 {
		t.Errorf("after the refused import: %d contacts; want the old 1", len(cs))
	}
}
