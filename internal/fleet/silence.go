package fleet

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"time"
)

// SilenceAlert tells the people of a site that the fleet no longer hears
// from it: the site node, its power or its line is gone, so the pharmacy
// may not see its own alerts either.
type SilenceAlert struct {
	Site Site
	// LastSeen is the last heartbeat; Heartbeat its content.
	LastSeen  time.Time
	Heartbeat Heartbeat
	// Emails are the addresses found in the site's contacts.
	Emails []string
	// OnDuty is set while the pharmacy is on emergency duty.
	OnDuty bool
	At     time.Time
}

// SilenceNotifier delivers silence alerts through one channel (the
// wiring builds one per configured receiver). retry tells whether trying
// again later can help.
type SilenceNotifier interface {
	NotifySilence(ctx context.Context, a SilenceAlert) (retry bool, err error)
	// Name names the channel in the site's timeline ("webhook", "email").
	Name() string
}

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// ContactEmails returns the e-mail addresses in a site's contacts text.
func ContactEmails(contacts string) []string {
	var out []string
	for _, m := range emailRE.FindAllString(contacts, -1) {
		if a, err := mail.ParseAddress(m); err == nil && !containsFold(out, a.Address) {
			out = append(out, a.Address)
		}
	}
	return out
}

func containsFold(xs []string, x string) bool {
	for _, y := range xs {
		if strings.EqualFold(x, y) {
			return true
		}
	}
	return false
}

// maxSilenceWorkers bounds the alerts sent at once (a regional power cut
// silences hundreds of sites in the same minute).
const maxSilenceWorkers = 8

// DetectSilences finds enrolled sites whose heartbeat stopped for
// SilenceAfter and alerts each silence once (recorded in the store, so
// that one replica alerts, once). The planner round calls it under the
// planner lock; it returns the sites newly found silent. Alerts go out in
// the background; their results are written to the silence and the audit
// log.
func (s *Service) DetectSilences(ctx context.Context) ([]string, error) {
	now := s.clk.Now().UTC()
	// Only the few stale heartbeats are read (every round, on 20,000
	// sites); one this replica holds newer in memory is not stale.
	stale, err := s.store.StaleHeartbeats(ctx, now.Add(-s.SilenceAfter()))
	if err != nil {
		return nil, err
	}
	var found []SilenceAlert
	for _, hb := range stale {
		if mem, ok := s.hb.get(hb.SiteID); ok && mem.ReceivedAt.After(hb.ReceivedAt) {
			if now.Sub(mem.ReceivedAt) < s.SilenceAfter() {
				continue
			}
			hb = mem
		}
		st, err := s.store.Site(ctx, hb.SiteID)
		if err != nil {
			if ErrorCode(err) == ENOTFOUND {
				continue
			}
			return nil, err
		}
		last := hb.ReceivedAt.UTC().Truncate(time.Microsecond)
		fresh, err := s.store.RecordSilence(ctx, st.ID, last, now)
		if err != nil {
			return nil, err
		}
		if !fresh {
			continue
		}
		duty, _ := s.OnDuty(st, now)
		found = append(found, SilenceAlert{Site: st, LastSeen: last, Heartbeat: hb, Emails: ContactEmails(st.Contacts), OnDuty: duty, At: now})
	}
	ids := make([]string, len(found))
	for i, a := range found {
		ids[i] = a.Site.ID
		s.log.Warn("fleet: site silent; alerting its contacts", "site", a.Site.ID, "last_seen", a.LastSeen, "on_duty", a.OnDuty)
	}
	if len(found) > 0 {
		s.silenceWG.Add(1)
		go func() {
			defer s.silenceWG.Done()
			s.sendSilences(found)
		}()
	}
	return ids, nil
}

// WaitSilenceAlerts waits until the silence alerts sent so far are done
// (tests and shutdown).
func (s *Service) WaitSilenceAlerts() { s.silenceWG.Wait() }

func (s *Service) sendSilences(as []SilenceAlert) {
	sem := make(chan struct{}, maxSilenceWorkers)
	var wg sync.WaitGroup
	for _, a := range as {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s.alertSilence(a)
		}()
	}
	wg.Wait()
}

// alertSilence sends one alert through every notifier, retrying transient
// failures a few times, and records the outcome.
func (s *Service) alertSilence(a SilenceAlert) {
	var results []string
	for _, n := range s.silence {
		var err error
		for attempt := 0; attempt < 3; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			var retry bool
			retry, err = n.NotifySilence(ctx, a)
			cancel()
			if err == nil || !retry {
				break
			}
			time.Sleep(time.Duration(attempt+1) * 2 * time.Second)
		}
		if err != nil {
			s.log.Error("fleet: silence alert failed", "site", a.Site.ID, "channel", n.Name(), "err", err)
			results = append(results, n.Name()+": "+err.Error())
		} else {
			results = append(results, n.Name()+": ok")
		}
	}
	result := strings.Join(results, "; ")
	if len(s.silence) == 0 {
		result = "kein Empfänger eingerichtet (silence_alerts) / no receiver configured"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.store.SetSilenceResult(ctx, a.Site.ID, a.LastSeen, result); err != nil {
		s.log.Error("fleet: recording a silence alert failed", "site", a.Site.ID, "err", err)
	}
	s.audit(ctx, "fleet", "site.silent", "site:"+a.Site.ID,
		fmt.Sprintf("keine Meldung seit %s; %s", a.LastSeen.In(s.cfg.Location()).Format("02.01.2006 15:04"), result))
}
