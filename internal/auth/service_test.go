package auth_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

type fixture struct {
	svc   *auth.Service
	clk   *clock.Fake
	db    *sqlite.DB
	logs  *bytes.Buffer
	store *sqlite.AuthStore
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "site.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clk := clock.NewFake(time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC))
	st := sqlite.NewAuthStore(db)
	svc := auth.New(st, clk, log, auth.WithHashParams(auth.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	return &fixture{svc: svc, clk: clk, db: db, logs: logs, store: st}
}

func TestEnsureAdmin(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pw, created, err := f.svc.EnsureAdmin(ctx)
	if err != nil || !created {
		t.Fatalf("EnsureAdmin = %v, %v; want created", created, err)
	}
	if len(strings.ReplaceAll(pw, "-", "")) < 16 {
		t.Errorf("one-time password %q is shorter than 16 characters", pw)
	}
	sess, err := f.svc.Login(ctx, "admin", pw)
	if err != nil {
		t.Fatalf("Login with the one-time password: %v", err)
	}
	if !sess.User.MustChangePassword || sess.User.Role != auth.RoleAdmin {
		t.Errorf("first admin = %+v; want role admin and must change password", sess.User)
	}
	pw2, created, err := f.svc.EnsureAdmin(ctx)
	if err != nil || created || pw2 != "" {
		t.Errorf("second EnsureAdmin = %q, %v, %v; want \"\", false, nil", pw2, created, err)
	}
	for _, guess := range []string{"admin", "", "password", "lifeline", "changeme"} {
		if _, err := f.svc.Login(ctx, "admin", guess); auth.ErrorCode(err) != auth.EUNAUTHORIZED {
			t.Errorf("Login admin/%q: code %q; want %q (no default password)", guess, auth.ErrorCode(err), auth.EUNAUTHORIZED)
		}
		f.clk.Advance(time.Minute) // stay clear of the throttle
	}
	if strings.Contains(f.logs.String(), pw) {
		t.Errorf("log contains the one-time password")
	}
}

func TestEnsureAdminSkipsWhenUsersExist(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.svc.AddUser(ctx, "anna", auth.RoleStaff, "geheim-geheim"); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	if _, created, err := f.svc.EnsureAdmin(ctx); err != nil || created {
		t.Errorf("EnsureAdmin with a user present = %v, %v; want false, nil", created, err)
	}
}

func TestAddUser(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tests := []struct {
		name     string
		user     string
		role     auth.Role
		password string
		want     string
	}{
		{"ok", "anna", auth.RoleStaff, "geheim-geheim", ""},
		{"taken", "anna", auth.RoleViewer, "geheim-geheim", auth.ECONFLICT},
		{"short password", "bert", auth.RoleStaff, "kurz", auth.EINVALID},
		{"bad name", "Bert Meier", auth.RoleStaff, "geheim-geheim", auth.EINVALID},
		{"empty name", "", auth.RoleStaff, "geheim-geheim", auth.EINVALID},
		{"unknown role", "bert", auth.Role("root"), "geheim-geheim", auth.EINVALID},
		{"viewer", "bert", auth.RoleViewer, "geheim-geheim", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := f.svc.AddUser(ctx, tc.user, tc.role, tc.password)
			if got := auth.ErrorCode(err); got != tc.want {
				t.Errorf("AddUser(%q, %q) code = %q (%v); want %q", tc.user, tc.role, got, err, tc.want)
			}
		})
	}
}

func TestLoginAndThrottle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.svc.AddUser(ctx, "anna", auth.RoleStaff, "richtig-richtig"); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	if _, err := f.svc.Login(ctx, " Anna ", "richtig-richtig"); err != nil {
		t.Fatalf("Login with upper case and spaces in the name: %v", err)
	}
	for i := range 5 {
		_, err := f.svc.Login(ctx, "anna", "falsch-falsch")
		if got := auth.ErrorCode(err); got != auth.EUNAUTHORIZED {
			t.Fatalf("failed attempt %d: code %q; want %q", i+1, got, auth.EUNAUTHORIZED)
		}
	}
	_, err := f.svc.Login(ctx, "anna", "richtig-richtig")
	if got := auth.ErrorCode(err); got != auth.ETHROTTLED {
		t.Fatalf("right password after 5 failures: code %q; want %q", got, auth.ETHROTTLED)
	}
	if msg := auth.ErrorMessage(err, "de"); !strings.Contains(msg, "30 Sekunden") {
		t.Errorf("throttle message = %q; want the waiting time in seconds", msg)
	}
	// Another user is not affected.
	if err := f.svc.AddUser(ctx, "bert", auth.RoleStaff, "bert-bert-bert"); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	if _, err := f.svc.Login(ctx, "bert", "bert-bert-bert"); err != nil {
		t.Errorf("other user during the lock: %v; want nil", err)
	}
	f.clk.Advance(29 * time.Second)
	if _, err := f.svc.Login(ctx, "anna", "richtig-richtig"); auth.ErrorCode(err) != auth.ETHROTTLED {
		t.Errorf("after 29 s: code %q; want %q", auth.ErrorCode(err), auth.ETHROTTLED)
	}
	f.clk.Advance(time.Second)
	if _, err := f.svc.Login(ctx, "anna", "richtig-richtig"); err != nil {
		t.Errorf("after 30 s: %v; want nil", err)
	}
	// An unknown user gets the same answer as a wrong password.
	_, err = f.svc.Login(ctx, "nobody", "richtig-richtig")
	if got := auth.ErrorCode(err); got != auth.EUNAUTHORIZED {
		t.Errorf("unknown user: code %q; want %q", got, auth.EUNAUTHORIZED)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "login failed") || !strings.Contains(logs, "user=anna") {
		t.Errorf("log does not record the failed login for anna:\n%s", logs)
	}
	if strings.Contains(logs, "falsch-falsch") || strings.Contains(logs, "richtig-richtig") {
		t.Errorf("log contains a password:\n%s", logs)
	}
}

