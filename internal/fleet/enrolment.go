package fleet

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/rollout"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// SiteCode is a created site with its one-time enrolment code, shown once.
type SiteCode struct {
	SiteID    string
	Code      string
	ExpiresAt time.Time
}

// checkWindow is the planner's window parser, so that the console refuses
// what the planner could not read.
func checkWindow(w string) error {
	_, err := rollout.ParseWindow(w)
	if err != nil {
		return fmt.Errorf("%s", rolloutMessage(err, "en"))
	}
	return nil
}

// rolloutMessage returns the message of a rollout error in lang.
func rolloutMessage(err error, lang string) string {
	if e, ok := err.(*rollout.Error); ok {
		return e.Message.In(lang)
	}
	return err.Error()
}

// problemsError turns validation problems into one EINVALID error that
// lists them.
func problemsError(ps validate.Problems, prefix string) error {
	var lines []string
	for _, p := range ps {
		lines = append(lines, prefix+p.Error())
	}
	msg := strings.Join(lines, "; ")
	return Errorf(EINVALID, "Bitte korrigieren: %s", "Please correct: %s", msg)
}

// AddSites creates sites, each with a one-time enrolment code, all or
// none. EINVALID lists every problem; ECONFLICT names an id in use.
func (s *Service) AddSites(ctx context.Context, actor string, sites []Site) ([]SiteCode, error) {
	if len(sites) == 0 {
		return nil, Errorf(EINVALID, "Keine Standorte angegeben.", "No sites given.")
	}
	now := s.clk.Now().UTC()
	var ps validate.Problems
	seen := map[string]int{}
	news := make([]NewSite, len(sites))
	codes := make([]SiteCode, len(sites))
	for i := range sites {
		st := sites[i]
		st.Normalize()
		prefix := ""
		if len(sites) > 1 {
			prefix = st.ID + ": "
		}
		for _, p := range st.Validate(checkWindow) {
			ps = append(ps, validate.Problem{Key: prefix + p.Key, Msg: p.Msg})
		}
		if j, dup := seen[st.ID]; dup && st.ID != "" {
			ps.Add(prefix+"id", "used twice (also entry %d)", j+1)
		}
		seen[st.ID] = i
		code, err := newEnrolmentCode()
		if err != nil {
			return nil, err
		}
		st.CreatedAt = now
		exp := now.Add(s.cfg.EnrolmentCodeTTL.D())
		news[i] = NewSite{Site: st, CodeHash: HashSecret(NormalizeCode(code)), CodeExpiresAt: exp}
		codes[i] = SiteCode{SiteID: st.ID, Code: code, ExpiresAt: exp}
	}
	if len(ps) > 0 {
		return nil, problemsError(ps, "")
	}
	if err := s.store.CreateSites(ctx, news); err != nil {
		return nil, err
	}
	for _, n := range news {
		s.audit(ctx, actor, "site.add", "site:"+n.Site.ID, n.Site.Name)
	}
	return codes, nil
}

// UpdateSite changes a site's editable fields. EINVALID, ENOTFOUND.
func (s *Service) UpdateSite(ctx context.Context, actor string, st Site) error {
	st.Normalize()
	if ps := st.Validate(checkWindow); len(ps) > 0 {
		return problemsError(ps, "")
	}
	if err := s.store.UpdateSite(ctx, st); err != nil {
		return err
	}
	s.tokens.forget(st.ID)
	s.audit(ctx, actor, "site.update", "site:"+st.ID, fmt.Sprintf("%s, %s, %s, %s, ring %q", st.Name, st.Timezone, st.State, st.Window, st.Ring))
	return nil
}

// NewEnrolmentCode opens a new one-time code for a site (to enrol again
// after a revocation or a new server). ENOTFOUND.
func (s *Service) NewEnrolmentCode(ctx context.Context, actor, siteID string) (SiteCode, error) {
	code, err := newEnrolmentCode()
	if err != nil {
		return SiteCode{}, err
	}
	exp := s.clk.Now().UTC().Add(s.cfg.EnrolmentCodeTTL.D())
	if err := s.store.SetEnrolmentCode(ctx, siteID, HashSecret(NormalizeCode(code)), exp); err != nil {
		return SiteCode{}, err
	}
	s.audit(ctx, actor, "site.code", "site:"+siteID, "new enrolment code, valid until "+exp.Format(time.RFC3339))
	return SiteCode{SiteID: siteID, Code: code, ExpiresAt: exp}, nil
}

// RevokeToken revokes a site's token at once; the site must enrol again
// with a new code. A reason is required. EINVALID, ENOTFOUND.
func (s *Service) RevokeToken(ctx context.Context, actor, siteID, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Errorf(EINVALID, "Bitte einen Grund angeben.", "Please give a reason.")
	}
	if err := s.store.RevokeToken(ctx, siteID, s.clk.Now().UTC()); err != nil {
		return err
	}
	s.tokens.forget(siteID)
	s.audit(ctx, actor, "site.revoke", "site:"+siteID, reason)
	return nil
}

// Enrolled is what a site receives when its code is accepted.
type Enrolled struct {
	Site  Site
	Token string
	// TrustedRoot is the TUF root the site trusts from now on.
	TrustedRoot []byte
}

