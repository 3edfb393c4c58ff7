package monitor

import (
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

func TestSentence(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)   // 03:30 CEST, just after the spring change
	since := time.Date(2026, 3, 29, 0, 45, 0, 0, time.UTC) // 01:45 CET, before it
	yesterday := time.Date(2026, 3, 28, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		ov   Overview
		lang string
		want string
	}{
		{"all ok", Overview{At: now, Overall: check.StateOK, Checks: []CheckStatus{{ID: "a", State: check.StateOK}}}, "de", "Alles in Ordnung."},
		{"starting", Overview{At: now, Overall: check.StateUnknown, Checks: []CheckStatus{{ID: "a", State: check.StateUnknown}}}, "de", "Zustand wird noch ermittelt."},
		{"cause without consequences, across DST", Overview{At: now, Overall: check.StateDown, RootCauses: []string{"erp"},
			Checks: []CheckStatus{{ID: "erp", Name: "Warenwirtschaft", State: check.StateDown, Since: since}}}, "de", "Warenwirtschaft ausgefallen seit 01:45."},
		{"consequence still ok is not named", Overview{At: now, Overall: check.StateDown, RootCauses: []string{"konn"},
			Checks: []CheckStatus{
				{ID: "konn", Name: "Konnektor", State: check.StateDown, Since: since},
				{ID: "dns", Name: "TI-Namensauflösung", State: check.StateOK, Consequence: true, CausedBy: []string{"konn"}},
				{ID: "erez", Name: "E-Rezept", State: check.StateDown, Consequence: true, CausedBy: []string{"konn"}},
			}}, "de", "E-Rezept gestört seit 01:45. Ursache: Konnektor ausgefallen."},
		{"since yesterday shows the date", Overview{At: now, Overall: check.StateDegraded, RootCauses: []string{"ups"},
			Checks: []CheckStatus{{ID: "ups", Name: "USV", State: check.StateDegraded, Since: yesterday}}}, "de", "USV eingeschränkt seit 28.03. 21:00."},
		{"english", Overview{At: now, Overall: check.StateDown, RootCauses: []string{"line"},
			Checks: []CheckStatus{
				{ID: "line", Name: "Line 1", State: check.StateDown, Since: since},
				{ID: "a", Name: "TI", State: check.StateDown, CausedBy: []string{"line"}, Consequence: true},
				{ID: "b", Name: "E-Rezept", State: check.StateDown, CausedBy: []string{"line"}, Consequence: true},
			}}, "en", "TI and E-Rezept disrupted since 01:45. Cause: Line 1 down."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ov.Sentence(tt.lang, berlin); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}
