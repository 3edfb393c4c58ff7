package sim

import (
	"net/http"

	"github.com/lifeline-project/lifeline/internal/check/tilage"
)

// tilageOutage maps a mode to the E-Rezept outage of the TI-Lagebild.
func tilageOutage(m Mode) tilage.Outage {
	switch m {
	case ModeDegraded:
		return tilage.OutagePartial
	case ModeDown:
		return tilage.OutageFull
	default:
		return tilage.OutageNone
	}
}

// startTILage starts gematik's TI-Lagebild endpoint, serving the document
// of tilage.Render at tilage.Path: the prober and the simulation share that
// one document. It always answers; its mode is what it reports about the
// E-Rezept.
func (p *Pharmacy) startTILage() error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+tilage.Path, func(w http.ResponseWriter, _ *http.Request) {
		p.tilageReq.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(tilage.Render(tilageOutage(p.Mode(DepTILage))))
	})
	s, err := startSwitchable(serveHTTP(mux, nil, p.log.With("dep", DepTILage)))
	if err != nil {
		return err
	}
	p.tilage = s
	return nil
}

// TILageURL returns the full URL of the TI-Lagebild document, like
// "http://127.0.0.1:41236/v2/tilage".
func (p *Pharmacy) TILageURL() string { return "http://" + p.tilage.addr + tilage.Path }

// TILageRequests returns how many times GET /v2/tilage was asked since the
// start, so that tests can show nobody polls it more often than gematik
// allows (once every 5 minutes).
func (p *Pharmacy) TILageRequests() int64 { return p.tilageReq.Load() }
