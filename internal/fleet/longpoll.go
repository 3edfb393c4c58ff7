package fleet

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Work is what a long-poll hands a site: its pending commands and the
// broadcasts it has not received yet.
type Work struct {
	Commands   []Command
	Broadcasts []Broadcast
}

// Empty reports whether there is nothing to hand over.
func (w Work) Empty() bool { return len(w.Commands) == 0 && len(w.Broadcasts) == 0 }

// WaitForCommands is the long-poll of a site that does not take
// broadcasts (an older site client); see WaitForWork.
func (s *Service) WaitForCommands(ctx context.Context, site Site, wait time.Duration) ([]Command, error) {
	w, err := s.WaitForWork(ctx, site, wait, false)
	return w.Commands, err
}

// WaitForWork is the long-poll: it returns the site's pending commands
// (and, with broadcasts set, the broadcasts it has not received) at once
// when there are any, else waits up to wait (real time; a random time
// between half and all of it, so that the polls of many sites do not end
// together) for new ones and returns what arrived (possibly nothing). Commands stay pending until
// acknowledged and broadcasts until received, so a lost answer only means
// they are sent again. A broadcast that wakes the wait is answered from
// memory, without a database read.
func (s *Service) WaitForWork(ctx context.Context, site Site, wait time.Duration, broadcasts bool) (Work, error) {
	w, cancel := s.hub.wait(site.ID) // before reading, so no wake-up is missed
	defer cancel()
	var out Work
	var err error
	if out.Commands, err = s.pendingCommands(ctx, site.ID); err != nil {
		return Work{}, err
	}
	if broadcasts {
		out.Broadcasts = s.bc.pending(site.ID, s.clk.Now())
	}
	if !out.Empty() || wait <= 0 {
		return out, nil
	}
	t := time.NewTimer(spreadWait(wait))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return Work{}, nil
		case <-t.C:
			// Nothing arrived: the site polls again at once, and that
			// poll reads the queue, so a missed wake-up costs one wait.
			return Work{}, nil
		case <-w.ch:
		}
		bits := w.bits.Swap(0)
		if bits&wakeCommands != 0 {
			if out.Commands, err = s.pendingCommands(ctx, site.ID); err != nil {
				return Work{}, err
			}
		}
		if broadcasts && bits&wakeBroadcasts != 0 {
			out.Broadcasts = s.bc.pending(site.ID, s.clk.Now())
		}
		if !out.Empty() {
			return out, nil
		}
	}
}

// spreadWait returns a random wait between half and all of wait (for
// waits of 2 s and more): a broadcast answers the long-polls of all its
// sites in the same seconds, and without the spread their next polls
// would all end together again, every wait, for the rest of the day.
func spreadWait(wait time.Duration) time.Duration {
	if wait < 2*time.Second {
		return wait
	}
	return wait/2 + rand.N(wait/2+1)
}

// pendingCommands reads the site's pending commands, unless this replica
// knows that there are none: a site whose queue was read empty is not
// read again until a notice says that commands were enqueued for it (or
// a resync), so that the long-polls of 20,000 sites cost no database
// read while nothing is enqueued.
//
// A queue known empty is read again after queueRecheck all the same, for
// commands enqueued without a notice to this process (another process on
// the same SQLite file).
func (s *Service) pendingCommands(ctx context.Context, siteID string) ([]Command, error) {
	now := s.clk.Now()
	gen, empty := s.queues.state(siteID, now)
	if empty {
		return nil, nil
	}
	cmds, err := s.store.PendingCommands(ctx, siteID, now.UTC())
	if err == nil && len(cmds) == 0 {
		s.queues.markEmpty(siteID, gen, now)
	}
	return cmds, err
}

// queueRecheck bounds how long a queue read empty is trusted.
const queueRecheck = time.Hour

// queueState remembers which sites' command queues were read empty. A
// notice for a site bumps its generation, so that a read that raced with
// the notice does not mark the queue empty.
type queueState struct {
	mu    sync.Mutex
	gen   map[string]uint64
	empty map[string]emptyMark
	epoch uint64
	// prime: at start every queue but those in primePending is empty.
	primed       bool
	primeEpoch   uint64
	primeAt      time.Time
	primePending map[string]bool
}

// emptyMark is the generation at which a queue was read empty, and when.
type emptyMark struct {
	gen uint64
	at  time.Time
}

func newQueueState() *queueState {
	return &queueState{gen: map[string]uint64{}, empty: map[string]emptyMark{}}
}

func (q *queueState) state(siteID string, now time.Time) (uint64, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	g := q.gen[siteID] + q.epoch<<32
	fresh := func(at time.Time) bool { return now.Sub(at) < queueRecheck && !now.Before(at) }
	if e, ok := q.empty[siteID]; ok {
		return g, e.gen == g && fresh(e.at)
	}
	return g, q.primed && g == q.primeEpoch<<32 && !q.primePending[siteID] && fresh(q.primeAt)
}

// prime marks every queue empty but those of the sites listed, as read
// at start in one query, so that the long-polls of 20,000 sites
// reconnecting after a restart cost no database read each.
func (q *queueState) prime(pending []string, now time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.primePending = make(map[string]bool, len(pending))
	for _, id := range pending {
		q.primePending[id] = true
	}
	// A site whose generation moved already (a notice came in between)
	// is not primed empty.
	q.primed, q.primeEpoch, q.primeAt = true, q.epoch, now
}

func (q *queueState) markEmpty(siteID string, gen uint64, now time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.gen[siteID]+q.epoch<<32 == gen {
		q.empty[siteID] = emptyMark{gen: gen, at: now}
	}
}

// enqueued notes that commands may be pending for the site.
func (q *queueState) enqueued(siteID string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.gen[siteID]++
	delete(q.empty, siteID)
}

// forget makes every queue be read again (notices may have been lost).
func (q *queueState) forget() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.epoch++
	clear(q.empty)
}

// AckCommand records that the site stored a command. ENOTFOUND when the
// site has no such command.
func (s *Service) AckCommand(ctx context.Context, site Site, id int64) error {
	return s.store.AckCommand(ctx, site.ID, id, s.clk.Now().UTC())
}

// Report records what a site says about one of its commands. EINVALID for
// an unknown status, ENOTFOUND when the site has no such command.
func (s *Service) Report(ctx context.Context, site Site, commandID int64, status, message string) (Report, error) {
	if !slices.Contains(reportStatuses, status) {
		return Report{}, Errorf(EINVALID, "Unbekannter Status „%s“.", "Unknown status \"%s\".", status)
	}
	message = strings.TrimSpace(message)
	if utf8.RuneCountInString(message) > maxSentence || !utf8.ValidString(message) {
		return Report{}, Errorf(EINVALID, "Meldung zu lang.", "Message too long.")
	}
	r, err := s.store.AddReport(ctx, Report{SiteID: site.ID, CommandID: commandID, Status: status, Message: message, At: s.clk.Now().UTC()})
	if err != nil {
		return Report{}, err
	}
	s.log.Info("fleet: site report", "site", site.ID, "command", commandID, "kind", r.Kind, "status", status, "version", r.Version)
	return r, nil
}
