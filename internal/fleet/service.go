package fleet

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

// TUFTarget is an artifact to publish in the TUF repository.
type TUFTarget struct {
	// Path is the target path (component/version/file).
	Path   string
	Length int64
	// SHA256 is the artifact's hash, hex.
	SHA256 string
	// Custom is optional JSON-encodable data stored with the target.
	Custom any
}

// TUF is the repository the service publishes releases in and hands the
// trusted root from (implemented by tufrepo.Repo).
type TUF interface {
	// AddTarget signs a new targets version with the artifact, and a new
	// snapshot and timestamp. EINVALID when a needed key is offline.
	AddTarget(ctx context.Context, t TUFTarget) error
	// TrustedRoot returns the current root metadata.
	TrustedRoot(ctx context.Context) ([]byte, error)
	// Refresh re-signs timestamp and snapshot before they expire.
	Refresh(ctx context.Context) (bool, error)
}

// Options are the inputs of NewService.
type Options struct {
	Config *Config
	Store  Store
	TUF    TUF
	Clock  clock.Clock
	Log    *slog.Logger
	// Calendar is the blackout calendar (duties, freezes); nil: the
	// computed blackouts only (holidays, Christmas, New Year's Eve, DST).
	// Its duty rota also puts pharmacies on emergency duty first in the
	// triage queue.
	Calendar *rollout.Calendar
	// Silence are the receivers of silence alerts (none: a silent site is
	// still in the triage queue and its timeline).
	Silence []SilenceNotifier
}

// Service carries the fleet's rules: sites and enrolment, heartbeats, the
// command queue with its long-poll, releases and rollouts. It is safe for
// concurrent use. Several replicas may run one each over a shared
// PostgreSQL store.
type Service struct {
	cfg   *Config
	store Store
	tuf   TUF
	clk   clock.Clock
	log   *slog.Logger
	cal   *rollout.Calendar

	hb       *hbCache
	hub      *hub
	pl       *planner
	tokens   *tokenCache
	bc       *bcRegistry
	receipts *receiptWriter
	queues   *queueState

	silence   []SilenceNotifier
	silenceWG sync.WaitGroup
}

