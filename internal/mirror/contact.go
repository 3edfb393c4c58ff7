package mirror

import (
	"encoding/json"
	"strings"

	"github.com/lifeline-project/lifeline/internal/check"
)

// ContactKind says what a contact is for.
type ContactKind string

// Contact kinds. The CSV also accepts the German words in kindAliases.
const (
	KindWholesaler ContactKind = "wholesaler"
	KindERPHotline ContactKind = "erp_hotline"
	KindITService  ContactKind = "it_service"
	KindPractice   ContactKind = "practice"
	KindPharmacy   ContactKind = "pharmacy"
	KindOther      ContactKind = "other"
)

// ContactKinds lists the kinds in display order.
var ContactKinds = []ContactKind{KindERPHotline, KindITService, KindWholesaler, KindPractice, KindPharmacy, KindOther}

var kindAliases = map[string]ContactKind{
	"wholesaler": KindWholesaler, "grosshandel": KindWholesaler, "großhandel": KindWholesaler,
	"erp_hotline": KindERPHotline, "hotline": KindERPHotline, "warenwirtschaft": KindERPHotline,
	"it_service": KindITService, "it": KindITService, "it-dienstleister": KindITService,
	"practice": KindPractice, "praxis": KindPractice, "arzt": KindPractice,
	"pharmacy": KindPharmacy, "apotheke": KindPharmacy,
	"other": KindOther, "sonstige": KindOther, "sonstiges": KindOther,
}

// Title returns the kind in plain words.
func (k ContactKind) Title() check.Text {
	switch k {
	case KindWholesaler:
		return check.Msg("Großhandel", "Wholesaler")
	case KindERPHotline:
		return check.Msg("Hotline Warenwirtschaft", "ERP hotline")
	case KindITService:
		return check.Msg("IT-Dienstleister", "IT service")
	case KindPractice:
		return check.Msg("Arztpraxis", "Practice")
	case KindPharmacy:
		return check.Msg("Apotheke", "Pharmacy")
	default:
		return check.Msg("Sonstige", "Other")
	}
}

// Contact is someone to call when the IT fails: the wholesaler, the ERP
// hotline, the IT service, nearby practices and pharmacies.
type Contact struct {
	ID    string
	Kind  ContactKind
	Name  string
	Phone string
	// PhonePrivate is a private or direct number (a doctor's mobile). It
	// is personal data and encrypted at rest.
	PhonePrivate string
	// PrivateUnavailable is set by the store when PhonePrivate could not
	// be decrypted (wrong or missing key); the rest of the contact is
	// still shown.
	PrivateUnavailable bool
	Email              string
	Address            string
	Note               string
}

// Dataset returns Contacts.
func (Contact) Dataset() Dataset { return Contacts }

// Key returns the contact's id.
func (c Contact) Key() string { return c.ID }

var _ Record = Contact{}

// ContactColumns are the columns of the contacts CSV and JSON.
var ContactColumns = []string{"id", "kind", "name", "phone", "phone_private", "email", "address", "note"}

// MarshalJSON writes the contact with the CSV column names.
func (c Contact) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"id": c.ID, "kind": string(c.Kind), "name": c.Name, "phone": c.Phone,
		"phone_private": c.PhonePrivate, "email": c.Email, "address": c.Address, "note": c.Note,
	})
}

// DecodeContact reads and validates a contact from its fields by name.
func DecodeContact(get func(string) string) (Contact, []FieldError) {
	var c Contact
	var errs []FieldError
	bad := func(field string, r *check.Text) { errs = append(errs, FieldError{Field: field, Reason: *r}) }
	var r *check.Text
	if c.ID, r = cleanKey(get("id")); r != nil {
		bad("id", r)
	}
	k := strings.ToLower(strings.TrimSpace(get("kind")))
	if kind, ok := kindAliases[k]; ok {
		c.Kind = kind
	} else if k == "" {
		c.Kind = KindOther
	} else {
		bad("kind", reasonf("Art %q unbekannt; erlaubt: wholesaler, erp_hotline, it_service, practice, pharmacy, other", "kind %q unknown; allowed: wholesaler, erp_hotline, it_service, practice, pharmacy, other", clip(k)))
	}
	if c.Name, r = cleanText(get("name"), false); r != nil {
		bad("name", r)
	} else if c.Name == "" {
		bad("name", reason("Name fehlt", "name missing"))
	}
	if c.Phone, r = cleanPhone(get("phone")); r != nil {
		bad("phone", r)
	}
	if c.PhonePrivate, r = cleanPhone(get("phone_private")); r != nil {
		bad("phone_private", r)
	}
	if c.Email, r = cleanText(get("email"), false); r != nil {
		bad("email", r)
	} else if c.Email != "" && !strings.Contains(c.Email, "@") {
		bad("email", reasonf("keine gültige E-Mail-Adresse: %q", "not a valid e-mail address: %q", clip(c.Email)))
	}
	if c.Address, r = cleanText(get("address"), false); r != nil {
		bad("address", r)
	}
	if c.Note, r = cleanText(get("note"), true); r != nil {
		bad("note", r)
	}
	if c.Phone == "" && c.PhonePrivate == "" && c.Email == "" && len(errs) == 0 {
		bad("phone", reason("keine Telefonnummer und keine E-Mail-Adresse", "no phone number and no e-mail address"))
	}
	return c, errs
}

// cleanPhone checks a phone number: digits, spaces and + / - ( ) . only,
// at least three digits. Empty is allowed.
func cleanPhone(s string) (string, *check.Text) {
	s = strings.TrimSpace(s)
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +/-().", r):
		default:
			return "", reasonf("keine gültige Telefonnummer: %q", "not a valid phone number: %q", clip(s))
		}
	}
	if s != "" && digits < 3 {
		return "", reasonf("keine gültige Telefonnummer: %q", "not a valid phone number: %q", clip(s))
	}
	return s, nil
}

// cleanKey checks a record key: required, at most 100 characters, no
// control characters.
func cleanKey(s string) (string, *check.Text) {
	s, r := cleanText(s, false)
	if r != nil {
		return "", r
	}
	if s == "" {
		return "", reason("Kennung fehlt", "id missing")
	}
	if len(s) > 100 {
		return "", reason("zu lang (höchstens 100 Zeichen)", "too long (at most 100 characters)")
	}
	return s, nil
}
