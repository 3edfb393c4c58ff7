package main

import (
	"io"

	"github.com/lifeline-project/lifeline/internal/cli/pharmacli"
)

// toolHandler runs one tool subcommand.
type toolHandler func(args []string, stdin io.Reader, stdout, stderr io.Writer) int

// toolCommand returns the handler of a tool subcommand of the domain
// packages, or nil.
func toolCommand(name string) toolHandler {
	switch name {
	case "pzn":
		return func(args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return pharmacli.PZN(args, stdout, stderr)
		}
	case "copay":
		return func(args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return pharmacli.Copay(args, stdout, stderr)
		}
	case "erezept":
		return pharmacli.ERezept
	case "mirror":
		return cmdMirror
	case "journal":
		return cmdJournal
	case "incident":
		return cmdIncident
	case "fleet":
		return cmdFleet
	case "sim":
		return cmdSim
	}
	return nil
}
