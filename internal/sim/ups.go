package sim

import (
	"strconv"

	"github.com/lifeline-project/lifeline/internal/nut"
)

// nutUPSName is the name of the simulated UPS on the NUT server.
const nutUPSName = "ups"

// upsModel is the device.model and description of the simulated UPS.
const upsModel = "Simulierte USV"

// upsVars returns the NUT variables the simulated UPS reports in mode m:
// ok is mains power, degraded is a power cut on battery, down is a nearly
// empty battery.
func upsVars(m Mode) map[string]string {
	status, charge, runtime := "OL", 100, 2400
	switch m {
	case ModeDegraded:
		status, charge, runtime = "OB DISCHRG", 60, 900
	case ModeDown:
		status, charge, runtime = "OB LB", 8, 120
	}
	return map[string]string{
		"ups.status":      status,
		"battery.charge":  strconv.Itoa(charge),
		"battery.runtime": strconv.Itoa(runtime),
		"device.model":    upsModel,
	}
}

// startUPS starts the NUT server (nut.Server) with the UPS in mode ok. It
// always answers, whatever the mode: the mode is what the UPS reports, and
// Set changes it through setUPS.
func (p *Pharmacy) startUPS() error {
	s := nut.NewServer(p.log.With("dep", DepUPS))
	s.SetDescription(nutUPSName, upsModel)
	s.SetVars(nutUPSName, upsVars(ModeOK))
	if err := s.Listen("127.0.0.1:0"); err != nil {
		return err
	}
	p.ups = s
	return nil
}

// setUPS makes the UPS report mode m.
func (p *Pharmacy) setUPS(m Mode) error {
	p.ups.SetVars(nutUPSName, upsVars(m))
	return nil
}
