package fleet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Kinds of timeline entries.
const (
	TimelineVersion   = "version"   // a new version was first seen
	TimelineHealth    = "health"    // the overall state changed
	TimelineSilence   = "silence"   // the heartbeat stopped; contacts alerted
	TimelineUpdate    = "update"    // the site reported on an update command
	TimelineBroadcast = "broadcast" // a broadcast was sent, delivered, read, answered
	TimelineNote      = "note"      // an agent's note
	TimelineAction    = "action"    // a console action about the site (audit log)
)

// TimelineEntry is one line of a site's timeline for the hotline.
type TimelineEntry struct {
	At   time.Time
	Kind string
	// Actor is who did it: an agent, "site", "fleet".
	Actor string
	Text  check.Text
	// State is a state word for colour (ok, degraded, down, failed ...).
	State string
	// Link is a console path with more (a rollout, a broadcast).
	Link string
}

// SiteTimeline is everything the hotline sees of one site.
type SiteTimeline struct {
	Site      Site
	Heartbeat Heartbeat
	HasHB     bool
	Live      Liveness
	Versions  map[string]string
	Entries   []TimelineEntry
	// Upcoming are the site's scheduled installs.
	Upcoming []Command
	Claim    *Claim
	// Problems are the open problems (as in the triage queue).
	Problems          []Problem
	OnDuty            bool
	DutyUntil         time.Time
	HelpedBroadcasts  int
	PendingBroadcasts int
}

// timelineDepth bounds each source of the timeline.
const timelineDepth = 200

// Timeline returns a site's timeline, newest first: versions installed
// and when, health changes and silences, update reports, broadcasts and
// answers, notes and console actions; with the open problems and the
// upcoming installs. ENOTFOUND for an unknown site.
func (s *Service) Timeline(ctx context.Context, siteID string) (SiteTimeline, error) {
	st, err := s.store.Site(ctx, siteID)
	if err != nil {
		return SiteTimeline{}, err
	}
	now := s.clk.Now().UTC()
	tl := SiteTimeline{Site: st}
	if tl.Heartbeat, tl.HasHB, err = s.LastHeartbeat(ctx, siteID); err != nil {
		return tl, err
	}
	if tl.HasHB {
		if stored, err := s.store.Heartbeat(ctx, siteID); err == nil && stored.Overall == tl.Heartbeat.Overall &&
			!stored.OverallSince.IsZero() && stored.OverallSince.Before(tl.Heartbeat.OverallSince) {
			tl.Heartbeat.OverallSince = stored.OverallSince
		}
	}
	tl.Live = s.Liveness(tl.Heartbeat)
	tl.Versions = tl.Heartbeat.Components
	add := func(e TimelineEntry) { tl.Entries = append(tl.Entries, e) }

	vs, err := s.store.VersionHistory(ctx, siteID)
	if err != nil {
		return tl, err
	}
	for _, v := range vs[:min(len(vs), timelineDepth)] {
		add(TimelineEntry{At: v.At, Kind: TimelineVersion, Actor: "site", State: "ok", Text: check.Msg(
			fmt.Sprintf("%s %s installiert (zuerst gemeldet)", v.Component, v.Version),
			fmt.Sprintf("%s %s installed (first reported)", v.Component, v.Version))})
	}
	hs, err := s.store.HealthEvents(ctx, siteID, timelineDepth)
	if err != nil {
		return tl, err
	}
	for _, h := range hs {
		de, en := stateWordsDE(h.Overall), h.Overall
		if h.Sentence != "" {
			de, en = de+": "+h.Sentence, en+": "+h.Sentence
		}
		add(TimelineEntry{At: h.At, Kind: TimelineHealth, Actor: "site", State: h.Overall, Text: check.Msg("Zustand "+de, "State "+en)})
	}
	sil, err := s.store.Silences(ctx, siteID, timelineDepth)
	if err != nil {
		return tl, err
	}
	for _, x := range sil {
		res := x.Result
		if res == "" {
			res = "–"
		}
		add(TimelineEntry{At: x.AlertedAt, Kind: TimelineSilence, Actor: "fleet", State: "down", Text: check.Msg(
			"Stumm seit "+x.LastSeen.In(s.cfg.Location()).Format("02.01.2006 15:04")+"; Kontakte alarmiert ("+res+")",
			"Silent since "+x.LastSeen.In(s.cfg.Location()).Format("2006-01-02 15:04")+"; contacts alerted ("+res+")")})
	}
	reps, err := s.store.SiteReports(ctx, siteID, timelineDepth)
	if err != nil {
		return tl, err
	}
	for _, r := range reps {
		e := TimelineEntry{At: r.At, Kind: TimelineUpdate, Actor: "site", State: r.Status, Link: fmt.Sprintf("/rollouts/%d", r.RolloutID),
			Text: check.Msg(fmt.Sprintf("%s %s %s: %s", kindDE(r.Kind), r.Component, r.Version, reportDE(r.Status)),
				fmt.Sprintf("%s %s %s: %s", r.Kind, r.Component, r.Version, r.Status))}
		if r.Message != "" {
			e.Text = check.Msg(e.Text.DE+" – "+r.Message, e.Text.EN+" – "+r.Message)
		}
		add(e)
	}
	sbs, err := s.store.SiteBroadcasts(ctx, siteID, timelineDepth)
	if err != nil {
		return tl, err
	}
	for _, sb := range sbs {
		b, r := sb.Broadcast, sb.Receipt
		link := fmt.Sprintf("/broadcasts/%d", b.ID)
		add(TimelineEntry{At: b.CreatedAt, Kind: TimelineBroadcast, Actor: b.CreatedBy, Link: link, State: b.Severity,
			Text: check.Msg("Nachricht gesendet: "+b.Title, "Broadcast sent: "+b.Title)})
		if !r.DeliveredAt.IsZero() {
			add(TimelineEntry{At: r.DeliveredAt, Kind: TimelineBroadcast, Actor: "site", Link: link,
				Text: check.Msg("Nachricht angekommen: "+b.Title, "Broadcast delivered: "+b.Title)})
		} else if b.Active(now) {
			tl.PendingBroadcasts++
		}
		if !r.ReadAt.IsZero() {
			add(TimelineEntry{At: r.ReadAt, Kind: TimelineBroadcast, Actor: "site", Link: link,
				Text: check.Msg("Nachricht gelesen: "+b.Title, "Broadcast read: "+b.Title)})
		}
		if r.Answer != "" {
			words := ReceiptWords(r.Answer)
			de, en := "Antwort auf „"+b.Title+"“: "+words.DE, "Answer to \""+b.Title+"\": "+words.EN
			if r.Note != "" {
				de, en = de+" – "+r.Note, en+" – "+r.Note
			}
			state := "ok"
			if r.Answer == ReceiptNotHelped {
				state = "down"
			} else {
				tl.HelpedBroadcasts++
			}
			add(TimelineEntry{At: r.AnsweredAt, Kind: TimelineBroadcast, Actor: orSite(r.By), Link: link, State: state, Text: check.Msg(de, en)})
		}
	}
	notes, err := s.store.Notes(ctx, siteID, timelineDepth)
	if err != nil {
		return tl, err
	}
	for _, n := range notes {
		add(TimelineEntry{At: n.At, Kind: TimelineNote, Actor: n.Author, Text: check.Msg("Notiz: "+n.Text, "Note: "+n.Text)})
	}
	aud, err := s.store.Audit(ctx, "site:"+siteID, timelineDepth)
	if err != nil {
		return tl, err
	}
	for _, a := range aud {
		if a.Action == "triage.note" {
			continue // shown as the note itself
		}
		de, en := actionWords(a.Action)
		if a.Detail != "" {
			de, en = de+" – "+a.Detail, en+" – "+a.Detail
		}
		add(TimelineEntry{At: a.At, Kind: TimelineAction, Actor: a.Actor, Text: check.Msg(de, en)})
	}
	slices.SortStableFunc(tl.Entries, func(a, b TimelineEntry) int { return b.At.Compare(a.At) })

	if tl.Upcoming, err = s.store.UpcomingInstalls(ctx, now.Add(-24*time.Hour), now.Add(60*24*time.Hour), siteID); err != nil {
		return tl, err
	}
	nh, err := s.store.NotHelped(ctx, now.Add(-maxBroadcastTTL))
	if err != nil {
		return tl, err
	}
	var mine []Receipt
	for _, r := range nh {
		if r.SiteID == siteID {
			mine = append(mine, r)
		}
	}
	tl.Problems = s.problems(st, tl.Heartbeat, mine, now)
	tl.OnDuty, tl.DutyUntil = s.OnDuty(st, now)
	claims, err := s.store.Claims(ctx)
	if err != nil {
		return tl, err
	}
	for _, c := range claims {
		if c.SiteID == siteID {
			c := c
			tl.Claim = &c
		}
	}
	return tl, nil
}

