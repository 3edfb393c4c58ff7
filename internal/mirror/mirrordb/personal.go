package mirrordb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/seal"
)

// patientAD binds a patient's sealed fields to the table and the row.
func patientAD(customerNo string) []byte { return seal.AD("mirror", "patients", customerNo) }

// privatePhoneAD binds a contact's private number to the table and row.
func privatePhoneAD(id string) []byte { return seal.AD("mirror", "contacts", id, "phone_private") }

// patientSecret is the sealed part of a patient.
type patientSecret struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Drugs string `json:"drugs"`
	Note  string `json:"note"`
}

func dateString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

func (w *writer) putPatient(ctx context.Context, p mirror.Patient) (bool, error) {
	body, err := json.Marshal(patientSecret{Name: p.Name, Phone: p.Phone, Drugs: p.Drugs, Note: p.Note})
	if err != nil {
		return false, err
	}
	sealed, err := w.kr.Seal(body, patientAD(p.CustomerNo))
	if err != nil {
		return false, err
	}
	return w.upsert(ctx, p.CustomerNo,
		`INSERT INTO patients(customer_no, next_due, sealed) VALUES (?, ?, ?)`,
		`ON CONFLICT(customer_no) DO UPDATE SET next_due = excluded.next_due, sealed = excluded.sealed`,
		p.CustomerNo, dateString(p.NextDue), sealed)
}

