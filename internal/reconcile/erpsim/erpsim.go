// Package erpsim is the sales endpoint of the simulated pharmacy ERP that
// the demo runs and the tests replay the offline journal into:
//
//	POST /api/sales   book one sale; header Idempotency-Key required
//	GET  /api/sales   list the bookings
//
// It books each idempotency key once: the same key again answers 200 with
// the same booking id, the same key with a different sale answers 409. A
// test (or a demo scenario) can tell it to fail the next requests with 503,
// to refuse sales containing a PZN with 422 and a reason, or to drop the
// connection in the middle of a request, before or after booking, which is
// the case that tempts a client to book twice.
//
// The request body is a journal entry as package journal writes it; the
// simulated ERP reads number, items, total and payment and ignores the rest.
package erpsim

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
)

// Drop says when a dropped request loses its connection.
type Drop int

// Drop modes.
const (
	// DropBeforeBooking closes the connection without booking.
	DropBeforeBooking Drop = iota + 1
	// DropAfterBooking books the sale, then closes the connection without
	// an answer: the client cannot know the sale was booked.
	DropAfterBooking
)

// Booking is one sale booked by the simulated ERP.
type Booking struct {
	ID       string    `json:"booking_id"`
	Key      string    `json:"idempotency_key"`
	Number   int64     `json:"number"`
	Total    string    `json:"total"`
	Payment  string    `json:"payment"`
	Items    int       `json:"items"`
	BookedAt time.Time `json:"booked_at"`
}

// Item is the part of a sale line the simulated ERP reads.
type Item struct {
	PZN   string `json:"pzn"`
	Qty   int    `json:"qty"`
	Price string `json:"price"`
	Copay string `json:"copay"`
}

// Sale is the part of a posted sale the simulated ERP reads.
type Sale struct {
	Number  int64  `json:"number"`
	Items   []Item `json:"items"`
	Total   string `json:"total"`
	Payment string `json:"payment"`
}

// BookResponse is the answer to a booked (or already booked) sale.
type BookResponse struct {
	BookingID string `json:"booking_id"`
	Replayed  bool   `json:"replayed"`
}

// ErrorResponse is the answer to a refused or failed request.
type ErrorResponse struct {
	Reason   string `json:"reason"`
	ReasonEN string `json:"reason_en"`
}

type refusal struct{ de, en string }

// ERP is the simulated ERP's sales endpoint. It is an http.Handler and safe
// for concurrent use.
type ERP struct {
	clk clock.Clock
	log *slog.Logger

	mu          sync.Mutex
	bookings    []Booking
	byKey       map[string]int // index into bookings
	fingerprint map[string][32]byte
	refuse      map[string]refusal
	attempts    map[string]int
	requests    int
	failNext    int
	dropNext    []Drop
	dropEvery   int
	posts       int
	dropped     int
}

var _ http.Handler = (*ERP)(nil)

// New returns an empty simulated ERP.
func New(clk clock.Clock, log *slog.Logger) *ERP {
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ERP{clk: clk, log: log, byKey: map[string]int{}, fingerprint: map[string][32]byte{},
		refuse: map[string]refusal{}, attempts: map[string]int{}}
}

// FailNext makes the next n sale requests fail with 503 without booking.
func (e *ERP) FailNext(n int) {
	e.mu.Lock()
	e.failNext = n
	e.mu.Unlock()
}

// DropNext drops the connection of the next n sale requests in mode m.
func (e *ERP) DropNext(n int, m Drop) {
	e.mu.Lock()
	for range n {
		e.dropNext = append(e.dropNext, m)
	}
	e.mu.Unlock()
}

// DropEvery drops every k-th sale request, alternately before and after
// booking; 0 stops it.
func (e *ERP) DropEvery(k int) {
	e.mu.Lock()
	e.dropEvery = k
	e.mu.Unlock()
}

// Refuse makes the ERP refuse every sale containing pzn, giving the reason
// in German and English.
func (e *ERP) Refuse(pzn, reasonDE, reasonEN string) {
	e.mu.Lock()
	e.refuse[pzn] = refusal{de: reasonDE, en: reasonEN}
	e.mu.Unlock()
}

