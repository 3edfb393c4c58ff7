// Package httpapi serves the offline sales journal over HTTP:
//
//	POST /api/v1/sales        record a sale (Idempotency-Key header required)
//	GET  /api/v1/sales?since=N list entries after number N
//
// The caller mounts the handlers behind its authentication and tells the
// API who is at the till through Options.Staff. Amounts travel as decimal
// strings with at most two decimals ("4.20"), never as JSON numbers.
//
// POST answers 201 with the journal entry only once the entry is durable in
// both copies of the journal. The same Idempotency-Key again answers 201
// with the same entry and the header "Idempotent-Replayed: true"; the same
// key with different items answers 409. Every error is a JSON object
// {"code","message","message_en","fields":[{"field","message","message_en"}]}
// with the German message first.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/journal"
)

// Journal is what the API needs of the journal; *journal.Journal has it.
type Journal interface {
	// Append records a sale; see journal.Journal.Append for the errors.
	Append(ctx context.Context, s journal.Sale) (journal.Entry, bool, error)
	// Since lists entries after a number; errors ECLOSED, EUNAVAILABLE, ECORRUPT.
	Since(after int64, limit int) ([]journal.Entry, error)
	// Last returns the number of the last entry.
	Last() int64
}

var _ Journal = (*journal.Journal)(nil)

// Limits of the API.
const (
	MaxBodyBytes = 256 << 10
	DefaultLimit = 100
	MaxLimit     = 1000
	// maxStartAge bounds how far back a client may date the start of a sale.
	maxStartAge = 24 * time.Hour
	// maxStartAhead tolerates a client clock slightly ahead of ours.
	maxStartAhead = 5 * time.Second
)

// Options configure the API.
type Options struct {
	// Staff returns the name of the staff member making the request, as
	// the caller's authentication knows it. Required. An empty name
	// answers 401.
	Staff func(*http.Request) string
	// CheckPZN, when set, checks a PZN beyond its format (8 digits), for
	// example its check digit with the rules of internal/pharma.
	CheckPZN func(pzn string) error
	// Logger receives errors; nil discards.
	Logger *slog.Logger
	// Clock dates sales; nil means the wall clock.
	Clock clock.Clock
}

// API holds the handlers.
type API struct {
	j    Journal
	opts Options
	log  *slog.Logger
	clk  clock.Clock
}

// New returns the API over j.
func New(j Journal, opts Options) (*API, error) {
	if j == nil || opts.Staff == nil {
		return nil, errors.New("httpapi: journal and Options.Staff are required")
	}
	a := &API{j: j, opts: opts, log: opts.Logger, clk: opts.Clock}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.clk == nil {
		a.clk = clock.Real{}
	}
	return a, nil
}

// Register mounts both handlers on mux under /api/v1/sales.
func (a *API) Register(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/sales", a.Post())
	mux.Handle("GET /api/v1/sales", a.List())
}

// Post returns the handler of POST /api/v1/sales.
func (a *API) Post() http.Handler { return http.HandlerFunc(a.post) }

// List returns the handler of GET /api/v1/sales.
func (a *API) List() http.Handler { return http.HandlerFunc(a.list) }

// Wire formats.

type itemIn struct {
	PZN   json.RawMessage `json:"pzn"`
	Qty   json.RawMessage `json:"qty"`
	Price json.RawMessage `json:"price"`
	Copay json.RawMessage `json:"copay"`
}

type saleIn struct {
	Items     []itemIn        `json:"items"`
	Payment   json.RawMessage `json:"payment"`
	StartedAt json.RawMessage `json:"started_at"`
}

// errorBody is the JSON of every error answer.
type errorBody struct {
	Code   string               `json:"code"`
	DE     string               `json:"message"`
	EN     string               `json:"message_en"`
	Fields []journal.FieldError `json:"fields,omitempty"`
}

// listBody is the answer of GET.
type listBody struct {
	Sales      []journal.Entry `json:"sales"`
	LastNumber int64           `json:"last_number"`
	NextSince  int64           `json:"next_since"`
}

