// Package journal is the offline sales journal of the pharmacy's emergency
// mode (Notbetrieb): an append-only, hash-chained record of every sale made
// while the ERP or the TSE is down, kept in two copies on two folders.
//
// A sale is acknowledged only after its record is durable (written and
// synced) in both copies, so that one dead disk loses nothing. Concurrent
// appends are committed in groups: one writer goroutine takes every waiting
// sale, writes them together and syncs both copies in parallel.
//
// Each entry mirrors the fields the KassenSichV asks of a cash record (see
// Entry) and is marked "TSE-Ausfall". The journal documents sales during a
// TSE failure; it never claims to replace a certified TSE.
//
// On Open the journal recovers from a crash: an incomplete last record
// (never acknowledged) is cut off and logged, a copy that lags behind the
// other is brought level, and the idempotency index is rebuilt. Damage in
// the middle of a copy, or copies that disagree, stop Open with ECORRUPT;
// Verify tells which entry and why.
package journal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/journal/durable"
)

// File names inside Config.Dir and Config.MirrorDir.
const (
	FileName = "sales-journal.jsonl"
	lockName = "sales-journal.lock"
)

// maxBatch caps how many sales one group commit takes.
const maxBatch = 256

// Journal is an open sales journal. It is safe for concurrent use.
type Journal struct {
	cfg   Config
	log   *slog.Logger
	clk   clock.Clock
	newID func() (string, error)

	lock    *durable.Lock
	primary *copyFile
	mirror  *copyFile

	mu       sync.RWMutex // guards recs, byKey, lastHash, closed
	recs     []scanned
	byKey    map[string]int64
	lastHash string
	closed   bool

	reqs      chan *appendReq
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// copyFile is one copy of the journal. size is the length of the
// committed records; dirty says bytes beyond it may be on disk and must be
// cut off before the next write; reopen says the file failed and is to be
// opened afresh (a USB stick pulled and put back, a share reconnected).
// Only the writer goroutine touches size, dirty and reopen after Open, and
// it replaces f only while holding Journal.mu.
type copyFile struct {
	name   string // "primary" or "mirror"
	dir    string
	path   string
	f      *os.File
	size   int64
	dirty  bool
	reopen bool
}

type appendReq struct {
	ctx   context.Context
	sale  Sale
	start time.Time
	res   chan appendRes // buffered, so the writer never blocks on it
}

type appendRes struct {
	e        Entry
	existing bool
	err      error
}

// Append records a sale and returns its entry once the entry is durable in
// both copies. If the idempotency key was recorded before, it returns that
// first entry and existing = true, and records nothing. Errors: EINVALID
// (with Fields), ECONFLICT when the key was used for a different sale,
// EUNAVAILABLE when the sale could not be made durable (nothing was
// acknowledged; retry with the same key), ECLOSED, or the context's error.
func (j *Journal) Append(ctx context.Context, s Sale) (e Entry, existing bool, err error) {
	if fe := ValidateSale(s); len(fe) > 0 {
		return Entry{}, false, &Error{Code: EINVALID, Op: "append",
			DE: "Der Verkauf ist unvollständig oder fehlerhaft.", EN: "the sale is incomplete or invalid", Fields: fe}
	}
	start := s.Start
	if start.IsZero() {
		start = j.clk.Now()
	}
	if e, found, err := j.existing(s); found || err != nil {
		return e, found, err
	}
	r := &appendReq{ctx: ctx, sale: s, start: start, res: make(chan appendRes, 1)}
	select {
	case j.reqs <- r:
	case <-j.stop:
		return Entry{}, false, errClosed()
	case <-ctx.Done():
		return Entry{}, false, ctx.Err()
	}
	select {
	case res := <-r.res:
		return res.e, res.existing, res.err
	case <-ctx.Done():
		// The writer may still commit the sale; a retry with the same key
		// then returns it.
		return Entry{}, false, ctx.Err()
	}
}

// existing returns the committed entry for s's key, if any.
func (j *Journal) existing(s Sale) (Entry, bool, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return Entry{}, false, errClosed()
	}
	n, ok := j.byKey[s.IdempotencyKey]
	if !ok {
		return Entry{}, false, nil
	}
	es, err := j.readLocked(n-1, n)
	if err != nil {
		return Entry{}, false, err
	}
	if !es[0].SameSale(s) {
		return Entry{}, false, conflict(s.IdempotencyKey, n)
	}
	return es[0], true, nil
}

