package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

func newAuthStore(t *testing.T) *sqlite.AuthStore {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "site.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return sqlite.NewAuthStore(db)
}

// berlin is a non-UTC zone: the store must return UTC whatever it is given.
func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("load zone: %v", err)
	}
	return loc
}

func TestAuthStoreUsers(t *testing.T) {
	ctx := context.Background()
	s := newAuthStore(t)
	at := time.Date(2026, 3, 29, 2, 30, 0, 123456789, berlin(t))

	created, err := s.CreateFirstUser(ctx, auth.User{Name: "admin", Role: auth.RoleAdmin, PasswordHash: "h0", MustChangePassword: true, CreatedAt: at, PasswordChangedAt: at})
	if err != nil || !created {
		t.Fatalf("CreateFirstUser on empty table = %v, %v; want true, nil", created, err)
	}
	created, err = s.CreateFirstUser(ctx, auth.User{Name: "other", Role: auth.RoleAdmin, PasswordHash: "h", CreatedAt: at, PasswordChangedAt: at})
	if err != nil || created {
		t.Fatalf("second CreateFirstUser = %v, %v; want false, nil", created, err)
	}
	if _, err := s.CreateUser(ctx, auth.User{Name: "anna", Role: auth.RoleStaff, PasswordHash: "h1", CreatedAt: at, PasswordChangedAt: at}); err != nil {
		t.Fatalf("CreateUser anna: %v", err)
	}
	_, err = s.CreateUser(ctx, auth.User{Name: "anna", Role: auth.RoleViewer, PasswordHash: "h2", CreatedAt: at, PasswordChangedAt: at})
	if got := auth.ErrorCode(err); got != auth.ECONFLICT {
		t.Errorf("CreateUser duplicate: code %q (%v); want %q", got, err, auth.ECONFLICT)
	}

	got, err := s.UserByName(ctx, "admin")
	if err != nil {
		t.Fatalf("UserByName admin: %v", err)
	}
	want := auth.User{ID: got.ID, Name: "admin", Role: auth.RoleAdmin, PasswordHash: "h0", MustChangePassword: true, CreatedAt: at.UTC(), PasswordChangedAt: at.UTC()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UserByName admin (-want +got):\n%s", diff)
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt location = %v; want UTC", got.CreatedAt.Location())
	}
	if _, err := s.UserByName(ctx, "nobody"); auth.ErrorCode(err) != auth.ENOTFOUND {
		t.Errorf("UserByName nobody: code %q; want %q", auth.ErrorCode(err), auth.ENOTFOUND)
	}

	users, err := s.Users(ctx)
	if err != nil {
		t.Fatalf("Users: %v", err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Name)
	}
	if diff := cmp.Diff([]string{"admin", "anna"}, names); diff != "" {
		t.Errorf("Users names (-want +got):\n%s", diff)
	}

	if err := s.DeleteUser(ctx, "anna"); err != nil {
		t.Fatalf("DeleteUser anna: %v", err)
	}
	if err := s.DeleteUser(ctx, "anna"); auth.ErrorCode(err) != auth.ENOTFOUND {
		t.Errorf("DeleteUser twice: code %q; want %q", auth.ErrorCode(err), auth.ENOTFOUND)
	}
}

