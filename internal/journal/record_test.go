package journal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func testEntry() Entry {
	s := sale("key-1", 1)
	total, copay := Totals(s.Items)
	return Entry{
		Number: 1, ID: "6f1c7a4e-0000-4000-8000-000000000001", IdempotencyKey: s.IdempotencyKey, Type: TypeSale,
		Start: t0, End: t0.Add(1500 * 1000), Till: "Kasse 1", RegisterSerial: "LL-REG-0001", TSESerial: "TSE-42",
		TSEStatus: TSEStatusFailed, Staff: s.Staff, Payment: s.Payment, Items: s.Items,
		Total: total, CopayTotal: copay, PrevHash: GenesisHash,
	}
}

func testLine(t testing.TB) []byte {
	t.Helper()
	line, _, err := encodeRecord(testEntry())
	if err != nil {
		t.Fatal(err)
	}
	return line[:len(line)-1]
}

func TestRecordRoundTrip(t *testing.T) {
	line := testLine(t)
	if !bytes.HasSuffix(line, []byte(`"}`)) || !bytes.Contains(line, []byte(`"tse_status":"TSE-Ausfall"`)) {
		t.Fatalf("line = %s; want a hash member last and the TSE-Ausfall mark", line)
	}
	e, err := ParseRecord(line)
	if err != nil {
		t.Fatalf("ParseRecord: %v", err)
	}
	want := testEntry()
	if e.Number != want.Number || e.IdempotencyKey != want.IdempotencyKey || !e.Start.Equal(want.Start) || !e.Total.Equal(want.Total) || len(e.Hash) != 64 {
		t.Errorf("ParseRecord = %+v; want %+v with a hash", e, want)
	}
}

func TestParseRecordRejects(t *testing.T) {
	good := string(testLine(t))
	rehash := func(s string) string {
		// Re-sign an altered line, as a forger would, to get past the
		// check value and reach the field checks.
		i := strings.LastIndex(s, hashMember)
		return string(signRaw([]byte(s[:i] + "}")))
	}
	tests := []struct {
		name     string
		line     string
		wantKind recordKind
		wantMsg  string
	}{
		{name: "truncated", line: good[:len(good)/2], wantKind: kindSyntax},
		{name: "zeros", line: "\x00\x00\x00\x00", wantKind: kindSyntax},
		{name: "empty", line: "", wantKind: kindSyntax},
		{name: "altered price", line: strings.Replace(good, `"price":"4.20"`, `"price":"3.20"`, 1), wantKind: kindHash, wantMsg: "verändert"},
		{name: "altered staff", line: strings.Replace(good, "Becker", "Backer", 1), wantKind: kindHash},
		{name: "hash removed", line: good[:strings.LastIndex(good, hashMember)] + "}", wantKind: kindInvalid, wantMsg: "fehlt"},
		{name: "re-signed unknown field", line: rehash(strings.Replace(good, `{"number":1`, `{"x":1,"number":1`, 1)), wantKind: kindInvalid, wantMsg: "Form"},
		{name: "re-signed repeated member", line: rehash(strings.Replace(good, `{"number":1`, `{"number":2,"number":1`, 1)), wantKind: kindInvalid, wantMsg: "Form"},
		{name: "re-signed null amount", line: rehash(strings.Replace(good, `"price":"4.20"`, `"price":null`, 1)), wantKind: kindInvalid},
		{name: "re-signed wrong total", line: rehash(strings.Replace(good, `"total":"81.80"`, `"total":"80.80"`, 1)), wantKind: kindInvalid, wantMsg: "Summen"},
		{name: "re-signed not canonical", line: rehash(strings.Replace(good, `{"number":1,`, `{ "number":1,`, 1)), wantKind: kindInvalid, wantMsg: "Form"},
		{name: "re-signed local time", line: rehash(strings.Replace(good, `"start":"2026-03-29T00:30:00Z"`, `"start":"2026-03-29T01:30:00+01:00"`, 1)), wantKind: kindInvalid},
		{name: "re-signed copay above price", line: rehash(strings.Replace(good, `"copay":"7.34"`, `"copay":"99.00"`, 1)), wantKind: kindInvalid, wantMsg: "Zuzahlung"},
		{name: "re-signed unknown type", line: rehash(strings.Replace(good, `"type":"Beleg"`, `"type":"Storno"`, 1)), wantKind: kindInvalid, wantMsg: "Vorgangstyp"},
		{name: "re-signed number zero", line: rehash(strings.Replace(good, `"number":1,`, `"number":0,`, 1)), wantKind: kindInvalid, wantMsg: "Nummer"},
		{name: "re-signed float price", line: rehash(strings.Replace(good, `"price":"4.20"`, `"price":4.2`, 1)), wantKind: kindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRecord([]byte(tt.line))
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("ParseRecord(%q) error = %v; want a *RecordError", tt.line, err)
			}
			if re.kind != tt.wantKind || !strings.Contains(re.DE, tt.wantMsg) {
				t.Errorf("ParseRecord error = kind %d %q; want kind %d containing %q", re.kind, re.DE, tt.wantKind, tt.wantMsg)
			}
		})
	}
}