func (a *API) post(w http.ResponseWriter, r *http.Request) {
	start := a.clk.Now()
	staff := a.opts.Staff(r)
	if staff == "" {
		writeError(w, http.StatusUnauthorized, errorBody{Code: "EUNAUTHORIZED",
			DE: "Nicht angemeldet: Bitte an der Kasse anmelden.", EN: "not signed in: sign in at the till"})
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, errorBody{Code: "EINVALID",
			DE: "Der Verkauf muss als JSON gesendet werden (Content-Type: application/json).",
			EN: "send the sale as JSON (Content-Type: application/json)"})
		return
	}
	key := r.Header.Get("Idempotency-Key")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, errorBody{Code: "EINVALID",
				DE: fmt.Sprintf("Der Verkauf ist zu groß (höchstens %d KiB).", MaxBodyBytes>>10),
				EN: fmt.Sprintf("the sale is too large (at most %d KiB)", MaxBodyBytes>>10)})
			return
		}
		writeError(w, http.StatusBadRequest, errorBody{Code: "EINVALID", DE: "Anfrage unvollständig empfangen.", EN: "request body incomplete"})
		return
	}
	s, fields, readable := a.parseSale(body, start)
	s.IdempotencyKey, s.Staff = key, staff
	if readable {
		fields = mergeFields(fields, journal.ValidateSale(s))
	} else if journal.ValidateKey(key) != nil {
		fields = mergeFields(fields, []journal.FieldError{{Field: "idempotency_key"}})
	}
	if len(fields) > 0 {
		writeError(w, http.StatusBadRequest, errorBody{Code: string(journal.EINVALID),
			DE: "Der Verkauf ist unvollständig oder fehlerhaft.", EN: "the sale is incomplete or invalid", Fields: fields})
		return
	}
	e, existing, err := a.j.Append(r.Context(), s)
	if err != nil {
		a.writeJournalError(w, r, err)
		return
	}
	if existing {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusCreated, e)
}

// parseSale turns the body into a sale and names every field it cannot
// read. readable is false when the body is not a JSON object of the right
// shape at all.
func (a *API) parseSale(body []byte, now time.Time) (s journal.Sale, fe []journal.FieldError, readable bool) {
	var in saleIn
	add := func(field, de, en string) { fe = append(fe, journal.FieldError{Field: field, DE: de, EN: en}) }
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		field, de, en := "", "Kein gültiges JSON: "+err.Error(), "not valid JSON: "+err.Error()
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field = strings.Trim(name, `"`)
			de, en = "Unbekanntes Feld.", "unknown field"
		} else if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) {
			field = te.Field
			de, en = "Falscher Typ: erwartet wird "+typeDE(te.Field), "wrong type: expected "+typeEN(te.Field)
		}
		add(field, de, en)
		return s, fe, false
	}
	if dec.More() {
		add("", "Nach dem Verkauf folgen weitere Daten.", "data after the sale object")
		return s, fe, false
	}
	if len(in.Payment) > 0 {
		var p string
		if json.Unmarshal(in.Payment, &p) != nil {
			add("payment", `Zahlart muss "cash" oder "card" sein.`, `payment must be "cash" or "card"`)
		} else {
			s.Payment = journal.Payment(p)
		}
	}
	if len(in.StartedAt) > 0 && string(in.StartedAt) != "null" {
		var t time.Time
		switch {
		case json.Unmarshal(in.StartedAt, &t) != nil:
			add("started_at", `Startzeit im Format RFC 3339 angeben, z. B. "2026-03-29T09:15:00+02:00".`,
				`give the start time in RFC 3339, like "2026-03-29T09:15:00+02:00"`)
		case t.After(now.Add(maxStartAhead)):
			add("started_at", "Die Startzeit liegt in der Zukunft.", "the start time is in the future")
		case t.Before(now.Add(-maxStartAge)):
			add("started_at", "Die Startzeit liegt mehr als 24 Stunden zurück.", "the start time is more than 24 hours ago")
		default:
			s.Start = t
		}
	}
	for i, it := range in.Items {
		p := fmt.Sprintf("items[%d].", i)
		var out journal.Item
		if err := json.Unmarshal(it.PZN, &out.PZN); err != nil || len(it.PZN) == 0 {
			add(p+"pzn", `PZN fehlt oder ist keine Zeichenkette (z. B. "04877800").`, `PZN missing or not a string (like "04877800")`)
		} else if a.opts.CheckPZN != nil && len(out.PZN) == 8 {
			if err := a.opts.CheckPZN(out.PZN); err != nil {
				add(p+"pzn", "PZN ist ungültig (Prüfziffer passt nicht). Bitte erneut scannen oder eintippen.",
					"invalid PZN ("+err.Error()+"); scan or type it again")
			}
		}
		if n, err := strconv.Atoi(string(it.Qty)); err != nil {
			add(p+"qty", "Menge fehlt oder ist keine ganze Zahl.", "quantity missing or not a whole number")
		} else {
			out.Qty = n
		}
		out.Price = a.amount(it.Price, p+"price", "Preis", "price", &fe)
		out.Copay = a.amount(it.Copay, p+"copay", "Zuzahlung", "co-payment", &fe)
		s.Items = append(s.Items, out)
	}
	return s, fe, true
}

