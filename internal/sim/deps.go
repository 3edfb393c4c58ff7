package sim

import (
	"net"

	"github.com/lifeline-project/lifeline/internal/check"
)

// startLines starts the two internet lines: TCP listeners standing for the
// routers of two providers. A connection is accepted and closed at once.
func (p *Pharmacy) startLines() error {
	var err error
	if p.line1, err = startSwitchable(serveConns(func(net.Conn) {})); err != nil {
		return err
	}
	p.line2, err = startSwitchable(serveConns(func(net.Conn) {}))
	return err
}

// describeDeps lists the dependencies in the dashboard's recovery order:
// power, network, access, ERP.
func (p *Pharmacy) describeDeps() []*dep {
	all := []Mode{ModeOK, ModeDegraded, ModeDown}
	upDown := []Mode{ModeOK, ModeDown}
	slow := check.Msg("Verlangsamen", "Slow down")
	noop := func(Mode) error { return nil }
	line := func(n, kind string, s *switchable) *dep {
		return &dep{
			name:  n,
			title: check.Msg("Internetleitung "+n[len(n)-1:]+" ("+kind+")", "Internet line "+n[len(n)-1:]+" ("+kind+")"),
			modes: upDown,
			effect: map[Mode]check.Text{
				ModeOK:   check.Msg("Router erreichbar", "Router reachable"),
				ModeDown: check.Msg("Leitung tot: der Router lehnt jede Verbindung ab", "Line dead: the router refuses every connection"),
			},
			address: func() string { return s.addr },
			apply:   func(m Mode) error { return s.set(m == ModeDown) },
		}
	}
	return []*dep{
		{
			name:  DepUPS,
			title: check.Msg("USV (Notstrom)", "UPS (battery backup)"),
			modes: all,
			effect: map[Mode]check.Text{
				ModeOK:       check.Msg("Netzbetrieb, Akku voll", "On mains power, battery full"),
				ModeDegraded: check.Msg("Stromausfall: läuft auf Akku (60 %, noch 15 Minuten)", "Power cut: running on battery (60 %, 15 minutes left)"),
				ModeDown:     check.Msg("Stromausfall: Akku fast leer (8 %, noch 2 Minuten)", "Power cut: battery almost empty (8 %, 2 minutes left)"),
			},
			degradeLabel: check.Msg("Strom abschalten (Akku)", "Cut the power (battery)"),
			address:      p.ups.Addr,
			apply:        p.setUPS,
		},
		line(DepLine1, "DSL", p.line1),
		line(DepLine2, "LTE", p.line2),
		{
			name:  DepNTP,
			title: check.Msg("Zeitserver", "Time server"),
			modes: all,
			effect: map[Mode]check.Text{
				ModeOK:       check.Msg("Uhrzeit stimmt", "Time is correct"),
				ModeDegraded: check.Msg("Zeitserver geht 5 Sekunden vor", "Time server is 5 seconds ahead"),
				ModeDown:     check.Msg("Zeitserver antwortet nicht", "Time server does not answer"),
			},
			degradeLabel: check.Msg("Uhr verstellen (5 s)", "Set the clock off (5 s)"),
			address:      func() string { return p.ntp.Addr() + " (UDP)" },
			apply:        p.setNTP,
		},
		{
			name:  DepKonnektor,
			title: check.Msg("Konnektor (TI-Zugang)", "Konnektor (TI access)"),
			modes: all,
			effect: map[Mode]check.Text{
				ModeOK:       check.Msg("Konnektor antwortet, TI-Namen werden aufgelöst", "Konnektor answers, TI names resolve"),
				ModeDegraded: check.Msg("Konnektor antwortet erst nach 1,5 Sekunden", "Konnektor answers only after 1.5 seconds"),
				ModeDown:     check.Msg("Konnektor aus: keine Verbindung, TI-Namen werden nicht aufgelöst", "Konnektor off: no connection, TI names do not resolve"),
			},
			degradeLabel: slow,
			address:      func() string { return p.KonnektorURL() + ", DNS " + p.KonnektorDNSAddr() },
			apply:        func(m Mode) error { return p.konHTTPS.set(m == ModeDown) },
		},
		{
			name:  DepTILage,
			title: check.Msg("TI-Lagebild (gematik)", "TI status report (gematik)"),
			modes: all,
			effect: map[Mode]check.Text{
				ModeOK:       check.Msg("meldet: E-Rezept ohne Störung", "reports: E-Rezept without disruption"),
				ModeDegraded: check.Msg("meldet: E-Rezept teilweise gestört", "reports: E-Rezept partly disrupted"),
				ModeDown:     check.Msg("meldet: E-Rezept bundesweit ausgefallen", "reports: E-Rezept down nationwide"),
			},
			degradeLabel: check.Msg("Teilstörung melden", "Report a partial outage"),
			address:      p.TILageURL,
			apply:        noop,
		},
		{
			name:  DepERP,
			title: check.Msg("Warenwirtschaft (ERP-Server)", "Pharmacy system (ERP server)"),
			modes: all,
			effect: map[Mode]check.Text{
				ModeOK:       check.Msg("antwortet sofort", "answers at once"),
				ModeDegraded: check.Msg("antwortet erst nach 1,5 Sekunden", "answers only after 1.5 seconds"),
				ModeDown:     check.Msg("Server aus: Verbindung abgelehnt", "Server off: connection refused"),
			},
			degradeLabel: slow,
			address:      p.ERPURL,
			apply:        func(m Mode) error { return p.erp.set(m == ModeDown) },
		},
	}
}
