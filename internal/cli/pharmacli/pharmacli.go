// Package pharmacli holds the command-line front ends of the pharmacy rules
// in internal/pharma: `lifeline pzn check`, `lifeline copay` and
// `lifeline erezept parse`. Each function takes the arguments after its
// command word and the standard streams, and returns the exit code:
// 0 ok, 1 the check failed (invalid PZN, unreadable token), 2 usage error.
// Output is German first, with the English version beside or below it.
package pharmacli

import (
	"errors"
	"fmt"
	"io"

	"github.com/lifeline-project/lifeline/internal/pharma"
)

// Exit codes shared by the commands.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
)

// asPharmaError is errors.As for *pharma.Error.
func asPharmaError(err error, e **pharma.Error) bool { return errors.As(err, e) }

// reason formats an error of package pharma as "German (English)".
func reason(err error) string {
	var e *pharma.Error
	if asPharmaError(err, &e) {
		return e.Error()
	}
	return err.Error()
}

// usageError prints a problem with the command line and the usage text.
func usageError(stderr io.Writer, usage, format string, args ...any) int {
	fmt.Fprintf(stderr, format+"\n\n", args...)
	fmt.Fprint(stderr, usage)
	return exitUsage
}

func isHelp(arg string) bool { return arg == "-h" || arg == "--help" || arg == "help" }
