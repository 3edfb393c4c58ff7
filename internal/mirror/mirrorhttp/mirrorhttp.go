// Package mirrorhttp serves the downtime copy's article lookups as plain
// http.Handlers. Authentication (API tokens) is the caller's job: mount
// these behind it.
//
//	GET /api/v1/articles/{pzn}   exact lookup; PZN-7 accepted with a leading 0
//	GET /api/v1/articles?q=...   name search (prefixes, small typos), best first
//
// Articles are JSON objects with the CSV header's field names, prices as
// strings with two decimals. Every response carries the copy's age in the
// header X-Data-As-Of (RFC 3339) and X-Data-Stand ("heute 09:41").
package mirrorhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

// Options configure the handlers.
type Options struct {
	Logger *slog.Logger
	Clock  clock.Clock
	// Location formats X-Data-Stand; nil means UTC.
	Location *time.Location
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
}

// ErrorBody is the JSON body of an error response.
type ErrorBody struct {
	Error     string `json:"error"`
	Message   string `json:"message"`
	MessageEN string `json:"message_en"`
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	code := mirror.ErrorCode(err)
	msg := mirror.ErrorMessage(err)
	status := mirror.HTTPStatus(code)
	if status >= 500 {
		log.Error("mirror api", "err", err)
	}
	b, _ := json.Marshal(ErrorBody{Error: code, Message: msg.DE, MessageEN: msg.EN})
	writeJSON(w, status, append(b, '\n'))
}

// setAge adds the articles' freshness headers.
func setAge(w http.ResponseWriter, r *http.Request, rd mirror.Reader, o Options) {
	states, err := rd.Status(r.Context())
	if err != nil {
		return
	}
	for _, s := range states {
		if s.Dataset == mirror.Articles && !s.SyncedAt.IsZero() {
			w.Header().Set("X-Data-As-Of", s.SyncedAt.UTC().Format(time.RFC3339))
			w.Header().Set("X-Data-Stand", check.StandWords(s.SyncedAt, o.Clock.Now(), o.Location).DE)
		}
	}
}

// Article returns the handler of GET /api/v1/articles/{pzn}. The PZN comes
// from the route's {pzn} wildcard, or else from the last path segment.
func Article(rd mirror.Reader, o Options) http.Handler {
	o.defaults()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := r.PathValue("pzn")
		if raw == "" {
			raw = r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		}
		pzn, err := pharma.ParsePZN(raw)
		if err != nil {
			var pe *pharma.Error
			msg := check.Msg("keine gültige PZN", "not a valid PZN")
			if errors.As(err, &pe) {
				msg = check.Msg(pe.DE, pe.EN)
			}
			writeError(w, o.Logger, &mirror.Error{Code: mirror.EINVALID, Message: msg})
			return
		}
		a, err := rd.Article(r.Context(), pzn)
		if err != nil {
			writeError(w, o.Logger, err)
			return
		}
		b, err := json.Marshal(a)
		if err != nil {
			writeError(w, o.Logger, err)
			return
		}
		setAge(w, r, rd, o)
		writeJSON(w, http.StatusOK, append(b, '\n'))
	})
}

// Match names a hit's tier in JSON.
func Match(t mirror.Tier) string {
	switch t {
	case mirror.TierPZN:
		return "pzn"
	case mirror.TierExact:
		return "exact"
	case mirror.TierPrefix:
		return "prefix"
	case mirror.TierWords:
		return "words"
	default:
		return "typo"
	}
}

// Search returns the handler of GET /api/v1/articles?q=...&limit=...
// (limit 1..100, default 20). The body is {"query": q, "items": [article +
// "match"], "as_of": time or null}.
func Search(rd mirror.Reader, o Options) http.Handler {
	o.defaults()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := strings.TrimSpace(r.URL.Query().Get("q"))
		if q == "" {
			writeError(w, o.Logger, &mirror.Error{Code: mirror.EINVALID, Message: check.Msg(
				"Suchbegriff fehlt: ?q=Name oder PZN", "search term missing: ?q=name or PZN")})
			return
		}
		limit := 20
		if s := r.URL.Query().Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 100 {
				writeError(w, o.Logger, &mirror.Error{Code: mirror.EINVALID, Message: check.Msg(
					"limit muss eine Zahl von 1 bis 100 sein", "limit must be a number from 1 to 100")})
				return
			}
			limit = n
		}
		hits, err := rd.SearchArticles(r.Context(), q, limit)
		if err != nil {
			writeError(w, o.Logger, err)
			return
		}
		var buf bytes.Buffer
		qj, _ := json.Marshal(q)
		buf.WriteString(`{"query":`)
		buf.Write(qj)
		buf.WriteString(`,"items":[`)
		for i, h := range hits {
			b, err := json.Marshal(h.Article)
			if err != nil {
				writeError(w, o.Logger, err)
				return
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(b[:len(b)-1])
			buf.WriteString(`,"match":"` + Match(h.Tier) + `"}`)
		}
		buf.WriteString("]")
		setAge(w, r, rd, o)
		if v := w.Header().Get("X-Data-As-Of"); v != "" {
			buf.WriteString(`,"as_of":"` + v + `"`)
		} else {
			buf.WriteString(`,"as_of":null`)
		}
		buf.WriteString("}\n")
		writeJSON(w, http.StatusOK, buf.Bytes())
	})
}
