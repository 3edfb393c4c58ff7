package fhirsim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Handler returns the simulator's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /fhir/$export", s.guard(PhaseKickOff, s.handleKickOff))
	mux.Handle("GET /fhir/Patient/$export", s.guard(PhaseKickOff, s.handleKickOff))
	mux.Handle("GET /fhir/Group/{group}/$export", s.guard(PhaseKickOff, s.handleKickOff))
	mux.Handle("GET /fhir/_export/{job}", s.guard(PhaseStatus, s.handleStatus))
	mux.Handle("DELETE /fhir/_export/{job}", s.guard(PhaseStatus, s.handleDeleteJob))
	mux.Handle("GET /fhir/_export/{job}/{file}", s.guard(PhaseDownload, s.handleFile))
	mux.Handle("GET /fhir/{type}", s.guard(PhaseSearch, s.handleSearch))
	mux.HandleFunc("POST /auth/token", s.handleToken)
	mux.HandleFunc("GET /fhir/metadata", s.handleMetadata)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", s.clk.Now().UTC().Format(http.TimeFormat))
		s.mu.Lock()
		down := s.down
		s.mu.Unlock()
		if down {
			outcome(w, http.StatusServiceUnavailable, "transient", "the EHR is down (simulated outage)")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// handleMetadata answers the CapabilityStatement (public, as FHIR servers
// do), naming $export unless NoExport is set. It serves as the EHR's
// availability check.
func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	var ops []map[string]string
	if !s.o.NoExport {
		ops = append(ops, map[string]string{"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"})
	}
	w.Header().Set("Content-Type", "application/fhir+json")
	json.NewEncoder(w).Encode(map[string]any{
		"resourceType": "CapabilityStatement", "status": "active", "kind": "instance", "fhirVersion": "4.0.1",
		"format": []string{"json"}, "software": map[string]string{"name": "lifeline fhirsim"},
		"rest": []map[string]any{{"mode": "server", "operation": ops}},
	})
}

// outcome writes an OperationOutcome.
func outcome(w http.ResponseWriter, status int, code, diag string) {
	w.Header().Set("Content-Type", "application/fhir+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"resourceType": "OperationOutcome",
		"issue":        []map[string]string{{"severity": "error", "code": code, "diagnostics": diag}},
	})
}

func retryAfter(d time.Duration) string {
	return strconv.Itoa(int((d + time.Second - 1) / time.Second))
}

// guard checks the token, refuses early requests, injects faults, then
// calls h.
func (s *Server) guard(p Phase, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			s.mu.Lock()
			s.stats.Unauthorized++
			s.mu.Unlock()
			w.Header().Set("WWW-Authenticate", `Bearer realm="fhirsim"`)
			outcome(w, http.StatusUnauthorized, "login", "a valid bearer token is required")
			return
		}
		s.mu.Lock()
		now := s.clk.Now()
		if now.Before(s.notBefore) {
			s.stats.Early++
			wait := s.notBefore.Sub(now)
			s.mu.Unlock()
			w.Header().Set("Retry-After", retryAfter(wait))
			outcome(w, http.StatusTooManyRequests, "throttled", "too early: Retry-After has not passed")
			return
		}
		if q := s.faults[p]; len(q) > 0 {
			f := q[0]
			s.faults[p] = q[1:]
			s.stats.Failed++
			if f.retry > 0 {
				s.notBefore = now.Add(f.retry)
			}
			s.mu.Unlock()
			if f.retry > 0 {
				w.Header().Set("Retry-After", retryAfter(f.retry))
			}
			outcome(w, f.status, "transient", "simulated "+http.StatusText(f.status))
			return
		}
		s.mu.Unlock()
		h(w, r)
	})
}

// authorized checks the Authorization header against the configured
// token or the tokens the token endpoint issued.
func (s *Server) authorized(r *http.Request) bool {
	if s.o.Bearer == "" && s.o.SMARTKey == nil {
		return true
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	if s.o.Bearer != "" && tok == s.o.Bearer {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && s.clk.Now().Before(exp)
}

// baseURL is the simulator's address as the client reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
