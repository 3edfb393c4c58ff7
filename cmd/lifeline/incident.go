package main

import (
	"fmt"
	"io"

	"github.com/lifeline-project/lifeline/internal/cli/incidentcli"
	"github.com/lifeline-project/lifeline/internal/service"
)

// cmdIncident runs `lifeline incident verify|list|export --config FILE ...`.
func cmdIncident(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: lifeline incident verify|list|export --config FILE [...]")
		return 2
	}
	cfg, code := configFlag(args[1:], stderr)
	if cfg == nil {
		return code
	}
	log, _ := service.NewLogger("warn", "")
	env := incidentcli.Env{DataDir: cfg.DataDir, SiteName: cfg.SiteName, Location: cfg.Location(), Lang: cfg.Language, Logger: log}
	rest := withoutConfig(args[1:])
	switch args[0] {
	case "verify":
		return incidentcli.Verify(rest, env, stdout, stderr)
	case "list":
		return incidentcli.List(rest, env, stdout, stderr)
	case "export":
		return incidentcli.Export(rest, env, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "unknown incident command %q: use verify, list or export\n", args[0])
		return 2
	}
}
