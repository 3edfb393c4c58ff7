package pharmacli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const ac = "777bea0e13cc9c42ceec14aec3ddee2263325dc2c6c699db115f58fe423607ea"

// run calls a command and returns exit code, stdout and stderr.
func run(f func(stdout, stderr *bytes.Buffer) int) (int, string, string) {
	var out, errOut bytes.Buffer
	code := f(&out, &errOut)
	return code, out.String(), errOut.String()
}

func TestPZN(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    string // exact stdout when wantExact
		wantExact  bool
		outHas     []string
		errHas     []string
		wantNoOut  bool
		wantNoErrs bool
	}{
		{name: "valid PZN-8", args: []string{"check", "04877800"}, wantCode: 0,
			wantOut: "gültig / valid: PZN 04877800\n", wantExact: true},
		{name: "valid PZN-7 normalised", args: []string{"check", "4877800"}, wantCode: 0,
			wantOut: "gültig / valid: PZN 04877800\n", wantExact: true},
		{name: "prefix split by the shell", args: []string{"check", "PZN", "04877800"}, wantCode: 0,
			wantOut: "gültig / valid: PZN 04877800\n", wantExact: true},
		{name: "Code 39 scan", args: []string{"check", "-04877800"}, wantCode: 0,
			wantOut: "gültig / valid: PZN 04877800\n", wantExact: true},
		{name: "IFA DataMatrix with <GS>", args: []string{"check", "[)><RS>06<GS>9N110375286414<GS>1T12345ABCDE<GS>D150600<GS>S12345ABCDEF98765<RS><EOT>"}, wantCode: 0,
			wantOut: "gültig / valid: PZN 03752864\nCode / code: IFA-PPN\nCharge / batch: 12345ABCDE\nVerfall / expiry: 30.06.2015\nSeriennummer / serial number: 12345ABCDEF98765\n", wantExact: true},
		{name: "DataMatrix without separators: PZN plus note", args: []string{"check", "[)>069N1103752864141T12345ABCDED150600S12345ABCDEF98765"}, wantCode: 0,
			outHas: []string{"gültig / valid: PZN 03752864\n", "Hinweis / note: Trennzeichen (GS) fehlen"}},
		{name: "wrong check digit", args: []string{"check", "04877805"}, wantCode: 1,
			wantOut: "ungültig / invalid: Prüfziffer falsch: erwartet 0, gelesen 5. Bitte PZN prüfen (Zahlendreher?) " +
				"(check digit wrong: expected 0, read 5. Please check the PZN (swapped digits?))\n", wantExact: true},
		{name: "domain example 00002000", args: []string{"check", "00002000"}, wantCode: 1,
			outHas: []string{"ungültig / invalid: Prüfziffer 10 wird nie vergeben"}},
		{name: "wrong length", args: []string{"check", "123"}, wantCode: 1,
			outHas: []string{"PZN muss 7 oder 8 Ziffern haben"}},
		{name: "no arguments", args: nil, wantCode: 2, wantNoOut: true, errHas: []string{"Befehl fehlt", "Aufruf / usage"}},
		{name: "check without PZN", args: []string{"check"}, wantCode: 2, wantNoOut: true, errHas: []string{"PZN fehlt"}},
		{name: "check with empty PZN", args: []string{"check", " "}, wantCode: 2, wantNoOut: true, errHas: []string{"PZN fehlt"}},
		{name: "unknown subcommand", args: []string{"verify", "04877800"}, wantCode: 2, wantNoOut: true, errHas: []string{`unknown command "verify"`}},
		{name: "help", args: []string{"--help"}, wantCode: 0, outHas: []string{"lifeline pzn check PZN"}, wantNoErrs: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(func(o, e *bytes.Buffer) int { return PZN(tt.args, o, e) })
			if code != tt.wantCode {
				t.Errorf("PZN(%q) exit = %d; want %d (stdout %q, stderr %q)", tt.args, code, tt.wantCode, out, errOut)
			}
			if tt.wantExact && out != tt.wantOut {
				t.Errorf("PZN(%q) stdout = %q; want %q", tt.args, out, tt.wantOut)
			}
			for _, s := range tt.outHas {
				if !strings.Contains(out, s) {
					t.Errorf("PZN(%q) stdout = %q; want it to contain %q", tt.args, out, s)
				}
			}
			for _, s := range tt.errHas {
				if !strings.Contains(errOut, s) {
					t.Errorf("PZN(%q) stderr = %q; want it to contain %q", tt.args, errOut, s)
				}
			}
			if tt.wantNoOut && out != "" {
				t.Errorf("PZN(%q) stdout = %q; want empty", tt.args, out)
			}
			if (tt.wantNoErrs || tt.wantCode != 2) && errOut != "" {
				t.Errorf("PZN(%q) stderr = %q; want empty", tt.args, errOut)
			}
		})
	}
}

