package alert

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
)

func TestMessageLanguages(t *testing.T) {
	tests := []struct {
		lang      string
		wantTitle string
		wantText  []string
	}{
		{"de", "Warenwirtschaft ausgefallen seit 02:13", []string{
			"Warenwirtschaft ausgefallen seit 02:13. Ursache: Server antwortet nicht. Betroffen: Kasse, Bestellung.",
			"Erster Schritt: Server der Warenwirtschaft prüfen",
			"Ich kümmere mich (bestätigen): http://lifeline.test:8080/alert/ack?t=",
			"Dashboard: http://lifeline.test:8080/", "Lifeline · Apotheke am Markt"}},
		{"en", "Warenwirtschaft down since 02:13", []string{
			"Warenwirtschaft down since 02:13. Cause: Server antwortet nicht. Affected: Kasse, Bestellung.",
			"First step: Check the pharmacy system's server",
			"I'm on it (acknowledge): http://lifeline.test:8080/alert/ack?t="}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			s := newSite(chk{id: "erp", name: "Warenwirtschaft", group: check.GroupERP, affects: []string{"Kasse", "Bestellung"}})
			r := newRig(t, baseConfig(), t0, s)
			r.eng.o.Lang = tt.lang
			s.set("erp", check.StateDown, t0, "Server antwortet nicht")
			r.eng.Update(s.overview(t0))
			r.run(time.Minute)
			m := r.only("anna-push")
			if m.Title != tt.wantTitle {
				t.Errorf("title: got %q; want %q", m.Title, tt.wantTitle)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(m.Text, w) {
					t.Errorf("text lacks %q:\n%s", w, m.Text)
				}
			}
			if !strings.HasPrefix(m.Short, strings.SplitN(tt.wantText[0], ".", 2)[0]) || !strings.Contains(m.Short, m.AckURL) {
				t.Errorf("short: got %q", m.Short)
			}
			if len(m.AckURL) > 90 {
				t.Errorf("ack link is %d characters; keep it short for SMS", len(m.AckURL))
			}
		})
	}
}

func TestFirstStepFromConfig(t *testing.T) {
	cfg := baseConfig()
	cfg.FirstSteps = map[string]string{"line": "Router im Keller neu starten (Schalter hinten links).", "erp": "Hotline anrufen"}
	r := newRig(t, cfg, t0, lineSite())
	r.set("line", check.StateDown, "keine Antwort")
	r.run(time.Minute)
	if m := r.only("anna-push"); !strings.Contains(m.Text, "Erster Schritt: Router im Keller neu starten (Schalter hinten links).") {
		t.Errorf("text:\n%s", m.Text)
	}
}

func TestHeartbeat(t *testing.T) {
	var got []HeartbeatStatus
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var hb HeartbeatStatus
		json.NewDecoder(r.Body).Decode(&hb)
		got = append(got, hb)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	clk := clock.NewFake(t0)
	h := NewHeartbeat(Heartbeat{URL: srv.URL + "/ping/abc", Every: dur(time.Minute)}, func() HeartbeatStatus {
		return HeartbeatStatus{Site: "Apotheke am Markt", Overall: "down", Sentence: "Internetleitung ausgefallen seit 02:13."}
	}, clk, quietLog())
	if err := h.Beat(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Site != "Apotheke am Markt" || got[0].Overall != "down" || !got[0].At.Equal(t0) {
		t.Fatalf("beat: got %+v", got)
	}
	status = http.StatusNotFound
	if err := h.Beat(context.Background()); err == nil {
		t.Errorf("beat to a 404: got no error")
	}
	srv.Close()
	if err := h.Beat(context.Background()); err == nil || strings.Contains(err.Error(), "/ping/abc") {
		t.Errorf("beat to a closed server: got %v; want an error without the URL", err)
	}
}