// Bookings returns a copy of the bookings in the order they were made.
func (e *ERP) Bookings() []Booking {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Booking(nil), e.bookings...)
}

// Stats returns how many sale requests arrived, how many connections were
// dropped, and how many requests carried each key.
func (e *ERP) Stats() (requests, dropped int, attempts map[string]int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	attempts = make(map[string]int, len(e.attempts))
	for k, v := range e.attempts {
		attempts[k] = v
	}
	return e.requests, e.dropped, attempts
}

// ServeHTTP routes POST and GET /api/sales.
func (e *ERP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/sales" {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodPost:
		e.book(w, r)
	case http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"bookings": e.Bookings()})
	default:
		w.Header().Set("Allow", "GET, POST")
		writeJSON(w, http.StatusMethodNotAllowed, ErrorResponse{Reason: "Methode nicht erlaubt", ReasonEN: "method not allowed"})
	}
}

func (e *ERP) book(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return // the client went away
	}
	var s Sale
	if key == "" || json.Unmarshal(body, &s) != nil || len(s.Items) == 0 {
		writeJSON(w, http.StatusBadRequest, ErrorResponse{Reason: "Anfrage unvollständig: Idempotency-Key und Artikel nötig",
			ReasonEN: "incomplete request: Idempotency-Key and items required"})
		return
	}
	fp := fingerprint(s)

	e.mu.Lock()
	e.requests++
	e.attempts[key]++
	e.posts++
	drop := Drop(0)
	switch {
	case len(e.dropNext) > 0:
		drop, e.dropNext = e.dropNext[0], e.dropNext[1:]
	case e.dropEvery > 0 && e.posts%e.dropEvery == 0:
		drop = DropBeforeBooking
		if (e.posts/e.dropEvery)%2 == 0 {
			drop = DropAfterBooking
		}
	}
	if drop == DropBeforeBooking {
		e.dropped++
		e.mu.Unlock()
		hangUp(w)
		return
	}
	if e.failNext > 0 {
		e.failNext--
		e.mu.Unlock()
		writeJSON(w, http.StatusServiceUnavailable, ErrorResponse{Reason: "ERP vorübergehend nicht verfügbar", ReasonEN: "ERP temporarily unavailable"})
		return
	}
	if i, ok := e.byKey[key]; ok {
		b := e.bookings[i]
		same := e.fingerprint[key] == fp
		if drop == DropAfterBooking {
			e.dropped++
		}
		e.mu.Unlock()
		switch {
		case drop == DropAfterBooking:
			hangUp(w)
		case !same:
			writeJSON(w, http.StatusConflict, ErrorResponse{Reason: "Idempotency-Key schon für einen anderen Verkauf gebucht (" + b.ID + ")",
				ReasonEN: "Idempotency-Key already booked for a different sale (" + b.ID + ")"})
		default:
			writeJSON(w, http.StatusOK, BookResponse{BookingID: b.ID, Replayed: true})
		}
		return
	}
	for _, it := range s.Items {
		if ref, ok := e.refuse[it.PZN]; ok {
			e.mu.Unlock()
			writeJSON(w, http.StatusUnprocessableEntity, ErrorResponse{Reason: ref.de, ReasonEN: ref.en})
			return
		}
	}
	b := Booking{ID: fmt.Sprintf("B-%06d", len(e.bookings)+1), Key: key, Number: s.Number, Total: s.Total,
		Payment: s.Payment, Items: len(s.Items), BookedAt: e.clk.Now().UTC()}
	e.byKey[key] = len(e.bookings)
	e.bookings = append(e.bookings, b)
	e.fingerprint[key] = fp
	if drop == DropAfterBooking {
		e.dropped++
	}
	e.mu.Unlock()
	e.log.Debug("erpsim: booked", "booking", b.ID, "key", key, "number", s.Number)
	if drop == DropAfterBooking {
		hangUp(w)
		return
	}
	writeJSON(w, http.StatusCreated, BookResponse{BookingID: b.ID})
}

// fingerprint identifies a sale's content, to tell a repeat from a
// different sale under the same key.
func fingerprint(s Sale) [32]byte {
	b, _ := json.Marshal(s)
	return sha256.Sum256(b)
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
