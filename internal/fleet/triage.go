package fleet

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Problem kinds of the triage queue.
const (
	ProblemSilent    = "silent"     // heartbeats stopped: site node, power or line gone
	ProblemDown      = "down"       // the site reports trouble it cannot work around
	ProblemNotHelped = "not_helped" // staff answered a broadcast "hilft nicht"
	ProblemUpdate    = "update"     // the update agent failed
	ProblemDegraded  = "degraded"   // the site reports a degraded dependency
)

// Problem is one reason a site is in the triage queue.
type Problem struct {
	Kind string
	// Severity orders problems: 3 silent or down, 2 an answer "hilft
	// nicht" or a failed update, 1 degraded.
	Severity int
	Since    time.Time
	Text     check.Text
}

// TriageItem is a site with an open problem.
type TriageItem struct {
	Site      Site
	Heartbeat Heartbeat
	Problems  []Problem
	// Severity and Since are the worst problem's severity and the start
	// of the oldest problem.
	Severity int
	Since    time.Time
	// OnDuty is set while the pharmacy is on emergency duty (Notdienst);
	// DutyUntil is when that duty ends.
	OnDuty    bool
	DutyUntil time.Time
	// Claim is the agent taking care of it (nil: nobody yet).
	Claim *Claim
}

// Duration returns how long the site has had its problem at now.
func (t TriageItem) Duration(now time.Time) time.Duration { return now.Sub(t.Since) }

// SilenceAfter returns after how long without a heartbeat a site counts as
// silent (its contacts are alerted, it enters the triage queue).
func (s *Service) SilenceAfter() time.Duration { return s.cfg.SilenceAfter.D() }

// heartbeatsNow returns the last heartbeat of every site: stored, or newer
// in this replica's memory.
func (s *Service) heartbeatsNow(ctx context.Context) (map[string]Heartbeat, error) {
	stored, err := s.store.Heartbeats(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Heartbeat, len(stored))
	for _, hb := range stored {
		out[hb.SiteID] = hb
	}
	for id, hb := range s.hb.lastSeen() {
		if hb.ReceivedAt.After(out[id].ReceivedAt) {
			if hb.Overall == out[id].Overall && !out[id].OverallSince.IsZero() && out[id].OverallSince.Before(hb.OverallSince) {
				hb.OverallSince = out[id].OverallSince
			}
			out[id] = hb
		}
	}
	return out, nil
}

// OnDuty reports whether the site is on emergency duty at now, and until
// when, from the duty rota (duties_file).
func (s *Service) OnDuty(st Site, now time.Time) (bool, time.Time) {
	if s.cal == nil {
		return false, time.Time{}
	}
	loc := s.pl.zone(st.Timezone)
	for _, d := range s.cal.Duties[st.ID] {
		start, end := d.Span(loc)
		if !now.Before(start) && now.Before(end) {
			return true, end
		}
	}
	return false, time.Time{}
}

