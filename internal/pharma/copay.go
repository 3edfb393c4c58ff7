package pharma

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Kind is who pays for a sale and therefore whether a statutory co-payment
// applies.
type Kind int

// Sale kinds.
const (
	// KindGKV is a prescription at the cost of statutory health insurance:
	// the co-payment rules of Section 61 SGB V apply.
	KindGKV Kind = iota
	// KindPrivate is a private (PKV) prescription: no statutory co-payment,
	// the patient pays the price and claims it from the insurer.
	KindPrivate
	// KindOTC is a sale without prescription (or a green/blue prescription
	// paid by the patient): no statutory co-payment, the patient pays the price.
	KindOTC
)

// Rule names which rule decided the co-payment.
type Rule string

// Co-payment rules.
const (
	RulePercent       Rule = "percent"        // 10 % of the base
	RuleMinimum       Rule = "minimum"        // at least 5,00 €
	RuleMaximum       Rule = "maximum"        // at most 10,00 €
	RuleBelowMinimum  Rule = "below_minimum"  // price (or Festbetrag) under 5,00 €: copay = price
	RuleUnder18       Rule = "under_18"       // patient under 18
	RuleExempt        Rule = "exempt"         // Befreiungsbescheid for the current year
	RuleArticleExempt Rule = "article_exempt" // article on the GKV exemption list
	RuleNoStatutory   Rule = "no_statutory"   // private prescription or OTC
)

// CopayInput describes one pack handed out.
type CopayInput struct {
	// Price is the pharmacy retail price (Apothekenverkaufspreis) of the pack.
	Price decimal.Decimal
	// Festbetrag is the reference price set for the drug, nil when none.
	Festbetrag *decimal.Decimal
	// Age is the patient's age in completed years, nil when unknown
	// (then the patient counts as an adult and pays).
	Age *int
	// Exempt is true when the patient shows an exemption certificate
	// (Befreiungsbescheid) of the health insurer for the current year.
	Exempt bool
	// ArticleExempt is true when the article is on the GKV list of
	// co-payment-exempt drugs (price at least 30 % below the Festbetrag).
	ArticleExempt bool
	// Kind is KindGKV unless the sale is private or over the counter.
	Kind Kind
}

// CopayResult is what the patient pays for one pack and why.
type CopayResult struct {
	// Copay is the statutory co-payment (Zuzahlung).
	Copay decimal.Decimal
	// Mehrkosten is the amount above the Festbetrag (Aufzahlung), paid also
	// by exempt patients and shown separately: it does not count towards the
	// patient's exemption limit.
	Mehrkosten decimal.Decimal
	// Total is Copay + Mehrkosten, or the price for private and OTC sales.
	Total decimal.Decimal
	// Rule is the rule that decided Copay.
	Rule Rule
	// Reason explains the amounts in one German line; ReasonEN in English.
	Reason   string
	ReasonEN string
}

// Co-payment bounds of Section 61 sentence 1 SGB V, as functions so that no
// package-level variable exists.
func copayMin() decimal.Decimal  { return decimal.New(500, -2) }  // 5,00 €
func copayMax() decimal.Decimal  { return decimal.New(1000, -2) } // 10,00 €
func copayRate() decimal.Decimal { return decimal.New(10, -2) }   // 10 %

// adultAge is the age from which co-payments are due: Section 61 and
// Section 31 (3) SGB V, insured persons who have completed their 18th year.
const adultAge = 18

