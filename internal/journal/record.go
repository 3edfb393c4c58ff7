package journal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// On disk, a journal is a file of records, one per line, each line a JSON
// object followed by "\n". The last member of every object is "hash": the
// lower-case hex SHA-256 of the line's bytes with that member removed, that
// is of the object as it would read without `,"hash":"…"`. Entry n+1
// carries entry n's hash in "prev_hash"; entry 1 carries GenesisHash. A
// record is valid only in the exact form the journal writes (field order,
// UTC times, amounts with two decimals), so the hash covers every byte.

// hashMember is what precedes the hex hash at the end of a line.
const hashMember = `,"hash":"`

// recordKind says what is wrong with a line.
type recordKind int

const (
	// kindSyntax: not a complete JSON object, as after a crash mid-write.
	kindSyntax recordKind = iota + 1
	// kindHash: the check value does not match the content.
	kindHash
	// kindInvalid: well-formed, but a field is wrong or not in the
	// journal's own form.
	kindInvalid
)

// RecordError says why a line is not a valid journal record.
type RecordError struct {
	kind   recordKind
	DE, EN string
	Err    error
}

// Error returns the English reason.
func (e *RecordError) Error() string {
	if e.Err != nil {
		return e.EN + ": " + e.Err.Error()
	}
	return e.EN
}

// Unwrap returns the cause.
func (e *RecordError) Unwrap() error { return e.Err }

func syntaxErr(err error) *RecordError {
	return &RecordError{kind: kindSyntax, DE: "nicht lesbar, kein vollständiger Eintrag", EN: "not readable, not a complete record", Err: err}
}

func invalidErr(de, en string) *RecordError {
	return &RecordError{kind: kindInvalid, DE: de, EN: en}
}

// encodeRecord returns the line (with "\n") for e, whose Hash is ignored,
// and the hash it carries.
func encodeRecord(e Entry) (line []byte, hash string, err error) {
	e.Hash = ""
	body, err := json.Marshal(e)
	if err != nil {
		return nil, "", fmt.Errorf("encode journal entry %d: %w", e.Number, err)
	}
	sum := sha256.Sum256(body)
	hash = hex.EncodeToString(sum[:])
	line = make([]byte, 0, len(body)+len(hashMember)+len(hash)+3)
	line = append(line, body[:len(body)-1]...)
	line = append(line, hashMember...)
	line = append(line, hash...)
	line = append(line, '"', '}', '\n')
	return line, hash, nil
}

// ParseRecord parses one line of a journal file (without its "\n") and
// checks it on its own: complete JSON, a check value matching the content,
// plausible fields, and the journal's exact form. It does not check the
// chain (number and prev_hash against the neighbours); a scan of the file
// does. Errors are *RecordError.
func ParseRecord(line []byte) (Entry, error) {
	// Unknown or repeated members need no check here: the canonical form
	// checked at the end has neither.
	var e Entry
	if err := json.Unmarshal(line, &e); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return Entry{}, syntaxErr(err)
		}
		return Entry{}, &RecordError{kind: kindInvalid, DE: "Feld ungültig", EN: "invalid field", Err: err}
	}
	// The check value: the line must end with ,"hash":"<64 hex>"}.
	n := len(line)
	start := n - 2 - 64 - len(hashMember)
	if start < 1 || !bytes.Equal(line[start:start+len(hashMember)], []byte(hashMember)) || !bytes.HasSuffix(line, []byte(`"}`)) {
		return Entry{}, invalidErr("Prüfwert (hash) fehlt am Ende des Eintrags", "check value (hash) missing at the end of the record")
	}
	if !isHexHash(e.Hash) || e.Hash != string(line[start+len(hashMember):n-2]) {
		return Entry{}, invalidErr("Prüfwert (hash) ungültig", "check value (hash) malformed")
	}
	body := make([]byte, 0, start+1)
	body = append(append(body, line[:start]...), '}')
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != e.Hash {
		return Entry{}, &RecordError{kind: kindHash, DE: "Prüfwert passt nicht zum Inhalt (Eintrag verändert)", EN: "check value does not match the content (entry altered)"}
	}
	if err := checkFields(e); err != nil {
		return Entry{}, err
	}
	// Only the journal's own form is valid: re-encoding gives the same bytes.
	again, _, err := encodeRecord(e)
	if err != nil || !bytes.Equal(again[:len(again)-1], line) {
		return Entry{}, invalidErr("Eintrag nicht in der Form, die das Journal schreibt", "record not in the form the journal writes")
	}
	return e, nil
}

func checkFields(e Entry) *RecordError {
	switch {
	case e.Number < 1:
		return invalidErr("Nummer fehlt oder ist kleiner als 1", "number missing or below 1")
	case e.ID == "":
		return invalidErr("ID fehlt", "id missing")
	case e.Type != TypeSale:
		return invalidErr("unbekannter Vorgangstyp "+quoteShort(e.Type), "unknown transaction type "+quoteShort(e.Type))
	case e.Start.IsZero() || e.End.IsZero() || e.Start.Location().String() != "UTC" || e.End.Location().String() != "UTC":
		return invalidErr("Start- oder Endzeit fehlt oder ist nicht in UTC", "start or end time missing or not in UTC")
	case e.End.Before(e.Start):
		return invalidErr("Endzeit liegt vor der Startzeit", "end time before start time")
	case e.TSEStatus == "":
		return invalidErr("TSE-Status fehlt", "TSE status missing")
	case !isHexHash(e.PrevHash):
		return invalidErr("Hash des Vorgängers (prev_hash) ungültig", "prev_hash malformed")
	}
	if fe := ValidateSale(Sale{IdempotencyKey: e.IdempotencyKey, Staff: e.Staff, Payment: e.Payment, Items: e.Items}); len(fe) > 0 {
		return invalidErr("Feld "+fe[0].Field+": "+fe[0].DE, "field "+fe[0].Field+": "+fe[0].EN)
	}
	total, copay := Totals(e.Items)
	if !total.Equal(e.Total) || !copay.Equal(e.CopayTotal) {
		return invalidErr("Summen passen nicht zu den Artikeln", "totals do not match the items")
	}
	return nil
}

func isHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf("%q", s)
}