// Triage returns the sites with an open problem, in the order the hotline
// works them: sites on emergency duty now first, then by severity, then
// the longest-standing problem first.
func (s *Service) Triage(ctx context.Context) ([]TriageItem, error) {
	now := s.clk.Now().UTC()
	sites, err := s.store.AllSites(ctx)
	if err != nil {
		return nil, err
	}
	hbs, err := s.heartbeatsNow(ctx)
	if err != nil {
		return nil, err
	}
	nh, err := s.store.NotHelped(ctx, now.Add(-maxBroadcastTTL))
	if err != nil {
		return nil, err
	}
	notHelped := map[string][]Receipt{}
	for _, r := range nh {
		notHelped[r.SiteID] = append(notHelped[r.SiteID], r)
	}
	claims, err := s.store.Claims(ctx)
	if err != nil {
		return nil, err
	}
	claimed := map[string]Claim{}
	for _, c := range claims {
		claimed[c.SiteID] = c
	}
	var out []TriageItem
	for _, st := range sites {
		hb := hbs[st.ID]
		ps := s.problems(st, hb, notHelped[st.ID], now)
		if len(ps) == 0 {
			continue
		}
		it := TriageItem{Site: st, Heartbeat: hb, Problems: ps}
		for _, p := range ps {
			it.Severity = max(it.Severity, p.Severity)
			if it.Since.IsZero() || p.Since.Before(it.Since) {
				it.Since = p.Since
			}
		}
		it.OnDuty, it.DutyUntil = s.OnDuty(st, now)
		if c, ok := claimed[st.ID]; ok {
			it.Claim = &c
		}
		out = append(out, it)
	}
	slices.SortStableFunc(out, func(a, b TriageItem) int {
		if a.OnDuty != b.OnDuty {
			if a.OnDuty {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
			return c
		}
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return cmp.Compare(a.Site.ID, b.Site.ID)
	})
	return out, nil
}

// problems returns a site's open problems at now.
func (s *Service) problems(st Site, hb Heartbeat, notHelped []Receipt, now time.Time) []Problem {
	var ps []Problem
	if !hb.ReceivedAt.IsZero() && st.HasToken && now.Sub(hb.ReceivedAt) >= s.SilenceAfter() {
		ps = append(ps, Problem{Kind: ProblemSilent, Severity: 3, Since: hb.ReceivedAt, Text: check.Msg(
			"Keine Meldung seit "+hb.ReceivedAt.In(s.cfg.Location()).Format("02.01. 15:04")+": Rechner, Strom oder Leitung weg?",
			"No heartbeat since "+hb.ReceivedAt.In(s.cfg.Location()).Format("02.01. 15:04")+": server, power or line gone?")})
	}
	since := hb.OverallSince
	if since.IsZero() {
		since = hb.ReceivedAt
	}
	switch hb.Overall {
	case string(check.StateDown):
		ps = append(ps, Problem{Kind: ProblemDown, Severity: 3, Since: since, Text: check.Msg("Gestört: "+hb.Sentence, "Down: "+hb.Sentence)})
	case string(check.StateDegraded):
		ps = append(ps, Problem{Kind: ProblemDegraded, Severity: 1, Since: since, Text: check.Msg("Eingeschränkt: "+hb.Sentence, "Degraded: "+hb.Sentence)})
	}
	if hb.AgentState == "failed" {
		ps = append(ps, Problem{Kind: ProblemUpdate, Severity: 2, Since: hb.ReceivedAt, Text: check.Msg(
			"Das Update ist fehlgeschlagen.", "The update failed.")})
	}
	for _, r := range notHelped {
		de, en := fmt.Sprintf("Nachricht %d hilft nicht", r.BroadcastID), fmt.Sprintf("Broadcast %d did not help", r.BroadcastID)
		if r.Note != "" {
			de, en = de+": „"+r.Note+"“", en+": \""+r.Note+"\""
		}
		ps = append(ps, Problem{Kind: ProblemNotHelped, Severity: 2, Since: r.AnsweredAt, Text: check.Msg(de, en)})
	}
	return ps
}

// ClaimSite records that an agent takes care of a site (takeover: from
// another agent). ECONFLICT when another agent has it, ENOTFOUND for an
// unknown site. It is audited.
func (s *Service) ClaimSite(ctx context.Context, actor, siteID string, takeover bool) error {
	if err := s.store.ClaimSite(ctx, Claim{SiteID: siteID, Agent: actor, ClaimedAt: s.clk.Now().UTC()}, takeover); err != nil {
		return err
	}
	action := "triage.claim"
	if takeover {
		action = "triage.takeover"
	}
	s.audit(ctx, actor, action, "site:"+siteID, "")
	return nil
}

// ReleaseSite ends the actor's claim on a site (any claim with force).
// ENOTFOUND when there is none. It is audited.
func (s *Service) ReleaseSite(ctx context.Context, actor, siteID string, force bool) error {
	agent := actor
	if force {
		agent = ""
	}
	if err := s.store.ReleaseSite(ctx, siteID, agent); err != nil {
		return err
	}
	s.audit(ctx, actor, "triage.release", "site:"+siteID, "")
	return nil
}

// maxNote bounds a note.
const maxNote = 4000

// AddNote writes an agent's note into a site's timeline. EINVALID for an
// empty or too long note, ENOTFOUND for an unknown site. It is audited.
func (s *Service) AddNote(ctx context.Context, actor, siteID, text string) (Note, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" || utf8.RuneCountInString(text) > maxNote || !utf8.ValidString(text) {
		return Note{}, Errorf(EINVALID, "Die Notiz ist leer oder länger als %d Zeichen.", "The note is empty or longer than %d characters.", maxNote)
	}
	n, err := s.store.AddNote(ctx, Note{SiteID: siteID, At: s.clk.Now().UTC(), Author: actor, Text: text})
	if err != nil {
		return Note{}, err
	}
	short := text
	if utf8.RuneCountInString(short) > 200 {
		short = string([]rune(short)[:200]) + "…"
	}
	s.audit(ctx, actor, "triage.note", "site:"+siteID, short)
	return n, nil
}
