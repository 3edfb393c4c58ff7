package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleettest"
)

// TestAuditRecordsEveryAction performs every kind of action through the
// console, the API and the site API, each by the role that may do it,
// and checks that the audit log names who did what to which target;
// refused attempts are recorded too.
func TestAuditRecordsEveryAction(t *testing.T) {
	env := fleettest.New(t, nil)
	admin := newBrowser(t, env)
	admin.login("admin", env.App.AdminPassword)
	anna := userWithRole(t, env, "anna", fleet.RoleSupport)
	rita := userWithRole(t, env, "rita", fleet.RoleRelease)
	tok, err := env.App.Auth.CreateToken(ctx(t), "hotline-tool", auth.RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Service().SetRole(ctx(t), "admin", auth.Principal{Name: "hotline-tool", Role: auth.RoleStaff, ViaToken: true}, fleet.RoleSupport); err != nil {
		t.Fatal(err)
	}
	var code string
	apiPost := func(path string, body any) int {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, env.URL+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	site := url.Values{"id": {"apo-1"}, "name": {"Rosen-Apotheke"}, "timezone": {"Europe/Berlin"}, "state": {"BY"}, "window": {"Mo-Fr 01:00-05:00"}}
	tests := []struct {
		name                  string
		do                    func() int
		wantStatus            int
		actor, action, target string
	}{
		{"add a site", func() int { site.Set("csrf", admin.csrf); st, _, _ := admin.post("/sites", site); return st }, 200, "admin", "site.add", "site:apo-1"},
		{"import sites", func() int {
			st, _, _ := admin.upload("/sites/import", "file", "s.csv", []byte("id;name;state;window\napo-2;Dom;NW;täglich 02:00-04:00\n"), url.Values{"csrf": {admin.csrf}})
			return st
		}, 200, "admin", "site.import", "sites"},
		{"edit a site", func() int {
			f := url.Values{"csrf": {admin.csrf}, "name": {"Rosen-Apotheke am Markt"}, "timezone": {"Europe/Berlin"}, "state": {"BY"}, "window": {"Mo-Fr 01:00-05:00"}}
			st, _, _ := admin.post("/sites/apo-1", f)
			return st
		}, 200, "admin", "site.update", "site:apo-1"},
		{"new enrolment code (hotline)", func() int {
			st, body, _ := anna.post("/sites/apo-1/code", url.Values{"csrf": {anna.csrf}})
			if i := strings.Index(body, `class="code">`); i >= 0 {
				code = body[i+len(`class="code">`) : i+len(`class="code">`)+24]
			}
			return st
		}, 200, "anna", "site.code", "site:apo-1"},
		{"the site enrols", func() int {
			if _, err := client(t, env, filepath.Join(env.Dir, "s1"), code).Enrol(ctx(t)); err != nil {
				t.Fatal(err)
			}
			return 200
		}, 200, "site:apo-1", "site.enrol", "site:apo-1"},
		{"publish a release", func() int {
			st, _, _ := rita.upload("/releases", "artifact", "erp.msi", []byte("MSI"), url.Values{"csrf": {rita.csrf}, "component": {"erp"}, "version": {"2026.2"},
				"install_hook": {"install"}, "rollback_hook": {"rollback"}})
			return st
		}, 200, "rita", "release.add", "release:1"},
		{"start a rollout", func() int {
			st, _, _ := rita.post("/rollouts", url.Values{"csrf": {rita.csrf}, "release": {"1"}})
			return st
		}, 303, "rita", "rollout.start", "rollout:1"},
		{"a support agent may not start one", func() int {
			st, _, _ := anna.post("/rollouts", url.Values{"csrf": {anna.csrf}, "release": {"1"}})
			return st
		}, 403, "anna", "denied", "POST /rollouts"},
		{"pause it", func() int {
			st, _, _ := rita.post("/rollouts/1/pause", url.Values{"csrf": {rita.csrf}, "reason": {"Hotline meldet Druckprobleme"}})
			return st
		}, 303, "rita", "rollout.pause", "rollout:1"},
		{"resume it", func() int {
			st, _, _ := rita.post("/rollouts/1/resume", url.Values{"csrf": {rita.csrf}, "reason": {"behoben"}})
			return st
		}, 303, "rita", "rollout.resume", "rollout:1"},
		{"abort it", func() int {
			st, _, _ := rita.post("/rollouts/1/abort", url.Values{"csrf": {rita.csrf}, "reason": {"doch nicht"}})
			return st
		}, 303, "rita", "rollout.abort", "rollout:1"},
		{"send a broadcast (console, with file)", func() int {
			st, _, _ := anna.upload("/broadcasts", "file", "fix.cmd", []byte("del cache"), url.Values{"csrf": {anna.csrf}, "title": {"Kasse startet nicht"},
				"text": {"Nach dem Update startet die Kasse nicht."}, "steps": {"Kasse aus\nCache löschen\nKasse an"}, "severity": {"critical"},
				"states": {"BY"}, "hours": {"24"}})
			return st
		}, 303, "anna", "broadcast.send", "broadcast:1"},
		{"a release manager may not broadcast", func() int {
			st, _, _ := rita.post("/broadcasts", url.Values{"csrf": {rita.csrf}, "title": {"x"}, "text": {"x"}, "all": {"1"}})
			return st
		}, 403, "rita", "denied", "POST /broadcasts"},
		{"send a broadcast (API token)", func() int {
			return apiPost("/api/v1/broadcasts", map[string]any{"title": "Hinweis", "text": "TI-Störung bundesweit", "selector": map[string]any{"all": true}})
		}, 201, "token:hotline-tool", "broadcast.send", "broadcast:2"},
		{"claim a site", func() int { st, _, _ := anna.post("/triage/apo-1/claim", url.Values{"csrf": {anna.csrf}}); return st }, 303, "anna", "triage.claim", "site:apo-1"},
		{"write a note", func() int {
			st, _, _ := anna.post("/sites/apo-1/notes", url.Values{"csrf": {anna.csrf}, "note": {"Rückruf vereinbart"}})
			return st
		}, 303, "anna", "triage.note", "site:apo-1"},
		{"take it over", func() int {
			st, _, _ := admin.post("/triage/apo-1/claim", url.Values{"csrf": {admin.csrf}, "takeover": {"1"}})
			return st
		}, 303, "admin", "triage.takeover", "site:apo-1"},
		{"release it", func() int {
			st, _, _ := admin.post("/triage/apo-1/release", url.Values{"csrf": {admin.csrf}})
			return st
		}, 303, "admin", "triage.release", "site:apo-1"},
		{"revoke the token", func() int {
			st, _, _ := admin.post("/sites/apo-1/revoke", url.Values{"csrf": {admin.csrf}, "reason": {"Rechner gestohlen"}})
			return st
		}, 200, "admin", "site.revoke", "site:apo-1"},
		{"change the password", func() int {
			st, _, _ := anna.post("/password", url.Values{"csrf": {anna.csrf}, "current": {"ein-langes-passwort-42"}, "new": {"ein-neues-passwort-43"}, "repeat": {"ein-neues-passwort-43"}})
			return st
		}, 303, "anna", "user.password", "user:anna"},
		{"log out", func() int {
			admin.get("/")
			st, _, _ := admin.post("/logout", url.Values{"csrf": {admin.csrf}})
			return st
		}, 303, "admin", "user.logout", "user:admin"},
		{"log in", func() int {
			st, _, _ := admin.post("/login", url.Values{"user": {"rita"}, "password": {"ein-langes-passwort-42"}})
			return st
		}, 303, "rita", "user.login", "user:rita"},
	}
	last := int64(0)
	if es, _ := env.Service().Audit(ctx(t), "", 1); len(es) > 0 {
		last = es[0].ID
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if st := tt.do(); st != tt.wantStatus {
				t.Fatalf("status: got %d; want %d", st, tt.wantStatus)
			}
			es, err := env.Service().Audit(ctx(t), "", 50)
			if err != nil {
				t.Fatal(err)
			}
			var found *fleet.AuditEntry
			for i := range es {
				if es[i].ID > last && es[i].Action == tt.action {
					found = &es[i]
					break
				}
			}
			if len(es) > 0 {
				last = es[0].ID
			}
			if found == nil {
				t.Fatalf("audit: no new %s entry", tt.action)
			}
			if found.Actor != tt.actor || found.Target != tt.target || found.At.IsZero() {
				t.Errorf("audit entry: got actor %q target %q at %v; want %q %q", found.Actor, found.Target, found.At, tt.actor, tt.target)
			}
		})
	}
	if _, body, _ := newBrowserAs(t, env, "rita").get("/audit"); !strings.Contains(body, "broadcast.send") || !strings.Contains(body, "denied") {
		t.Error("audit page: does not list the actions")
	}
}

func newBrowserAs(t *testing.T, env *fleettest.Env, name string) *browser {
	b := newBrowser(t, env)
	b.login(name, "ein-langes-passwort-42")
	return b
}
