package fleetclient_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleettest"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
)

// site is a running site client with an inbox.
type site struct {
	c    *fleetclient.Client
	in   *fleetclient.Inbox
	stop func()
}

func runSite(t *testing.T, env *fleettest.Env, id, code string) *site {
	t.Helper()
	c, err := fleetclient.New(fleetclient.Options{Config: fleetclient.Config{URL: env.URL, EnrolmentCode: code},
		Dir: filepath.Join(env.Dir, "site-"+id), Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	in, err := fleetclient.OpenInbox(c)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(runCtx, func() protocol.Heartbeat { return protocol.Heartbeat{Overall: "ok"} },
			func(context.Context, protocol.Command) error { return nil })
	}()
	s := &site{c: c, in: in, stop: func() { cancel(); <-done }}
	t.Cleanup(s.stop)
	return s
}

// TestBroadcastReachesTargetsAndAnswersReturn sends a broadcast with a
// file to the Bavarian sites: the Bavarian site stores it with the
// verified file and the fleet counts it delivered; the other site gets
// nothing; the staff's "read" and "hilft nicht" reach the fleet; after a
// restart the inbox still holds the message and it is not delivered
// again.
func TestBroadcastReachesTargetsAndAnswersReturn(t *testing.T) {
	env := fleettest.New(t, nil)
	codes := env.AddSites(t, fleet.Site{ID: "apo-by", State: "BY"}, fleet.Site{ID: "apo-nw", State: "NW"})
	by := runSite(t, env, "apo-by", codes["apo-by"])
	nw := runSite(t, env, "apo-nw", codes["apo-nw"])
	waitFor(t, "both sites polling", func() bool { return env.Service().Waiting() == 2 })

	b, err := env.Service().SendBroadcast(ctx(t), "anna", fleet.Broadcast{Title: "Kasse startet nicht",
		Text: "Nach dem Update 2026.2 startet die Kasse nicht.", Steps: []string{"Kasse aus", "Cache löschen", "Kasse an"},
		Selector: fleet.Selector{States: []string{"BY"}}}, &fleet.Attachment{Name: "fix.cmd", Data: []byte("del cache\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	if b.Targets != 1 {
		t.Fatalf("targets: got %d; want 1 (only the Bavarian site)", b.Targets)
	}
	waitFor(t, "the broadcast with its file at the Bavarian site", func() bool {
		m, ok := by.in.Message(b.ID)
		return ok && m.FileStored
	})
	path, ok := by.in.FilePath(b.ID)
	data, err := os.ReadFile(path)
	if !ok || err != nil || string(data) != "del cache\r\n" {
		t.Errorf("stored file: got %q, %v, %v; want the attachment", data, ok, err)
	}
	waitFor(t, "the fleet counting it delivered", func() bool {
		c, _ := env.Service().BroadcastCounts(ctx(t), b.ID)
		return c.Delivered == 1
	})
	if got := nw.in.Messages(); len(got) != 0 {
		t.Errorf("site in another state: got %d messages; want none", len(got))
	}
	if _, err := nw.c.BroadcastFile(ctx(t), b.ID, *wireFile(b)); !fleetclient.Unauthorized(err) && !isStatus(err, 404) {
		t.Errorf("file for a site that is not a target: got %v; want 404", err)
	}

	if err := by.in.MarkRead(b.ID, "Frau Muster"); err != nil {
		t.Fatal(err)
	}
	if err := by.in.Answer(b.ID, false, "Kasse startet weiterhin nicht", "Frau Muster"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the answer at the fleet", func() bool {
		c, _ := env.Service().BroadcastCounts(ctx(t), b.ID)
		return c.Read == 1 && c.NotHelped == 1
	})
	d, err := env.Service().Broadcast(ctx(t), b.ID)
	if err != nil || len(d.Receipts) != 1 || d.Receipts[0].Note != "Kasse startet weiterhin nicht" || d.Receipts[0].By != "Frau Muster" {
		t.Errorf("receipt: got %+v, %v; want the note and the name", d.Receipts, err)
	}
	if m, _ := by.in.Message(b.ID); len(m.Pending) != 0 {
		t.Errorf("pending receipts after delivery: got %d; want 0", len(m.Pending))
	}

	// A restart keeps the message; the fleet does not send it again.
	by.stop()
	again := runSite(t, env, "apo-by", codes["apo-by"])
	if m, ok := again.in.Message(b.ID); !ok || m.Answer != fleet.ReceiptNotHelped {
		t.Errorf("after a restart: got %+v, %v; want the answered message", m, ok)
	}
	work, err := again.c.PollWork(ctx(t), 0)
	if err != nil || len(work.Broadcasts) != 0 {
		t.Errorf("poll after a restart: got %d broadcasts, %v; want none (already received)", len(work.Broadcasts), err)
	}
}

func wireFile(b fleet.Broadcast) *protocol.BroadcastFile {
	return &protocol.BroadcastFile{Name: b.File.Name, Size: b.File.Size, SHA256: b.File.SHA256}
}

func isStatus(err error, status int) bool {
	e, ok := err.(*fleetclient.Error)
	return ok && e.Status == status
}

// TestOldClientGetsNoBroadcasts: a site that polls without broadcasts=1
// (an older client) is not sent broadcasts it could not acknowledge.
func TestOldClientGetsNoBroadcasts(t *testing.T) {
	env := fleettest.New(t, nil)
	codes := env.AddSites(t, fleet.Site{ID: "apo-a"})
	c, err := fleetclient.New(fleetclient.Options{Config: fleetclient.Config{URL: env.URL, EnrolmentCode: codes["apo-a"]},
		Dir: filepath.Join(env.Dir, "site"), Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Enrol(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service().SendBroadcast(ctx(t), "anna", fleet.Broadcast{Title: "T", Text: "x", Selector: fleet.Selector{All: true}}, nil); err != nil {
		t.Fatal(err)
	}
	if cmds, err := c.Poll(ctx(t), 0); err != nil || len(cmds) != 0 {
		t.Errorf("old poll: got %v, %v; want nothing", cmds, err)
	}
	work, err := c.PollWork(ctx(t), 0)
	if err != nil || len(work.Broadcasts) != 1 {
		t.Errorf("new poll: got %d broadcasts, %v; want 1", len(work.Broadcasts), err)
	}
}