// Copay computes the statutory co-payment for one pack (per pack, not per
// prescription).
//
// Source: Section 61 sentence 1 SGB V: 10 % of the price, at least 5 euro,
// at most 10 euro, but never more than the cost of the item; Section 31 (3)
// SGB V: only from the 18th birthday, exemption list (sentence 4), and the
// patient pays the difference above the Festbetrag (Section 31 (2)) on top.
// Rounding to the cent, half up. When the price is above the Festbetrag, the
// 10 % are taken from the Festbetrag (pharmacy practice, domain.md), and the
// cap "not more than the cost" is the Festbetrag too: the insurer's cost is
// at most the Festbetrag, and co-payment plus Mehrkosten must never exceed
// the price.
//
// So: base = Festbetrag when one applies and the price is above it, else the
// price; copay = min(max(round(0.10 * base), 5.00), 10.00, base); zero for
// patients under 18, with exemption certificate, or for exempt articles;
// Mehrkosten = price - Festbetrag when the price is above it.
//
// Private prescriptions and OTC sales have no statutory co-payment: Copay and
// Mehrkosten are zero and Total is the price.
//
// Copay fails on a negative price, a Festbetrag not above zero, amounts with
// fractions of a cent, or an age below 0 or above 150.
func Copay(in CopayInput) (CopayResult, error) {
	if err := in.validate(); err != nil {
		return CopayResult{}, err
	}
	zero := decimal.Zero
	price := in.Price
	if in.Kind == KindPrivate || in.Kind == KindOTC {
		de, en := "Privatrezept", "private prescription"
		if in.Kind == KindOTC {
			de, en = "Verkauf ohne Kassenrezept", "sale without a statutory prescription"
		}
		return CopayResult{
			Copay: zero, Mehrkosten: zero, Total: price, Rule: RuleNoStatutory,
			Reason:   fmt.Sprintf("%s: keine gesetzliche Zuzahlung, Patient zahlt den Preis %s", de, FormatEuro(price)),
			ReasonEN: fmt.Sprintf("%s: no statutory co-payment, the patient pays the price %s", en, FormatEuroEN(price)),
		}, nil
	}

	base := price
	mehrkosten := zero
	aboveFestbetrag := in.Festbetrag != nil && price.GreaterThan(*in.Festbetrag)
	if aboveFestbetrag {
		base = *in.Festbetrag
		mehrkosten = price.Sub(base)
	}

	var copay decimal.Decimal
	var rule Rule
	var de, en string
	ofDE, ofEN := "von "+FormatEuro(base), "of "+FormatEuroEN(base)
	if aboveFestbetrag {
		ofDE, ofEN = "vom Festbetrag "+FormatEuro(base), "of the Festbetrag "+FormatEuroEN(base)
	}
	switch {
	case in.Age != nil && *in.Age < adultAge:
		copay, rule = zero, RuleUnder18
		de, en = "unter 18 Jahren: keine Zuzahlung", "under 18: no co-payment"
	case in.Exempt:
		copay, rule = zero, RuleExempt
		de, en = "Befreit (Befreiungsbescheid): keine Zuzahlung", "exempt (exemption certificate): no co-payment"
	case in.ArticleExempt:
		copay, rule = zero, RuleArticleExempt
		de = "zuzahlungsbefreites Arzneimittel (mind. 30 % unter Festbetrag): keine Zuzahlung"
		en = "co-payment-exempt drug (at least 30 % below the Festbetrag): no co-payment"
	default:
		tenth := base.Mul(copayRate()).Round(2) // Round is half away from zero = half up here
		switch {
		case base.LessThan(copayMin()):
			copay, rule = base, RuleBelowMinimum
			if aboveFestbetrag {
				de = fmt.Sprintf("Festbetrag unter %s: Zuzahlung = Festbetrag %s", FormatEuro(copayMin()), FormatEuro(base))
				en = fmt.Sprintf("Festbetrag below %s: co-payment = Festbetrag %s", FormatEuroEN(copayMin()), FormatEuroEN(base))
			} else {
				de = fmt.Sprintf("Preis unter %s: Zuzahlung = Preis %s", FormatEuro(copayMin()), FormatEuro(base))
				en = fmt.Sprintf("price below %s: co-payment = price %s", FormatEuroEN(copayMin()), FormatEuroEN(base))
			}
		case tenth.LessThan(copayMin()):
			copay, rule = copayMin(), RuleMinimum
			de = fmt.Sprintf("Mindestzuzahlung %s (10 %% %s = %s)", FormatEuro(copayMin()), ofDE, FormatEuro(tenth))
			en = fmt.Sprintf("minimum co-payment %s (10 %% %s = %s)", FormatEuroEN(copayMin()), ofEN, FormatEuroEN(tenth))
		case tenth.GreaterThan(copayMax()):
			copay, rule = copayMax(), RuleMaximum
			de = fmt.Sprintf("Höchstzuzahlung %s (10 %% %s = %s)", FormatEuro(copayMax()), ofDE, FormatEuro(tenth))
			en = fmt.Sprintf("maximum co-payment %s (10 %% %s = %s)", FormatEuroEN(copayMax()), ofEN, FormatEuroEN(tenth))
		default:
			copay, rule = tenth, RulePercent
			de = fmt.Sprintf("10 %% %s = %s", ofDE, FormatEuro(tenth))
			en = fmt.Sprintf("10 %% %s = %s", ofEN, FormatEuroEN(tenth))
		}
	}
	reasons, reasonsEN := []string{de}, []string{en}
	if aboveFestbetrag {
		reasons = append(reasons, fmt.Sprintf("Festbetrag %s überschritten: Mehrkosten %s",
			FormatEuro(*in.Festbetrag), FormatEuro(mehrkosten)))
		reasonsEN = append(reasonsEN, fmt.Sprintf("Festbetrag %s exceeded: extra cost %s",
			FormatEuroEN(*in.Festbetrag), FormatEuroEN(mehrkosten)))
	}
	return CopayResult{
		Copay:      copay,
		Mehrkosten: mehrkosten,
		Total:      copay.Add(mehrkosten),
		Rule:       rule,
		Reason:     strings.Join(reasons, "; "),
		ReasonEN:   strings.Join(reasonsEN, "; "),
	}, nil
}