// Enrol exchanges a one-time code for a site token (stored hashed). The
// code is used up. EUNAUTHORIZED for an unknown, used or expired code.
func (s *Service) Enrol(ctx context.Context, code, hostname string) (Enrolled, error) {
	norm := NormalizeCode(code)
	if len(norm) < 8 || len(norm) > 64 {
		return Enrolled{}, Errorf(EUNAUTHORIZED,
			"Der Anmeldecode ist ungültig. Bitte den Code aus der Fleet-Konsole vollständig eintragen.",
			"The enrolment code is invalid. Please enter the complete code from the fleet console.")
	}
	root, err := s.tuf.TrustedRoot(ctx)
	if err != nil {
		return Enrolled{}, fmt.Errorf("enrol: %w", err)
	}
	token, err := newSiteToken()
	if err != nil {
		return Enrolled{}, err
	}
	st, err := s.store.Enrol(ctx, HashSecret(norm), HashSecret(token), s.clk.Now().UTC())
	if err != nil {
		if ErrorCode(err) == EUNAUTHORIZED {
			s.log.Warn("fleet: enrolment refused", "reason", "unknown, used or expired code", "hostname", hostname)
		}
		return Enrolled{}, err
	}
	s.tokens.forget(st.ID) // the site's earlier token is void
	detail := "enrolled"
	if hostname != "" {
		detail += " from host " + hostname
	}
	s.audit(ctx, "site:"+st.ID, "site.enrol", "site:"+st.ID, detail)
	return Enrolled{Site: st, Token: token, TrustedRoot: root}, nil
}

// AuthenticateSite returns the site holding a token. EUNAUTHORIZED for an
// unknown or revoked token. A token seen within TokenCacheTTL is accepted
// from memory, so that heartbeats and long-polls of 20,000 sites cost no
// database read; a revocation, new enrolment or edit of the site takes
// effect at once on every replica (the store announces it, see
// Store.Listen), and within TokenCacheTTL should an announcement be lost.
func (s *Service) AuthenticateSite(ctx context.Context, token string) (Site, error) {
	if !strings.HasPrefix(token, siteTokenPrefix) || len(token) > 200 {
		return Site{}, Errorf(EUNAUTHORIZED,
			"Der Standort-Schlüssel ist ungültig. Bitte den Standort neu anmelden.",
			"The site token is invalid. Please enrol the site again.")
	}
	hash := HashSecret(token)
	now := s.clk.Now()
	if st, ok := s.tokens.get(hash, now); ok {
		return st, nil
	}
	st, err := s.store.SiteByToken(ctx, hash)
	if err != nil {
		return Site{}, err
	}
	s.tokens.put(hash, st, now)
	return st, nil
}

// TokenCacheTTL is how long an accepted site token is trusted from memory
// without a notice that it changed.
const TokenCacheTTL = 10 * time.Minute

// tokenCache remembers recently accepted site tokens (by hash).
type tokenCache struct {
	mu sync.Mutex
	m  map[string]tokenEntry
}

type tokenEntry struct {
	site  Site
	until time.Time
}

func newTokenCache() *tokenCache { return &tokenCache{m: map[string]tokenEntry{}} }

func (c *tokenCache) get(hash string, now time.Time) (Site, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || !now.Before(e.until) {
		return Site{}, false
	}
	return e.site, true
}

func (c *tokenCache) put(hash string, st Site, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 100000 {
		for h, e := range c.m {
			if !now.Before(e.until) {
				delete(c.m, h)
			}
		}
	}
	c.m[hash] = tokenEntry{site: st, until: now.Add(TokenCacheTTL)}
}

// clear drops every cached token.
func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}

// forget drops every cached token of a site.
func (c *tokenCache) forget(siteID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.m {
		if e.site.ID == siteID {
			delete(c.m, h)
		}
	}
}

// Site returns a site. ENOTFOUND.
func (s *Service) Site(ctx context.Context, id string) (Site, error) { return s.store.Site(ctx, id) }

// Sites returns one page of sites with their last heartbeats (those in
// memory, not yet flushed, included).
func (s *Service) Sites(ctx context.Context, f SiteFilter) ([]SiteRow, int, error) {
	rows, total, err := s.store.Sites(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	for i := range rows {
		if hb, ok := s.hb.get(rows[i].Site.ID); ok && hb.ReceivedAt.After(rows[i].Heartbeat.ReceivedAt) {
			rows[i].Heartbeat = hb
		}
	}
	return rows, total, nil
}

// LastHeartbeat returns a site's last heartbeat, from memory or the store;
// ok is false when it never sent one.
func (s *Service) LastHeartbeat(ctx context.Context, siteID string) (Heartbeat, bool, error) {
	mem, inMem := s.hb.get(siteID)
	st, err := s.store.Heartbeat(ctx, siteID)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return mem, inMem, nil
	case err != nil:
		return Heartbeat{}, false, err
	case inMem && mem.ReceivedAt.After(st.ReceivedAt):
		return mem, true, nil
	}
	return st, true, nil
}

// Liveness returns a site's liveness now.
func (s *Service) Liveness(hb Heartbeat) Liveness {
	return LivenessAt(hb.ReceivedAt, s.clk.Now(), s.cfg.HeartbeatInterval.D(), s.cfg.DeadManDeadline.D())
}
