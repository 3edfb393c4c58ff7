package seal

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func mustKey(t *testing.T) []byte {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustRing(t *testing.T, raws ...[]byte) *Keyring {
	t.Helper()
	kr, err := NewKeyring(raws...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestSealOpen(t *testing.T) {
	k1, k2 := mustKey(t), mustKey(t)
	kr := mustRing(t, k1)
	ad := AD("mirror", "patients", "4711")
	sealed, err := kr.Seal([]byte("Erika Mustermann"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("Erika")) {
		t.Fatalf("sealed value holds the plaintext")
	}
	if got, want := len(sealed), len("Erika Mustermann")+Overhead; got != want {
		t.Errorf("len(sealed) = %d; want %d", got, want)
	}

	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	otherKeyID := append([]byte(nil), sealed...)
	otherKeyID[1] ^= 1

	tests := []struct {
		name    string
		ring    *Keyring
		value   []byte
		ad      []byte
		want    string
		wantErr error
	}{
		{"same key", kr, sealed, ad, "Erika Mustermann", nil},
		{"old key still in ring", mustRing(t, k2, k1), sealed, ad, "Erika Mustermann", nil},
		{"wrong key", mustRing(t, k2), sealed, ad, "", ErrWrongKey},
		{"moved to another row", kr, sealed, AD("mirror", "patients", "4712"), "", ErrWrongKey},
		{"ad parts shifted", kr, sealed, AD("mirror", "patient", "s4711"), "", ErrWrongKey},
		{"tampered ciphertext", kr, tampered, ad, "", ErrWrongKey},
		{"key id changed", kr, otherKeyID, ad, "", ErrWrongKey},
		{"too short", kr, sealed[:10], ad, "", ErrDamaged},
		{"unknown version", kr, append([]byte{9}, sealed[1:]...), ad, "", ErrDamaged},
		{"empty", kr, nil, ad, "", ErrDamaged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.ring.Open(tt.value, tt.ad)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open error = %v; want %v", err, tt.wantErr)
			}
			if string(got) != tt.want {
				t.Errorf("Open = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestWrongKeyMessage(t *testing.T) {
	kr1, kr2 := mustRing(t, mustKey(t)), mustRing(t, mustKey(t))
	s, err := kr1.Seal([]byte("x"), AD("t", "1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = kr2.Open(s, AD("t", "1"))
	if err == nil || !strings.Contains(err.Error(), "Schlüssel passt nicht zu den Daten") {
		t.Errorf("error = %v; want it to say %q", err, "Schlüssel passt nicht zu den Daten")
	}
}

func TestNonceIsFresh(t *testing.T) {
	kr := mustRing(t, mustKey(t))
	a, _ := kr.Seal([]byte("same"), nil)
	b, _ := kr.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Errorf("two seals of the same plaintext are equal; want different nonces")
	}
}

func TestNeedsReseal(t *testing.T) {
	k1, k2 := mustKey(t), mustKey(t)
	old := mustRing(t, k1)
	s, _ := old.Seal([]byte("x"), nil)
	if old.NeedsReseal(s) {
		t.Errorf("NeedsReseal with the sealing key as primary = true; want false")
	}
	if !mustRing(t, k2, k1).NeedsReseal(s) {
		t.Errorf("NeedsReseal after rotation = false; want true")
	}
}

func TestNewKeyringErrors(t *testing.T) {
	if _, err := NewKeyring(); err == nil {
		t.Errorf("NewKeyring() error = nil; want an error")
	}
	if _, err := NewKeyring([]byte("short")); err == nil {
		t.Errorf("NewKeyring(short) error = nil; want an error")
	}
	k := mustKey(t)
	kr := mustRing(t, k, k)
	if got := len(kr.IDs()); got != 1 {
		t.Errorf("duplicate keys: len(IDs) = %d; want 1", got)
	}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadCreatesKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "data.key")
	o := Options{File: path, Getenv: env(nil)}
	kr, origin, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	if origin != Created {
		t.Errorf("origin = %v; want created", origin)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("key file mode = %04o; want 0600", got)
		}
	}
	kr2, origin, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	if origin != FromFile {
		t.Errorf("second load origin = %v; want file", origin)
	}
	if kr.Primary() != kr2.Primary() {
		t.Errorf("second load primary = %s; want %s", kr2.Primary(), kr.Primary())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries; want only the key file (no temp files left)", len(entries))
	}
}

func TestLoadRefusesWideRights(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Log("Windows: rights come from the folder ACL; checking that the file still loads")
	}
	path := filepath.Join(t.TempDir(), "data.key")
	if _, _, err := Load(Options{File: path, Getenv: env(nil)}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load(Options{File: path, Getenv: env(nil)})
	if runtime.GOOS == "windows" {
		if err != nil {
			t.Errorf("Load on Windows = %v; want no error", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), "0644") {
		t.Errorf("Load of a 0644 key file: error = %v; want a refusal naming 0644 and chmod 600", err)
	}
}

func TestLoadFromEnv(t *testing.T) {
	k1, k2 := mustKey(t), mustKey(t)
	path := filepath.Join(t.TempDir(), "data.key")
	tests := []struct {
		name    string
		value   string
		wantIDs []KeyID
		wantErr bool
	}{
		{"one key", EncodeKey(k1), []KeyID{idOf(k1)}, false},
		{"two keys", EncodeKey(k1) + "," + EncodeKey(k2), []KeyID{idOf(k1), idOf(k2)}, false},
		{"spaces and raw url base64", " " + strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(EncodeKey(k1)), "=") + " ", []KeyID{idOf(k1)}, false},
		{"not base64", "%%%", nil, true},
		{"too short", EncodeKey([]byte("short")), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr, origin, err := Load(Options{File: path, Getenv: env(map[string]string{EnvVar: tt.value})})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Load error = %v; want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), EnvVar) {
					t.Errorf("error %q does not name %s", err, EnvVar)
				}
				return
			}
			if origin != FromEnv {
				t.Errorf("origin = %v; want env", origin)
			}
			got := kr.IDs()
			if len(got) != len(tt.wantIDs) {
				t.Fatalf("IDs = %v; want %v", got, tt.wantIDs)
			}
			for i := range got {
				if got[i] != tt.wantIDs[i] {
					t.Errorf("IDs[%d] = %s; want %s", i, got[i], tt.wantIDs[i])
				}
			}
		})
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("a key file was created although the key came from %s", EnvVar)
	}
}

func TestLoadBadKeyFile(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"garbage", "# comment\nnot a key\n", "Zeile 2"},
		{"empty", "# only a comment\n\n", "keinen Schlüssel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data.key")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := Load(Options{File: path, Getenv: env(nil)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v; want it to contain %q", err, tt.want)
			}
		})
	}
	if _, _, err := Load(Options{Getenv: env(nil)}); err == nil {
		t.Errorf("Load without file or variable: error = nil; want one")
	}
}

