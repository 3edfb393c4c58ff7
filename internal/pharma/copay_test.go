package pharma

import (
	"testing"

	"github.com/shopspring/decimal"
)

func decp(s string) *decimal.Decimal { d := dec(s); return &d }
func intp(i int) *int                { return &i }

func TestCopay(t *testing.T) {
	tests := []struct {
		name                     string
		in                       CopayInput
		copay, mehrkosten, total string
		rule                     Rule
		reason                   string // exact German reason when given
		reasonEN                 string // exact English reason when given
	}{
		// Examples from domain.md (Section 61 sentence 1 SGB V).
		{name: "30.00 gives minimum", in: CopayInput{Price: dec("30.00")}, copay: "5.00", total: "5.00", rule: RuleMinimum,
			reason: "Mindestzuzahlung 5,00 € (10 % von 30,00 € = 3,00 €)"},
		{name: "4.20 gives price", in: CopayInput{Price: dec("4.20")}, copay: "4.20", total: "4.20", rule: RuleBelowMinimum,
			reason: "Preis unter 5,00 €: Zuzahlung = Preis 4,20 €", reasonEN: "price below €5.00: co-payment = price €4.20"},
		{name: "73.40 gives 10 percent", in: CopayInput{Price: dec("73.40")}, copay: "7.34", total: "7.34", rule: RulePercent,
			reason: "10 % von 73,40 € = 7,34 €", reasonEN: "10 % of €73.40 = €7.34"},
		{name: "180.00 gives maximum", in: CopayInput{Price: dec("180.00")}, copay: "10.00", total: "10.00", rule: RuleMaximum,
			reason: "Höchstzuzahlung 10,00 € (10 % von 180,00 € = 18,00 €)"},
		{name: "age 16 pays nothing", in: CopayInput{Price: dec("73.40"), Age: intp(16)}, copay: "0", total: "0", rule: RuleUnder18,
			reason: "unter 18 Jahren: keine Zuzahlung", reasonEN: "under 18: no co-payment"},
		{name: "age 17 pays nothing", in: CopayInput{Price: dec("73.40"), Age: intp(17)}, copay: "0", total: "0", rule: RuleUnder18},
		{name: "age 0 pays nothing", in: CopayInput{Price: dec("73.40"), Age: intp(0)}, copay: "0", total: "0", rule: RuleUnder18},
		{name: "age 18 is adult", in: CopayInput{Price: dec("73.40"), Age: intp(18)}, copay: "7.34", total: "7.34", rule: RulePercent},
		{name: "unknown age is adult", in: CopayInput{Price: dec("73.40"), Age: nil}, copay: "7.34", total: "7.34", rule: RulePercent},
		{name: "Festbetrag 80 price 95", in: CopayInput{Price: dec("95.00"), Festbetrag: decp("80.00")},
			copay: "8.00", mehrkosten: "15.00", total: "23.00", rule: RulePercent,
			reason:   "10 % vom Festbetrag 80,00 € = 8,00 €; Festbetrag 80,00 € überschritten: Mehrkosten 15,00 €",
			reasonEN: "10 % of the Festbetrag €80.00 = €8.00; Festbetrag €80.00 exceeded: extra cost €15.00"},
		// Boundaries; half up at the cent.
		{name: "50.00 is exactly the minimum", in: CopayInput{Price: dec("50.00")}, copay: "5.00", total: "5.00", rule: RulePercent},
		{name: "50.05 rounds 5.005 half up", in: CopayInput{Price: dec("50.05")}, copay: "5.01", total: "5.01", rule: RulePercent,
			reason: "10 % von 50,05 € = 5,01 €"},
		{name: "50.04 rounds 5.004 down", in: CopayInput{Price: dec("50.04")}, copay: "5.00", total: "5.00", rule: RulePercent},
		{name: "49.99 rounds 4.999 to 5.00", in: CopayInput{Price: dec("49.99")}, copay: "5.00", total: "5.00", rule: RulePercent},
		{name: "49.94 gives minimum", in: CopayInput{Price: dec("49.94")}, copay: "5.00", total: "5.00", rule: RuleMinimum},
		{name: "100.00 is exactly the maximum", in: CopayInput{Price: dec("100.00")}, copay: "10.00", total: "10.00", rule: RulePercent},
		{name: "99.99 rounds 9.999 to 10.00", in: CopayInput{Price: dec("99.99")}, copay: "10.00", total: "10.00", rule: RulePercent},
		{name: "99.94 rounds 9.994 to 9.99", in: CopayInput{Price: dec("99.94")}, copay: "9.99", total: "9.99", rule: RulePercent},
		{name: "100.01 stays at 10.00", in: CopayInput{Price: dec("100.01")}, copay: "10.00", total: "10.00", rule: RulePercent},
		{name: "100.05 rounds to 10.01 and is capped", in: CopayInput{Price: dec("100.05")}, copay: "10.00", total: "10.00", rule: RuleMaximum},
		{name: "price 5.00 is the minimum", in: CopayInput{Price: dec("5.00")}, copay: "5.00", total: "5.00", rule: RuleMinimum},
		{name: "price 4.99", in: CopayInput{Price: dec("4.99")}, copay: "4.99", total: "4.99", rule: RuleBelowMinimum},
		{name: "price 0.01", in: CopayInput{Price: dec("0.01")}, copay: "0.01", total: "0.01", rule: RuleBelowMinimum},
		{name: "price 0", in: CopayInput{Price: dec("0")}, copay: "0", total: "0", rule: RuleBelowMinimum},
		{name: "big price", in: CopayInput{Price: dec("2100000.00")}, copay: "10.00", total: "10.00", rule: RuleMaximum},
		// Exemptions.
		{name: "exempt", in: CopayInput{Price: dec("73.40"), Exempt: true}, copay: "0", total: "0", rule: RuleExempt,
			reason: "Befreit (Befreiungsbescheid): keine Zuzahlung"},
		{name: "article exempt", in: CopayInput{Price: dec("12.00"), Festbetrag: decp("20.00"), ArticleExempt: true},
			copay: "0", total: "0", rule: RuleArticleExempt},
		{name: "Festbetrag with exemption pays Mehrkosten", in: CopayInput{Price: dec("95.00"), Festbetrag: decp("80.00"), Exempt: true},
			copay: "0", mehrkosten: "15.00", total: "15.00", rule: RuleExempt,
			reason: "Befreit (Befreiungsbescheid): keine Zuzahlung; Festbetrag 80,00 € überschritten: Mehrkosten 15,00 €"},
		{name: "Festbetrag under 18 pays Mehrkosten", in: CopayInput{Price: dec("95.00"), Festbetrag: decp("80.00"), Age: intp(12)},
			copay: "0", mehrkosten: "15.00", total: "15.00", rule: RuleUnder18},
		{name: "price equal to Festbetrag: no Mehrkosten", in: CopayInput{Price: dec("80.00"), Festbetrag: decp("80.00")},
			copay: "8.00", total: "8.00", rule: RulePercent, reason: "10 % von 80,00 € = 8,00 €"},
		{name: "price below Festbetrag: base is price", in: CopayInput{Price: dec("60.00"), Festbetrag: decp("80.00")},
			copay: "6.00", total: "6.00", rule: RulePercent},
		{name: "Festbetrag high: maximum from Festbetrag", in: CopayInput{Price: dec("250.00"), Festbetrag: decp("200.00")},
			copay: "10.00", mehrkosten: "50.00", total: "60.00", rule: RuleMaximum},
		{name: "Festbetrag low: minimum from Festbetrag", in: CopayInput{Price: dec("30.00"), Festbetrag: decp("20.00")},
			copay: "5.00", mehrkosten: "10.00", total: "15.00", rule: RuleMinimum,
			reason: "Mindestzuzahlung 5,00 € (10 % vom Festbetrag 20,00 € = 2,00 €); Festbetrag 20,00 € überschritten: Mehrkosten 10,00 €"},
		// Never more than the cost: with a Festbetrag under 5.00 the insurer's
		// cost is the Festbetrag, and copay + Mehrkosten must not exceed the price.
		{name: "Festbetrag under 5: copay is Festbetrag", in: CopayInput{Price: dec("6.00"), Festbetrag: decp("4.00")},
			copay: "4.00", mehrkosten: "2.00", total: "6.00", rule: RuleBelowMinimum,
			reason: "Festbetrag unter 5,00 €: Zuzahlung = Festbetrag 4,00 €; Festbetrag 4,00 € überschritten: Mehrkosten 2,00 €"},
		// No statutory co-payment.
		{name: "private prescription", in: CopayInput{Price: dec("73.40"), Kind: KindPrivate}, copay: "0", total: "73.40", rule: RuleNoStatutory,
			reason:   "Privatrezept: keine gesetzliche Zuzahlung, Patient zahlt den Preis 73,40 €",
			reasonEN: "private prescription: no statutory co-payment, the patient pays the price €73.40"},
		{name: "OTC", in: CopayInput{Price: dec("8.95"), Kind: KindOTC, Festbetrag: decp("5.00"), Exempt: true}, copay: "0", total: "8.95", rule: RuleNoStatutory,
			reason: "Verkauf ohne Kassenrezept: keine gesetzliche Zuzahlung, Patient zahlt den Preis 8,95 €"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Copay(tt.in)
			if err != nil {
				t.Fatalf("Copay(%+v) error %v", tt.in, err)
			}
			mk := tt.mehrkosten
			if mk == "" {
				mk = "0"
			}
			for _, c := range []struct {
				name string
				got  decimal.Decimal
				want string
			}{{"Copay", got.Copay, tt.copay}, {"Mehrkosten", got.Mehrkosten, mk}, {"Total", got.Total, tt.total}} {
				if !c.got.Equal(dec(c.want)) {
					t.Errorf("%s = %s; want %s", c.name, c.got.StringFixed(2), c.want)
				}
			}
			if got.Rule != tt.rule {
				t.Errorf("Rule = %q; want %q", got.Rule, tt.rule)
			}
			if tt.reason != "" && got.Reason != tt.reason {
				t.Errorf("Reason = %q; want %q", got.Reason, tt.reason)
			}
			if tt.reasonEN != "" && got.ReasonEN != tt.reasonEN {
				t.Errorf("ReasonEN = %q; want %q", got.ReasonEN, tt.reasonEN)
			}
			if got.Reason == "" || got.ReasonEN == "" {
				t.Errorf("Reason %q, ReasonEN %q; want both set", got.Reason, got.ReasonEN)
			}
		})
	}
}

