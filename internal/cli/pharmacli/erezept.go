package pharmacli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/lifeline-project/lifeline/internal/pharma"
)

const erezeptUsage = `Aufruf / usage: lifeline erezept parse < scan.txt
  Liest den Text eines E-Rezept-Codes (DataMatrix) von stdin, prüft ihn und gibt
  Rezept-ID, Rezepttyp und Zugangscode als JSON aus.
  Reads the text of an e-prescription code (DataMatrix) from stdin, checks it and
  prints prescription ID, flow type and access code as JSON.
Exit: 0 gültig/valid, 1 ungültig/invalid, 2 Aufruffehler/usage error.
`

// maxStdin bounds what is read: a scanned code is a few hundred bytes.
const maxStdin = 64 << 10

// ERezept runs `lifeline erezept parse`: it reads the scanned text from
// stdin and prints [{"prescription_id":…,"flow_type":…,"access_code":…}]
// and returns 0, or prints the reason on stderr and returns 1.
func ERezept(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, erezeptUsage, "Befehl fehlt / command missing")
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, erezeptUsage)
		return exitOK
	}
	if args[0] != "parse" {
		return usageError(stderr, erezeptUsage, "unbekannter Befehl / unknown command %q", args[0])
	}
	if len(args) > 1 {
		return usageError(stderr, erezeptUsage, "unerwartete Angabe / unexpected argument %q: den Scan über stdin übergeben / pass the scan on stdin", args[1])
	}
	data, err := io.ReadAll(io.LimitReader(stdin, maxStdin+1))
	if err != nil {
		fmt.Fprintf(stderr, "ungültig / invalid: Eingabe nicht lesbar (input unreadable): %v\n", err)
		return exitInvalid
	}
	if len(data) > maxStdin {
		fmt.Fprintf(stderr, "ungültig / invalid: Eingabe zu groß für einen E-Rezept-Code (input too large for an e-prescription code)\n")
		return exitInvalid
	}
	tokens, err := pharma.ParseERezeptToken(string(data))
	if err != nil {
		fmt.Fprintf(stderr, "ungültig / invalid: %s\n", reason(err))
		return exitInvalid
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tokens); err != nil {
		fmt.Fprintf(stderr, "Ausgabe fehlgeschlagen / output failed: %v\n", err)
		return exitInvalid
	}
	return exitOK
}