func (a *API) amount(raw json.RawMessage, field, nameDE, nameEN string, fe *[]journal.FieldError) journal.Amount {
	var str string
	if len(raw) == 0 {
		*fe = append(*fe, journal.FieldError{Field: field, DE: nameDE + ` fehlt (z. B. "4.20"; "0.00" für keine).`, EN: nameEN + ` missing (like "4.20"; "0.00" for none)`})
		return journal.Amount{}
	}
	if err := json.Unmarshal(raw, &str); err != nil {
		*fe = append(*fe, journal.FieldError{Field: field, DE: nameDE + ` als Zeichenkette mit Punkt angeben, z. B. "4.20" (keine Zahl ohne Anführungszeichen).`,
			EN: nameEN + ` must be a string with a decimal point, like "4.20" (not a bare number)`})
		return journal.Amount{}
	}
	v, err := journal.ParseAmount(str)
	if err != nil {
		*fe = append(*fe, journal.FieldError{Field: field, DE: nameDE + ` ungültig: Euro mit Punkt und höchstens zwei Nachkommastellen, z. B. "4.20".`,
			EN: nameEN + ` invalid: euros with a decimal point and at most two decimals, like "4.20"`})
		return journal.Amount{}
	}
	return v
}

// mergeFields adds the checks of the journal for fields the parser did
// not already report, and names the idempotency key as the header.
func mergeFields(parsed, checked []journal.FieldError) []journal.FieldError {
	seen := make(map[string]bool, len(parsed))
	for _, f := range parsed {
		seen[f.Field] = true
	}
	out := parsed
	for _, f := range checked {
		if seen[f.Field] {
			continue
		}
		if f.Field == "idempotency_key" {
			f.Field = "Idempotency-Key"
			f.DE = "Kopfzeile Idempotency-Key fehlt oder ist ungültig (1–128 sichtbare ASCII-Zeichen, je Verkauf eine neue)."
			f.EN = "header Idempotency-Key missing or invalid (1-128 visible ASCII characters, a new one per sale)"
		}
		out = append(out, f)
	}
	return out
}

func typeDE(field string) string {
	switch field {
	case "items":
		return "eine Liste von Artikeln"
	default:
		return "ein anderer Wert"
	}
}

func typeEN(field string) string {
	switch field {
	case "items":
		return "a list of items"
	default:
		return "another value"
	}
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var fe []journal.FieldError
	since, limit := int64(0), DefaultLimit
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			fe = append(fe, journal.FieldError{Field: "since", DE: "since muss eine Zahl ab 0 sein (Nummer des letzten bekannten Eintrags).",
				EN: "since must be a number from 0 (the number of the last entry known)"})
		}
		since = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			fe = append(fe, journal.FieldError{Field: "limit", DE: fmt.Sprintf("limit muss zwischen 1 und %d liegen.", MaxLimit),
				EN: fmt.Sprintf("limit must be between 1 and %d", MaxLimit)})
		}
		limit = n
	}
	if len(fe) > 0 {
		writeError(w, http.StatusBadRequest, errorBody{Code: string(journal.EINVALID), DE: "Ungültige Abfrage.", EN: "invalid query", Fields: fe})
		return
	}
	es, err := a.j.Since(since, limit)
	if err != nil {
		a.writeJournalError(w, r, err)
		return
	}
	out := listBody{Sales: es, LastNumber: a.j.Last(), NextSince: since}
	if out.Sales == nil {
		out.Sales = []journal.Entry{}
	}
	if len(es) > 0 {
		out.NextSince = es[len(es)-1].Number
	}
	writeJSON(w, http.StatusOK, out)
}

// statusOf maps journal error codes to HTTP status codes, in one place.
func statusOf(code journal.Code) int {
	switch code {
	case journal.EINVALID:
		return http.StatusBadRequest
	case journal.ECONFLICT:
		return http.StatusConflict
	case journal.EUNAVAILABLE, journal.ECLOSED, journal.ELOCKED:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

func (a *API) writeJournalError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		a.log.Warn("sales api: request ended before the sale was acknowledged", "err", err)
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, errorBody{Code: string(journal.EUNAVAILABLE),
			DE: "Abgebrochen, bevor der Verkauf bestätigt war. Bitte mit demselben Idempotency-Key erneut senden.",
			EN: "cancelled before the sale was acknowledged; send again with the same Idempotency-Key"})
		return
	}
	var je *journal.Error
	if !errors.As(err, &je) {
		a.log.Error("sales api: unexpected error", "method", r.Method, "err", err)
		writeError(w, http.StatusInternalServerError, errorBody{Code: string(journal.EINTERNAL),
			DE: "Interner Fehler. Bitte den Verkauf auf Papier notieren und die IT verständigen.",
			EN: "internal error; note the sale on paper and tell IT"})
		return
	}
	status := statusOf(je.Code)
	if status >= 500 {
		a.log.Error("sales api: journal error", "method", r.Method, "code", je.Code, "err", err)
	}
	if je.Retryable() {
		w.Header().Set("Retry-After", "1")
	}
	writeError(w, status, errorBody{Code: string(je.Code), DE: je.DE, EN: je.EN, Fields: je.Fields})
}

func writeError(w http.ResponseWriter, status int, b errorBody) { writeJSON(w, status, b) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"code":"EINTERNAL","message":"Interner Fehler.","message_en":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
