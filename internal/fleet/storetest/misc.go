package storetest

import (
	"bytes"
	"context"
	"sort"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/fleet"
)

func testListen(t *testing.T, s, s2 fleet.Store) {
	c := ctx(t)
	rel, r := rolloutFixture(t, s)
	lctx, cancel := context.WithCancel(c)
	defer cancel()
	got := make(chan string, 16)
	tokens := make(chan string, 16)
	must(t, "listen", s2.Listen(lctx, func(n fleet.Notice) {
		if n.SiteID != "" {
			got <- n.SiteID
		}
		if n.TokenSiteID != "" {
			tokens <- n.TokenSiteID
		}
	}))
	// A revoked token is announced, so that every replica drops it.
	must(t, "revoke", s.RevokeToken(c, "apo-2", t0))
	select {
	case id := <-tokens:
		if id != "apo-2" {
			t.Errorf("token notice: got %q; want apo-2", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("token notice: none within 10 s")
	}
	_, err := s.UpdateRollout(c, r, []fleet.Command{cmd("apo-2", rel, t0), cmd("apo-1", rel, t0), cmd("apo-2", rel, t0)})
	must(t, "enqueue", err)
	var ids []string
	timeout := time.After(10 * time.Second)
	for len(ids) < 2 {
		select {
		case id := <-got:
			ids = append(ids, id)
		case <-timeout:
			t.Fatalf("notifications: got %v within 10 s; want apo-1 and apo-2", ids)
		}
	}
	sort.Strings(ids)
	if ids[0] != "apo-1" || ids[1] != "apo-2" {
		t.Errorf("notified sites: got %v; want [apo-1 apo-2]", ids)
	}
	// A refused update notifies nobody.
	_, err = s.UpdateRollout(c, r, []fleet.Command{cmd("apo-1", rel, t0)})
	wantCode(t, "stale", err, fleet.ECONFLICT)
	cur, _ := s.Rollout(c, r.ID)
	_, err = s.UpdateRollout(c, cur, []fleet.Command{cmd("apo-1", rel, t0)}) // a marker after the refused one
	must(t, "marker", err)
	select {
	case id := <-got:
		if id != "apo-1" {
			t.Errorf("after a refused update: got %q; want only the marker apo-1", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("marker notification: none within 10 s")
	}
	select {
	case id := <-got:
		t.Errorf("extra notification %q", id)
	default:
	}
}

func testPlannerLock(t *testing.T, s, s2 fleet.Store) {
	c := ctx(t)
	unlock, ok, err := s.TryPlannerLock(c)
	must(t, "lock", err)
	if !ok {
		t.Fatal("first lock: got not taken; want taken")
	}
	_, ok2, err := s2.TryPlannerLock(c)
	must(t, "second lock", err)
	if ok2 {
		t.Fatal("second lock while held: got taken; want refused")
	}
	unlock()
	unlock() // twice is harmless
	unlock2, ok2, err := s2.TryPlannerLock(c)
	must(t, "lock after unlock", err)
	if !ok2 {
		t.Fatal("lock after unlock: got refused; want taken")
	}
	if _, ok, _ := s.TryPlannerLock(c); ok {
		t.Error("lock held by the other handle: got taken; want refused")
	}
	unlock2()
}

func testAudit(t *testing.T, s, _ fleet.Store) {
	c := ctx(t)
	entries := []fleet.AuditEntry{
		{At: t0.Add(789), Actor: "anna", Action: "site.add", Target: "site:apo-1", Detail: "Rosen-Apotheke"},
		{At: t0.Add(time.Minute), Actor: "ben", Action: "rollout.pause", Target: "rollout:1", Detail: "Hotline meldet Fehler"},
		{At: t0.Add(2 * time.Minute), Actor: "planner", Action: "rollout.halt", Target: "rollout:1", Detail: "Gate"},
	}
	for _, e := range entries {
		must(t, "add", s.AddAudit(c, e))
	}
	all, err := s.Audit(c, "", 10)
	must(t, "all", err)
	if len(all) != 3 || all[0].Action != "rollout.halt" || all[2].Actor != "anna" {
		t.Errorf("audit: got %+v; want 3, newest first", all)
	}
	sameTime(t, "audit time (nanoseconds cut to microseconds)", all[2].At, t0)
	r1, err := s.Audit(c, "rollout:1", 1)
	must(t, "by target", err)
	if len(r1) != 1 || r1[0].Action != "rollout.halt" {
		t.Errorf("audit of rollout:1 limit 1: got %+v", r1)
	}
}

func testTUFFiles(t *testing.T, s, s2 fleet.Store) {
	c := ctx(t)
	_, err := s.TUFFile(c, "root.json")
	wantCode(t, "missing", err, fleet.ENOTFOUND)
	bin := []byte{0, 1, 2, 0xff, '{', '}'}
	must(t, "put", s.PutTUFFiles(c, map[string][]byte{"1.root.json": []byte(`{"a":1}`), "timestamp.json": bin}))
	must(t, "replace", s.PutTUFFiles(c, map[string][]byte{"timestamp.json": []byte(`{"v":2}`)}))
	got, err := s2.TUFFile(c, "1.root.json")
	must(t, "get", err)
	if string(got) != `{"a":1}` {
		t.Errorf("root: got %q", got)
	}
	got, _ = s.TUFFile(c, "timestamp.json")
	if !bytes.Equal(got, []byte(`{"v":2}`)) {
		t.Errorf("replaced timestamp: got %q", got)
	}
}

func user(name string, role auth.Role) auth.User {
	return auth.User{Name: name, Role: role, PasswordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA", CreatedAt: t0, PasswordChangedAt: t0}
}

func testUsers(t *testing.T, s, _ fleet.Store) {
	c := ctx(t)
	created, err := s.CreateFirstUser(c, user("admin", auth.RoleAdmin))
	must(t, "first", err)
	if !created {
		t.Fatal("first user: got not created")
	}
	if created, _ := s.CreateFirstUser(c, user("admin2", auth.RoleAdmin)); created {
		t.Error("second first user: got created; want refused")
	}
	u, err := s.CreateUser(c, user("hotline", auth.RoleViewer))
	must(t, "create", err)
	if u.ID == 0 {
		t.Error("user id: got 0")
	}
	_, err = s.CreateUser(c, user("hotline", auth.RoleStaff))
	wantCode(t, "duplicate user", err, auth.ECONFLICT)
	got, err := s.UserByName(c, "hotline")
	must(t, "by name", err)
	if got.ID != u.ID || got.Role != auth.RoleViewer || got.MustChangePassword {
		t.Errorf("user: got %+v", got)
	}
	_, err = s.UserByName(c, "nobody")
	wantCode(t, "unknown user", err, auth.ENOTFOUND)
	must(t, "set password", s.SetPassword(c, u.ID, "newhash", true, t0.Add(time.Hour)))
	got, _ = s.UserByName(c, "hotline")
	if got.PasswordHash != "newhash" || !got.MustChangePassword || !got.PasswordChangedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after set password: got %+v", got)
	}
	wantCode(t, "set password of unknown", s.SetPassword(c, 99999, "x", false, t0), auth.ENOTFOUND)
	all, err := s.Users(c)
	must(t, "list", err)
	if len(all) != 2 || all[0].Name != "admin" {
		t.Errorf("users: got %+v", all)
	}
	must(t, "delete", s.DeleteUser(c, "hotline"))
	wantCode(t, "delete unknown", s.DeleteUser(c, "hotline"), auth.ENOTFOUND)
}

func testSessions(t *testing.T, s, s2 fleet.Store) {
	c := ctx(t)
	u, err := s.CreateUser(c, user("anna", auth.RoleStaff))
	must(t, "user", err)
	must(t, "create", s.CreateSession(c, auth.SessionRecord{Hash: "h1", UserID: u.ID, CSRF: "csrf1", CreatedAt: t0, LastSeenAt: t0}))
	must(t, "create old", s.CreateSession(c, auth.SessionRecord{Hash: "h2", UserID: u.ID, CSRF: "csrf2", CreatedAt: t0.Add(-30 * 24 * time.Hour), LastSeenAt: t0}))
	r, gotU, err := s2.Session(c, "h1")
	must(t, "read", err)
	if r.CSRF != "csrf1" || gotU.Name != "anna" || !r.LastSeenAt.Equal(t0) {
		t.Errorf("session: got %+v %+v", r, gotU)
	}
	must(t, "touch", s.TouchSession(c, "h1", t0.Add(time.Hour)))
	r, _, _ = s.Session(c, "h1")
	sameTime(t, "touched", r.LastSeenAt, t0.Add(time.Hour))
	n, err := s.DeleteExpiredSessions(c, t0.Add(-12*time.Hour), t0.Add(-7*24*time.Hour))
	must(t, "expire", err)
	if n != 1 {
		t.Errorf("expired sessions: got %d; want 1", n)
	}
	must(t, "set password ends sessions", s.SetPassword(c, u.ID, "x", false, t0))
	_, _, err = s.Session(c, "h1")
	wantCode(t, "session after password change", err, auth.ENOTFOUND)
	must(t, "create 3", s.CreateSession(c, auth.SessionRecord{Hash: "h3", UserID: u.ID, CSRF: "c", CreatedAt: t0, LastSeenAt: t0}))
	must(t, "delete", s.DeleteSession(c, "h3"))
	must(t, "delete again", s.DeleteSession(c, "h3"))
	_, _, err = s.Session(c, "h3")
	wantCode(t, "deleted session", err, auth.ENOTFOUND)
}

func testAPITokens(t *testing.T, s, _ fleet.Store) {
	c := ctx(t)
	must(t, "create", s.CreateToken(c, auth.Token{Name: "monitoring", Hash: "th1", Role: auth.RoleViewer, CreatedAt: t0}))
	wantCode(t, "duplicate", s.CreateToken(c, auth.Token{Name: "monitoring", Hash: "th2", Role: auth.RoleViewer, CreatedAt: t0}), auth.ECONFLICT)
	tok, err := s.TokenByHash(c, "th1")
	must(t, "by hash", err)
	if tok.Name != "monitoring" || !tok.LastUsedAt.IsZero() {
		t.Errorf("token: got %+v", tok)
	}
	must(t, "touch", s.TouchToken(c, "th1", t0.Add(time.Minute)))
	tok, _ = s.TokenByHash(c, "th1")
	sameTime(t, "last used", tok.LastUsedAt, t0.Add(time.Minute))
	all, err := s.Tokens(c)
	must(t, "list", err)
	if len(all) != 1 {
		t.Errorf("tokens: got %d; want 1", len(all))
	}
	must(t, "delete", s.DeleteToken(c, "monitoring"))
	wantCode(t, "delete unknown", s.DeleteToken(c, "monitoring"), auth.ENOTFOUND)
	_, err = s.TokenByHash(c, "th1")
	wantCode(t, "deleted token", err, auth.ENOTFOUND)
}
