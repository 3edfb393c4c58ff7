package counter

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Ways a switch was made.
const (
	ViaPage = "page"
	ViaAPI  = "api"
)

// MaxReasonLen bounds the reason given for a switch.
const MaxReasonLen = 500

// ModeState is the emergency mode now.
type ModeState struct {
	Active bool
	// Since is when the mode was last switched (zero: never).
	Since  time.Time
	By     string
	Reason string
}

func stateOf(sw Switch) ModeState {
	return ModeState{Active: sw.Active, Since: sw.At, By: sw.By, Reason: sw.Reason}
}

// Mode returns the emergency mode's state.
func (s *Service) Mode() ModeState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return stateOf(s.mode)
}

// SetMode switches emergency mode on or off for user by, recording who,
// when, how (ViaPage, ViaAPI) and why. Switching to the state in force
// records nothing and returns changed = false. Errors: EINVALID for an
// overlong reason or a missing name.
func (s *Service) SetMode(ctx context.Context, by, via string, active bool, reason string) (ModeState, bool, error) {
	reason = strings.TrimSpace(reason)
	if !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > MaxReasonLen {
		return ModeState{}, false, Errorf(EINVALID, "Der Grund ist zu lang (höchstens 500 Zeichen).", "The reason is too long (at most 500 characters).")
	}
	if strings.TrimSpace(by) == "" {
		return ModeState{}, false, Errorf(EINVALID, "Wer schaltet? Der Name fehlt.", "Who is switching? The name is missing.")
	}
	if via != ViaAPI {
		via = ViaPage
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, changed, err := s.st.SwitchMode(ctx, Switch{At: s.clk.Now().UTC(), Active: active, By: by, Via: via, Reason: reason})
	if err != nil {
		return ModeState{}, false, wrapErr(EINTERNAL, err, "Notbetrieb konnte nicht umgeschaltet werden; bitte noch einmal versuchen.",
			"cannot switch the emergency mode; please try again")
	}
	s.mode = cur
	if changed {
		s.log.Info("emergency mode switched", "active", active, "by", by, "via", via, "reason", reason)
	}
	return stateOf(cur), changed, nil
}

// ModeHistory returns the latest switches, newest first.
func (s *Service) ModeHistory(ctx context.Context, limit int) ([]Switch, error) {
	sws, err := s.st.Switches(ctx, limit)
	if err != nil {
		return nil, wrapErr(EINTERNAL, err, "Verlauf des Notbetriebs nicht lesbar.", "cannot read the emergency mode's history")
	}
	return sws, nil
}

// ModeBanner is the banner on every page while emergency mode is on:
// "Notbetrieb aktiv seit 02:14 — Verkäufe werden offline erfasst".
func (s *Service) ModeBanner() (check.Text, bool) {
	m := s.Mode()
	if !m.Active {
		return check.Text{}, false
	}
	at := clockText(m.Since, s.clk.Now(), s.loc)
	return check.Msg("Notbetrieb aktiv seit "+at.DE+" — Verkäufe werden offline erfasst",
		"Emergency mode active since "+at.EN+" — sales are recorded offline"), true
}

// OfferBanner offers emergency mode while it is off and a watched check
// is down: "Warenwirtschaft ausgefallen: Notbetrieb einschalten?". While it
// is on and the ERP is back, it says so.
func (s *Service) OfferBanner() (check.Text, bool) {
	m := s.Mode()
	sit := s.Situation()
	if !m.Active && len(sit.Down) > 0 {
		names := make([]string, len(sit.Down))
		for i, c := range sit.Down {
			names[i] = c.Name
		}
		n := strings.Join(names, ", ")
		return check.Msg(n+" ausgefallen: Notbetrieb einschalten? (Menü „Notbetrieb“)",
			n+" down: switch on emergency mode? (menu \"Emergency mode\")"), true
	}
	if m.Active && len(sit.Down) == 0 && len(s.watch.ERP) > 0 && sit.ERPOK {
		return check.Msg("Warenwirtschaft wieder erreichbar: Notbetrieb ausschalten, dann die Offline-Verkäufe übertragen.",
			"Pharmacy system reachable again: switch off emergency mode, then hand over the offline sales."), true
	}
	return check.Text{}, false
}
