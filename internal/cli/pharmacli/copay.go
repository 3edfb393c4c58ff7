package pharmacli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/lifeline-project/lifeline/internal/pharma"
)

const copayUsage = `Aufruf / usage: lifeline copay --price EUR [--festbetrag EUR] [--age JAHRE] [--exempt] [--article-exempt] [--private|--otc] [--json]
  Berechnet die gesetzliche Zuzahlung für eine Packung (§ 61 SGB V).
  Computes the statutory co-payment for one pack (Section 61 SGB V).
  Beträge / amounts: 73,40  73.40  1.234,56
Exit: 0 ok, 2 Aufruffehler/usage error.
`

// copayJSON is the --json output: amounts as strings with two decimals and
// a dot, so that no consumer reads them as floats.
type copayJSON struct {
	Copay      string `json:"copay"`
	Mehrkosten string `json:"mehrkosten"`
	Total      string `json:"total"`
	Reason     string `json:"reason"`
}

// Copay runs `lifeline copay`. It prints one German line such as
// "Zuzahlung 7,34 € (10 % von 73,40 € = 7,34 €). Mehrkosten 0,00 €. Gesamt 7,34 €."
// and its English version below, or with --json exactly
// {"copay":"7.34","mehrkosten":"0.00","total":"7.34","reason":"…"}.
// It returns 0, or 2 with a message on stderr for bad flags or amounts.
func Copay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("copay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), copayUsage)
		fs.PrintDefaults()
	}
	price := fs.String("price", "", "Preis der Packung in Euro / price of the pack in euro (Pflicht / required)")
	festbetrag := fs.String("festbetrag", "", "Festbetrag in Euro, falls festgesetzt / reference price in euro, if set")
	age := fs.String("age", "", "Alter in Jahren; ohne Angabe: erwachsen / age in years; if left out: adult")
	exempt := fs.Bool("exempt", false, "Befreiungsbescheid für dieses Jahr liegt vor / exemption certificate for this year")
	articleExempt := fs.Bool("article-exempt", false, "Arzneimittel ist zuzahlungsbefreit / drug is exempt from co-payment")
	private := fs.Bool("private", false, "Privatrezept (PKV): keine gesetzliche Zuzahlung / private prescription: no statutory co-payment")
	otc := fs.Bool("otc", false, "Verkauf ohne Kassenrezept / sale without statutory prescription")
	asJSON := fs.Bool("json", false, "Ergebnis als JSON / result as JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage // flag has printed the problem and the usage
	}
	if fs.NArg() > 0 {
		return usageError(stderr, copayUsage, "unerwartete Angabe / unexpected argument %q", fs.Arg(0))
	}
	if *price == "" {
		return usageError(stderr, copayUsage, "--price fehlt: Preis der Packung angeben / --price missing: give the price of the pack")
	}
	in := pharma.CopayInput{Exempt: *exempt, ArticleExempt: *articleExempt}
	var err error
	if in.Price, err = pharma.ParseEuro(*price); err != nil {
		return usageError(stderr, copayUsage, "--price: %s", reason(err))
	}
	if *festbetrag != "" {
		fb, err := pharma.ParseEuro(*festbetrag)
		if err != nil {
			return usageError(stderr, copayUsage, "--festbetrag: %s", reason(err))
		}
		in.Festbetrag = &fb
	}
	if *age != "" {
		a, err := strconv.Atoi(strings.TrimSpace(*age))
		if err != nil {
			return usageError(stderr, copayUsage, "--age: Alter in ganzen Jahren angeben, gelesen %q / give the age in whole years, read %q", *age, *age)
		}
		in.Age = &a
	}
	switch {
	case *private && *otc:
		return usageError(stderr, copayUsage, "--private und --otc schließen sich aus / --private and --otc exclude each other")
	case *private:
		in.Kind = pharma.KindPrivate
	case *otc:
		in.Kind = pharma.KindOTC
	}
	res, err := pharma.Copay(in)
	if err != nil {
		return usageError(stderr, copayUsage, "%s", reason(err))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(copayJSON{
			Copay:      cents(res.Copay),
			Mehrkosten: cents(res.Mehrkosten),
			Total:      cents(res.Total),
			Reason:     res.Reason,
		}); err != nil {
			fmt.Fprintf(stderr, "Ausgabe fehlgeschlagen / output failed: %v\n", err)
			return exitInvalid
		}
		return exitOK
	}
	fmt.Fprintf(stdout, "Zuzahlung %s (%s). Mehrkosten %s. Gesamt %s.\n",
		pharma.FormatEuro(res.Copay), res.Reason, pharma.FormatEuro(res.Mehrkosten), pharma.FormatEuro(res.Total))
	fmt.Fprintf(stdout, "Co-payment %s (%s). Extra cost above Festbetrag %s. Total %s.\n",
		pharma.FormatEuroEN(res.Copay), res.ReasonEN, pharma.FormatEuroEN(res.Mehrkosten), pharma.FormatEuroEN(res.Total))
	return exitOK
}

// cents writes an amount with two decimals and a dot: "7.34".
func cents(d decimal.Decimal) string { return d.Round(2).StringFixed(2) }