// NewService returns the service. Call Start before serving.
func NewService(o Options) (*Service, error) {
	if o.Config == nil || o.Store == nil || o.TUF == nil {
		return nil, errors.New("fleet: config, store and TUF repository are required")
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Calendar != nil {
		o.Calendar.PartialHolidays = o.Calendar.PartialHolidays || o.Config.PartialHolidays
	} else {
		o.Calendar = &rollout.Calendar{PartialHolidays: o.Config.PartialHolidays}
	}
	s := &Service{cfg: o.Config, store: o.Store, tuf: o.TUF, clk: o.Clock, log: o.Log, cal: o.Calendar,
		hb: newHBCache(), hub: newHub(), tokens: newTokenCache(), bc: newBCRegistry(), queues: newQueueState(), silence: o.Silence}
	s.pl = newPlanner(s)
	s.receipts = newReceiptWriter(s.store, s.log)
	return s, nil
}

// Config returns the service's configuration.
func (s *Service) Config() *Config { return s.cfg }

// Store returns the service's store.
func (s *Service) Store() Store { return s.store }

// Clock returns the service's clock.
func (s *Service) Clock() clock.Clock { return s.clk }

// Start loads the last heartbeats into memory and begins listening for
// enqueued commands (which wake the long-polls); it returns when both are
// ready. Listening ends with ctx.
func (s *Service) Start(ctx context.Context) error {
	hbs, err := s.store.Heartbeats(ctx)
	if err != nil {
		return fmt.Errorf("load heartbeats: %w", err)
	}
	s.hb.load(hbs, s.clk.Now())
	if err := s.bc.load(ctx, s.store, s.clk.Now()); err != nil {
		return fmt.Errorf("load broadcasts: %w", err)
	}
	// Listening begins before the queues are read, so that no enqueue is
	// missed between the two.
	if err := s.store.Listen(ctx, s.notice); err != nil {
		return fmt.Errorf("listen for commands: %w", err)
	}
	pending, err := s.store.PendingSites(ctx)
	if err != nil {
		return fmt.Errorf("read pending commands: %w", err)
	}
	s.queues.prime(pending, s.clk.Now())
	s.receipts.start(ctx)
	return nil
}

// notice handles what the store announces: commands wake their site's
// long-polls; a new broadcast is loaded into memory and wakes the
// long-polls of its targets.
func (s *Service) notice(n Notice) {
	switch {
	case n.SiteID != "":
		s.queues.enqueued(n.SiteID)
		s.hub.wake(n.SiteID, wakeCommands)
	case n.TokenSiteID != "":
		s.tokens.forget(n.TokenSiteID)
	case n.BroadcastID != 0:
		lb, err := s.bc.fetch(context.Background(), s.store, n.BroadcastID)
		if err != nil {
			s.log.Error("fleet: a new broadcast could not be loaded; sites get it after the next resync", "broadcast", n.BroadcastID, "err", err)
			return
		}
		ws := s.hub.waitersOf(lb.targets)
		s.log.Info("fleet: broadcast announced", "broadcast", n.BroadcastID, "targets", len(lb.targets), "waiting", len(ws))
		go pace(ws, wakeBroadcasts)
	case n.Resync:
		s.queues.forget()
		s.tokens.clear()
		if err := s.bc.load(context.Background(), s.store, s.clk.Now()); err != nil {
			s.log.Error("fleet: reloading broadcasts failed", "err", err)
		}
		s.hub.mu.Lock()
		ids := make([]string, 0, len(s.hub.waiters))
		for id := range s.hub.waiters {
			ids = append(ids, id)
		}
		s.hub.mu.Unlock()
		for _, id := range ids {
			s.hub.wake(id, wakeCommands|wakeBroadcasts)
		}
	}
}

// Run flushes heartbeats every FlushInterval and advances rollouts (and
// refreshes the TUF timestamp) every PlannerInterval until ctx ends; then
// it flushes once more. Errors are logged, never fatal: the next round
// retries.
func (s *Service) Run(ctx context.Context) error {
	flush := time.NewTicker(s.cfg.FlushInterval.D())
	defer flush.Stop()
	plan := time.NewTicker(s.cfg.PlannerInterval.D())
	defer plan.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := s.Flush(fctx); err != nil {
				s.log.Error("fleet: last heartbeat flush failed", "err", err)
			}
			return nil
		case <-flush.C:
			if err := s.Flush(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("fleet: heartbeat flush failed; retrying", "err", err)
			}
		case <-plan.C:
			if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("fleet: planner round failed; retrying", "err", err)
			}
		}
	}
}

// audit records an action; a failure is logged (the action happened).
func (s *Service) audit(ctx context.Context, actor, action, target, detail string) {
	e := AuditEntry{At: s.clk.Now(), Actor: actor, Action: action, Target: target, Detail: detail}
	if err := s.store.AddAudit(ctx, e); err != nil {
		s.log.Error("fleet: audit log write failed", "action", action, "target", target, "err", err)
	}
	s.log.Info("fleet: "+action, "actor", actor, "target", target, "detail", detail)
}

// Record adds an entry to the audit log for an action outside the
// service (console logins and logouts).
func (s *Service) Record(ctx context.Context, actor, action, target, detail string) {
	s.audit(ctx, actor, action, target, detail)
}

// Audit returns the audit log, newest first ("" = all targets).
func (s *Service) Audit(ctx context.Context, target string, limit int) ([]AuditEntry, error) {
	return s.store.Audit(ctx, target, limit)
}

