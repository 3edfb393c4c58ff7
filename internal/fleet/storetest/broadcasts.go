package storetest

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

func broadcastFixture() fleet.Broadcast {
	return fleet.Broadcast{Title: "Kasse startet nicht", Text: "Nach dem Update startet die Kasse nicht.",
		Steps: []string{"Kasse ausschalten", "Ordner C:\\ERP\\cache löschen", "Kasse einschalten"}, Severity: fleet.SeverityCritical,
		Selector: fleet.Selector{States: []string{"BY"}}, CreatedAt: t0, CreatedBy: "anna", ExpiresAt: t0.Add(72 * time.Hour)}
}

func testBroadcasts(t *testing.T, s, s2 fleet.Store) {
	c := ctx(t)
	must(t, "sites", s.CreateSites(c, newSites("apo-1", "apo-2", "apo-3")))
	lctx, cancel := context.WithCancel(c)
	defer cancel()
	notices := make(chan fleet.Notice, 16)
	must(t, "listen", s2.Listen(lctx, func(n fleet.Notice) { notices <- n }))

	in := broadcastFixture()
	in.File = &fleet.BroadcastFile{Name: "fix.cmd", Size: 5, SHA256: "abc"}
	b, err := s.CreateBroadcast(c, in, []byte("hello"), []string{"apo-2", "apo-1", "apo-unknown"})
	must(t, "create", err)
	if b.ID == 0 || b.Targets != 2 {
		t.Fatalf("created: got id %d, %d targets; want an id and 2 targets (the unknown site skipped)", b.ID, b.Targets)
	}
	select {
	case n := <-notices:
		if n.BroadcastID != b.ID {
			t.Errorf("notice: got %+v; want broadcast %d", n, b.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notice of the broadcast within 10 s on the second handle")
	}

	got, err := s2.Broadcast(c, b.ID)
	must(t, "read", err)
	if got.Title != in.Title || got.Text != in.Text || !reflect.DeepEqual(got.Steps, in.Steps) || got.Severity != in.Severity ||
		!reflect.DeepEqual(got.Selector, in.Selector) || got.Targets != 2 || got.CreatedBy != "anna" ||
		got.File == nil || *got.File != *in.File {
		t.Errorf("read back: got %+v; want %+v with 2 targets", got, in)
	}
	sameTime(t, "created", got.CreatedAt, t0.Truncate(time.Microsecond))
	sameTime(t, "expires", got.ExpiresAt, t0.Add(72*time.Hour).Truncate(time.Microsecond))
	data, err := s2.BroadcastFile(c, b.ID)
	must(t, "file", err)
	if !bytes.Equal(data, []byte("hello")) {
		t.Errorf("file: got %q; want hello", data)
	}
	_, err = s.Broadcast(c, 999999)
	wantCode(t, "unknown broadcast", err, fleet.ENOTFOUND)
	noFile, err := s.CreateBroadcast(c, broadcastFixture(), nil, []string{"apo-3"})
	must(t, "create without file", err)
	_, err = s.BroadcastFile(c, noFile.ID)
	wantCode(t, "file of a broadcast without one", err, fleet.ENOTFOUND)

	// Receipts: received, then read, then answers; the latest answer counts.
	must(t, "receipts", s.SaveReceipts(c, []fleet.Receipt{
		{BroadcastID: b.ID, SiteID: "apo-1", Status: fleet.ReceiptReceived, At: t0.Add(time.Second)},
		{BroadcastID: b.ID, SiteID: "apo-2", Status: fleet.ReceiptReceived, At: t0.Add(2 * time.Second)},
		{BroadcastID: b.ID, SiteID: "apo-3", Status: fleet.ReceiptReceived, At: t0.Add(2 * time.Second)}, // not a target: ignored
	}))
	must(t, "answers", s2.SaveReceipts(c, []fleet.Receipt{
		{BroadcastID: b.ID, SiteID: "apo-1", Status: fleet.ReceiptRead, At: t0.Add(time.Minute)},
		{BroadcastID: b.ID, SiteID: "apo-2", Status: fleet.ReceiptNotHelped, At: t0.Add(2 * time.Minute), Note: "Kasse startet weiter nicht", By: "Frau Muster"},
		{BroadcastID: b.ID, SiteID: "apo-1", Status: fleet.ReceiptReceived, At: t0.Add(3 * time.Minute)}, // a repeat changes nothing
	}))
	must(t, "second answer", s.SaveReceipts(c, []fleet.Receipt{{BroadcastID: b.ID, SiteID: "apo-2", Status: fleet.ReceiptHelped, At: t0.Add(5 * time.Minute)}}))
	cnt, err := s.BroadcastCounts(c, b.ID)
	must(t, "counts", err)
	if want := (fleet.BroadcastCounts{Targets: 2, Delivered: 2, Read: 2, Helped: 1}); cnt != want {
		t.Errorf("counts: got %+v; want %+v", cnt, want)
	}
	rs, err := s2.BroadcastReceipts(c, b.ID)
	must(t, "receipts", err)
	if len(rs) != 2 || rs[0].SiteID != "apo-1" || rs[1].SiteID != "apo-2" {
		t.Fatalf("receipts: got %+v; want apo-1 and apo-2", rs)
	}
	sameTime(t, "apo-1 delivered", rs[0].DeliveredAt, t0.Add(time.Second).Truncate(time.Microsecond))
	sameTime(t, "apo-1 read", rs[0].ReadAt, t0.Add(time.Minute).Truncate(time.Microsecond))
	if rs[0].Answer != "" || !rs[0].AnsweredAt.IsZero() {
		t.Errorf("apo-1: got answer %q; want none", rs[0].Answer)
	}
	sameTime(t, "apo-2 read (by its first answer)", rs[1].ReadAt, t0.Add(2*time.Minute).Truncate(time.Microsecond))
	if rs[1].Answer != fleet.ReceiptHelped || rs[1].Note != "" {
		t.Errorf("apo-2: got answer %q note %q; want the latest answer helped without note", rs[1].Answer, rs[1].Note)
	}
	sameTime(t, "apo-2 answered", rs[1].AnsweredAt, t0.Add(5*time.Minute).Truncate(time.Microsecond))

	// Lists.
	sums, err := s.Broadcasts(c, 10)
	must(t, "list", err)
	if len(sums) != 2 || sums[0].Broadcast.ID != noFile.ID || sums[1].Counts.Helped != 1 || sums[1].Counts.Targets != 2 {
		t.Errorf("list: got %+v; want the newest first with counts", sums)
	}
	sb, err := s2.SiteBroadcasts(c, "apo-2", 10)
	must(t, "site broadcasts", err)
	if len(sb) != 1 || sb[0].Broadcast.ID != b.ID || sb[0].Receipt.Answer != fleet.ReceiptHelped {
		t.Errorf("broadcasts of apo-2: got %+v; want the one with its answer", sb)
	}
	act, err := s.ActiveBroadcasts(c, t0.Add(time.Hour))
	must(t, "active", err)
	if len(act) != 2 || act[0].ID != b.ID {
		t.Errorf("active an hour later: got %d; want both, oldest first", len(act))
	}
	act, err = s.ActiveBroadcasts(c, t0.Add(72*time.Hour))
	must(t, "active after expiry", err)
	if len(act) != 0 {
		t.Errorf("active at expiry: got %d; want none", len(act))
	}
}

func testConsoleRoles(t *testing.T, s, s2 fleet.Store) {
	c := ctx(t)
	got, err := s.ConsoleRole(c, "user:anna")
	must(t, "none", err)
	if got != "" {
		t.Errorf("role of a user without one: got %q; want empty", got)
	}
	must(t, "set", s.SetConsoleRole(c, "user:anna", "support"))
	must(t, "set token", s.SetConsoleRole(c, "token:tool", "release"))
	if got, _ := s2.ConsoleRole(c, "user:anna"); got != "support" {
		t.Errorf("role: got %q; want support", got)
	}
	must(t, "replace", s2.SetConsoleRole(c, "user:anna", "release"))
	if got, _ := s.ConsoleRole(c, "user:anna"); got != "release" {
		t.Errorf("replaced role: got %q; want release", got)
	}
	wantCode(t, "bad role", s.SetConsoleRole(c, "user:anna", "admin"), fleet.EINVALID)
	must(t, "remove", s.SetConsoleRole(c, "user:anna", ""))
	if got, _ := s.ConsoleRole(c, "user:anna"); got != "" {
		t.Errorf("removed role: got %q; want empty", got)
	}
	if got, _ := s.ConsoleRole(c, "token:tool"); got != "release" {
		t.Errorf("other principal: got %q; want release", got)
	}
}

func testTriage(t *testing.T, s, s2 fleet.Store) {
	c := ctx(t)
	must(t, "sites", s.CreateSites(c, newSites("apo-1", "apo-2")))

	// Claims: one agent at a time, unless taken over.
	must(t, "claim", s.ClaimSite(c, fleet.Claim{SiteID: "apo-1", Agent: "anna", ClaimedAt: t0}, false))
	must(t, "claim again by the same agent", s2.ClaimSite(c, fleet.Claim{SiteID: "apo-1", Agent: "anna", ClaimedAt: t0.Add(time.Minute)}, false))
	wantCode(t, "claim by another", s2.ClaimSite(c, fleet.Claim{SiteID: "apo-1", Agent: "ben", ClaimedAt: t0}, false), fleet.ECONFLICT)
	wantCode(t, "claim of an unknown site", s.ClaimSite(c, fleet.Claim{SiteID: "nope", Agent: "ben", ClaimedAt: t0}, false), fleet.ENOTFOUND)
	must(t, "claim apo-2", s.ClaimSite(c, fleet.Claim{SiteID: "apo-2", Agent: "ben", ClaimedAt: t0}, false))
	must(t, "take over", s.ClaimSite(c, fleet.Claim{SiteID: "apo-2", Agent: "anna", ClaimedAt: t0.Add(time.Hour)}, true))
	cl, err := s2.Claims(c)
	must(t, "claims", err)
	if len(cl) != 2 || cl[0].Agent != "anna" || !cl[0].ClaimedAt.Equal(t0) || cl[1].Agent != "anna" || !cl[1].ClaimedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("claims: got %+v; want both with anna, the first kept at t0", cl)
	}
	wantCode(t, "release by another", s.ReleaseSite(c, "apo-1", "ben"), fleet.ENOTFOUND)
	must(t, "release", s.ReleaseSite(c, "apo-1", "anna"))
	must(t, "release by anyone", s.ReleaseSite(c, "apo-2", ""))
	if cl, _ := s.Claims(c); len(cl) != 0 {
		t.Errorf("claims after release: got %d; want 0", len(cl))
	}

	// Notes.
	n, err := s.AddNote(c, fleet.Note{SiteID: "apo-1", At: t0, Author: "anna", Text: "Rückruf: Kasse läuft wieder"})
	must(t, "note", err)
	_, err = s.AddNote(c, fleet.Note{SiteID: "apo-1", At: t0.Add(time.Minute), Author: "ben", Text: "zweite"})
	must(t, "second note", err)
	_, err = s.AddNote(c, fleet.Note{SiteID: "nope", At: t0, Author: "ben", Text: "x"})
	wantCode(t, "note for an unknown site", err, fleet.ENOTFOUND)
	ns, err := s2.Notes(c, "apo-1", 10)
	must(t, "notes", err)
	if len(ns) != 2 || ns[1].ID != n.ID || ns[1].Text != "Rückruf: Kasse läuft wieder" || ns[0].Author != "ben" {
		t.Errorf("notes: got %+v; want both, newest first", ns)
	}
	sameTime(t, "note time", ns[1].At, t0.Truncate(time.Microsecond))

	// Silences: recorded once per last heartbeat.
	first, err := s.RecordSilence(c, "apo-1", t0, t0.Add(10*time.Minute))
	must(t, "silence", err)
	again, err := s2.RecordSilence(c, "apo-1", t0, t0.Add(11*time.Minute))
	must(t, "silence again", err)
	if !first || again {
		t.Errorf("silence recorded: got first %v, again %v; want true, false", first, again)
	}
	if ok, _ := s.RecordSilence(c, "nope", t0, t0); ok {
		t.Error("silence of an unknown site: got recorded")
	}
	must(t, "result", s.SetSilenceResult(c, "apo-1", t0, "sent to 2"))
	sil, err := s2.Silences(c, "apo-1", 10)
	must(t, "silences", err)
	if len(sil) != 1 || sil[0].Result != "sent to 2" || !sil[0].LastSeen.Equal(t0) {
		t.Errorf("silences: got %+v", sil)
	}

	// Answers "not helped" of active broadcasts.
	b, err := s.CreateBroadcast(c, broadcastFixture(), nil, []string{"apo-1", "apo-2"})
	must(t, "broadcast", err)
	must(t, "answers", s.SaveReceipts(c, []fleet.Receipt{
		{BroadcastID: b.ID, SiteID: "apo-1", Status: fleet.ReceiptNotHelped, At: t0.Add(time.Hour), Note: "nein"},
		{BroadcastID: b.ID, SiteID: "apo-2", Status: fleet.ReceiptHelped, At: t0.Add(time.Hour)},
	}))
	nh, err := s2.NotHelped(c, t0)
	must(t, "not helped", err)
	if len(nh) != 1 || nh[0].SiteID != "apo-1" || nh[0].Note != "nein" {
		t.Errorf("not helped: got %+v; want apo-1", nh)
	}
	if nh, _ := s.NotHelped(c, t0.Add(100*time.Hour)); len(nh) != 0 {
		t.Errorf("not helped after expiry: got %d; want 0", len(nh))
	}
}

func testUpcomingInstalls(t *testing.T, s, s2 fleet.Store) {
	c := ctx(t)
	rel, r := rolloutFixture(t, s)
	slot := func(site string, h int) fleet.Command {
		x := cmd(site, rel, t0)
		x.NotBefore, x.NotAfter = t0.Add(time.Duration(h)*time.Hour), t0.Add(time.Duration(h+2)*time.Hour)
		return x
	}
	r, err := s.UpdateRollout(c, r, []fleet.Command{slot("apo-1", 24), slot("apo-2", 48)})
	must(t, "enqueue", err)
	got, err := s2.UpcomingInstalls(c, t0, t0.Add(72*time.Hour), "")
	must(t, "upcoming", err)
	if len(got) != 2 || got[0].SiteID != "apo-1" || !got[0].NotBefore.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("upcoming: got %+v; want apo-1 then apo-2", got)
	}
	if got, _ := s.UpcomingInstalls(c, t0, t0.Add(30*time.Hour), ""); len(got) != 1 {
		t.Errorf("upcoming within 30 h: got %d; want 1", len(got))
	}
	if got, _ := s.UpcomingInstalls(c, t0, t0.Add(72*time.Hour), "apo-2"); len(got) != 1 || got[0].SiteID != "apo-2" {
		t.Errorf("upcoming of apo-2: got %+v", got)
	}
	// A cancel and a terminal report take installs off the calendar.
	cancel := cmd("apo-1", rel, t0)
	cancel.Kind = fleet.CommandCancel
	_, err = s.UpdateRollout(c, r, []fleet.Command{cancel})
	must(t, "cancel", err)
	_, err = s.AddReport(c, fleet.Report{SiteID: "apo-2", CommandID: got[1].ID, Status: fleet.ReportSkipped, At: t0})
	must(t, "report", err)
	if got, _ := s2.UpcomingInstalls(c, t0, t0.Add(72*time.Hour), ""); len(got) != 0 {
		t.Errorf("upcoming after cancel and report: got %+v; want none", got)
	}
}