func TestCopayErrors(t *testing.T) {
	tests := []struct {
		name string
		in   CopayInput
		code string
	}{
		{"negative price", CopayInput{Price: dec("-1.00")}, ReasonAmountNegative},
		{"fraction of a cent", CopayInput{Price: dec("73.405")}, ReasonAmountDecimals},
		{"Festbetrag zero", CopayInput{Price: dec("10"), Festbetrag: decp("0")}, ReasonCopayInput},
		{"Festbetrag negative", CopayInput{Price: dec("10"), Festbetrag: decp("-5")}, ReasonCopayInput},
		{"Festbetrag fraction of a cent", CopayInput{Price: dec("10"), Festbetrag: decp("8.001")}, ReasonAmountDecimals},
		{"negative age", CopayInput{Price: dec("10"), Age: intp(-1)}, ReasonCopayInput},
		{"age 151", CopayInput{Price: dec("10"), Age: intp(151)}, ReasonCopayInput},
		{"unknown kind", CopayInput{Price: dec("10"), Kind: Kind(7)}, ReasonCopayInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Copay(tt.in)
			if c := errCode(err); c != tt.code {
				t.Fatalf("Copay(%+v) = %+v, %v; want error code %q", tt.in, got, err, tt.code)
			}
		})
	}
}

