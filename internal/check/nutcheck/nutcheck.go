// Package nutcheck is the prober of kind "nut": it asks a NUT server (upsd)
// for the variables of one UPS and turns ups.status, battery.charge and
// battery.runtime into a verdict in plain words: on mains power is fine, on
// battery is degraded, low battery or forced shutdown is down.
package nutcheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/nut"
)

// Prober probes one UPS through a NUT server.
type Prober struct {
	addr     string
	ups      string
	username string
	password string
	log      *slog.Logger
}

var _ check.Prober = (*Prober)(nil)

// New returns a prober for spec.Address (host or host:port, port 3493 by
// default) and spec.UPS, with the optional spec.Username and spec.Password.
func New(spec check.Spec, log *slog.Logger) (*Prober, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if strings.TrimSpace(spec.Address) == "" {
		return nil, fmt.Errorf("check %q: address is empty; set it to the NUT server, for example 127.0.0.1:3493", spec.ID)
	}
	ups := spec.UPS
	if ups == "" {
		ups = "ups"
	}
	if strings.ContainsAny(ups, " \t\r\n\"\\") {
		return nil, fmt.Errorf("check %q: ups %q contains spaces or quotes; use the UPS name from ups.conf on the NUT server", spec.ID, ups)
	}
	return &Prober{
		addr:     nut.WithDefaultPort(spec.Address),
		ups:      ups,
		username: spec.Username,
		password: spec.Password,
		log:      log.With("check", spec.ID, "kind", check.KindNUT),
	}, nil
}

// Probe reads the UPS variables once.
func (p *Prober) Probe(ctx context.Context) (res check.Result) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("nut probe panicked", "panic", r)
			res = check.Fail(time.Since(start), "Interner Fehler bei der USV-Prüfung", "Internal error while checking the UPS")
		}
		res.Latency = time.Since(start)
	}()

	c, err := nut.Dial(ctx, p.addr)
	if err != nil {
		p.log.Info("NUT server unreachable", "addr", p.addr, "err", err)
		return check.Fail(0,
			fmt.Sprintf("USV-Dienst (NUT) unter %s nicht erreichbar", p.addr),
			fmt.Sprintf("UPS service (NUT) at %s is not reachable", p.addr))
	}
	defer func() { _ = c.Close() }()

	if p.username != "" {
		if err := c.Login(ctx, p.username, p.password); err != nil {
			p.log.Info("NUT login failed", "err", err)
			return check.Fail(0, "Anmeldung am USV-Dienst fehlgeschlagen: Benutzername oder Passwort prüfen",
				"Login to the UPS service failed: check username and password")
		}
	}
	vars, err := c.ListVars(ctx, p.ups)
	if err != nil {
		return p.listError(err)
	}
	return Evaluate(vars)
}

func (p *Prober) listError(err error) check.Result {
	var pe *nut.ProtocolError
	if !errors.As(err, &pe) {
		p.log.Info("NUT query failed", "err", err)
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return check.Fail(0, "USV-Dienst antwortet nicht rechtzeitig", "UPS service does not answer in time")
		}
		return check.Fail(0, "USV-Dienst antwortet nicht richtig", "UPS service does not answer properly")
	}
	switch {
	case pe.Stale():
		p.log.Info("NUT data stale", "code", pe.Code)
		return check.Result{Status: check.StatusUnknown, Message: check.Msg(
			"Daten der USV veraltet: USV-Dienst hat keine aktuelle Verbindung zur USV (Kabel prüfen)",
			"UPS data stale: the UPS service has no current connection to the UPS (check the cable)")}
	case pe.Code == nut.CodeUnknownUPS:
		return check.Fail(0,
			fmt.Sprintf("USV %q ist dem USV-Dienst nicht bekannt", p.ups),
			fmt.Sprintf("UPS %q is not known to the UPS service", p.ups))
	case pe.Code == nut.CodeAccessDenied:
		return check.Fail(0, "USV-Dienst verweigert den Zugriff: Benutzername oder Passwort prüfen",
			"UPS service denies access: check username and password")
	default:
		p.log.Info("NUT error answer", "code", pe.Code, "err", err)
		return check.Fail(0,
			fmt.Sprintf("USV-Dienst meldet Fehler %s", pe.Code),
			fmt.Sprintf("UPS service reports error %s", pe.Code))
	}
}

