package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

func testHeartbeats(t *testing.T, s, s2 fleet.Store) {
	c := ctx(t)
	must(t, "create", s.CreateSites(c, newSites("apo-1", "apo-2")))
	_, err := s.Heartbeat(c, "apo-1")
	wantCode(t, "never reported", err, fleet.ENOTFOUND)

	hb := fleet.Heartbeat{
		SiteID: "apo-1", ReceivedAt: t0, SentAt: t0.Add(-3 * time.Second), Overall: "degraded",
		Sentence: "E-Rezept gestört seit 01:10. Ursache: Konnektor ausgefallen.", RootCauses: []string{"konnektor"},
		Components: map[string]string{"erp": "2025.1", "lifeline": "1.0.0"}, AgentVersion: "1.0.0", AgentState: "idle",
		UpdatesPaused: true, PauseReason: "Inventur",
	}
	must(t, "save", s.SaveHeartbeats(c, fleet.HeartbeatBatch{Changed: []fleet.Heartbeat{
		hb, {SiteID: "deleted-site", ReceivedAt: t0, Overall: "ok"},
	}}))
	got, err := s2.Heartbeat(c, "apo-1")
	must(t, "read", err)
	hb.OverallSince = t0 // a new heartbeat's state starts with it
	if d := cmp.Diff(hb, got); d != "" {
		t.Errorf("heartbeat (-want +got):\n%s", d)
	}

	// Seen only: the time moves, the content stays; an older time is
	// ignored (two replicas may flush out of order).
	t1 := t0.Add(30 * time.Second)
	must(t, "seen", s.SaveHeartbeats(c, fleet.HeartbeatBatch{Seen: []fleet.Seen{
		{SiteID: "apo-1", At: t1, SentAt: t1}, {SiteID: "apo-2", At: t1}, {SiteID: "nope", At: t1},
	}}))
	must(t, "seen older", s.SaveHeartbeats(c, fleet.HeartbeatBatch{Seen: []fleet.Seen{{SiteID: "apo-1", At: t0.Add(10 * time.Second)}}}))
	got, _ = s.Heartbeat(c, "apo-1")
	sameTime(t, "received after seen", got.ReceivedAt, t1)
	if got.Overall != "degraded" || got.Components["erp"] != "2025.1" {
		t.Errorf("content after seen: got %+v", got)
	}
	_, err = s.Heartbeat(c, "apo-2")
	wantCode(t, "seen without a heartbeat creates none", err, fleet.ENOTFOUND)

	// Version history: a new version is an event, the same one is not.
	t2 := t0.Add(time.Hour)
	hb2 := hb
	hb2.ReceivedAt, hb2.Overall, hb2.RootCauses, hb2.OverallSince = t2, "ok", nil, time.Time{}
	hb2.Components = map[string]string{"erp": "2025.2", "lifeline": "1.0.0"}
	must(t, "save 2", s.SaveHeartbeats(c, fleet.HeartbeatBatch{Changed: []fleet.Heartbeat{hb2}}))
	hb3 := hb2
	hb3.ReceivedAt, hb3.Sentence = t2.Add(time.Minute), "Alles in Ordnung."
	must(t, "save 3", s.SaveHeartbeats(c, fleet.HeartbeatBatch{Changed: []fleet.Heartbeat{hb3}}))
	hist, err := s.VersionHistory(c, "apo-1")
	must(t, "history", err)
	want := []fleet.VersionEvent{
		{SiteID: "apo-1", Component: "erp", Version: "2025.2", At: t2},
		{SiteID: "apo-1", Component: "lifeline", Version: "1.0.0", At: t0},
		{SiteID: "apo-1", Component: "erp", Version: "2025.1", At: t0},
	}
	if d := cmp.Diff(want, hist); d != "" {
		t.Errorf("version history (-want +got):\n%s", d)
	}
	got, _ = s.Heartbeat(c, "apo-1")
	if got.RootCauses == nil || len(got.RootCauses) != 0 || got.Sentence != "Alles in Ordnung." {
		t.Errorf("changed heartbeat: got root causes %#v sentence %q; want [] and the new sentence", got.RootCauses, got.Sentence)
	}
	sameTime(t, "overall since (ok from t2, not moved by the same state)", got.OverallSince, t2)
	health, err := s2.HealthEvents(c, "apo-1", 10)
	must(t, "health events", err)
	if len(health) != 2 || health[0].Overall != "ok" || !health[0].At.Equal(t2) || health[1].Overall != "degraded" ||
		!health[1].At.Equal(t0) || len(health[1].RootCauses) != 1 {
		t.Errorf("health events: got %+v; want ok at t2, degraded at t0 with its cause", health)
	}
	// A replica that saw the change earlier than it flushed gives its time.
	hb4 := hb3
	hb4.ReceivedAt, hb4.Overall, hb4.OverallSince = t2.Add(10*time.Minute), "down", t2.Add(5*time.Minute)
	must(t, "save 4", s.SaveHeartbeats(c, fleet.HeartbeatBatch{Changed: []fleet.Heartbeat{hb4}}))
	got, _ = s.Heartbeat(c, "apo-1")
	sameTime(t, "overall since from the replica", got.OverallSince, t2.Add(5*time.Minute))
	hb3 = hb4

	all, err := s.Heartbeats(c)
	must(t, "all", err)
	if len(all) != 1 || all[0].SiteID != "apo-1" || !all[0].ReceivedAt.Equal(hb3.ReceivedAt) {
		t.Errorf("all heartbeats: got %+v", all)
	}
	must(t, "empty batch", s.SaveHeartbeats(c, fleet.HeartbeatBatch{}))
}