func conflict(key string, n int64) *Error {
	return &Error{Code: ECONFLICT, Op: "append", Number: n,
		DE: fmt.Sprintf("Der Idempotenzschlüssel %s gehört schon zu Verkauf Nr. %d mit anderen Artikeln oder anderer Zahlart.", quoteShort(key), n),
		EN: fmt.Sprintf("idempotency key %s already belongs to sale %d with other items or payment", quoteShort(key), n)}
}

func errClosed() *Error {
	return &Error{Code: ECLOSED, Op: "append", DE: "Das Journal ist geschlossen (lifeline wird beendet).",
		EN: "the journal is closed (lifeline is shutting down)"}
}

// run is the writer goroutine: it takes waiting sales in groups and
// commits each group with one write and one sync per copy.
func (j *Journal) run() {
	defer close(j.done)
	for {
		select {
		case <-j.stop:
			return
		case r := <-j.reqs:
			batch := []*appendReq{r}
		drain:
			for len(batch) < maxBatch {
				select {
				case r := <-j.reqs:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			j.commit(batch)
		}
	}
}

// pending is an entry being committed, with the requests waiting for it.
type pending struct {
	e       Entry
	waiters []*appendReq
	dups    []*appendReq // same key again within the group
}

func (j *Journal) commit(batch []*appendReq) {
	now := j.clk.Now().UTC().Truncate(time.Microsecond)
	next := int64(len(j.recs)) + 1 // only the writer changes recs
	prev := j.lastHash
	var (
		group []*pending
		byKey = make(map[string]*pending)
		data  []byte
		sizes []int64
	)
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.res <- appendRes{err: err}
			continue
		}
		if e, found, err := j.existing(r.sale); found || err != nil {
			r.res <- appendRes{e: e, existing: found, err: err}
			continue
		}
		if p, ok := byKey[r.sale.IdempotencyKey]; ok {
			if !p.e.SameSale(r.sale) {
				r.res <- appendRes{err: conflict(r.sale.IdempotencyKey, p.e.Number)}
				continue
			}
			p.dups = append(p.dups, r)
			continue
		}
		id, err := j.newID()
		if err != nil {
			r.res <- appendRes{err: &Error{Code: EUNAVAILABLE, Op: "append", DE: "Interner Fehler (Zufallszahl).", EN: "cannot make an entry id", Err: err}}
			continue
		}
		start := r.start.UTC().Truncate(time.Microsecond)
		if start.After(now) {
			start = now
		}
		total, copay := Totals(r.sale.Items)
		e := Entry{
			Number: next, ID: id, IdempotencyKey: r.sale.IdempotencyKey, Type: TypeSale,
			Start: start, End: now, Till: j.cfg.Till, RegisterSerial: j.cfg.RegisterSerial,
			TSESerial: j.cfg.TSESerial, TSEStatus: TSEStatusFailed, Staff: r.sale.Staff,
			Payment: r.sale.Payment, Items: r.sale.Items, Total: total, CopayTotal: copay, PrevHash: prev,
		}
		line, hash, err := encodeRecord(e)
		if err != nil {
			r.res <- appendRes{err: &Error{Code: EINTERNAL, Op: "append", DE: "Interner Fehler beim Speichern.", EN: "cannot encode the entry", Err: err}}
			continue
		}
		e.Hash = hash
		p := &pending{e: e, waiters: []*appendReq{r}}
		group = append(group, p)
		byKey[e.IdempotencyKey] = p
		data = append(data, line...)
		sizes = append(sizes, int64(len(line)))
		prev = hash
		next++
	}
	if len(group) == 0 {
		return
	}
	base := j.primary.size
	if err := j.writeBoth(data); err != nil {
		for _, p := range group {
			for _, r := range append(p.waiters, p.dups...) {
				r.res <- appendRes{err: err}
			}
		}
		return
	}
	j.mu.Lock()
	off := base
	for i, p := range group {
		j.recs = append(j.recs, scanned{off: off, size: sizes[i], number: p.e.Number, key: p.e.IdempotencyKey, hash: p.e.Hash})
		j.byKey[p.e.IdempotencyKey] = p.e.Number
		off += sizes[i]
	}
	j.lastHash = prev
	j.mu.Unlock()
	for _, p := range group {
		for _, r := range p.waiters {
			r.res <- appendRes{e: p.e}
		}
		for _, r := range p.dups {
			r.res <- appendRes{e: p.e, existing: true}
		}
	}
}

