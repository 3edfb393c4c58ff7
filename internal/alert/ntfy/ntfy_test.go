package ntfy_test

import (
	"context"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/alert/ntfy"
)

// ntfyServer is an ntfy-compatible endpoint: it accepts POSTs to a topic
// and keeps what it would publish.
type ntfyServer struct {
	mu   sync.Mutex
	msgs []map[string]string
}

func (s *ntfyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/apotheke-alarm" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer tk_secret" {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, _ := io.ReadAll(r.Body)
	dec := new(mime.WordDecoder)
	title, _ := dec.DecodeHeader(r.Header.Get("Title"))
	actions, _ := dec.DecodeHeader(r.Header.Get("Actions"))
	s.mu.Lock()
	s.msgs = append(s.msgs, map[string]string{"message": string(body), "title": title, "priority": r.Header.Get("Priority"),
		"tags": r.Header.Get("Tags"), "click": r.Header.Get("Click"), "actions": actions})
	s.mu.Unlock()
	w.Write([]byte(`{"id":"x","event":"message"}`))
}

func TestPublish(t *testing.T) {
	srv := &ntfyServer{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	tests := []struct {
		name, priority, tags string
		msg                  notify.Message
		token                string
		wantErr              bool
	}{
		{name: "outage is urgent with an acknowledge button", priority: "5", tags: "rotating_light,pharmacy", token: "tk_secret",
			msg: notify.Message{Kind: notify.KindFiring, Severity: "down", Title: "Kühlschrank ausgefallen", Text: "Kühlschrank ausgefallen seit 02:13.",
				DashboardURL: "http://lifeline.local/", AckURL: "http://lifeline.local/alert/ack?t=abc"}},
		{name: "resolved is default priority", priority: "3", tags: "white_check_mark,pharmacy", token: "tk_secret",
			msg: notify.Message{Kind: notify.KindResolved, Severity: "ok", Title: "Wieder in Ordnung", Text: "ok"}},
		{name: "wrong token is fatal", token: "nope", wantErr: true, msg: notify.Message{Title: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ntfy.New(ntfy.Config{URL: ts.URL + "/apotheke-alarm", Token: tt.token, Tags: []string{"pharmacy"}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			retry, err := n.Notify(context.Background(), tt.msg)
			if tt.wantErr {
				if err == nil || retry {
					t.Fatalf("got retry=%v err=%v; want a fatal error", retry, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			srv.mu.Lock()
			got := srv.msgs[len(srv.msgs)-1]
			srv.mu.Unlock()
			if got["title"] != tt.msg.Title || got["message"] != tt.msg.Text || got["priority"] != tt.priority || got["tags"] != tt.tags {
				t.Errorf("published: got %v; want title %q, priority %s, tags %s", got, tt.msg.Title, tt.priority, tt.tags)
			}
			if tt.msg.AckURL != "" && !strings.Contains(got["actions"], "view, Ich kümmere mich, "+tt.msg.AckURL) {
				t.Errorf("actions: got %q", got["actions"])
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  ntfy.Config
		want int
	}{
		{ntfy.Config{URL: "https://ntfy.sh/topic"}, 0},
		{ntfy.Config{URL: "https://ntfy.sh/"}, 1},
		{ntfy.Config{URL: "ftp://x/y", Priority: 9}, 2},
	} {
		if got := len(tc.cfg.Validate()); got != tc.want {
			t.Errorf("Validate(%+v): got %d problems; want %d", tc.cfg, got, tc.want)
		}
	}
}
