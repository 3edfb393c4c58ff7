package fleet

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// liveBroadcast is an active broadcast in memory: its target sites and the
// sites known to have received it, so that a long-poll answers from
// memory and 20,000 woken sites cost no database read.
type liveBroadcast struct {
	b       Broadcast
	targets map[string]struct{}
	// received holds the sites whose receipt this replica wrote or read
	// from the store. A site that acknowledged on another replica may get
	// the broadcast once more here; it drops the duplicate by id and
	// acknowledges again.
	received map[string]struct{}
}

// bcRegistry keeps the active broadcasts of this replica.
type bcRegistry struct {
	mu sync.RWMutex
	m  map[int64]*liveBroadcast
}

func newBCRegistry() *bcRegistry { return &bcRegistry{m: map[int64]*liveBroadcast{}} }

// load (re)reads the active broadcasts and their receipts.
func (r *bcRegistry) load(ctx context.Context, st Store, now time.Time) error {
	bs, err := st.ActiveBroadcasts(ctx, now)
	if err != nil {
		return err
	}
	fresh := make(map[int64]*liveBroadcast, len(bs))
	for _, b := range bs {
		lb, err := readLive(ctx, st, b)
		if err != nil {
			return err
		}
		fresh[b.ID] = lb
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, lb := range fresh {
		if old := r.m[id]; old != nil {
			for site := range old.received {
				lb.received[site] = struct{}{}
			}
		}
	}
	r.m = fresh
	return nil
}

func readLive(ctx context.Context, st Store, b Broadcast) (*liveBroadcast, error) {
	rs, err := st.BroadcastReceipts(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	lb := &liveBroadcast{b: b, targets: make(map[string]struct{}, len(rs)), received: map[string]struct{}{}}
	for _, x := range rs {
		lb.targets[x.SiteID] = struct{}{}
		if !x.DeliveredAt.IsZero() {
			lb.received[x.SiteID] = struct{}{}
		}
	}
	return lb, nil
}

// fetch loads one broadcast (announced by a replica) into memory.
func (r *bcRegistry) fetch(ctx context.Context, st Store, id int64) (*liveBroadcast, error) {
	r.mu.RLock()
	lb := r.m[id]
	r.mu.RUnlock()
	if lb != nil {
		return lb, nil
	}
	b, err := st.Broadcast(ctx, id)
	if err != nil {
		return nil, err
	}
	lb, err = readLive(ctx, st, b)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.m[id]; cur != nil {
		return cur, nil
	}
	r.m[id] = lb
	return lb, nil
}

// pending returns the active broadcasts for the site that it has not
// received, oldest first.
func (r *bcRegistry) pending(siteID string, now time.Time) []Broadcast {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Broadcast
	for _, lb := range r.m {
		if !lb.b.Active(now) {
			continue
		}
		if _, ok := lb.targets[siteID]; !ok {
			continue
		}
		if _, ok := lb.received[siteID]; ok {
			continue
		}
		out = append(out, lb.b)
	}
	slices.SortFunc(out, func(a, b Broadcast) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// target returns the broadcast when it is in memory and the site is one
// of its targets.
func (r *bcRegistry) target(id int64, siteID string) (Broadcast, bool, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	lb := r.m[id]
	if lb == nil {
		return Broadcast{}, false, false
	}
	_, ok := lb.targets[siteID]
	return lb.b, ok, true
}

func (r *bcRegistry) markReceived(id int64, siteID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if lb := r.m[id]; lb != nil {
		lb.received[siteID] = struct{}{}
	}
}

// expire drops broadcasts that ended.
func (r *bcRegistry) expire(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, lb := range r.m {
		if !lb.b.Active(now) {
			delete(r.m, id)
		}
	}
}

// receiptWriter writes receipts with group commit: while one batch is
// written, the next collects, so that 20,000 sites acknowledging a
// broadcast within seconds cost a few transactions, not 20,000. A caller
// returns only after its receipt is stored.
type receiptWriter struct {
	st      Store
	log     *slog.Logger
	ch      chan receiptReq
	running atomic.Bool
	quit    chan struct{}
}

type receiptReq struct {
	r    Receipt
	done chan error
}

// maxReceiptBatch bounds one transaction.
const maxReceiptBatch = 5000

func newReceiptWriter(st Store, log *slog.Logger) *receiptWriter {
	return &receiptWriter{st: st, log: log, ch: make(chan receiptReq, 1024), quit: make(chan struct{})}
}

// start runs the writer until ctx ends.
func (w *receiptWriter) start(ctx context.Context) {
	if !w.running.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer close(w.quit)
		for {
			select {
			case <-ctx.Done():
				return
			case req := <-w.ch:
				batch := []receiptReq{req}
			more:
				for len(batch) < maxReceiptBatch {
					select {
					case x := <-w.ch:
						batch = append(batch, x)
					default:
						break more
					}
				}
				rs := make([]Receipt, len(batch))
				for i, x := range batch {
					rs[i] = x.r
				}
				wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err := w.st.SaveReceipts(wctx, rs)
				cancel()
				if err != nil {
					w.log.Error("fleet: writing broadcast receipts failed; the sites will send them again", "receipts", len(rs), "err", err)
				}
				for _, x := range batch {
					x.done <- err
				}
			}
		}
	}()
}

// write stores one receipt (through the running writer, else directly).
func (w *receiptWriter) write(ctx context.Context, r Receipt) error {
	if !w.running.Load() {
		return w.st.SaveReceipts(ctx, []Receipt{r})
	}
	req := receiptReq{r: r, done: make(chan error, 1)}
	select {
	case w.ch <- req:
	case <-w.quit:
		return w.st.SaveReceipts(ctx, []Receipt{r})
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-w.quit: // stopped before writing it: the write is idempotent
		return w.st.SaveReceipts(ctx, []Receipt{r})
	case <-ctx.Done():
		return ctx.Err()
	}
}