func orSite(by string) string {
	if strings.TrimSpace(by) == "" {
		return "site"
	}
	return "site: " + by
}

func stateWordsDE(overall string) string {
	switch overall {
	case "ok":
		return "in Ordnung"
	case "degraded":
		return "eingeschränkt"
	case "down":
		return "gestört"
	}
	return "unbekannt"
}

func kindDE(kind string) string {
	switch kind {
	case CommandInstall:
		return "Update"
	case CommandRollback:
		return "Rücknahme"
	case CommandCancel:
		return "Abgesagt"
	}
	return kind
}

func reportDE(status string) string {
	switch status {
	case ReportReceived:
		return "angenommen"
	case ReportDownloading:
		return "lädt"
	case ReportInstalling:
		return "installiert gerade"
	case ReportInstalled:
		return "installiert"
	case ReportFailed:
		return "fehlgeschlagen"
	case ReportRolledBack:
		return "zurückgenommen"
	case ReportSkipped:
		return "ausgelassen"
	}
	return status
}

func actionWords(action string) (string, string) {
	switch action {
	case "site.add":
		return "Standort angelegt", "site added"
	case "site.update":
		return "Standort geändert", "site changed"
	case "site.code":
		return "Neuer Anmeldecode", "new enrolment code"
	case "site.revoke":
		return "Schlüssel zurückgezogen", "token revoked"
	case "site.enrol":
		return "Standort angemeldet", "site enrolled"
	case "site.silent":
		return "Stumm: Kontakte alarmiert", "silent: contacts alerted"
	case "triage.claim":
		return "Übernommen", "claimed"
	case "triage.takeover":
		return "Übernommen (von anderer Person)", "taken over"
	case "triage.release":
		return "Freigegeben", "released"
	}
	return action, action
}