// maxAge bounds a plausible age in years.
const maxAge = 150

func (in CopayInput) validate() error {
	if in.Price.IsNegative() {
		return newError(ReasonAmountNegative,
			fmt.Sprintf("Preis darf nicht negativ sein: %s", FormatEuro(in.Price)),
			fmt.Sprintf("the price must not be negative: %s", FormatEuroEN(in.Price)))
	}
	if !in.Price.Equal(in.Price.Round(2)) {
		return newError(ReasonAmountDecimals,
			fmt.Sprintf("Preis mit Bruchteilen eines Cents: %s. Bitte auf den Cent genau angeben", in.Price.String()),
			fmt.Sprintf("price with fractions of a cent: %s. Please give it to the cent", in.Price.String()))
	}
	if fb := in.Festbetrag; fb != nil {
		if fb.Sign() <= 0 {
			return newError(ReasonCopayInput,
				fmt.Sprintf("Festbetrag muss größer als 0 sein, angegeben %s", FormatEuro(*fb)),
				fmt.Sprintf("the Festbetrag must be above 0, given %s", FormatEuroEN(*fb)))
		}
		if !fb.Equal(fb.Round(2)) {
			return newError(ReasonAmountDecimals,
				fmt.Sprintf("Festbetrag mit Bruchteilen eines Cents: %s. Bitte auf den Cent genau angeben", fb.String()),
				fmt.Sprintf("Festbetrag with fractions of a cent: %s. Please give it to the cent", fb.String()))
		}
	}
	if in.Age != nil && (*in.Age < 0 || *in.Age > maxAge) {
		return newError(ReasonCopayInput,
			fmt.Sprintf("Alter %d ist nicht möglich: bitte das Alter in Jahren angeben", *in.Age),
			fmt.Sprintf("age %d is not possible: please give the age in years", *in.Age))
	}
	switch in.Kind {
	case KindGKV, KindPrivate, KindOTC:
	default:
		return newError(ReasonCopayInput,
			fmt.Sprintf("unbekannte Verkaufsart %d", in.Kind),
			fmt.Sprintf("unknown kind of sale %d", in.Kind))
	}
	return nil
}