func TestCopay(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // exact stdout; checked when wantCode is 0
		errHas   []string
	}{
		{
			name: "json 73,40", args: []string{"--price", "73,40", "--json"},
			wantOut: `{"copay":"7.34","mehrkosten":"0.00","total":"7.34","reason":"10 % von 73,40 € = 7,34 €"}` + "\n",
		},
		{
			name: "text 73.40",
			args: []string{"--price", "73.40"},
			wantOut: "Zuzahlung 7,34 € (10 % von 73,40 € = 7,34 €). Mehrkosten 0,00 €. Gesamt 7,34 €.\n" +
				"Co-payment €7.34 (10 % of €73.40 = €7.34). Extra cost above Festbetrag €0.00. Total €7.34.\n",
		},
		{
			name: "json Festbetrag", args: []string{"--price=95", "--festbetrag=80,00", "--json"},
			wantOut: `{"copay":"8.00","mehrkosten":"15.00","total":"23.00","reason":"10 % vom Festbetrag 80,00 € = 8,00 €; Festbetrag 80,00 € überschritten: Mehrkosten 15,00 €"}` + "\n",
		},
		{
			name: "json minimum", args: []string{"-price", "30", "-json"},
			wantOut: `{"copay":"5.00","mehrkosten":"0.00","total":"5.00","reason":"Mindestzuzahlung 5,00 € (10 % von 30,00 € = 3,00 €)"}` + "\n",
		},
		{
			name: "json under 18", args: []string{"--price", "73,40", "--age", "16", "--json"},
			wantOut: `{"copay":"0.00","mehrkosten":"0.00","total":"0.00","reason":"unter 18 Jahren: keine Zuzahlung"}` + "\n",
		},
		{
			name: "json age 18", args: []string{"--price", "73,40", "--age", "18", "--json"},
			wantOut: `{"copay":"7.34","mehrkosten":"0.00","total":"7.34","reason":"10 % von 73,40 € = 7,34 €"}` + "\n",
		},
		{
			name: "json exempt with Festbetrag", args: []string{"--price", "95", "--festbetrag", "80", "--exempt", "--json"},
			wantOut: `{"copay":"0.00","mehrkosten":"15.00","total":"15.00","reason":"Befreit (Befreiungsbescheid): keine Zuzahlung; Festbetrag 80,00 € überschritten: Mehrkosten 15,00 €"}` + "\n",
		},
		{
			name: "json article exempt", args: []string{"--price", "12", "--article-exempt", "--json"},
			wantOut: `{"copay":"0.00","mehrkosten":"0.00","total":"0.00","reason":"zuzahlungsbefreites Arzneimittel (mind. 30 % unter Festbetrag): keine Zuzahlung"}` + "\n",
		},
		{
			name: "text private",
			args: []string{"--price", "1.234,56", "--private"},
			wantOut: "Zuzahlung 0,00 € (Privatrezept: keine gesetzliche Zuzahlung, Patient zahlt den Preis 1.234,56 €). Mehrkosten 0,00 €. Gesamt 1.234,56 €.\n" +
				"Co-payment €0.00 (private prescription: no statutory co-payment, the patient pays the price €1,234.56). Extra cost above Festbetrag €0.00. Total €1,234.56.\n",
		},
		{
			name: "json otc", args: []string{"--price", "8,95", "--otc", "--json"},
			wantOut: `{"copay":"0.00","mehrkosten":"0.00","total":"8.95","reason":"Verkauf ohne Kassenrezept: keine gesetzliche Zuzahlung, Patient zahlt den Preis 8,95 €"}` + "\n",
		},
		{
			name: "json price under 5", args: []string{"--price", "4,20", "--json"},
			wantOut: `{"copay":"4.20","mehrkosten":"0.00","total":"4.20","reason":"Preis unter 5,00 €: Zuzahlung = Preis 4,20 €"}` + "\n",
		},
		{name: "price missing", args: []string{"--json"}, wantCode: 2, errHas: []string{"--price fehlt"}},
		{name: "price ambiguous", args: []string{"--price", "1.234"}, wantCode: 2, errHas: []string{"--price: Betrag mehrdeutig"}},
		{name: "price three decimals", args: []string{"--price", "7,3456"}, wantCode: 2, errHas: []string{"höchstens 2 Nachkommastellen"}},
		{name: "price negative", args: []string{"--price", "-5"}, wantCode: 2, errHas: []string{"nicht negativ"}},
		{name: "price text", args: []string{"--price", "zehn"}, wantCode: 2, errHas: []string{"Betrag unlesbar"}},
		{name: "festbetrag bad", args: []string{"--price", "10", "--festbetrag", "x"}, wantCode: 2, errHas: []string{"--festbetrag: Betrag unlesbar"}},
		{name: "festbetrag zero", args: []string{"--price", "10", "--festbetrag", "0"}, wantCode: 2, errHas: []string{"Festbetrag muss größer als 0 sein"}},
		{name: "age not a number", args: []string{"--price", "10", "--age", "sechzehn"}, wantCode: 2, errHas: []string{"--age: Alter in ganzen Jahren"}},
		{name: "age negative", args: []string{"--price", "10", "--age", "-3"}, wantCode: 2, errHas: []string{"Alter -3 ist nicht möglich"}},
		{name: "private and otc", args: []string{"--price", "10", "--private", "--otc"}, wantCode: 2, errHas: []string{"schließen sich aus"}},
		{name: "unknown flag", args: []string{"--price", "10", "--befreit"}, wantCode: 2, errHas: []string{"flag provided but not defined: -befreit"}},
		{name: "extra argument", args: []string{"--price", "10", "extra"}, wantCode: 2, errHas: []string{`unexpected argument "extra"`}},
		{name: "help", args: []string{"-h"}, wantCode: 0, errHas: []string{"lifeline copay --price EUR"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(func(o, e *bytes.Buffer) int { return Copay(tt.args, o, e) })
			if code != tt.wantCode {
				t.Fatalf("Copay(%q) exit = %d; want %d (stdout %q, stderr %q)", tt.args, code, tt.wantCode, out, errOut)
			}
			if out != tt.wantOut {
				t.Errorf("Copay(%q) stdout = %q; want %q", tt.args, out, tt.wantOut)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(errOut, s) {
					t.Errorf("Copay(%q) stderr = %q; want it to contain %q", tt.args, errOut, s)
				}
			}
			if len(tt.errHas) == 0 && errOut != "" {
				t.Errorf("Copay(%q) stderr = %q; want empty", tt.args, errOut)
			}
		})
	}
}

