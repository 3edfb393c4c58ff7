package sim

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"time"
)

// This file is a minimal NUT (Network UPS Tools) responder, a stand-in
// until internal/nut provides nut.Server; then startUPS should use that and
// this file can go. It speaks the upsd line protocol
// (https://networkupstools.org/docs/developer-guide.chunked/net-protocol.html)
// for one UPS named "ups".

// nutUPSName is the name of the simulated UPS on the NUT server.
const nutUPSName = "ups"

// upsState is what the simulated UPS reports.
type upsState struct {
	status  string // ups.status: OL online, OB on battery, LB low battery
	charge  int    // battery.charge in percent
	runtime int    // battery.runtime in seconds
}

// upsStateFor returns the UPS readings of a mode: ok is mains power,
// degraded is a power cut on battery, down is a nearly empty battery.
func upsStateFor(m Mode) upsState {
	switch m {
	case ModeDegraded:
		return upsState{status: "OB DISCHRG", charge: 60, runtime: 900}
	case ModeDown:
		return upsState{status: "OB LB", charge: 8, runtime: 120}
	default:
		return upsState{status: "OL", charge: 100, runtime: 2400}
	}
}

// vars returns the variables in the order LIST VAR gives them.
func (st upsState) vars() [][2]string {
	return [][2]string{
		{"ups.status", st.status},
		{"battery.charge", fmt.Sprint(st.charge)},
		{"battery.runtime", fmt.Sprint(st.runtime)},
		{"device.model", "Simulierte USV"},
	}
}

// startUPS starts the NUT server. It always answers; its mode is what the
// UPS reports.
func (p *Pharmacy) startUPS() error {
	s, err := startSwitchable(serveConns(func(c net.Conn) {
		serveNUT(c, func() upsState { return upsStateFor(p.Mode(DepUPS)) })
	}))
	if err != nil {
		return err
	}
	p.ups = s
	return nil
}

// serveNUT answers NUT commands on c until LOGOUT, an idle minute or the
// connection's end.
func serveNUT(c net.Conn, state func() upsState) {
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 1024), 1024)
	for {
		_ = c.SetReadDeadline(time.Now().Add(time.Minute))
		if !sc.Scan() {
			return
		}
		reply, quit := nutAnswer(sc.Text(), state())
		_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte(reply)); err != nil || quit {
			return
		}
	}
}

// nutAnswer returns the reply to one command line (with its final
// newline) and whether the connection ends after it.
func nutAnswer(line string, st upsState) (reply string, quit bool) {
	args := nutFields(line)
	if len(args) == 0 {
		return "ERR UNKNOWN-COMMAND\n", false
	}
	cmd := strings.ToUpper(args[0])
	switch {
	case cmd == "VER":
		return "Network UPS Tools upsd 2.8.1 - lifeline Simulation\n", false
	case cmd == "NETVER":
		return "1.3\n", false
	case cmd == "LOGOUT":
		return "OK Goodbye\n", true
	case cmd == "USERNAME" || cmd == "PASSWORD":
		if len(args) != 2 {
			return "ERR INVALID-ARGUMENT\n", false
		}
		return "OK\n", false
	case cmd == "STARTTLS":
		return "ERR FEATURE-NOT-CONFIGURED\n", false
	case cmd == "LIST" && len(args) == 2 && strings.EqualFold(args[1], "UPS"):
		return "BEGIN LIST UPS\nUPS " + nutUPSName + " \"Simulierte USV\"\nEND LIST UPS\n", false
	case cmd == "LIST" && len(args) == 3 && strings.EqualFold(args[1], "VAR"):
		if args[2] != nutUPSName {
			return "ERR UNKNOWN-UPS\n", false
		}
		var b strings.Builder
		fmt.Fprintf(&b, "BEGIN LIST VAR %s\n", nutUPSName)
		for _, v := range st.vars() {
			fmt.Fprintf(&b, "VAR %s %s %q\n", nutUPSName, v[0], v[1])
		}
		fmt.Fprintf(&b, "END LIST VAR %s\n", nutUPSName)
		return b.String(), false
	case cmd == "GET" && len(args) == 4 && strings.EqualFold(args[1], "VAR"):
		if args[2] != nutUPSName {
			return "ERR UNKNOWN-UPS\n", false
		}
		for _, v := range st.vars() {
			if v[0] == args[3] {
				return fmt.Sprintf("VAR %s %s %q\n", nutUPSName, v[0], v[1]), false
			}
		}
		return "ERR VAR-NOT-SUPPORTED\n", false
	case cmd == "GET" && len(args) == 3 && strings.EqualFold(args[1], "UPSDESC"):
		if args[2] != nutUPSName {
			return "ERR UNKNOWN-UPS\n", false
		}
		return "UPSDESC " + nutUPSName + " \"Simulierte USV\"\n", false
	case cmd == "LIST" || cmd == "GET":
		return "ERR INVALID-ARGUMENT\n", false
	}
	return "ERR UNKNOWN-COMMAND\n", false
}

// nutFields splits a command line into words; a word in double quotes may
// hold spaces, and a backslash escapes the next character inside quotes.
func nutFields(line string) []string {
	var (
		out     []string
		cur     strings.Builder
		inWord  bool
		quoted  bool
		escaped bool
	)
	for _, r := range line {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case quoted && r == '\\':
			escaped = true
		case r == '"':
			quoted = !quoted
			inWord = true
		case !quoted && (r == ' ' || r == '\t' || r == '\r'):
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}
