package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleettest"
	"github.com/lifeline-project/lifeline/internal/fleet/server"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

// fixture holds the ids that fill the routes' path parameters.
type fixture struct {
	site      string
	rollout   int64
	broadcast int64
	token     string // a site token
}

// newFixture makes a fleet with an enrolled site, a release, a rollout
// and a broadcast.
func newFixture(t *testing.T) (*fleettest.Env, fixture) {
	env := fleettest.New(t, nil)
	codes := env.AddSites(t, fleet.Site{ID: "apo-1", State: "BY"}, fleet.Site{ID: "apo-2", State: "NW"})
	e, err := env.Service().Enrol(ctx(t), codes["apo-1"], "")
	if err != nil {
		t.Fatal(err)
	}
	sum, n, _ := tufrepo.StoreArtifact(env.App.Config.TargetsDir(), bytes.NewReader([]byte("x")), 10)
	rel, err := env.Service().PublishRelease(ctx(t), "anna", fleet.Release{Component: "erp", Version: "1", Artifact: "a.msi",
		Length: n, SHA256: sum, InstallHook: "install", RollbackHook: "rollback"})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := env.Service().StartRollout(ctx(t), "anna", rel.ID, fleet.StartOptions{Rings: []rollout.Ring{{Name: "all", Percent: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := env.Service().SendBroadcast(ctx(t), "anna", fleet.Broadcast{Title: "T", Text: "x", Selector: fleet.Selector{All: true}},
		&fleet.Attachment{Name: "a.txt", Data: []byte("a")})
	if err != nil {
		t.Fatal(err)
	}
	return env, fixture{site: "apo-1", rollout: rec.ID, broadcast: b.ID, token: e.Token}
}

// path fills a route's pattern with the fixture's ids.
func (f fixture) path(pattern string) string {
	id := f.site
	switch {
	case strings.Contains(pattern, "/rollouts/"):
		id = strconv.FormatInt(f.rollout, 10)
	case strings.Contains(pattern, "/broadcasts/"):
		id = strconv.FormatInt(f.broadcast, 10)
	case strings.HasPrefix(pattern, "/api/v1/site/commands/"):
		id = "1"
	}
	r := strings.NewReplacer("{id}", id, "{action}", "pause", "{name}", "timestamp.json", "{path...}", "erp/1/x", "{$}", "",
		"{site}", f.site, "{day}", "2026-06-16")
	return r.Replace(pattern)
}

// principal is a console user or API token with a role.
type principal struct {
	role  fleet.Role
	b     *browser
	token string
}

func newPrincipals(t *testing.T, env *fleettest.Env) []principal {
	var out []principal
	for _, r := range fleet.Roles() {
		name := "u-" + string(r)
		if err := env.App.Auth.AddUser(ctx(t), name, r.AuthRole(), "ein-langes-passwort-42"); err != nil {
			t.Fatal(err)
		}
		if err := env.Service().SetRole(ctx(t), "test", auth.Principal{Name: name, Role: r.AuthRole()}, r); err != nil {
			t.Fatal(err)
		}
		tok, err := env.App.Auth.CreateToken(ctx(t), "t-"+string(r), r.AuthRole())
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Service().SetRole(ctx(t), "test", auth.Principal{Name: "t-" + string(r), Role: r.AuthRole(), ViaToken: true}, r); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, env)
		b.login(name, "ein-langes-passwort-42")
		out = append(out, principal{role: r, b: b, token: tok})
	}
	return out
}

// TestRolesOnEveryRoute walks every route of the server with every role
// (as a console session and as an API token), anonymously and with a
// site token: each is refused exactly when its credential or permission
// is missing.
func TestRolesOnEveryRoute(t *testing.T) {
	env, fx := newFixture(t)
	ps := newPrincipals(t, env)
	routes := env.App.Server.Routes()
	if len(routes) < 40 {
		t.Fatalf("routes: got %d; want the full table", len(routes))
	}
	// Logging out ends the sessions the other routes need: it goes last.
	sort.SliceStable(routes, func(i, j int) bool { return routes[j].Pattern == "/logout" && routes[i].Pattern != "/logout" })
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(rt server.Route, hdr map[string]string, b *browser, form url.Values) int {
		t.Helper()
		u := env.URL + fx.path(rt.Pattern)
		var body *strings.Reader
		if rt.Method == http.MethodPost {
			body = strings.NewReader(form.Encode())
		} else {
			body = strings.NewReader("")
		}
		req, _ := http.NewRequest(rt.Method, u, body)
		if rt.Method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Origin", env.URL)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		c := noRedirect
		if b != nil {
			c = b.c
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", rt.Method, u, err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			return 0 // sent to the login: not authenticated
		}
		return resp.StatusCode
	}
	for _, rt := range routes {
		name := rt.Method + " " + rt.Pattern
		t.Run(name, func(t *testing.T) {
			switch rt.Kind {
			case server.KindPublic:
				return
			case server.KindSite:
				if st := send(rt, nil, nil, nil); st != http.StatusUnauthorized {
					t.Errorf("without a token: got %d; want 401", st)
				}
				if st := send(rt, map[string]string{"Authorization": "Bearer " + ps[len(ps)-1].token}, nil, nil); st != http.StatusUnauthorized {
					t.Errorf("with an admin's API token: got %d; want 401 (the site API takes site tokens only)", st)
				}
				if st := send(rt, map[string]string{"Authorization": "Bearer " + fx.token}, nil, url.Values{}); st == http.StatusUnauthorized || st == http.StatusForbidden {
					t.Errorf("with the site token: got %d; want it accepted", st)
				}
				return
			}
			if rt.Perm == "" {
				t.Fatal("a console or API route without a permission")
			}
			anon := send(rt, nil, nil, nil)
			if rt.Kind == server.KindPage && anon != 0 {
				t.Errorf("anonymous: got %d; want a redirect to the login", anon)
			}
			if rt.Kind == server.KindAPI && anon != http.StatusUnauthorized {
				t.Errorf("anonymous: got %d; want 401", anon)
			}
			if st := send(rt, map[string]string{"Authorization": "Bearer " + fx.token}, nil, nil); st != http.StatusUnauthorized && st != 0 {
				t.Errorf("with a site token: got %d; want 401 or the login", st)
			}
			for _, p := range ps {
				allowed := p.role.Can(rt.Perm)
				var st int
				if rt.Kind == server.KindPage {
					st = send(rt, nil, p.b, url.Values{"csrf": {p.b.csrf}})
				} else {
					st = send(rt, map[string]string{"Authorization": "Bearer " + p.token}, nil, nil)
				}
				if rt.Pattern == "/logout" && st == 0 {
					st = http.StatusSeeOther // logging out leads to the login page
				}
				switch {
				case allowed && (st == http.StatusForbidden || st == http.StatusUnauthorized || st == 0):
					t.Errorf("%s: got %d; want it allowed", p.role, st)
				case !allowed && st != http.StatusForbidden:
					t.Errorf("%s: got %d; want 403", p.role, st)
				}
				if rt.Kind == server.KindAPI {
					// The same call with the console session.
					st = send(rt, map[string]string{"X-CSRF-Token": p.b.csrf}, p.b, nil)
					if allowed == (st == http.StatusForbidden) {
						t.Errorf("%s with a session: got %d; want allowed=%v", p.role, st, allowed)
					}
				}
			}
		})
	}
}

// TestSupportCannotStartRollout names the example.
func TestSupportCannotStartRollout(t *testing.T) {
	env, fx := newFixture(t)
	ps := newPrincipals(t, env)
	for _, p := range ps {
		st, _, _ := p.b.post("/rollouts", url.Values{"csrf": {p.b.csrf}, "release": {"1"}})
		if want := p.role.Can(fleet.PermRelease); want == (st == http.StatusForbidden) {
			t.Errorf("%s starts a rollout: got %d", p.role, st)
		}
	}
	recs, _ := env.Service().Rollouts(context.Background())
	_ = fx
	if !fleet.RoleSupport.Can(fleet.PermBroadcast) || fleet.RoleSupport.Can(fleet.PermRelease) || fleet.RoleRelease.Can(fleet.PermBroadcast) {
		t.Error("permission table: a support agent broadcasts but never releases; a release manager releases but never broadcasts")
	}
	if len(recs) == 0 {
		t.Error("no rollout at all")
	}
}