// failingReader returns an error on read.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestERezept(t *testing.T) {
	tokenOne := `{"urls":["Task/160.123.456.789.123.58/$accept?ac=` + ac + `"]}`
	tokenTwo := `{"urls":["Task/160.123.456.789.123.58/$accept?ac=` + ac + `","Task/200.000.001.213.340.73/$accept?ac=` + ac + `"]}`
	tests := []struct {
		name     string
		args     []string
		stdin    string
		reader   bool // use failingReader
		wantCode int
		wantOut  string
		errHas   []string
	}{
		{
			name: "one prescription (gematik api-erp example)", args: []string{"parse"}, stdin: tokenOne + "\n",
			wantOut: `[{"prescription_id":"160.123.456.789.123.58","flow_type":"160","access_code":"` + ac + `"}]` + "\n",
		},
		{
			name: "two prescriptions", args: []string{"parse"}, stdin: tokenTwo,
			wantOut: `[{"prescription_id":"160.123.456.789.123.58","flow_type":"160","access_code":"` + ac + `"},` +
				`{"prescription_id":"200.000.001.213.340.73","flow_type":"200","access_code":"` + ac + `"}]` + "\n",
		},
		{name: "wrong check digits", args: []string{"parse"}, stdin: strings.Replace(tokenOne, "123.58", "123.59", 1), wantCode: 1,
			errHas: []string{"ungültig / invalid: Prüfziffern der Rezept-ID falsch: erwartet 58, gelesen 59"}},
		{name: "flow type 169", args: []string{"parse"}, stdin: `{"urls":["Task/169.000.000.000.001.62/$accept?ac=` + ac + `"]}`, wantCode: 1,
			errHas: []string{"Rezepttyp 169"}},
		{name: "not JSON", args: []string{"parse"}, stdin: "04877800", wantCode: 1, errHas: []string{"kein gültiges JSON"}},
		{name: "empty stdin", args: []string{"parse"}, stdin: "", wantCode: 1, errHas: []string{"nichts gescannt"}},
		{name: "too large", args: []string{"parse"}, stdin: strings.Repeat(" ", maxStdin+1), wantCode: 1, errHas: []string{"zu groß"}},
		{name: "read error", args: []string{"parse"}, reader: true, wantCode: 1, errHas: []string{"disk on fire"}},
		{name: "no command", args: nil, wantCode: 2, errHas: []string{"Befehl fehlt"}},
		{name: "unknown command", args: []string{"check"}, wantCode: 2, errHas: []string{`unknown command "check"`}},
		{name: "token as argument", args: []string{"parse", tokenOne}, wantCode: 2, errHas: []string{"stdin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in interface{ Read([]byte) (int, error) } = strings.NewReader(tt.stdin)
			if tt.reader {
				in = failingReader{}
			}
			code, out, errOut := run(func(o, e *bytes.Buffer) int { return ERezept(tt.args, in, o, e) })
			if code != tt.wantCode {
				t.Fatalf("ERezept(%q) exit = %d; want %d (stdout %q, stderr %q)", tt.args, code, tt.wantCode, out, errOut)
			}
			if out != tt.wantOut {
				t.Errorf("ERezept(%q) stdout = %q; want %q", tt.args, out, tt.wantOut)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(errOut, s) {
					t.Errorf("ERezept(%q) stderr = %q; want it to contain %q", tt.args, errOut, s)
				}
			}
			if len(tt.errHas) == 0 && errOut != "" {
				t.Errorf("ERezept(%q) stderr = %q; want empty", tt.args, errOut)
			}
		})
	}
}

func TestERezeptHelp(t *testing.T) {
	code, out, errOut := run(func(o, e *bytes.Buffer) int { return ERezept([]string{"help"}, strings.NewReader(""), o, e) })
	if code != 0 || !strings.Contains(out, "lifeline erezept parse") || errOut != "" {
		t.Errorf("ERezept(help) = %d, %q, %q; want 0, usage on stdout, empty stderr", code, out, errOut)
	}
}
