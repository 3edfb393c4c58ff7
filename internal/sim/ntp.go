package sim

import (
	"time"

	"github.com/lifeline-project/lifeline/internal/check/ntpcheck"
)

// ntpDegradedOffset is how far the time server is off when degraded.
const ntpDegradedOffset = 5 * time.Second

// startNTP starts the time server (ntpcheck.Server) on UDP loopback,
// answering with the right time.
func (p *Pharmacy) startNTP() error {
	s, err := ntpcheck.NewServer("127.0.0.1:0", p.log.With("dep", DepNTP))
	if err != nil {
		return err
	}
	p.ntp = s
	return nil
}

// setNTP puts the time server in mode m: ok answers with the right time,
// degraded 5 s ahead, down not at all.
func (p *Pharmacy) setNTP(m Mode) error {
	switch m {
	case ModeDegraded:
		p.ntp.SetOffset(ntpDegradedOffset)
		p.ntp.SetEnabled(true)
	case ModeDown:
		p.ntp.SetEnabled(false)
		p.ntp.SetOffset(0)
	default:
		p.ntp.SetOffset(0)
		p.ntp.SetEnabled(true)
	}
	return nil
}
