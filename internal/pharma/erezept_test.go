package pharma

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Real examples from gematik's documentation:
//   - gematik/api-erp docs/erp_abrufen.adoc, "E-Rezept abrufen": a pharmacy
//     scanned Task/160.123.456.789.123.58/$accept?ac=777bea0e…07ea;
//     the same file's PKV example is Task 200.000.001.213.340.73 with access
//     code 8532d3ac…0dec.
//   - domain.md: 160.000.000.000.123.76 with the same access code.
const (
	gematikAC     = "777bea0e13cc9c42ceec14aec3ddee2263325dc2c6c699db115f58fe423607ea"
	gematikPKVAC  = "8532d3accd0b23fe7f780161c4cf8d4ddab3ce028c1ad22f61bbea5720f60dec"
	gematikID     = "160.123.456.789.123.58"
	gematikPKVID  = "200.000.001.213.340.73"
	domainID      = "160.000.000.000.123.76"
	domainToken   = `{"urls":["Task/160.000.000.000.123.76/$accept?ac=` + gematikAC + `"]}`
	upperAC       = "777BEA0E13CC9C42CEEC14AEC3DDEE2263325DC2C6C699DB115F58FE423607EA"
	idBtM         = "165.000.000.000.001.80"
	idT           = "166.000.000.000.001.27"
	idDiGA        = "162.000.000.000.001.45"
	idDirect      = "169.000.000.000.001.62"
	idDirectPKV   = "209.000.000.000.001.76"
	idUnknownFlow = "150.000.000.000.001.02"
)

func tokenJSON(urls ...string) string {
	return `{"urls":["` + strings.Join(urls, `","`) + `"]}`
}

func taskURL(id, ac string) string { return "Task/" + id + "/$accept?ac=" + ac }

func TestValidPrescriptionID(t *testing.T) {
	tests := []struct {
		id   string
		code string
	}{
		{id: gematikID},                // gematik/api-erp docs/erp_abrufen.adoc
		{id: gematikPKVID},             // gematik/api-erp docs/erp_abrufen.adoc (PKV)
		{id: "160.000.033.491.280.78"}, // gematik FHIR examples (MedicationDispense)
		{id: domainID},
		{id: idBtM}, {id: idT}, {id: idDiGA}, {id: idDirect}, {id: idDirectPKV},
		{id: "160.123.456.789.123.59", code: ReasonRezeptIDCheck},
		{id: "160.123.456.789.132.58", code: ReasonRezeptIDCheck}, // swapped digits
		// Placeholder IDs in some gematik examples do not carry valid check
		// digits; they must be refused.
		{id: "160.000.000.000.000.01", code: ReasonRezeptIDCheck},
		{id: "169.100.000.000.002.36", code: ReasonRezeptIDCheck},
		{id: idUnknownFlow, code: ReasonFlowTypeUnknown},
		{id: "16012345678912358", code: ReasonRezeptIDFormat},
		{id: "160.123.456.789.12.358", code: ReasonRezeptIDFormat},
		{id: "160-123-456-789-123-58", code: ReasonRezeptIDFormat},
		{id: "160.123.456.789.123.5", code: ReasonRezeptIDFormat},
		{id: "", code: ReasonRezeptIDFormat},
		{id: "16a.123.456.789.123.58", code: ReasonRezeptIDFormat},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			err := ValidPrescriptionID(tt.id)
			if c := errCode(err); c != tt.code {
				t.Errorf("ValidPrescriptionID(%q) = %v; want code %q", tt.id, err, tt.code)
			}
			if tt.code == "" && err != nil {
				t.Errorf("ValidPrescriptionID(%q) = %v; want nil", tt.id, err)
			}
		})
	}
}

func TestValidPrescriptionIDMessage(t *testing.T) {
	err := ValidPrescriptionID("160.123.456.789.123.59")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v; want *Error", err)
	}
	want := "Prüfziffern der Rezept-ID falsch: erwartet 58, gelesen 59. Code erneut scannen"
	if e.DE != want {
		t.Errorf("German reason = %q; want %q", e.DE, want)
	}
}

func TestPrescriptionIDCheckDigits(t *testing.T) {
	tests := []struct{ in, want string }{
		{"160.123.456.789.123", "58"}, // gematik/api-erp docs/erp_abrufen.adoc
		{"200.000.001.213.340", "73"}, // gematik/api-erp docs/erp_abrufen.adoc
		{"160000000000123", "76"},     // domain.md
		{"165.000.000.000.001", "80"},
		{"160.000.000.000.000", "57"},
		{"160.000.000.000.12", ""},
		{"1600000000001234", ""},
		{"160,000,000,000,123", ""},
		{"16000000000012a", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := PrescriptionIDCheckDigits(tt.in)
			if got != tt.want {
				t.Errorf("PrescriptionIDCheckDigits(%q) = %q; want %q", tt.in, got, tt.want)
			}
			if got == "" {
				return
			}
			digits := strings.ReplaceAll(tt.in, ".", "")
			id := digits[0:3] + "." + digits[3:6] + "." + digits[6:9] + "." + digits[9:12] + "." + digits[12:15] + "." + got
			if err := ValidPrescriptionID(id); err != nil {
				t.Errorf("ValidPrescriptionID(%q) = %v for generated check digits; want nil", id, err)
			}
		})
	}
}