func FuzzCopay(f *testing.F) {
	f.Add(int64(7340), int64(0), false, 30, false, false, false, uint8(0))
	f.Add(int64(9500), int64(8000), true, 0, false, false, false, uint8(0))
	f.Add(int64(9500), int64(8000), true, 40, true, false, false, uint8(0))
	f.Add(int64(600), int64(400), true, 70, false, false, false, uint8(0))
	f.Add(int64(420), int64(0), false, 16, false, true, false, uint8(1))
	f.Add(int64(5005), int64(0), true, 18, false, false, true, uint8(2))
	f.Add(int64(-1), int64(-1), true, -1, false, false, false, uint8(3))
	f.Fuzz(func(t *testing.T, priceCents, fbCents int64, hasFB bool, age int, hasAge, exempt, articleExempt bool, kind uint8) {
		in := CopayInput{
			Price:         decimal.New(priceCents, -2),
			Exempt:        exempt,
			ArticleExempt: articleExempt,
			Kind:          Kind(kind % 4),
		}
		if hasFB {
			fb := decimal.New(fbCents, -2)
			in.Festbetrag = &fb
		}
		if hasAge {
			in.Age = &age
		}
		res, err := Copay(in)
		if err != nil {
			if errCode(err) == "" {
				t.Fatalf("Copay(%+v) error %v is not an *Error", in, err)
			}
			return
		}
		price := in.Price
		if res.Copay.IsNegative() || res.Mehrkosten.IsNegative() {
			t.Fatalf("Copay(%+v) = %+v; negative amount", in, res)
		}
		if res.Copay.GreaterThan(price) {
			t.Fatalf("Copay(%+v): copay %s > price %s", in, res.Copay, price)
		}
		if res.Copay.GreaterThan(decimal.New(10, 0)) {
			t.Fatalf("Copay(%+v): copay %s > 10", in, res.Copay)
		}
		if in.Kind == KindGKV {
			if !res.Total.Equal(res.Copay.Add(res.Mehrkosten)) {
				t.Fatalf("Copay(%+v): total %s != copay %s + mehrkosten %s", in, res.Total, res.Copay, res.Mehrkosten)
			}
			if res.Total.GreaterThan(price) {
				t.Fatalf("Copay(%+v): total %s > price %s", in, res.Total, price)
			}
		} else if !res.Total.Equal(price) || !res.Copay.IsZero() {
			t.Fatalf("Copay(%+v) = %+v; want total = price and no copay", in, res)
		}
		if !res.Copay.Equal(res.Copay.Round(2)) || !res.Total.Equal(res.Total.Round(2)) {
			t.Fatalf("Copay(%+v) = %+v; want whole cents", in, res)
		}
		if res.Reason == "" || res.ReasonEN == "" {
			t.Fatalf("Copay(%+v) without reason", in)
		}
	})
}