func TestSessionTimeouts(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// steps: advance the clock by each duration, then use the session.
		steps []time.Duration
		want  string
	}{
		{"fresh", []time.Duration{time.Minute}, ""},
		{"idle 11h59m", []time.Duration{11*time.Hour + 59*time.Minute}, ""},
		{"idle 12h", []time.Duration{12 * time.Hour}, auth.EUNAUTHORIZED},
		{"active for 6 days", repeat(11*time.Hour, 13), ""},
		{"active past 7 days", repeat(11*time.Hour, 16), auth.EUNAUTHORIZED},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if err := f.svc.AddUser(ctx, "anna", auth.RoleStaff, "richtig-richtig"); err != nil {
				t.Fatalf("AddUser: %v", err)
			}
			sess, err := f.svc.Login(ctx, "anna", "richtig-richtig")
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			for _, d := range tc.steps {
				f.clk.Advance(d)
				_, err = f.svc.Authenticate(ctx, sess.Token)
			}
			if got := auth.ErrorCode(err); got != tc.want {
				t.Errorf("Authenticate after %v: code %q; want %q", tc.steps, got, tc.want)
			}
		})
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestCheckSessionDoesNotKeepAlive(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.svc.AddUser(ctx, "anna", auth.RoleStaff, "richtig-richtig"); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	sess, err := f.svc.Login(ctx, "anna", "richtig-richtig")
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	f.clk.Advance(11 * time.Hour)
	if _, err := f.svc.CheckSession(ctx, sess.Token); err != nil {
		t.Fatalf("CheckSession at 11 h: %v", err)
	}
	f.clk.Advance(time.Hour)
	if _, err := f.svc.Authenticate(ctx, sess.Token); auth.ErrorCode(err) != auth.EUNAUTHORIZED {
		t.Errorf("Authenticate at 12 h after only CheckSession: code %q; want %q", auth.ErrorCode(err), auth.EUNAUTHORIZED)
	}
}