// Evaluate turns the variables of one UPS into a result (without latency).
// The tokens of ups.status decide: OL is fine, OB (on battery) degraded, LB
// (low battery), FSD (forced shutdown) or OFF down; RB (replace battery),
// CHRG (charging), BYPASS and OVER (overload) are named in the message.
func Evaluate(vars map[string]string) check.Result {
	status := strings.Fields(strings.ToUpper(vars["ups.status"]))
	has := make(map[string]bool, len(status))
	for _, s := range status {
		has[s] = true
	}
	values := map[string]float64{}
	charge, hasCharge := number(vars["battery.charge"])
	if hasCharge {
		values["battery_charge"] = charge
	}
	runtime, hasRuntime := number(vars["battery.runtime"])
	if hasRuntime {
		values["battery_runtime"] = runtime
	}
	if load, ok := number(vars["ups.load"]); ok {
		values["ups_load"] = load
	}
	if has["OB"] {
		values["on_battery"] = 1
	} else if has["OL"] {
		values["on_battery"] = 0
	}

	var st check.Status
	var de, en string
	switch {
	case has["FSD"]:
		st, de, en = check.StatusFail, "USV schaltet ab (Zwangsabschaltung)!", "UPS is shutting down (forced shutdown)!"
	case has["LB"]:
		st, de, en = check.StatusFail, "Akku fast leer!", "Battery almost empty!"
	case has["OFF"]:
		st, de, en = check.StatusFail, "USV-Ausgang ist abgeschaltet", "UPS output is switched off"
	case has["OB"]:
		st, de, en = check.StatusDegraded, "Batteriebetrieb!", "On battery!"
	case has["OL"]:
		st, de, en = check.StatusOK, "Netzbetrieb", "On mains power"
	case has["WAIT"]:
		return check.Result{Status: check.StatusUnknown, Values: values, Message: check.Msg(
			"USV-Dienst liest die USV noch aus", "UPS service is still reading the UPS")}
	case len(status) == 0:
		return check.Result{Status: check.StatusUnknown, Values: values, Message: check.Msg(
			"USV meldet keinen Zustand", "UPS reports no status")}
	default:
		return check.Result{Status: check.StatusUnknown, Values: values, Message: check.Msg(
			fmt.Sprintf("Unbekannter USV-Zustand %q", vars["ups.status"]),
			fmt.Sprintf("Unknown UPS status %q", vars["ups.status"]))}
	}
	onBattery := has["OB"] || has["LB"]
	var detDE, detEN []string
	if hasCharge {
		detDE = append(detDE, fmt.Sprintf("Akku %s %%", germanNumber(charge)))
		detEN = append(detEN, fmt.Sprintf("battery %s %%", englishNumber(charge)))
	}
	if hasRuntime {
		d, e := runtimeWords(runtime, onBattery)
		detDE = append(detDE, d)
		detEN = append(detEN, e)
	}
	if has["BYPASS"] {
		detDE = append(detDE, "Umgehung (Bypass) aktiv")
		detEN = append(detEN, "bypass active")
		if st == check.StatusOK {
			st = check.StatusDegraded
		}
	}
	if has["OVER"] {
		detDE = append(detDE, "überlastet: Geräte abstecken")
		detEN = append(detEN, "overloaded: unplug devices")
		if st == check.StatusOK {
			st = check.StatusDegraded
		}
	}
	if has["CHRG"] {
		detDE = append(detDE, "Akku lädt")
		detEN = append(detEN, "charging")
	}
	if has["RB"] {
		detDE = append(detDE, "Akku bitte austauschen")
		detEN = append(detEN, "replace the battery")
		if st == check.StatusOK {
			st = check.StatusDegraded
		}
	}
	de, en = join(de, detDE), join(en, detEN)
	return check.Result{Status: st, Message: check.Msg(de, en), Values: values}
}

// join appends details to a head: "Netzbetrieb, Akku 100 %" but
// "Batteriebetrieb! Akku 45 %".
func join(head string, details []string) string {
	if len(details) == 0 {
		return head
	}
	if strings.HasSuffix(head, "!") {
		first := details[0]
		if r, size := utf8.DecodeRuneInString(first); size > 0 {
			first = string(unicode.ToUpper(r)) + first[size:]
		}
		return head + " " + strings.Join(append([]string{first}, details[1:]...), ", ")
	}
	return head + ", " + strings.Join(details, ", ")
}

// runtimeWords says how long the battery lasts: "Laufzeit 40 min" on mains,
// "noch ca. 12 min" on battery.
func runtimeWords(seconds float64, onBattery bool) (de, en string) {
	mins := int(math.Round(seconds / 60))
	if onBattery {
		if seconds < 60 {
			return "noch weniger als 1 min", "less than 1 min left"
		}
		return fmt.Sprintf("noch ca. %d min", mins), fmt.Sprintf("about %d min left", mins)
	}
	if seconds < 60 {
		return "Laufzeit unter 1 min", "runtime under 1 min"
	}
	return fmt.Sprintf("Laufzeit %d min", mins), fmt.Sprintf("runtime %d min", mins)
}

func number(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// germanNumber writes v without decimals when whole, else with one decimal
// and a decimal comma.
func germanNumber(v float64) string {
	return strings.Replace(englishNumber(v), ".", ",", 1)
}

func englishNumber(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}