func FuzzParseRecord(f *testing.F) {
	good := testLine(f)
	f.Add(good)
	f.Add(good[:100])
	f.Add([]byte(`{"number":1}`))
	f.Add([]byte("\x00\x00"))
	f.Add(bytes.Replace(good, []byte(`"qty":2`), []byte(`"qty":-2`), 1))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := ParseRecord(line)
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) || re.DE == "" || re.EN == "" {
				t.Fatalf("ParseRecord error = %v; want a *RecordError with German and English text", err)
			}
			return
		}
		// A valid record is in canonical form: encoding it gives it back.
		again, hash, err := encodeRecord(e)
		if err != nil {
			t.Fatalf("encodeRecord of a parsed record: %v", err)
		}
		if !bytes.Equal(again[:len(again)-1], line) || hash != e.Hash {
			t.Fatalf("re-encoded record differs:\n got %s\nwant %s", again, line)
		}
	})
}

// signRaw appends a correct hash member to a body "{…}" whatever it holds.
func signRaw(body []byte) []byte {
	sum := sha256.Sum256(body)
	out := append([]byte{}, body[:len(body)-1]...)
	out = append(out, hashMember...)
	out = append(out, hex.EncodeToString(sum[:])...)
	return append(out, '"', '}')
}

// FuzzScan feeds arbitrary files to the scan that Open and Verify use: it
// must not panic, and what it reports must be consistent.
func FuzzScan(f *testing.F) {
	good := testLine(f)
	f.Add(append(append([]byte{}, good...), '\n'))
	f.Add(append(append(append([]byte{}, good...), '\n'), good[:50]...))
	f.Add([]byte("\x00\x00\n{}\n"))
	f.Add([]byte("{\"number\":1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := scan(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("scan of bytes in memory: %v", err)
		}
		if res.fileSize != int64(len(data)) || res.validSize > res.fileSize || res.tornBytes > res.fileSize-res.validSize {
			t.Fatalf("sizes valid %d torn %d file %d for %d bytes", res.validSize, res.tornBytes, res.fileSize, len(data))
		}
		if res.problem == nil && res.validSize+res.tornBytes != res.fileSize {
			t.Fatalf("no problem, but valid %d + torn %d != file %d", res.validSize, res.tornBytes, res.fileSize)
		}
		var off int64
		for i, r := range res.recs {
			if r.off != off || r.number != int64(i+1) {
				t.Fatalf("record %d at %d number %d; want at %d number %d", i, r.off, r.number, off, i+1)
			}
			off += r.size
		}
		if off != res.validSize {
			t.Fatalf("records end at %d; valid size %d", off, res.validSize)
		}
	})
}