func TestAuthStoreSessions(t *testing.T) {
	ctx := context.Background()
	s := newAuthStore(t)
	t0 := time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC)
	u, err := s.CreateUser(ctx, auth.User{Name: "anna", Role: auth.RoleStaff, PasswordHash: "h", CreatedAt: t0, PasswordChangedAt: t0})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	recs := []auth.SessionRecord{
		{Hash: "fresh", UserID: u.ID, CSRF: "c1", CreatedAt: t0, LastSeenAt: t0.Add(10 * time.Hour)},
		{Hash: "idle", UserID: u.ID, CSRF: "c2", CreatedAt: t0, LastSeenAt: t0},
		{Hash: "old", UserID: u.ID, CSRF: "c3", CreatedAt: t0.Add(-8 * 24 * time.Hour), LastSeenAt: t0.Add(10 * time.Hour)},
	}
	for _, r := range recs {
		if err := s.CreateSession(ctx, r); err != nil {
			t.Fatalf("CreateSession %s: %v", r.Hash, err)
		}
	}
	gotRec, gotUser, err := s.Session(ctx, "fresh")
	if err != nil {
		t.Fatalf("Session fresh: %v", err)
	}
	if diff := cmp.Diff(recs[0], gotRec); diff != "" {
		t.Errorf("Session record (-want +got):\n%s", diff)
	}
	if gotUser.Name != "anna" || gotUser.Role != auth.RoleStaff {
		t.Errorf("Session user = %q/%q; want anna/staff", gotUser.Name, gotUser.Role)
	}

	seen := t0.Add(11 * time.Hour)
	if err := s.TouchSession(ctx, "fresh", seen); err != nil {
		t.Fatalf("TouchSession: %v", err)
	}
	if r, _, _ := s.Session(ctx, "fresh"); !r.LastSeenAt.Equal(seen) {
		t.Errorf("LastSeenAt after touch = %v; want %v", r.LastSeenAt, seen)
	}

	n, err := s.DeleteExpiredSessions(ctx, t0.Add(time.Hour), t0.Add(-7*24*time.Hour))
	if err != nil {
		t.Fatalf("DeleteExpiredSessions: %v", err)
	}
	if n != 2 {
		t.Errorf("DeleteExpiredSessions removed %d; want 2 (idle and old)", n)
	}
	for _, tc := range []struct {
		hash string
		want string
	}{{"fresh", ""}, {"idle", auth.ENOTFOUND}, {"old", auth.ENOTFOUND}} {
		_, _, err := s.Session(ctx, tc.hash)
		if got := auth.ErrorCode(err); got != tc.want {
			t.Errorf("Session %s after expiry sweep: code %q; want %q", tc.hash, got, tc.want)
		}
	}

	if err := s.SetPassword(ctx, u.ID, "h2", true, seen); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	if _, _, err := s.Session(ctx, "fresh"); auth.ErrorCode(err) != auth.ENOTFOUND {
		t.Errorf("session after SetPassword: code %q; want %q (sessions end)", auth.ErrorCode(err), auth.ENOTFOUND)
	}
	got, err := s.UserByName(ctx, "anna")
	if err != nil {
		t.Fatalf("UserByName: %v", err)
	}
	if got.PasswordHash != "h2" || !got.MustChangePassword || !got.PasswordChangedAt.Equal(seen) {
		t.Errorf("after SetPassword: hash %q must %v changed %v; want h2 true %v", got.PasswordHash, got.MustChangePassword, got.PasswordChangedAt, seen)
	}
	if err := s.SetPassword(ctx, 9999, "h", false, seen); auth.ErrorCode(err) != auth.ENOTFOUND {
		t.Errorf("SetPassword unknown id: code %q; want %q", auth.ErrorCode(err), auth.ENOTFOUND)
	}

	if err := s.CreateSession(ctx, auth.SessionRecord{Hash: "again", UserID: u.ID, CSRF: "c", CreatedAt: seen, LastSeenAt: seen}); err != nil {
		t.Fatalf("CreateSession again: %v", err)
	}
	if err := s.DeleteUser(ctx, "anna"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if _, _, err := s.Session(ctx, "again"); auth.ErrorCode(err) != auth.ENOTFOUND {
		t.Errorf("session after DeleteUser: code %q; want %q", auth.ErrorCode(err), auth.ENOTFOUND)
	}
	if err := s.DeleteSession(ctx, "again"); err != nil {
		t.Errorf("DeleteSession of a gone session: %v; want nil", err)
	}
}

func TestAuthStoreTokens(t *testing.T) {
	ctx := context.Background()
	s := newAuthStore(t)
	t0 := time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC)
	if err := s.CreateToken(ctx, auth.Token{Name: "prometheus", Hash: "hp", Role: auth.RoleViewer, CreatedAt: t0}); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if err := s.CreateToken(ctx, auth.Token{Name: "fleet", Hash: "hf", Role: auth.RoleAdmin, CreatedAt: t0}); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	err := s.CreateToken(ctx, auth.Token{Name: "fleet", Hash: "hx", Role: auth.RoleAdmin, CreatedAt: t0})
	if got := auth.ErrorCode(err); got != auth.ECONFLICT {
		t.Errorf("CreateToken duplicate: code %q; want %q", got, auth.ECONFLICT)
	}
	got, err := s.TokenByHash(ctx, "hp")
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	want := auth.Token{Name: "prometheus", Hash: "hp", Role: auth.RoleViewer, CreatedAt: t0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TokenByHash (-want +got):\n%s", diff)
	}
	used := t0.Add(time.Minute)
	if err := s.TouchToken(ctx, "hp", used); err != nil {
		t.Fatalf("TouchToken: %v", err)
	}
	tokens, err := s.Tokens(ctx)
	if err != nil {
		t.Fatalf("Tokens: %v", err)
	}
	wantList := []auth.Token{
		{Name: "fleet", Hash: "hf", Role: auth.RoleAdmin, CreatedAt: t0},
		{Name: "prometheus", Hash: "hp", Role: auth.RoleViewer, CreatedAt: t0, LastUsedAt: used},
	}
	if diff := cmp.Diff(wantList, tokens); diff != "" {
		t.Errorf("Tokens (-want +got):\n%s", diff)
	}
	if err := s.DeleteToken(ctx, "prometheus"); err != nil {
		t.Fatalf("DeleteToken: %v", err)
	}
	if _, err := s.TokenByHash(ctx, "hp"); auth.ErrorCode(err) != auth.ENOTFOUND {
		t.Errorf("TokenByHash after delete: code %q; want %q", auth.ErrorCode(err), auth.ENOTFOUND)
	}
	if err := s.DeleteToken(ctx, "prometheus"); auth.ErrorCode(err) != auth.ENOTFOUND {
		t.Errorf("DeleteToken twice: code %q; want %q", auth.ErrorCode(err), auth.ENOTFOUND)
	}
}