func (w *writer) putContact(ctx context.Context, c mirror.Contact) (bool, error) {
	var private any
	if c.PhonePrivate != "" {
		if w.kr == nil {
			return false, w.keyErr
		}
		s, err := w.kr.Seal([]byte(c.PhonePrivate), privatePhoneAD(c.ID))
		if err != nil {
			return false, err
		}
		private = s
	}
	return w.upsert(ctx, c.ID,
		`INSERT INTO contacts(id, kind, name, phone, phone_private, email, address, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		`ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, name = excluded.name, phone = excluded.phone,
			phone_private = excluded.phone_private, email = excluded.email, address = excluded.address, note = excluded.note`,
		c.ID, string(c.Kind), c.Name, c.Phone, private, c.Email, c.Address, c.Note)
}

// Patients returns the priority patients decrypted, by next due date
// (unknown last), then name. EKEY when the data key does not match.
func (db *DB) Patients(ctx context.Context) ([]mirror.Patient, error) {
	kr, err := db.keyFor(ctx, db.r)
	if err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT customer_no, next_due, sealed FROM patients`)
	if err != nil {
		return nil, unavailable("Patienten", err)
	}
	defer rows.Close()
	var out []mirror.Patient
	for rows.Next() {
		var p mirror.Patient
		var due string
		var sealed []byte
		if err := rows.Scan(&p.CustomerNo, &due, &sealed); err != nil {
			return nil, unavailable("Patienten", err)
		}
		body, err := kr.Open(sealed, patientAD(p.CustomerNo))
		if err != nil {
			return nil, &mirror.Error{Code: mirror.EKEY, Message: check.Msg(
				"Schlüssel passt nicht zu den Daten (Patient "+p.CustomerNo+"); Eintrag beschädigt oder mit anderem Schlüssel verschlüsselt",
				"the data key does not match the data (patient "+p.CustomerNo+"); entry damaged or sealed with another key"), Err: err}
		}
		var s patientSecret
		if err := json.Unmarshal(body, &s); err != nil {
			return nil, fmt.Errorf("patient %s: sealed record damaged: %w", p.CustomerNo, err)
		}
		p.Name, p.Phone, p.Drugs, p.Note = s.Name, s.Phone, s.Drugs, s.Note
		if due != "" {
			p.NextDue, _ = time.Parse("2006-01-02", due)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("Patienten", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.NextDue.IsZero() != b.NextDue.IsZero() {
			return !a.NextDue.IsZero()
		}
		if !a.NextDue.Equal(b.NextDue) {
			return a.NextDue.Before(b.NextDue)
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.CustomerNo < b.CustomerNo
	})
	return out, nil
}

// Contacts returns every contact by kind (display order) and name. Private
// numbers are decrypted; when that fails (no or wrong key) the contact is
// returned without it and PrivateUnavailable set, since the hotline's number
// matters more than the key.
func (db *DB) Contacts(ctx context.Context) ([]mirror.Contact, error) {
	kr, kerr := db.keyFor(ctx, db.r)
	rows, err := db.r.QueryContext(ctx, `SELECT id, kind, name, phone, phone_private, email, address, note FROM contacts`)
	if err != nil {
		return nil, unavailable("Kontakte", err)
	}
	defer rows.Close()
	var out []mirror.Contact
	for rows.Next() {
		var c mirror.Contact
		var kind string
		var private []byte
		if err := rows.Scan(&c.ID, &kind, &c.Name, &c.Phone, &private, &c.Email, &c.Address, &c.Note); err != nil {
			return nil, unavailable("Kontakte", err)
		}
		c.Kind = mirror.ContactKind(kind)
		if private != nil {
			if kerr != nil {
				c.PrivateUnavailable = true
			} else if pt, err := kr.Open(private, privatePhoneAD(c.ID)); err != nil {
				c.PrivateUnavailable = true
				db.log.Warn("mirror: private number does not decrypt", "contact", c.ID, "err", err)
			} else {
				c.PhonePrivate = string(pt)
			}
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("Kontakte", err)
	}
	order := map[mirror.ContactKind]int{}
	for i, k := range mirror.ContactKinds {
		order[k] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if order[a.Kind] != order[b.Kind] {
			return order[a.Kind] < order[b.Kind]
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	return out, nil
}

// Reseal re-encrypts every sealed value with the primary key of kr, in one
// transaction, and from then on uses kr. kr must still hold the key the
// data was sealed with.
func (db *DB) Reseal(ctx context.Context, kr *seal.Keyring) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("Schlüsselwechsel beginnen (begin rekey) %s: %w", db.path, err)
	}
	defer tx.Rollback()
	type row struct {
		key  string
		blob []byte
	}
	reseal := func(what, sel, upd string, ad func(string) []byte) (int, error) {
		rows, err := tx.QueryContext(ctx, sel)
		if err != nil {
			return 0, fmt.Errorf("rekey %s: %w", what, err)
		}
		var all []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.key, &r.blob); err != nil {
				rows.Close()
				return 0, fmt.Errorf("rekey %s: %w", what, err)
			}
			all = append(all, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("rekey %s: %w", what, err)
		}
		stmt, err := tx.PrepareContext(ctx, upd)
		if err != nil {
			return 0, err
		}
		defer stmt.Close()
		for _, r := range all {
			pt, err := kr.Open(r.blob, ad(r.key))
			if err != nil {
				return 0, &mirror.Error{Code: mirror.EKEY, Message: check.Msg(
					"Schlüsselwechsel abgebrochen: Schlüssel passt nicht zu den Daten ("+what+" "+r.key+"); nichts wurde geändert",
					"rekey aborted: the key does not match the data ("+what+" "+r.key+"); nothing was changed"), Err: err}
			}
			s, err := kr.Seal(pt, ad(r.key))
			if err != nil {
				return 0, err
			}
			if _, err := stmt.ExecContext(ctx, s, r.key); err != nil {
				return 0, fmt.Errorf("rekey %s %s: %w", what, r.key, err)
			}
		}
		return len(all), nil
	}
	n1, err := reseal("Patient", `SELECT customer_no, sealed FROM patients`, `UPDATE patients SET sealed = ? WHERE customer_no = ?`, patientAD)
	if err != nil {
		return err
	}
	n2, err := reseal("Kontakt", `SELECT id, phone_private FROM contacts WHERE phone_private IS NOT NULL`, `UPDATE contacts SET phone_private = ? WHERE id = ?`, privatePhoneAD)
	if err != nil {
		return err
	}
	var dummy sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM keycheck WHERE id = 1`).Scan(&dummy); err == nil {
		if _, err := reseal("Schlüsselprüfung", `SELECT 'k', sealed FROM keycheck WHERE id = 1`, `UPDATE keycheck SET sealed = ? WHERE 'k' = ?`,
			func(string) []byte { return keycheckAD }); err != nil {
			return err
		}
	} else {
		s, err := kr.Seal([]byte(keycheckText), keycheckAD)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO keycheck(id, sealed) VALUES (1, ?)`, s); err != nil {
			return fmt.Errorf("rekey key check: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("Schlüsselwechsel speichern (commit rekey) %s: %w", db.path, err)
	}
	db.kr, db.keyErr = kr, nil
	db.log.Info("mirror: data re-encrypted with the new key", "patients", n1, "contacts", n2, "key", kr.Primary().String())
	return nil
}
