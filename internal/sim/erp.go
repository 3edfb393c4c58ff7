package sim

import (
	"net/http"
)

// startERP starts the pharmacy's ERP server (Warenwirtschaft): plain HTTP
// with GET /health. Other endpoints are added with HandleERP.
func (p *Pharmacy) startERP() error {
	p.erpMux = http.NewServeMux()
	p.erpMux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok","db":"ok"}` + "\n"))
	})
	// Slow mode holds back every endpoint, as a real overloaded ERP server
	// would.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.Mode(DepERP) == ModeDegraded && !p.pause(r.Context(), slowDelay) {
			return
		}
		p.erpMux.ServeHTTP(w, r)
	})
	s, err := startSwitchable(serveHTTP(h, nil, p.log.With("dep", DepERP)))
	if err != nil {
		return err
	}
	p.erp = s
	return nil
}

// HandleERP adds an endpoint to the simulated ERP server, for example an
// article feed or a sales API. pattern is an http.ServeMux pattern such as
// "GET /api/articles"; like ServeMux.Handle it panics on a pattern that
// conflicts with one already registered. The endpoint shares the ERP's
// modes: refused when down, answered after 1.5 s when degraded.
func (p *Pharmacy) HandleERP(pattern string, h http.Handler) {
	p.erpMux.Handle(pattern, h)
}

// ERPURL returns the base URL of the ERP server, like
// "http://127.0.0.1:41234", without a trailing slash.
func (p *Pharmacy) ERPURL() string { return "http://" + p.erp.addr }
