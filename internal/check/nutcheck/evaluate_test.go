package nutcheck

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lifeline-project/lifeline/internal/check"
)

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name       string
		vars       map[string]string
		wantStatus check.Status
		wantDE     string
		wantEN     string
		wantValues map[string]float64
	}{
		{
			name:       "on mains",
			vars:       map[string]string{"ups.status": "OL", "battery.charge": "100", "battery.runtime": "2400"},
			wantStatus: check.StatusOK,
			wantDE:     "Netzbetrieb, Akku 100 %, Laufzeit 40 min",
			wantEN:     "On mains power, battery 100 %, runtime 40 min",
			wantValues: map[string]float64{"battery_charge": 100, "battery_runtime": 2400, "on_battery": 0},
		},
		{
			name:       "on battery",
			vars:       map[string]string{"ups.status": "OB DISCHRG", "battery.charge": "45", "battery.runtime": "720"},
			wantStatus: check.StatusDegraded,
			wantDE:     "Batteriebetrieb! Akku 45 %, noch ca. 12 min",
			wantEN:     "On battery! Battery 45 %, about 12 min left",
			wantValues: map[string]float64{"battery_charge": 45, "battery_runtime": 720, "on_battery": 1},
		},
		{
			name:       "low battery",
			vars:       map[string]string{"ups.status": "OB LB", "battery.charge": "8.5", "battery.runtime": "50"},
			wantStatus: check.StatusFail,
			wantDE:     "Akku fast leer! Akku 8,5 %, noch weniger als 1 min",
			wantEN:     "Battery almost empty! Battery 8.5 %, less than 1 min left",
			wantValues: map[string]float64{"battery_charge": 8.5, "battery_runtime": 50, "on_battery": 1},
		},
		{
			name:       "forced shutdown",
			vars:       map[string]string{"ups.status": "FSD OB LB"},
			wantStatus: check.StatusFail,
			wantDE:     "USV schaltet ab (Zwangsabschaltung)!",
			wantEN:     "UPS is shutting down (forced shutdown)!",
			wantValues: map[string]float64{"on_battery": 1},
		},
		{
			name:       "replace battery while charging",
			vars:       map[string]string{"ups.status": "OL CHRG RB", "battery.charge": "80", "ups.load": "23"},
			wantStatus: check.StatusDegraded,
			wantDE:     "Netzbetrieb, Akku 80 %, Akku lädt, Akku bitte austauschen",
			wantEN:     "On mains power, battery 80 %, charging, replace the battery",
			wantValues: map[string]float64{"battery_charge": 80, "ups_load": 23, "on_battery": 0},
		},
		{
			name:       "overload on battery",
			vars:       map[string]string{"ups.status": "OB OVER"},
			wantStatus: check.StatusDegraded,
			wantDE:     "Batteriebetrieb! Überlastet: Geräte abstecken",
			wantEN:     "On battery! Overloaded: unplug devices",
			wantValues: map[string]float64{"on_battery": 1},
		},
		{
			name:       "output off",
			vars:       map[string]string{"ups.status": "OFF"},
			wantStatus: check.StatusFail,
			wantDE:     "USV-Ausgang ist abgeschaltet",
			wantEN:     "UPS output is switched off",
			wantValues: map[string]float64{},
		},
		{
			name:       "driver still starting",
			vars:       map[string]string{"ups.status": "WAIT"},
			wantStatus: check.StatusUnknown,
			wantDE:     "USV-Dienst liest die USV noch aus",
			wantEN:     "UPS service is still reading the UPS",
			wantValues: map[string]float64{},
		},
		{
			name:       "no status",
			vars:       map[string]string{"battery.charge": "not a number"},
			wantStatus: check.StatusUnknown,
			wantDE:     "USV meldet keinen Zustand",
			wantEN:     "UPS reports no status",
			wantValues: map[string]float64{},
		},
		{
			name:       "strange status",
			vars:       map[string]string{"ups.status": "TRIM"},
			wantStatus: check.StatusUnknown,
			wantDE:     `Unbekannter USV-Zustand "TRIM"`,
			wantEN:     `Unknown UPS status "TRIM"`,
			wantValues: map[string]float64{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.vars)
			if got.Status != tt.wantStatus {
				t.Errorf("status got %v; want %v", got.Status, tt.wantStatus)
			}
			if got.Message.DE != tt.wantDE {
				t.Errorf("German message got %q; want %q", got.Message.DE, tt.wantDE)
			}
			if got.Message.EN != tt.wantEN {
				t.Errorf("English message got %q; want %q", got.Message.EN, tt.wantEN)
			}
			if diff := cmp.Diff(tt.wantValues, got.Values); diff != "" {
				t.Errorf("values got %v; want %v", got.Values, tt.wantValues)
			}
		})
	}
}
