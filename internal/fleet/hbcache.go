package fleet

import (
	"context"
	"sync"
	"time"
)

// rewriteAfter: a heartbeat whose content did not change is still written
// in full this long after its last full write, so that with several
// replicas (each with its own memory) the stored content is never older.
const rewriteAfter = 5 * time.Minute

// hbEntry is the last heartbeat of one site in memory.
type hbEntry struct {
	hb       Heartbeat
	full     bool // content changed since the last flush
	seen     bool // heard from since the last flush
	lastFull time.Time
}

// hbCache keeps the last heartbeat of every site in memory. A heartbeat
// costs one map update; Flush writes what changed in one transaction:
// the full row only when the content changed, otherwise the last-seen
// time. With 20,000 sites every 30 s that is about 670 map updates a
// second and one batched write every flush interval.
type hbCache struct {
	mu sync.Mutex
	m  map[string]*hbEntry
}

func newHBCache() *hbCache { return &hbCache{m: map[string]*hbEntry{}} }

func (c *hbCache) load(hbs []Heartbeat, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, hb := range hbs {
		c.m[hb.SiteID] = &hbEntry{hb: hb, lastFull: now}
	}
}

// put records a heartbeat.
func (c *hbCache) put(hb Heartbeat) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[hb.SiteID]
	if e == nil {
		if hb.OverallSince.IsZero() {
			hb.OverallSince = hb.ReceivedAt
		}
		c.m[hb.SiteID] = &hbEntry{hb: hb, full: true, seen: true}
		return
	}
	switch {
	case e.hb.Overall != hb.Overall || e.hb.OverallSince.IsZero():
		hb.OverallSince = hb.ReceivedAt
	default:
		hb.OverallSince = e.hb.OverallSince
	}
	if !e.hb.sameContent(hb) || hb.ReceivedAt.Sub(e.lastFull) >= rewriteAfter {
		e.full = true
	}
	e.hb, e.seen = hb, true
}

func (c *hbCache) get(siteID string) (Heartbeat, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[siteID]
	if e == nil {
		return Heartbeat{}, false
	}
	return e.hb, true
}

// lastSeen returns the time of each site's last heartbeat in memory.
func (c *hbCache) lastSeen() map[string]Heartbeat {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]Heartbeat, len(c.m))
	for id, e := range c.m {
		out[id] = e.hb
	}
	return out
}

// take returns the batch to write and clears the flags; restore puts them
// back when the write failed.
func (c *hbCache) take(now time.Time) HeartbeatBatch {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b HeartbeatBatch
	for _, e := range c.m {
		switch {
		case e.full:
			b.Changed = append(b.Changed, e.hb)
			e.lastFull = now
		case e.seen:
			b.Seen = append(b.Seen, Seen{SiteID: e.hb.SiteID, At: e.hb.ReceivedAt, SentAt: e.hb.SentAt})
		default:
			continue
		}
		e.full, e.seen = false, false
	}
	return b
}

func (c *hbCache) restore(b HeartbeatBatch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, hb := range b.Changed {
		if e := c.m[hb.SiteID]; e != nil {
			e.full, e.seen = true, true
		}
	}
	for _, x := range b.Seen {
		if e := c.m[x.SiteID]; e != nil {
			e.seen = true
		}
	}
}

// Heartbeat records a site's heartbeat (ReceivedAt is set to the fleet's
// time). EINVALID for a malformed one. It returns the interval after which
// the site should send the next one.
func (s *Service) Heartbeat(ctx context.Context, site Site, hb Heartbeat) (time.Duration, error) {
	hb.SiteID = site.ID
	hb.ReceivedAt = s.clk.Now().UTC()
	if !hb.SentAt.IsZero() {
		hb.SentAt = hb.SentAt.UTC()
	}
	if err := hb.Validate(); err != nil {
		return 0, err
	}
	s.hb.put(hb)
	return s.cfg.HeartbeatInterval.D(), nil
}

// Flush writes the heartbeats received since the last flush.
func (s *Service) Flush(ctx context.Context) error {
	b := s.hb.take(s.clk.Now())
	if b.Len() == 0 {
		return nil
	}
	if err := s.store.SaveHeartbeats(ctx, b); err != nil {
		s.hb.restore(b)
		return err
	}
	return nil
}
