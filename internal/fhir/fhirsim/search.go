package fhirsim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/fhir"
)

// handleSearch answers [base]/Type?_lastUpdated=ge|gt<t>&_count=n with a
// searchset Bundle sorted by lastUpdated; _offset pages (the next link).
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	typ := r.PathValue("type")
	q := r.URL.Query()
	count, _ := strconv.Atoi(q.Get("_count"))
	if count <= 0 || count > 1000 {
		count = 100
	}
	offset, _ := strconv.Atoi(q.Get("_offset"))
	var since time.Time
	strict := false
	if v := q.Get("_lastUpdated"); v != "" {
		prefix := v[:min(2, len(v))]
		switch prefix {
		case "ge":
			v = v[2:]
		case "gt":
			v, strict = v[2:], true
		}
		t, err := parseSince(v)
		if err != nil {
			outcome(w, http.StatusBadRequest, "invalid", "_lastUpdated: "+err.Error())
			return
		}
		since = t
	}
	s.mu.Lock()
	s.stats.Searches++
	var match []*entry
	for _, e := range s.byType[typ] {
		if e.deleted || e.malformed {
			continue
		}
		if !since.IsZero() && (e.updated.Before(since) || strict && e.updated.Equal(since)) {
			continue
		}
		match = append(match, e)
	}
	sort.SliceStable(match, func(i, j int) bool { return match[i].updated.Before(match[j].updated) })
	page := match[min(offset, len(match)):min(offset+count, len(match))]
	entries := make([]map[string]any, 0, len(page))
	for _, e := range page {
		b, err := s.body(e)
		if err != nil {
			s.mu.Unlock()
			outcome(w, http.StatusInternalServerError, "exception", err.Error())
			return
		}
		entries = append(entries, map[string]any{"fullUrl": baseURL(r) + "/fhir/" + e.typ + "/" + e.id,
			"resource": json.RawMessage(b), "search": map[string]string{"mode": "match"}})
	}
	s.mu.Unlock()
	self := baseURL(r) + r.URL.RequestURI()
	links := []map[string]string{{"relation": "self", "url": self}}
	if offset+count < len(match) {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("_offset", strconv.Itoa(offset+count))
		links = append(links, map[string]string{"relation": "next", "url": baseURL(r) + "/fhir/" + typ + "?" + nq.Encode()})
	}
	w.Header().Set("Content-Type", "application/fhir+json")
	json.NewEncoder(w).Encode(map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(match),
		"link": links, "entry": entries})
}

// handleToken is the SMART backend services token endpoint.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Tokens++
	if q := s.faults[PhaseToken]; len(q) > 0 {
		f := q[0]
		s.faults[PhaseToken] = q[1:]
		s.stats.Failed++
		s.mu.Unlock()
		if f.retry > 0 {
			w.Header().Set("Retry-After", retryAfter(f.retry))
		}
		w.WriteHeader(f.status)
		return
	}
	s.mu.Unlock()
	oauthErr := func(status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if s.o.SMARTKey == nil {
		oauthErr(http.StatusBadRequest, "unsupported_grant_type", "no SMART client configured")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthErr(http.StatusBadRequest, "invalid_request", "form not readable")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		oauthErr(http.StatusBadRequest, "unsupported_grant_type", "want client_credentials")
		return
	}
	if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		oauthErr(http.StatusBadRequest, "invalid_request", "want a jwt-bearer client assertion")
		return
	}
	var c fhir.AssertionClaims
	if _, err := fhir.VerifyJWT(r.PostForm.Get("client_assertion"), s.o.SMARTKey, &c); err != nil {
		oauthErr(http.StatusUnauthorized, "invalid_client", err.Error())
		return
	}
	now := s.clk.Now()
	switch {
	case c.Iss != s.o.SMARTClientID || c.Sub != s.o.SMARTClientID:
		oauthErr(http.StatusUnauthorized, "invalid_client", "iss and sub must be the client id")
		return
	case c.Aud != baseURL(r)+"/auth/token":
		oauthErr(http.StatusUnauthorized, "invalid_client", "aud must be the token endpoint")
		return
	case now.Unix() >= c.Exp || c.Exp > now.Add(5*time.Minute+time.Second).Unix():
		oauthErr(http.StatusUnauthorized, "invalid_client", "exp must lie within the next 5 minutes")
		return
	case c.Jti == "":
		oauthErr(http.StatusUnauthorized, "invalid_client", "jti missing")
		return
	}
	if !strings.HasPrefix(r.PostForm.Get("scope"), "system/") {
		oauthErr(http.StatusBadRequest, "invalid_scope", "backend services ask for system scopes")
		return
	}
	b := make([]byte, 16)
	rand.Read(b)
	tok := hex.EncodeToString(b)
	s.mu.Lock()
	if s.jtis[c.Jti] {
		s.mu.Unlock()
		oauthErr(http.StatusUnauthorized, "invalid_client", "jti used before")
		return
	}
	s.jtis[c.Jti] = true
	s.tokens[tok] = now.Add(5 * time.Minute)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 300,
		"scope": r.PostForm.Get("scope")})
}
