package web

import (
	"bufio"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// sseReader reads server-sent events.
type sseReader struct {
	t  *testing.T
	br *bufio.Reader
}

type sseEvent struct {
	name string
	data string
}

// next returns the next event, skipping comments and retry lines.
func (s *sseReader) next() sseEvent {
	s.t.Helper()
	var ev sseEvent
	for {
		line, err := s.br.ReadString('\n')
		if err != nil {
			s.t.Fatalf("read event stream: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if ev.name != "" || ev.data != "" {
				return ev
			}
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data += strings.TrimPrefix(line, "data: ")
		case strings.HasPrefix(line, ":"):
			ev.name = "comment"
		}
	}
}

func (e *env) openEvents(c *http.Client) (*sseReader, func()) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	req, err := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/events", nil)
	if err != nil {
		e.t.Fatalf("request: %v", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatalf("GET /events: %v", err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		e.t.Fatalf("GET /events: status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return &sseReader{t: e.t, br: bufio.NewReader(resp.Body)}, func() { cancel(); resp.Body.Close() }
}

func decodeEvent(t *testing.T, ev sseEvent) eventData {
	t.Helper()
	if ev.name != "overview" {
		t.Fatalf("event %q; want overview", ev.name)
	}
	var d eventData
	if err := json.Unmarshal([]byte(ev.data), &d); err != nil {
		t.Fatalf("event data: %v", err)
	}
	return d
}

func TestEvents(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client()
	e.login(c, "vera")
	events, stop := e.openEvents(c)
	defer stop()

	first := decodeEvent(t, events.next())
	if first.Overall != "down" || len(first.Tiles) != len(testOverview().Checks) {
		t.Fatalf("first event: overall %q, %d tiles; want down and %d", first.Overall, len(first.Tiles), len(testOverview().Checks))
	}
	if first.Tiles[0].ID != "ups" || !strings.Contains(first.Tiles[0].HTML, `id="check-ups"`) {
		t.Errorf("first tile %q; want the ups tile in dashboard order", first.Tiles[0].ID)
	}
	if !strings.Contains(first.Sentence, `id="sentence"`) {
		t.Errorf("event sentence %q lacks id=sentence", first.Sentence)
	}

	// The Konnektor recovers: the E-Rezept is no consequence any more.
	o := testOverview()
	o.Checks[2].State, o.Checks[2].Message = check.StateOK, check.Msg("verbunden", "connected")
	o.Checks[3].State, o.Checks[3].Consequence, o.Checks[3].CausedBy = check.StateOK, false, nil
	o.RootCauses, o.Overall = []string{"erp"}, check.StateDegraded
	e.src.set(o)

	got := decodeEvent(t, events.next())
	if got.Overall != "degraded" {
		t.Errorf("update overall %q; want degraded", got.Overall)
	}
	for _, tile := range got.Tiles {
		if tile.ID == "konnektor" && (!strings.Contains(tile.HTML, `data-state="ok"`) || !strings.Contains(tile.HTML, "verbunden")) {
			t.Errorf("konnektor tile after recovery:\n%s", tile.HTML)
		}
	}
	if want := html.EscapeString(o.Sentence("de", e.loc)); !strings.Contains(got.Sentence, want) {
		t.Errorf("update sentence %q; want %q", got.Sentence, want)
	}
}

func TestEventsKeepAliveAndLogout(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.keepAlive = 20 * time.Millisecond
	c := e.client()
	e.login(c, "vera")
	token := e.sessionCookieValue(c)
	events, stop := e.openEvents(c)
	defer stop()
	decodeEvent(t, events.next())
	if ev := events.next(); ev.name != "comment" {
		t.Fatalf("event %q; want a keep-alive comment", ev.name)
	}
	if err := e.auth.Logout(context.Background(), token); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	for {
		ev := events.next()
		if ev.name == "comment" {
			continue // a keep-alive already under way
		}
		if ev.name != "logout" {
			t.Fatalf("event %q after logout; want logout", ev.name)
		}
		break
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.src.subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the subscription was not cancelled after the stream ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCloseEndsEvents(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client()
	e.login(c, "vera")
	events, stop := e.openEvents(c)
	defer stop()
	decodeEvent(t, events.next())
	e.srv.Close()
	deadline := time.Now().Add(3 * time.Second)
	for e.src.subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the live stream still runs after Close")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The server still answers other requests.
	if r := e.do(c, "GET", "/", nil, nil); r.status != http.StatusOK {
		t.Errorf("dashboard after Close: status %d; want 200", r.status)
	}
}
