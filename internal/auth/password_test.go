package auth

import (
	"strings"
	"testing"
)

func cheapParams() HashParams {
	return HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

func TestHashPassword(t *testing.T) {
	h1, err := HashPassword("correct horse battery", cheapParams())
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	h2, err := HashPassword("correct horse battery", cheapParams())
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash = %q; want a PHC argon2id string with the parameters", h1)
	}
	if h1 == h2 {
		t.Errorf("two hashes of one password are equal (%q): the salt is not random", h1)
	}
	if strings.Contains(h1, "correct horse") {
		t.Errorf("hash %q contains the password", h1)
	}
	tests := []struct {
		name     string
		password string
		encoded  string
		want     bool
		wantErr  bool
	}{
		{"right", "correct horse battery", h1, true, false},
		{"right, other salt", "correct horse battery", h2, true, false},
		{"wrong", "correct horse batterz", h1, false, false},
		{"empty", "", h1, false, false},
		{"not phc", "x", "plain", false, true},
		{"bcrypt", "x", "$2a$10$abcdefghijklmnopqrstuu", false, true},
		{"huge memory", "x", "$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5", false, true},
		{"bad version", "x", strings.Replace(h1, "v=19", "v=16", 1), false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := VerifyPassword(tc.password, tc.encoded)
			if (err != nil) != tc.wantErr {
				t.Fatalf("VerifyPassword err = %v; want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("VerifyPassword = %v; want %v", got, tc.want)
			}
		})
	}
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		password string
		want     string
	}{
		{"", EINVALID},
		{"123456789", EINVALID},
		{"1234567890", ""},
		{"äöüäöüäöüß", ""}, // ten characters, more bytes
		{strings.Repeat("x", MaxPasswordBytes+1), EINVALID},
	}
	for _, tc := range tests {
		if got := ErrorCode(ValidatePassword(tc.password)); got != tc.want {
			t.Errorf("ValidatePassword(%d chars) code = %q; want %q", len([]rune(tc.password)), got, tc.want)
		}
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		p, err := GeneratePassword()
		if err != nil {
			t.Fatalf("GeneratePassword: %v", err)
		}
		letters := strings.ReplaceAll(p, "-", "")
		if len(letters) < 16 || len(p) != 24 {
			t.Errorf("GeneratePassword = %q (%d characters without hyphens); want 20 in 5 groups", p, len(letters))
		}
		if strings.ContainsAny(letters, "0O1lI") {
			t.Errorf("GeneratePassword = %q contains a confusable character", p)
		}
		if err := ValidatePassword(p); err != nil {
			t.Errorf("generated password %q fails ValidatePassword: %v", p, err)
		}
		if seen[p] {
			t.Errorf("GeneratePassword repeated %q", p)
		}
		seen[p] = true
	}
}

func TestRoleAtLeast(t *testing.T) {
	tests := []struct {
		r, min Role
		want   bool
	}{
		{RoleAdmin, RoleAdmin, true},
		{RoleAdmin, RoleStaff, true},
		{RoleAdmin, RoleViewer, true},
		{RoleStaff, RoleAdmin, false},
		{RoleStaff, RoleStaff, true},
		{RoleStaff, RoleViewer, true},
		{RoleViewer, RoleStaff, false},
		{RoleViewer, RoleViewer, true},
		{Role("root"), RoleViewer, false},
		{RoleAdmin, Role("root"), false},
		{Role(""), Role(""), false},
	}
	for _, tc := range tests {
		if got := tc.r.AtLeast(tc.min); got != tc.want {
			t.Errorf("%q.AtLeast(%q) = %v; want %v", tc.r, tc.min, got, tc.want)
		}
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"admin", true},
		{"anna.mueller", true},
		{"kasse_2-a", true},
		{"a", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"Anna", false},
		{"anna müller", false},
		{"anna@apo", false},
	}
	for _, tc := range tests {
		if err := ValidateName(tc.name); (err == nil) != tc.ok {
			t.Errorf("ValidateName(%q) = %v; want ok %v", tc.name, err, tc.ok)
		}
	}
}

func TestCSRFEqual(t *testing.T) {
	tests := []struct {
		session, given string
		want           bool
	}{
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"abc", "", false},
		{"", "", false},
		{"abc", "abcd", false},
	}
	for _, tc := range tests {
		if got := CSRFEqual(tc.session, tc.given); got != tc.want {
			t.Errorf("CSRFEqual(%q, %q) = %v; want %v", tc.session, tc.given, got, tc.want)
		}
	}
}
