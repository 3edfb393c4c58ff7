// Command lifeline keeps pharmacies and clinics serving people when their IT
// fails. One binary, two roles: `lifeline site` at every pharmacy or clinic,
// `lifeline fleet` at the vendor or IT provider; `lifeline demo` starts a
// site with simulated dependencies to learn the system. The wiring lives in
// internal/siteapp; this file only dispatches subcommands.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	_ "time/tzdata" // IANA zones on Windows servers, which lack a zoneinfo database
)

// version is set at build time with -ldflags "-X main.version=1.2.3".
var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `lifeline: hält Apotheken und Praxen arbeitsfähig, wenn die IT ausfällt.

Aufruf:
  lifeline site --config FILE            Wächter der Apotheke starten (Dashboard, Prüfungen)
  lifeline site user add --config FILE --name N --role R   Benutzer anlegen (Passwort über stdin)
  lifeline site token create --config FILE --name N [--role R]   API-Token erzeugen
  lifeline site service install|uninstall --config FILE     Windows-Dienst einrichten/entfernen
  lifeline site alert test --config FILE --receiver R       Testmeldung an einen Empfänger senden
  lifeline demo                          Demo mit simulierter Apotheke (und Klinik) starten
  lifeline demo --scenario bad-update    Demo: fehlerhaftes Update hält in der Flotte von selbst an
  lifeline fleet --config FILE           Flottenserver des Herstellers starten (siehe lifeline fleet help)
  lifeline fleet keys init|site add|site import|release add ...   Schlüssel, Apotheken, Releases
  lifeline sim fleet --sites N --scenario bricking-update [--json]   Rollout-Simulation
  lifeline mirror import --config FILE --dataset articles --file F [--strict]   Downtime-Kopie einlesen
  lifeline mirror status|rekey --config FILE   Stand der Downtime-Kopie / Schlüssel wechseln
  lifeline journal verify --config FILE  Verkaufsjournal des Notbetriebs prüfen (beide Kopien)
  lifeline incident verify|list --config FILE   Störungsprotokoll prüfen / auflisten
  lifeline incident export --config FILE --id N --format pdf|json|csv [--out F]   Störung exportieren
  lifeline pzn check PZN                 PZN prüfen
  lifeline copay --price EUR [...]       gesetzliche Zuzahlung berechnen
  lifeline erezept parse < scan.txt      E-Rezept-Token (DataMatrix-Text) prüfen
  lifeline version                       Version anzeigen

Exit codes: 0 ok, 1 check failed, 2 usage or configuration error.
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "site":
		return cmdSite(args[1:], stdin, stdout, stderr)
	case "demo":
		return cmdDemo(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "lifeline", buildVersion())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		if h := toolCommand(args[0]); h != nil {
			return h(args[1:], stdin, stdout, stderr)
		}
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
	}
	return "dev"
}
