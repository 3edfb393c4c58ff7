package inboxweb_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleettest"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
	"github.com/lifeline-project/lifeline/internal/fleetclient/inboxweb"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPageShowsRunbookAndSendsAnswers: a broadcast reaches the site, the
// banner points to it, the page shows text, steps and file and counts as
// read, and "Hilft nicht" with a note reaches the fleet.
func TestPageShowsRunbookAndSendsAnswers(t *testing.T) {
	env := fleettest.New(t, nil)
	codes := env.AddSites(t, fleet.Site{ID: "apo-a"})
	c, err := fleetclient.New(fleetclient.Options{Config: fleetclient.Config{URL: env.URL, EnrolmentCode: codes["apo-a"]},
		Dir: filepath.Join(env.Dir, "site"), Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	in, err := fleetclient.OpenInbox(c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx, func() protocol.Heartbeat { return protocol.Heartbeat{Overall: "ok"} }, func(context.Context, protocol.Command) error { return nil })
	}()
	defer func() { cancel(); <-done }()

	canAct := true
	h, err := inboxweb.New(in, inboxweb.Hooks{User: func(*http.Request) (string, bool) { return "Frau Muster", canAct }}, time.UTC, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, rt := range h.Routes() {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if _, ok := h.Banner(nil); ok {
		t.Error("banner without a message: got one; want none")
	}
	waitFor(t, "the site polling", func() bool { return env.Service().Waiting() == 1 })
	b, err := env.Service().SendBroadcast(context.Background(), "anna", fleet.Broadcast{Title: "Kasse startet nicht", Severity: "critical",
		Text: "Nach dem Update startet die Kasse nicht.", Steps: []string{"Kasse ausschalten", "Ordner cache löschen"},
		Selector: fleet.Selector{All: true}}, &fleet.Attachment{Name: "fix.cmd", Data: []byte("del cache")})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the message with its file", func() bool { m, ok := in.Message(b.ID); return ok && m.FileStored })
	if txt, ok := h.Banner(nil); !ok || !strings.Contains(txt.In("de"), "Kasse startet nicht") || !strings.Contains(txt.In("de"), "Dringende Nachricht") {
		t.Errorf("banner: got %q, %v; want the urgent title", txt.In("de"), ok)
	}
	resp, err := http.Get(srv.URL + "/messages")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"Kasse startet nicht", "<li>Ordner cache löschen</li>", "/messages/" + itoa(b.ID) + "/file", "Hilft nicht"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("page: missing %q", want)
		}
	}
	resp, err = http.Get(srv.URL + "/messages/" + itoa(b.ID) + "/file")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(data) != "del cache" {
		t.Errorf("file: got %q", data)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirect.PostForm(srv.URL+"/messages/"+itoa(b.ID)+"/answer", url.Values{"answer": {"not_helped"}, "note": {"Kasse bleibt schwarz"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("answer: got %d; want 303", resp.StatusCode)
	}
	waitFor(t, "read and the answer at the fleet", func() bool {
		c, _ := env.Service().BroadcastCounts(context.Background(), b.ID)
		return c.Read == 1 && c.NotHelped == 1
	})
	if _, ok := h.Banner(nil); ok {
		t.Error("banner after the answer: got one; want none")
	}
	canAct = false // a viewer may not answer
	resp, err = noRedirect.PostForm(srv.URL+"/messages/"+itoa(b.ID)+"/answer", url.Values{"answer": {"helped"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("answer by a viewer: got %d; want 404", resp.StatusCode)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
