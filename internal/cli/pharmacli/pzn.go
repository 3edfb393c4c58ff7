package pharmacli

import (
	"fmt"
	"io"
	"strings"

	"github.com/lifeline-project/lifeline/internal/pharma"
)

const pznUsage = `Aufruf / usage: lifeline pzn check PZN
  Prüft eine PZN: 8 oder 7 Ziffern, auch "PZN-04877800", ein Code-39-Scan
  "-04877800" oder der Text eines Packungs-DataMatrix-Codes.
  Checks a PZN: 8 or 7 digits, also "PZN-04877800", a Code 39 scan
  "-04877800" or the text of a pack DataMatrix code.
Exit: 0 gültig/valid, 1 ungültig/invalid, 2 Aufruffehler/usage error.
`

// PZN runs `lifeline pzn check PZN`. args are the words after "pzn", for
// example ["check", "04877800"]; several words after "check" are joined by a
// space ("PZN 04877800"). It prints "gültig / valid: PZN 04877800" and, for a
// pack DataMatrix, batch, expiry and serial number, and returns 0; for an
// invalid PZN it prints the reason and returns 1; on a usage error 2.
func PZN(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, pznUsage, "Befehl fehlt / command missing")
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, pznUsage)
		return exitOK
	}
	if args[0] != "check" {
		return usageError(stderr, pznUsage, "unbekannter Befehl / unknown command %q", args[0])
	}
	if len(args) < 2 || strings.TrimSpace(strings.Join(args[1:], "")) == "" {
		return usageError(stderr, pznUsage, "PZN fehlt / PZN missing")
	}
	input := strings.Join(args[1:], " ")
	p, err := pharma.PZNFromScan(input)
	if err != nil {
		fmt.Fprintf(stdout, "ungültig / invalid: %s\n", reason(err))
		return exitInvalid
	}
	fmt.Fprintf(stdout, "gültig / valid: PZN %s\n", p)
	printPack(stdout, input)
	return exitOK
}

// printPack adds what a pack DataMatrix says beyond the PZN, or why it
// cannot be read with certainty.
func printPack(w io.Writer, input string) {
	pack, err := pharma.ParsePackDataMatrix(input)
	if err != nil {
		var e *pharma.Error
		if asPharmaError(err, &e) && e.Code != pharma.ReasonScanNotMatrix {
			fmt.Fprintf(w, "Hinweis / note: %s\n", e.Error())
		}
		return
	}
	fmt.Fprintf(w, "Code / code: %s\n", pack.Format)
	if pack.Batch != "" {
		fmt.Fprintf(w, "Charge / batch: %s\n", pack.Batch)
	}
	if s := pharma.ExpiryString(pack.Expiry); s != "" {
		fmt.Fprintf(w, "Verfall / expiry: %s\n", s)
	}
	if pack.Serial != "" {
		fmt.Fprintf(w, "Seriennummer / serial number: %s\n", pack.Serial)
	}
}