// memHolder is a Resealer holding sealed values in memory.
type memHolder struct {
	vals map[string][]byte
	fail bool
}

func (m *memHolder) Reseal(_ context.Context, kr *Keyring) error {
	if m.fail {
		return errors.New("disk full")
	}
	next := map[string][]byte{}
	for k, v := range m.vals {
		pt, err := kr.Open(v, AD(k))
		if err != nil {
			return err
		}
		if next[k], err = kr.Seal(pt, AD(k)); err != nil {
			return err
		}
	}
	m.vals = next
	return nil
}

func TestRotateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.key")
	o := Options{File: path, Getenv: env(nil)}
	old, _, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	h := &memHolder{vals: map[string][]byte{}}
	for _, k := range []string{"a", "b"} {
		h.vals[k], _ = old.Seal([]byte("secret "+k), AD(k))
	}
	res, err := Rotate(context.Background(), o, h)
	if err != nil {
		t.Fatal(err)
	}
	if res.New == old.Primary() {
		t.Fatalf("new key id = old key id %s", res.New)
	}
	now, _, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	if got := now.IDs(); len(got) != 1 || got[0] != res.New {
		t.Errorf("key file after rotation holds %v; want only %s", got, res.New)
	}
	for k, v := range h.vals {
		pt, err := now.Open(v, AD(k))
		if err != nil || string(pt) != "secret "+k {
			t.Errorf("value %s after rotation = %q, %v; want %q", k, pt, err, "secret "+k)
		}
		if _, err := old.Open(v, AD(k)); !errors.Is(err, ErrWrongKey) {
			t.Errorf("old key still opens value %s after rotation: err = %v", k, err)
		}
	}
	if fi, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode after rotation = %04o; want 0600", fi.Mode().Perm())
	}
}

func TestRotateFailureKeepsBothKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.key")
	o := Options{File: path, Getenv: env(nil)}
	old, _, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := old.Seal([]byte("x"), AD("a"))
	h := &memHolder{vals: map[string][]byte{"a": v}, fail: true}
	if _, err := Rotate(context.Background(), o, h); err == nil {
		t.Fatal("Rotate with a failing holder: error = nil; want one")
	}
	kr, _, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(kr.IDs()); got != 2 {
		t.Errorf("key file after failed rotation holds %d keys; want 2 (new and old)", got)
	}
	if _, err := kr.Open(h.vals["a"], AD("a")); err != nil {
		t.Errorf("data after failed rotation does not open: %v", err)
	}
}

func TestRotateEnv(t *testing.T) {
	k1, k2 := mustKey(t), mustKey(t)
	old := mustRing(t, k1)
	v, _ := old.Seal([]byte("x"), AD("a"))
	h := &memHolder{vals: map[string][]byte{"a": v}}

	_, err := Rotate(context.Background(), Options{Getenv: env(map[string]string{EnvVar: EncodeKey(k1)})}, h)
	if !errors.Is(err, ErrEnvSingleKey) {
		t.Fatalf("Rotate with one key in %s: error = %v; want ErrEnvSingleKey", EnvVar, err)
	}
	res, err := Rotate(context.Background(), Options{Getenv: env(map[string]string{EnvVar: EncodeKey(k2) + "," + EncodeKey(k1)})}, h)
	if err != nil {
		t.Fatal(err)
	}
	if !res.KeepOld || res.New != idOf(k2) {
		t.Errorf("result = %+v; want KeepOld and New %s", res, idOf(k2))
	}
	if _, err := mustRing(t, k2).Open(h.vals["a"], AD("a")); err != nil {
		t.Errorf("value does not open with the new key alone: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	kr, _ := NewKeyring(bytes.Repeat([]byte{7}, KeySize))
	s, _ := kr.Seal([]byte("hello"), AD("x"))
	f.Add(s)
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, err := kr.Open(b, AD("x"))
		if err == nil && !bytes.Equal(pt, []byte("hello")) {
			// Forging a value is infeasible; anything that opens must be ours.
			t.Errorf("Open accepted a forged value: %q", pt)
		}
	})
}

func FuzzDecodeKey(f *testing.F) {
	f.Add(EncodeKey(bytes.Repeat([]byte{1}, KeySize)))
	f.Add("abc")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := DecodeKey(s)
		if err == nil && len(k) != KeySize {
			t.Errorf("DecodeKey(%q) = %d bytes; want %d", s, len(k), KeySize)
		}
	})
}