func TestLogoutAndPasswordChange(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.svc.AddUser(ctx, "anna", auth.RoleStaff, "richtig-richtig"); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	s1, err := f.svc.Login(ctx, "anna", "richtig-richtig")
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	s2, err := f.svc.Login(ctx, "anna", "richtig-richtig")
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if s1.Token == s2.Token || s1.CSRF == s2.CSRF {
		t.Errorf("two logins share a token or CSRF token")
	}
	if err := f.svc.Logout(ctx, s1.Token); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if _, err := f.svc.Authenticate(ctx, s1.Token); auth.ErrorCode(err) != auth.EUNAUTHORIZED {
		t.Errorf("after logout: code %q; want %q", auth.ErrorCode(err), auth.EUNAUTHORIZED)
	}
	if _, err := f.svc.ChangePassword(ctx, "anna", "falsch-falsch", "neu-neu-neu-neu"); auth.ErrorCode(err) != auth.EUNAUTHORIZED {
		t.Errorf("ChangePassword with a wrong current password: code %q; want %q", auth.ErrorCode(err), auth.EUNAUTHORIZED)
	}
	if _, err := f.svc.ChangePassword(ctx, "anna", "richtig-richtig", "kurz"); auth.ErrorCode(err) != auth.EINVALID {
		t.Errorf("ChangePassword to a short password: code %q; want %q", auth.ErrorCode(err), auth.EINVALID)
	}
	if _, err := f.svc.ChangePassword(ctx, "anna", "richtig-richtig", "richtig-richtig"); auth.ErrorCode(err) != auth.EINVALID {
		t.Errorf("ChangePassword to the same password: code %q; want %q", auth.ErrorCode(err), auth.EINVALID)
	}
	s3, err := f.svc.ChangePassword(ctx, "anna", "richtig-richtig", "neu-neu-neu-neu")
	if err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	if _, err := f.svc.Authenticate(ctx, s2.Token); auth.ErrorCode(err) != auth.EUNAUTHORIZED {
		t.Errorf("other session after a password change: code %q; want %q", auth.ErrorCode(err), auth.EUNAUTHORIZED)
	}
	if _, err := f.svc.Authenticate(ctx, s3.Token); err != nil {
		t.Errorf("new session after a password change: %v", err)
	}
	if _, err := f.svc.Login(ctx, "anna", "richtig-richtig"); auth.ErrorCode(err) != auth.EUNAUTHORIZED {
		t.Errorf("old password after the change: code %q; want %q", auth.ErrorCode(err), auth.EUNAUTHORIZED)
	}
	if _, err := f.svc.Login(ctx, "anna", "neu-neu-neu-neu"); err != nil {
		t.Errorf("new password: %v", err)
	}
}

func TestResetAndSetPassword(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.svc.AddUser(ctx, "anna", auth.RoleStaff, "richtig-richtig"); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	pw, err := f.svc.ResetPassword(ctx, "anna")
	if err != nil {
		t.Fatalf("ResetPassword: %v", err)
	}
	sess, err := f.svc.Login(ctx, "anna", pw)
	if err != nil || !sess.User.MustChangePassword {
		t.Fatalf("Login with the reset password = %+v, %v; want must change", sess.User, err)
	}
	if err := f.svc.SetPassword(ctx, "anna", "gesetzt-gesetzt"); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	sess, err = f.svc.Login(ctx, "anna", "gesetzt-gesetzt")
	if err != nil || sess.User.MustChangePassword {
		t.Errorf("Login after SetPassword = %+v, %v; want no must-change", sess.User, err)
	}
	if err := f.svc.SetPassword(ctx, "nobody", "gesetzt-gesetzt"); auth.ErrorCode(err) != auth.ENOTFOUND {
		t.Errorf("SetPassword unknown user: code %q; want %q", auth.ErrorCode(err), auth.ENOTFOUND)
	}
}

func TestDeleteLastAdmin(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, _, err := f.svc.EnsureAdmin(ctx); err != nil {
		t.Fatalf("EnsureAdmin: %v", err)
	}
	if err := f.svc.DeleteUser(ctx, "admin"); auth.ErrorCode(err) != auth.ECONFLICT {
		t.Errorf("delete the last admin: code %q; want %q", auth.ErrorCode(err), auth.ECONFLICT)
	}
	if err := f.svc.AddUser(ctx, "chef", auth.RoleAdmin, "chef-chef-chef"); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	if err := f.svc.DeleteUser(ctx, "admin"); err != nil {
		t.Errorf("delete an admin when another exists: %v", err)
	}
}

