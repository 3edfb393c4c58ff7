package feed

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/lifeline-project/lifeline/internal/clock"
)

// HandlerOptions configure the feed server.
type HandlerOptions struct {
	// Token, when set, must be sent as "Authorization: Bearer <token>".
	Token  string
	Clock  clock.Clock
	Logger *slog.Logger
}

// Handler serves a Log as a feed (GET only).
type Handler struct {
	log Log
	o   HandlerOptions
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns the feed server of a log.
func NewHandler(l Log, o HandlerOptions) *Handler {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{log: l, o: o}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(ErrorBody{Error: code, Message: msg})
}

// ServeHTTP answers GET ?since=&limit=.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method", "only GET is allowed")
		return
	}
	if h.o.Token != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(h.o.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lifeline feed"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong bearer token")
			return
		}
	}
	since, ok := parseCursor(r.URL.Query().Get("since"), h.log.Epoch())
	if !ok {
		writeError(w, http.StatusGone, "expired", "cursor is not from this feed's current history; start a full read with since=0")
		return
	}
	limit := DefaultLimit
	if s := r.URL.Query().Get("limit"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			writeError(w, http.StatusBadRequest, "invalid", "limit must be a positive number")
			return
		}
		limit = min(v, MaxLimit)
	}
	entries, next, more, err := h.log.Read(since, limit)
	if errors.Is(err, ErrExpired) {
		writeError(w, http.StatusGone, "expired", "cursor is older than the feed's history; start a full read with since=0")
		return
	}
	if err != nil {
		h.o.Logger.Error("feed: read log", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "feed not readable")
		return
	}
	p := Page{
		Dataset: string(h.log.Dataset()), Schema: h.log.Dataset().SchemaVersion(),
		Since: formatCursor(h.log.Epoch(), since), Cursor: formatCursor(h.log.Epoch(), next), More: more,
		AsOf: h.o.Clock.Now().UTC(), Items: []json.RawMessage{}, Deleted: []string{},
	}
	for _, e := range entries {
		if e.Record == nil {
			p.Deleted = append(p.Deleted, e.Key)
			continue
		}
		b, err := json.Marshal(e.Record)
		if err != nil {
			h.o.Logger.Error("feed: encode record", "key", e.Key, "err", err)
			writeError(w, http.StatusInternalServerError, "internal", "record not encodable")
			return
		}
		p.Items = append(p.Items, b)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := json.NewEncoder(w).Encode(p); err != nil {
		h.o.Logger.Debug("feed: write response", "err", err)
	}
}

// formatCursor writes a cursor as "<epoch>-<seq>"; position 0 is "0".
func formatCursor(epoch string, seq uint64) string {
	if seq == 0 {
		return "0"
	}
	return epoch + "-" + strconv.FormatUint(seq, 10)
}

// parseCursor reads a cursor; ok is false for a cursor of another history
// or a malformed one (both answered with 410, so the client starts over).
func parseCursor(s, epoch string) (uint64, bool) {
	if s == "" || s == "0" {
		return 0, true
	}
	e, n, found := strings.Cut(s, "-")
	if !found || e != epoch {
		return 0, false
	}
	v, err := strconv.ParseUint(n, 10, 64)
	return v, err == nil
}
