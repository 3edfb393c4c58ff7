package sim

import (
	"fmt"
	"net/http"
)

// TILagePath is the path of the TI-Lagebild status endpoint.
const TILagePath = "/v2/tilage"

// tilageOutage maps a mode to the outage word of the TI-Lagebild.
func tilageOutage(m Mode) string {
	switch m {
	case ModeDegraded:
		return "partial"
	case ModeDown:
		return "full"
	default:
		return "none"
	}
}

// tilageJSON is the body of GET /v2/tilage for one E-Rezept outage state
// ("none", "partial" or "full"). gematik/api-tilage defines the real
// document; internal/check/tilage confirms which fields the prober reads.
// Keep the shape here, in this one function.
func tilageJSON(outage string) []byte {
	return fmt.Appendf(nil, `{"appStatus":{"erezept":{"outage":%q}}}`+"\n", outage)
}

// startTILage starts gematik's TI-Lagebild endpoint. It always answers; its
// mode is what it reports about the E-Rezept.
func (p *Pharmacy) startTILage() error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+TILagePath, func(w http.ResponseWriter, _ *http.Request) {
		p.tilageReq.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(tilageJSON(tilageOutage(p.Mode(DepTILage))))
	})
	s, err := startSwitchable(serveHTTP(mux, nil, p.log.With("dep", DepTILage)))
	if err != nil {
		return err
	}
	p.tilage = s
	return nil
}

// TILageURL returns the full URL of the TI-Lagebild endpoint, like
// "http://127.0.0.1:41236/v2/tilage".
func (p *Pharmacy) TILageURL() string { return "http://" + p.tilage.addr + TILagePath }

// TILageRequests returns how many times GET /v2/tilage was asked since the
// start, so that tests can show nobody polls it more often than gematik
// allows (once every 5 minutes).
func (p *Pharmacy) TILageRequests() int64 { return p.tilageReq.Load() }