func TestAPITokens(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	plain, err := f.svc.CreateToken(ctx, "prometheus", auth.RoleViewer)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if !strings.HasPrefix(plain, "ll_") || len(plain) != 3+43 {
		t.Errorf("token = %q; want ll_ and 43 base64url characters", plain)
	}
	if _, err := f.svc.CreateToken(ctx, "prometheus", auth.RoleViewer); auth.ErrorCode(err) != auth.ECONFLICT {
		t.Errorf("second token with the same name: code %q; want %q", auth.ErrorCode(err), auth.ECONFLICT)
	}
	p, err := f.svc.AuthenticateToken(ctx, plain)
	if err != nil {
		t.Fatalf("AuthenticateToken: %v", err)
	}
	if want := (auth.Principal{Name: "prometheus", Role: auth.RoleViewer, ViaToken: true}); p != want {
		t.Errorf("principal = %+v; want %+v", p, want)
	}
	lastUsed := func() time.Time {
		toks, err := f.svc.Tokens(ctx)
		if err != nil || len(toks) != 1 {
			t.Fatalf("Tokens = %v, %v; want one", toks, err)
		}
		return toks[0].LastUsedAt
	}
	first := lastUsed()
	if !first.Equal(f.clk.Now()) {
		t.Errorf("last used = %v; want %v", first, f.clk.Now())
	}
	f.clk.Advance(30 * time.Second)
	if _, err := f.svc.AuthenticateToken(ctx, plain); err != nil {
		t.Fatalf("AuthenticateToken: %v", err)
	}
	if got := lastUsed(); !got.Equal(first) {
		t.Errorf("last used after 30 s = %v; want unchanged %v (at most once a minute)", got, first)
	}
	f.clk.Advance(31 * time.Second)
	if _, err := f.svc.AuthenticateToken(ctx, plain); err != nil {
		t.Fatalf("AuthenticateToken: %v", err)
	}
	if got := lastUsed(); !got.Equal(f.clk.Now()) {
		t.Errorf("last used after 61 s = %v; want %v", got, f.clk.Now())
	}
	for _, bad := range []string{"", "ll_", plain + "x", strings.TrimPrefix(plain, "ll_"), "ll_" + strings.Repeat("A", 43)} {
		if _, err := f.svc.AuthenticateToken(ctx, bad); auth.ErrorCode(err) != auth.EUNAUTHORIZED {
			t.Errorf("AuthenticateToken(%q): code %q; want %q", bad, auth.ErrorCode(err), auth.EUNAUTHORIZED)
		}
	}
	if err := f.svc.RevokeToken(ctx, "prometheus"); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	if _, err := f.svc.AuthenticateToken(ctx, plain); auth.ErrorCode(err) != auth.EUNAUTHORIZED {
		t.Errorf("revoked token: code %q; want %q", auth.ErrorCode(err), auth.EUNAUTHORIZED)
	}
	if err := f.svc.RevokeToken(ctx, "prometheus"); auth.ErrorCode(err) != auth.ENOTFOUND {
		t.Errorf("revoke twice: code %q; want %q", auth.ErrorCode(err), auth.ENOTFOUND)
	}
}

func TestSecretsStoredHashed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	plain, err := f.svc.CreateToken(ctx, "fleet", auth.RoleAdmin)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if err := f.svc.AddUser(ctx, "anna", auth.RoleStaff, "ganz-geheimes-passwort"); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	sess, err := f.svc.Login(ctx, "anna", "ganz-geheimes-passwort")
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	var all []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(f.db.Path() + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatalf("read database file: %v", err)
		}
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatal("database files are empty")
	}
	for name, secret := range map[string]string{"api token": plain, "password": "ganz-geheimes-passwort", "session token": sess.Token} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("the database files contain the plain %s", name)
		}
	}
	if !bytes.Contains(all, []byte(auth.HashToken(plain))) {
		t.Errorf("the database files do not contain the token's hash; is the check looking at the right files?")
	}
}