func TestFlowTypeName(t *testing.T) {
	tests := []struct{ code, de, en string }{
		{"160", "Muster 16: apothekenpflichtige Arzneimittel (Kasse)", "form 16: pharmacy-only medicines (statutory insurance)"},
		{"162", "Digitale Gesundheitsanwendung (DiGA)", "digital health application (DiGA)"},
		{"165", "Betäubungsmittel (BtM-Rezept)", "narcotics (BtM prescription)"},
		{"166", "T-Rezept (§ 3a AMVV)", "T prescription (Section 3a AMVV)"},
		{"169", "direkte Zuweisung durch die Praxis (Kasse)", "direct assignment by the practice (statutory insurance)"},
		{"200", "Privatrezept (PKV)", "private prescription (PKV)"},
		{"209", "direkte Zuweisung durch die Praxis (privat)", "direct assignment by the practice (private)"},
		{"150", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			de, en := FlowTypeName(tt.code)
			if de != tt.de || en != tt.en {
				t.Errorf("FlowTypeName(%q) = %q, %q; want %q, %q", tt.code, de, en, tt.de, tt.en)
			}
		})
	}
}

func TestParseERezeptToken(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   []Token
		code   string
		wantDE string // substring of the German reason
	}{
		{
			name: "domain.md example",
			in:   domainToken,
			want: []Token{{PrescriptionID: domainID, FlowType: "160", AccessCode: gematikAC}},
		},
		{
			name: "gematik api-erp example with newline and spaces from the scanner",
			in:   "  " + tokenJSON(taskURL(gematikID, gematikAC)) + "\r\n",
			want: []Token{{PrescriptionID: gematikID, FlowType: "160", AccessCode: gematikAC}},
		},
		{
			name: "three prescriptions, pretty JSON, extra key ignored",
			in: "{\n  \"urls\": [\n    \"" + taskURL(gematikID, gematikAC) + "\",\n    \"" + taskURL(gematikPKVID, gematikPKVAC) +
				"\",\n    \"" + taskURL(idBtM, upperAC) + "\"\n  ],\n  \"version\": 1\n}",
			want: []Token{
				{PrescriptionID: gematikID, FlowType: "160", AccessCode: gematikAC},
				{PrescriptionID: gematikPKVID, FlowType: "200", AccessCode: gematikPKVAC},
				{PrescriptionID: idBtM, FlowType: "165", AccessCode: upperAC},
			},
		},
		{
			name: "T-Rezept and DiGA",
			in:   tokenJSON(taskURL(idT, gematikAC), taskURL(idDiGA, gematikAC)),
			want: []Token{
				{PrescriptionID: idT, FlowType: "166", AccessCode: gematikAC},
				{PrescriptionID: idDiGA, FlowType: "162", AccessCode: gematikAC},
			},
		},
		{name: "empty", in: " \n", code: ReasonEmpty},
		{name: "not JSON", in: "Task/" + domainID + "/$accept?ac=" + gematikAC, code: ReasonTokenJSON},
		{name: "JSON with trailing text", in: domainToken + "x", code: ReasonTokenJSON},
		{name: "JSON array", in: `["` + taskURL(domainID, gematikAC) + `"]`, code: ReasonTokenJSON},
		{name: "JSON null", in: `null`, code: ReasonTokenJSON},
		{name: "no urls key", in: `{"url":["` + taskURL(domainID, gematikAC) + `"]}`, code: ReasonTokenJSON},
		{name: "key in other case", in: `{"URLS":["` + taskURL(domainID, gematikAC) + `"]}`, code: ReasonTokenJSON},
		{name: "urls not a list", in: `{"urls":"` + taskURL(domainID, gematikAC) + `"}`, code: ReasonTokenJSON},
		{name: "urls with a number", in: `{"urls":[160]}`, code: ReasonTokenJSON},
		{name: "no entries", in: `{"urls":[]}`, code: ReasonTokenEmpty},
		{name: "urls null", in: `{"urls":null}`, code: ReasonTokenEmpty},
		{name: "four entries", in: tokenJSON(taskURL(gematikID, gematikAC), taskURL(gematikPKVID, gematikAC), taskURL(idBtM, gematikAC), taskURL(idT, gematikAC)),
			code: ReasonTokenTooMany, wantDE: "enthält 4 Rezepte, erlaubt sind höchstens 3"},
		{name: "duplicate", in: tokenJSON(taskURL(gematikID, gematikAC), taskURL(gematikID, gematikAC)), code: ReasonTokenDuplicate},
		{name: "full URL instead of Task/", in: tokenJSON("https://erp.zentral.erp.splitdns.ti-dienste.de/" + taskURL(gematikID, gematikAC)), code: ReasonTokenURL},
		{name: "leading slash", in: tokenJSON("/" + taskURL(gematikID, gematikAC)), code: ReasonTokenURL},
		{name: "no access code part", in: tokenJSON("Task/" + gematikID), code: ReasonTokenURL},
		{name: "other operation", in: tokenJSON("Task/" + gematikID + "/$reject?ac=" + gematikAC), code: ReasonTokenURL},
		{name: "wrong check digits", in: tokenJSON(taskURL("160.123.456.789.123.59", gematikAC)), code: ReasonRezeptIDCheck},
		{name: "bad ID form", in: tokenJSON(taskURL("4711", gematikAC)), code: ReasonRezeptIDFormat},
		{name: "unknown flow type", in: tokenJSON(taskURL(idUnknownFlow, gematikAC)), code: ReasonFlowTypeUnknown},
		{name: "flow type 169 never as 2D code", in: tokenJSON(taskURL(idDirect, gematikAC)), code: ReasonFlowTypeNoQRCode,
			wantDE: "Rezepttyp 169"},
		{name: "flow type 209 never as 2D code", in: tokenJSON(taskURL(idDirectPKV, gematikAC)), code: ReasonFlowTypeNoQRCode},
		{name: "access code 63 characters", in: tokenJSON(taskURL(gematikID, gematikAC[:63])), code: ReasonTokenAccessCode,
			wantDE: "erwartet 64 Hex-Zeichen (0-9, a-f), gelesen 63 Zeichen"},
		{name: "access code 65 characters", in: tokenJSON(taskURL(gematikID, gematikAC+"0")), code: ReasonTokenAccessCode},
		{name: "access code not hex", in: tokenJSON(taskURL(gematikID, "g"+gematikAC[1:])), code: ReasonTokenAccessCode},
		{name: "access code with more parameters", in: tokenJSON(taskURL(gematikID, gematikAC[:60]+"&x=1")), code: ReasonTokenAccessCode},
		{name: "empty access code", in: tokenJSON(taskURL(gematikID, "")), code: ReasonTokenAccessCode},
		{name: "error names the entry", in: tokenJSON(taskURL(gematikID, gematikAC), taskURL("160.123.456.789.123.59", gematikAC)),
			code: ReasonRezeptIDCheck, wantDE: "Rezept 2 von 2: "},
		{name: "too long", in: `{"urls":["` + strings.Repeat("a", 3000) + `"]}`, code: ReasonTokenTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseERezeptToken(tt.in)
			if tt.code != "" {
				if c := errCode(err); c != tt.code {
					t.Fatalf("ParseERezeptToken(%q) = %+v, %v; want error code %q", tt.in, got, err, tt.code)
				}
				var e *Error
				errors.As(err, &e)
				if e.DE == "" || e.EN == "" {
					t.Errorf("error DE %q EN %q; want both", e.DE, e.EN)
				}
				if !strings.Contains(e.DE, tt.wantDE) {
					t.Errorf("German reason %q; want it to contain %q", e.DE, tt.wantDE)
				}
				if got != nil {
					t.Errorf("tokens %+v with an error; want nil", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseERezeptToken(%q) error %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseERezeptToken mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseERezeptToken(f *testing.F) {
	for _, s := range []string{
		domainToken,
		tokenJSON(taskURL(gematikID, gematikAC), taskURL(gematikPKVID, gematikPKVAC), taskURL(idBtM, upperAC)),
		tokenJSON(taskURL(idDirect, gematikAC)),
		`{"urls":[]}`, `{"urls":null}`, `null`, `{}`, `[]`, `{"urls":[1]}`, "", "Task/", `{"urls":["Task/"]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tokens, err := ParseERezeptToken(s)
		if err != nil {
			if errCode(err) == "" {
				t.Fatalf("ParseERezeptToken(%q) error %v is not an *Error", s, err)
			}
			return
		}
		if len(tokens) < 1 || len(tokens) > 3 {
			t.Fatalf("ParseERezeptToken(%q) = %d tokens; want 1 to 3", s, len(tokens))
		}
		for _, tok := range tokens {
			if err := ValidPrescriptionID(tok.PrescriptionID); err != nil {
				t.Fatalf("token ID %q invalid: %v", tok.PrescriptionID, err)
			}
			if tok.FlowType != tok.PrescriptionID[:3] || tok.FlowType == "169" || tok.FlowType == "209" {
				t.Fatalf("token %+v: bad flow type", tok)
			}
			if !validAccessCode(tok.AccessCode) {
				t.Fatalf("token %+v: bad access code", tok)
			}
		}
	})
}
