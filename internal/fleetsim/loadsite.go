package fleetsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
)

// loadSite emulates one site for `sim load`: it holds its long-poll (the
// push connection) open all the time and sends a heartbeat every
// interval, over the real site API, like fleetclient does, with less
// memory per site (no files, a shared transport per connection group).
type loadSite struct {
	id    string
	token string
	base  string
	hc    *http.Client

	// got is when the broadcast arrived (unix nanoseconds; 0: not yet).
	got atomic.Int64
	// connected: the site's last poll did not fail (it holds or is about
	// to hold its push connection).
	connected atomic.Bool
}

// recorder collects heartbeat latencies and errors of all sites.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	at        []time.Time
	errors    int64
	samples   []string
	kinds     map[string]int64
	hbs       atomic.Int64
	polls     atomic.Int64
	receipts  atomic.Int64
}

// The latencies and their times (at) are kept in full: 200,000
// heartbeats of a 5-minute run at 20,000 sites are 5 MB.

func newRecorder() *recorder { return &recorder{kinds: map[string]int64{}} }

func (r *recorder) latency(d time.Duration) {
	r.hbs.Add(1)
	r.mu.Lock()
	r.latencies = append(r.latencies, d)
	r.at = append(r.at, time.Now())
	r.mu.Unlock()
}

func (r *recorder) fail(kind string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors++
	r.kinds[kind]++
	if len(r.samples) < 10 {
		r.samples = append(r.samples, kind+": "+err.Error())
	}
}

// percentile returns the p-th percentile (0..1) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// slowSeconds returns the seconds since start in which a heartbeat took
// longer than limit.
func (r *recorder) slowSeconds(start time.Time, limit time.Duration) []SlowSecond {
	r.mu.Lock()
	defer r.mu.Unlock()
	by := map[int]*SlowSecond{}
	for i, d := range r.latencies {
		sec := int(r.at[i].Sub(start) / time.Second)
		x := by[sec]
		if x == nil {
			x = &SlowSecond{At: sec}
			by[sec] = x
		}
		x.Heartbeats++
		x.MaxMs = max(x.MaxMs, float64(d.Microseconds())/1000)
		if d > limit {
			x.Slow++
		}
	}
	var out []SlowSecond
	for _, x := range by {
		if x.Slow > 0 {
			out = append(out, *x)
		}
	}
	slices.SortFunc(out, func(a, b SlowSecond) int { return a.At - b.At })
	return out
}

func (r *recorder) sorted() []time.Duration {
	r.mu.Lock()
	out := slices.Clone(r.latencies)
	r.mu.Unlock()
	slices.Sort(out)
	return out
}

// run starts the site after offset (so that sites do not all begin in the
// same second) and runs until ctx ends.
func (s *loadSite) run(ctx context.Context, offset, every time.Duration, rec *recorder) {
	t := time.NewTimer(offset)
	select {
	case <-ctx.Done():
		t.Stop()
		return
	case <-t.C:
	}
	go s.poll(ctx, rec)
	next := time.Now()
	for ctx.Err() == nil {
		s.heartbeat(ctx, rec)
		next = next.Add(every)
		wait := time.Until(next)
		if wait < 0 {
			next = time.Now() // fell behind: do not send a burst
			continue
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (s *loadSite) request(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return s.hc.Do(req)
}

func (s *loadSite) heartbeat(ctx context.Context, rec *recorder) {
	hb := protocol.Heartbeat{SentAt: time.Now().UTC(), Overall: "ok", Sentence: "Alles in Ordnung.",
		Components: map[string]string{"erp": "2026.1", "lifeline": "1.4.0"}, Agent: protocol.Agent{Version: "1.4.0", State: "idle"}}
	start := time.Now()
	resp, err := s.request(ctx, http.MethodPost, protocol.PathHeartbeat, hb)
	if err != nil {
		if ctx.Err() == nil {
			rec.fail("heartbeat", err)
		}
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		rec.fail("heartbeat", fmt.Errorf("status %d", resp.StatusCode))
		return
	}
	rec.latency(time.Since(start))
}

// poll holds the long-poll open, again and again; a broadcast is noted
// and acknowledged as received.
func (s *loadSite) poll(ctx context.Context, rec *recorder) {
	base := protocol.PathCommands + "?wait=30s&" + protocol.QueryBroadcasts + "=1"
	fails := 0
	var received []string // acknowledged with the next poll, as fleetclient does
	for ctx.Err() == nil {
		s.connected.Store(true)
		path := base
		if len(received) > 0 {
			path += "&" + protocol.QueryReceived + "=" + strings.Join(received, ",")
		}
		resp, err := s.request(ctx, http.MethodGet, path, nil)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.connected.Store(false)
			rec.fail("poll", err)
			fails++
			sleepCtx(ctx, time.Duration(min(fails, 5))*time.Second)
			continue
		}
		var out protocol.Commands
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			if ctx.Err() != nil {
				return
			}
			s.connected.Store(false)
			rec.fail("poll", fmt.Errorf("status %d %v", resp.StatusCode, err))
			fails++
			sleepCtx(ctx, time.Duration(min(fails, 5))*time.Second)
			continue
		}
		fails = 0
		rec.polls.Add(1)
		if len(received) > 0 {
			rec.receipts.Add(int64(len(received)))
			received = nil
		}
		now := time.Now().UnixNano()
		for _, b := range out.Broadcasts {
			s.got.CompareAndSwap(0, now)
			received = append(received, strconv.FormatInt(b.ID, 10))
		}
		for _, c := range out.Commands { // none are sent in a load run; acknowledge anyway
			if resp, err := s.request(ctx, http.MethodPost, protocol.PathAckPrefix+strconv.FormatInt(c.ID, 10)+"/ack", nil); err == nil {
				resp.Body.Close()
			}
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
