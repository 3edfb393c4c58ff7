// Package fhir keeps a hospital's downtime copy of a FHIR R4 EHR: the
// resources a ward needs when the EHR is gone (current stays, allergies,
// medication, problems, recent vitals and labs, procedures, document
// metadata), at most minutes old, encrypted at rest, readable on a machine
// inside the hospital.
//
// The package holds the domain and the protocol side:
//
//   - Config: the "fhir" section of the site configuration.
//   - Client: FHIR Bulk Data export (kick-off with Prefer: respond-async,
//     status polling that honours Retry-After, manifest, NDJSON download
//     that resumes with Range requests), increments with _since, deleted
//     resources, and a fallback to paged searches with _lastUpdated for
//     servers without $export. Authentication by a bearer token or SMART
//     backend services (client credentials with an RS384 or ES384 signed
//     JWT client assertion).
//   - ParseResource and the typed views (Patient, Encounter, Allergy, ...):
//     the summary fields the viewer needs, parsed from resource JSON.
//   - NDJSON reading that reports malformed lines (file, line, reason) and
//     imports the rest.
//   - Syncer: full export first, then an increment every interval
//     (5 minutes by default), a full export once a day to reconcile; the
//     downloaded files are sealed on disk while they wait for the import.
//   - Census and Summarize: ward lists and patient summaries.
//   - Prober: the freshness of the copy as a check ("Datenstand 3 Minuten
//     alt").
//
// The encrypted store lives in package fhirdb, the simulated server in
// fhirsim, the web pages in viewer, the scheduled print-outs in printrun and
// the generator of synthetic patients in gen.
package fhir

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Resource types the downtime copy keeps.
const (
	TypePatient                  = "Patient"
	TypeEncounter                = "Encounter"
	TypeLocation                 = "Location"
	TypeAllergyIntolerance       = "AllergyIntolerance"
	TypeCondition                = "Condition"
	TypeMedicationRequest        = "MedicationRequest"
	TypeMedicationAdministration = "MedicationAdministration"
	TypeObservation              = "Observation"
	TypeProcedure                = "Procedure"
	TypeDocumentReference        = "DocumentReference"
	TypePractitioner             = "Practitioner"
)

// Types returns the resource types the copy keeps, in export order.
func Types() []string {
	return []string{TypePatient, TypeEncounter, TypeLocation, TypeAllergyIntolerance, TypeCondition,
		TypeMedicationRequest, TypeMedicationAdministration, TypeObservation, TypeProcedure,
		TypeDocumentReference, TypePractitioner}
}

// KnownType reports whether t is one of Types.
func KnownType(t string) bool {
	for _, k := range Types() {
		if k == t {
			return true
		}
	}
	return false
}

// Error codes, mapped to HTTP status by the web layer (codes as in package
// auth).
const (
	EINVALID      = "invalid"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ENOTFOUND     = "not_found"
	EUNAVAILABLE  = "unavailable"
	EKEY          = "key"
	EINTERNAL     = "internal"
)

// Error is a domain error with a code and a sentence for the user.
type Error struct {
	Code    string
	Message check.Text
	Err     error
}

// Error returns the English message and the cause.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message.EN + ": " + e.Err.Error()
	}
	return e.Message.EN
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code, for the web layer's status mapping.
func (e *Error) ErrorCode() string {
	switch e.Code {
	case EKEY, EUNAVAILABLE:
		return EINTERNAL
	}
	return e.Code
}

// UserMessage returns the sentence shown to the user.
func (e *Error) UserMessage(lang string) string { return e.Message.In(lang) }

// Errorf returns an *Error with a German and an English sentence.
func Errorf(code, de, en string) *Error { return &Error{Code: code, Message: check.Msg(de, en)} }

// ErrorCode returns the code of err, EINTERNAL when it carries none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// KeySize is the length of a Key in bytes.
const KeySize = 16

// Key is the blind key of a resource: a keyed HMAC of "Type/id", so the
// database holds no FHIR ids, which are often the record number. Patients
// are addressed by their Key in URLs and in the access log.
type Key [KeySize]byte

// String returns the key as 32 hex digits.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// IsZero reports whether k is the zero key.
func (k Key) IsZero() bool { return k == Key{} }

// ParseKey reads a key written by String.
func ParseKey(s string) (Key, error) {
	var k Key
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != KeySize {
		return k, Errorf(ENOTFOUND, "Unbekannter Patient.", "Unknown patient.")
	}
	copy(k[:], b)
	return k, nil
}

// Keyer derives blind keys and search terms with a secret index key.
type Keyer struct {
	secret []byte
}

// NewKeyer returns a Keyer for a 32-byte secret.
func NewKeyer(secret []byte) (*Keyer, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("fhir: index key has %d bytes; want 32", len(secret))
	}
	return &Keyer{secret: append([]byte(nil), secret...)}, nil
}

func (k *Keyer) mac(prefix, s string) []byte {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(prefix))
	m.Write([]byte(s))
	return m.Sum(nil)
}

// Resource returns the key of resource typ/id.
func (k *Keyer) Resource(typ, id string) Key {
	var out Key
	copy(out[:], k.mac("r:", typ+"/"+id))
	return out
}

// Term returns the blind index entry of a search term (see IndexTerms).
func (k *Keyer) Term(term string) []byte { return k.mac("t:", term)[:KeySize] }

// Ref is a parsed reference: a literal "Type/id" or a conditional
// "Type?identifier=system|value".
type Ref struct {
	Type string
	ID   string
	// System and Value are set for a conditional reference by identifier.
	System, Value string
	Display       string
}

// IsZero reports whether the reference names nothing.
func (r Ref) IsZero() bool { return r.Type == "" && r.ID == "" && r.Value == "" }

// ParseRef reads a reference string: "Patient/123", an absolute URL ending
// in Type/id (optionally /_history/n), or "Location?identifier=sys|val".
func ParseRef(s, display string) Ref {
	s = strings.TrimSpace(s)
	if s == "" {
		return Ref{Display: display}
	}
	if typ, q, ok := strings.Cut(s, "?"); ok && !strings.Contains(typ, "/") {
		vals, err := url.ParseQuery(q)
		if err == nil {
			if idf := vals.Get("identifier"); idf != "" {
				sys, val, found := strings.Cut(idf, "|")
				if !found {
					sys, val = "", idf
				}
				return Ref{Type: typ, System: sys, Value: val, Display: display}
			}
		}
		return Ref{Display: display}
	}
	if i := strings.Index(s, "/_history/"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(strings.TrimRight(s, "/"), "/")
	if len(parts) < 2 {
		return Ref{Display: display}
	}
	return Ref{Type: parts[len(parts)-2], ID: parts[len(parts)-1], Display: display}
}

// String writes the reference back: "Type/id" or
// "Type?identifier=system|value".
func (r Ref) String() string {
	switch {
	case r.ID != "":
		return r.Type + "/" + r.ID
	case r.Value != "":
		return r.Type + "?identifier=" + r.System + "|" + r.Value
	}
	return ""
}