// HashSecret returns the hex SHA-256 of a code or token, the form in which
// the fleet stores them.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// codeAlphabet is Crockford's base32: no I, L, O, U, so that a code read
// out on the phone is not misheard.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newEnrolmentCode returns a one-time code of 20 characters (100 bits) in
// groups of four: "7K2M-Q9XD-...".
func newEnrolmentCode() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	var sb strings.Builder
	for i, x := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(codeAlphabet[int(x)%32])
	}
	return sb.String(), nil
}

// NormalizeCode makes a typed code comparable: upper case, without blanks
// and dashes, with the letters people confuse mapped as Crockford does.
func NormalizeCode(code string) string {
	r := strings.NewReplacer("-", "", " ", "", "\t", "", "I", "1", "L", "1", "O", "0")
	return r.Replace(strings.ToUpper(strings.TrimSpace(code)))
}

// newSiteToken returns a site token: "llsite_" and 32 random bytes.
func newSiteToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return siteTokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

const siteTokenPrefix = protocol.TokenPrefix

// Wake reasons of a long-poll.
const (
	wakeCommands   uint32 = 1 << iota // commands were enqueued: re-read the queue
	wakeBroadcasts                    // a broadcast arrived: answer from memory
)

// waiter is one long-poll waiting for work.
type waiter struct {
	ch   chan struct{}
	bits atomic.Uint32
}

// hub wakes the long-polls of sites with new commands or broadcasts.
type hub struct {
	mu      sync.Mutex
	waiters map[string]map[*waiter]struct{}
}

func newHub() *hub { return &hub{waiters: map[string]map[*waiter]struct{}{}} }

// wait registers a waiter for siteID; call cancel when done.
func (h *hub) wait(siteID string) (*waiter, func()) {
	w := &waiter{ch: make(chan struct{}, 1)}
	h.mu.Lock()
	m := h.waiters[siteID]
	if m == nil {
		m = map[*waiter]struct{}{}
		h.waiters[siteID] = m
	}
	m[w] = struct{}{}
	h.mu.Unlock()
	return w, func() {
		h.mu.Lock()
		delete(m, w)
		if len(m) == 0 && h.waiters[siteID] != nil && len(h.waiters[siteID]) == 0 {
			delete(h.waiters, siteID)
		}
		h.mu.Unlock()
	}
}

// wake signals every waiter of siteID with the reason.
func (h *hub) wake(siteID string, reason uint32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.waiters[siteID] {
		w.bits.Or(reason)
		select {
		case w.ch <- struct{}{}:
		default:
		}
	}
}

// waitersOf returns the waiters of every site in ids.
func (h *hub) waitersOf(ids map[string]struct{}) []*waiter {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*waiter
	for id, m := range h.waiters {
		if _, ok := ids[id]; !ok {
			continue
		}
		for w := range m {
			out = append(out, w)
		}
	}
	return out
}

// Broadcast wake-up pace: wakeChunk waiters every wakeTick, 5,000 a
// second. Woken all at once, 20,000 long-polls (and the polls that follow
// them) would hold both cores of a small server for seconds and queue
// every heartbeat behind them; paced, 20,000 sites have the broadcast
// within 4 s and heartbeats stay quick. A site that polls meanwhile gets
// the broadcast at once.
const (
	wakeChunk = 125
	wakeTick  = 25 * time.Millisecond
)

// pace wakes the waiters at the broadcast pace.
func pace(ws []*waiter, reason uint32) {
	t := time.NewTicker(wakeTick)
	defer t.Stop()
	for len(ws) > 0 {
		n := min(wakeChunk, len(ws))
		for _, w := range ws[:n] {
			w.bits.Or(reason)
			select {
			case w.ch <- struct{}{}:
			default:
			}
		}
		ws = ws[n:]
		if len(ws) > 0 {
			<-t.C
		}
	}
}

// Waiting returns the number of long-polls waiting now.
func (s *Service) Waiting() int {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	n := 0
	for _, m := range s.hub.waiters {
		n += len(m)
	}
	return n
}
