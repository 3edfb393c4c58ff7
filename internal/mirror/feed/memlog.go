package feed

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/mirror"
)

// Entry is one change in a Log: a record's latest state or its deletion.
type Entry struct {
	Seq uint64
	Key string
	// Record is nil for a deletion.
	Record mirror.Record
}

// Log is the server side's history of one data set.
type Log interface {
	// Dataset returns the data set.
	Dataset() mirror.Dataset
	// Epoch names this history; it changes when the history starts anew
	// (a restart without persistence), so that old cursors expire instead
	// of pointing into another history.
	Epoch() string
	// Read returns up to limit entries after since in change order, each
	// key at most once (its latest state); since 0 returns current records
	// only. next is the cursor after the last entry returned; more is true
	// when entries remain. ErrExpired when since is older than the history.
	Read(since uint64, limit int) (entries []Entry, next uint64, more bool, err error)
}

// ErrExpired means a cursor is older than the log's history.
var ErrExpired = errors.New("feed: cursor older than the history")

// MemLog is an in-memory Log for the demo's simulated ERP and for tests. It
// keeps every key's latest change; deletions are kept as tombstones until
// Compact drops them. It is safe for concurrent use.
type MemLog struct {
	ds    mirror.Dataset
	clk   clock.Clock
	epoch string

	mu      sync.RWMutex
	seq     uint64
	entries []memEntry     // by seq; dead entries are superseded
	index   map[string]int // key -> position of its live entry
	dead    int
	floor   uint64 // cursors in (0, floor) are expired
}

type memEntry struct {
	Entry
	at   time.Time
	dead bool
}

var _ Log = (*MemLog)(nil)

// NewMemLog returns an empty log of a data set.
func NewMemLog(ds mirror.Dataset, clk clock.Clock) *MemLog {
	if clk == nil {
		clk = clock.Real{}
	}
	var b [4]byte
	rand.Read(b[:])
	return &MemLog{ds: ds, clk: clk, index: map[string]int{}, epoch: hex.EncodeToString(b[:])}
}

// Epoch returns the random name of this history.
func (l *MemLog) Epoch() string { return l.epoch }

// Dataset returns the data set.
func (l *MemLog) Dataset() mirror.Dataset { return l.ds }

// Put records the latest state of records.
func (l *MemLog) Put(recs ...mirror.Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range recs {
		l.append(r.Key(), r)
	}
	l.maybeCompact()
}

// Delete records the deletion of keys.
func (l *MemLog) Delete(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.append(k, nil)
	}
	l.maybeCompact()
}

func (l *MemLog) append(key string, r mirror.Record) {
	if i, ok := l.index[key]; ok {
		l.entries[i].dead = true
		l.entries[i].Record = nil
		l.dead++
	}
	l.seq++
	l.index[key] = len(l.entries)
	l.entries = append(l.entries, memEntry{Entry: Entry{Seq: l.seq, Key: key, Record: r}, at: l.clk.Now()})
}

// Seq returns the sequence number of the latest change.
func (l *MemLog) Seq() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.seq
}

// Len returns the number of current records.
func (l *MemLog) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	n := 0
	for _, i := range l.index {
		if l.entries[i].Record != nil {
			n++
		}
	}
	return n
}

func (l *MemLog) maybeCompact() {
	if l.dead > 1024 && l.dead > len(l.entries)/2 {
		l.compact(time.Time{})
	}
}

// Compact drops superseded entries and the tombstones of deletions made
// before dropBefore; cursors from before a dropped tombstone expire.
func (l *MemLog) Compact(dropBefore time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.compact(dropBefore)
}

func (l *MemLog) compact(dropBefore time.Time) {
	kept := l.entries[:0]
	for _, e := range l.entries {
		if e.dead {
			continue
		}
		if e.Record == nil && e.at.Before(dropBefore) {
			delete(l.index, e.Key)
			l.floor = max(l.floor, e.Seq+1)
			continue
		}
		kept = append(kept, e)
	}
	for i := len(kept); i < len(l.entries); i++ {
		l.entries[i] = memEntry{}
	}
	l.entries = kept
	for i, e := range l.entries {
		l.index[e.Key] = i
	}
	l.dead = 0
}

// Read returns changes after since; see Log.
func (l *MemLog) Read(since uint64, limit int) ([]Entry, uint64, bool, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if since > l.seq {
		return nil, 0, false, ErrExpired // a cursor from another history
	}
	if since > 0 && since+1 < l.floor {
		return nil, 0, false, ErrExpired
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	i := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].Seq > since })
	next := since
	var out []Entry
	for ; i < len(l.entries); i++ {
		e := l.entries[i]
		if e.dead || (since == 0 && e.Record == nil) {
			next = e.Seq
			continue
		}
		if len(out) == limit {
			return out, next, true, nil
		}
		out = append(out, e.Entry)
		next = e.Seq
	}
	return out, next, false, nil
}