// Since returns up to limit entries with numbers above after, in order.
// Errors: ECLOSED, EUNAVAILABLE when the file cannot be read, ECORRUPT when
// a record no longer reads back as written.
func (j *Journal) Since(after int64, limit int) ([]Entry, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return nil, errClosed()
	}
	after = max(after, 0)
	n := int64(len(j.recs))
	if after >= n || limit <= 0 {
		return nil, nil
	}
	return j.readLocked(after, min(n, after+int64(limit)))
}

// Get returns the entry with the given number. Errors as Since, and
// EINVALID when there is no such entry.
func (j *Journal) Get(number int64) (Entry, error) {
	es, err := j.Since(number-1, 1)
	if err != nil {
		return Entry{}, err
	}
	if len(es) == 0 || number < 1 {
		return Entry{}, &Error{Code: EINVALID, Op: "read", Number: number,
			DE: fmt.Sprintf("Es gibt keinen Eintrag Nr. %d.", number), EN: fmt.Sprintf("there is no entry %d", number)}
	}
	return es[0], nil
}

// Last returns the number of the last acknowledged entry, 0 when empty.
func (j *Journal) Last() int64 {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return int64(len(j.recs))
}

// readLocked reads entries with index [from, to) from the primary copy.
// The caller holds mu.
func (j *Journal) readLocked(from, to int64) ([]Entry, error) {
	first, last := j.recs[from], j.recs[to-1]
	buf := make([]byte, last.off+last.size-first.off)
	if _, err := j.primary.f.ReadAt(buf, first.off); err != nil {
		return nil, &Error{Code: EUNAVAILABLE, Op: "read", Path: j.primary.path,
			DE: "Journal-Datei nicht lesbar.", EN: "journal file not readable", Err: err}
	}
	out := make([]Entry, 0, to-from)
	for i := from; i < to; i++ {
		r := j.recs[i]
		line := buf[r.off-first.off : r.off-first.off+r.size-1]
		e, err := ParseRecord(line)
		if err == nil && e.Hash != r.hash {
			err = errors.New("hash differs from the one read at open")
		}
		if err != nil {
			return nil, &Error{Code: ECORRUPT, Op: "read", Path: j.primary.path, Number: r.number,
				DE: fmt.Sprintf("Eintrag %d wurde seit dem Start verändert. Prüfen mit: lifeline journal verify", r.number),
				EN: fmt.Sprintf("entry %d changed since the journal was opened; check with: lifeline journal verify", r.number), Err: err}
		}
		out = append(out, e)
	}
	return out, nil
}

// Close waits for the commit in progress, stops the writer and closes the
// files. Appends after Close fail with ECLOSED.
func (j *Journal) Close() error {
	var err error
	j.closeOnce.Do(func() {
		close(j.stop)
		<-j.done
		j.mu.Lock()
		j.closed = true
		j.mu.Unlock()
		err = j.closeFiles()
	})
	return err
}

func (j *Journal) closeFiles() error {
	var errs []error
	for _, c := range []*copyFile{j.primary, j.mirror} {
		if c != nil && c.f != nil {
			errs = append(errs, c.f.Close())
		}
	}
	if j.lock != nil {
		errs = append(errs, j.lock.Unlock())
	}
	return errors.Join(errs...)
}

// Paths returns the files of the primary and of the mirror copy.
func (j *Journal) Paths() (primary, mirror string) { return j.primary.path, j.mirror.path }
