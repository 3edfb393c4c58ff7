package seal

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// EnvVar is the environment variable that may hold the data key: base64 of
// 32 bytes. Several keys may be given separated by commas; the first seals,
// the others only open (used while rotating).
const EnvVar = "LIFELINE_DATA_KEY"

// Origin says where a keyring came from.
type Origin int

// Origins of a keyring.
const (
	// FromFile: read from an existing key file.
	FromFile Origin = iota
	// FromEnv: read from LIFELINE_DATA_KEY.
	FromEnv
	// Created: the key file was missing and has been created.
	Created
)

// String names the origin.
func (o Origin) String() string {
	switch o {
	case FromEnv:
		return "env"
	case Created:
		return "created"
	default:
		return "file"
	}
}

// Options say where the key is.
type Options struct {
	// File is the key file. It is created with 0600 rights when missing and
	// refused (on Unix) when group or others may read it.
	File string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

func (o Options) getenv(k string) string {
	if o.Getenv != nil {
		return o.Getenv(k)
	}
	return os.Getenv(k)
}

// Load returns the keyring: from LIFELINE_DATA_KEY when it is set, else from
// the key file, which is created with a new random key when missing.
func Load(o Options) (*Keyring, Origin, error) {
	if v := strings.TrimSpace(o.getenv(EnvVar)); v != "" {
		kr, err := parseEnv(v)
		return kr, FromEnv, err
	}
	if o.File == "" {
		return nil, FromFile, fmt.Errorf("seal: no key: set %s or configure a key file (key_file)", EnvVar)
	}
	kr, err := readKeyFile(o.File)
	if err == nil {
		return kr, FromFile, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, FromFile, err
	}
	raw, err := GenerateKey()
	if err != nil {
		return nil, Created, err
	}
	created, err := createKeyFile(o.File, raw)
	if err != nil {
		return nil, Created, err
	}
	if !created { // another process was faster: use its key
		kr, err := readKeyFile(o.File)
		return kr, FromFile, err
	}
	kr, err = NewKeyring(raw)
	return kr, Created, err
}

func parseEnv(v string) (*Keyring, error) {
	var raws [][]byte
	for i, part := range strings.Split(v, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		raw, err := DecodeKey(part)
		if err != nil {
			return nil, fmt.Errorf("Umgebungsvariable %s, Schlüssel %d: %v; erwartet: 32 Bytes in Base64 (variable %s, key %d: want 32 bytes in base64)", EnvVar, i+1, err, EnvVar, i+1)
		}
		raws = append(raws, raw)
	}
	return NewKeyring(raws...)
}

// readKeyFile reads a key file: one base64 key per line, the first being the
// primary key; empty lines and lines starting with # are ignored.
func readKeyFile(path string) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("Schlüsseldatei %s nicht lesbar (key file not readable): %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("Schlüsseldatei %s (key file): %w", path, err)
	}
	if err := checkPerm(path, fi); err != nil {
		return nil, err
	}
	var raws [][]byte
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		raw, err := DecodeKey(s)
		if err != nil {
			return nil, fmt.Errorf("Schlüsseldatei %s, Zeile %d: kein gültiger Schlüssel (%v); die Datei ist beschädigt, Sicherung einspielen (key file %s, line %d: not a valid key; restore it from a backup)", path, line, err, path, line)
		}
		raws = append(raws, raw)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("Schlüsseldatei %s (key file): %w", path, err)
	}
	if len(raws) == 0 {
		return nil, fmt.Errorf("Schlüsseldatei %s enthält keinen Schlüssel; Sicherung einspielen (key file %s holds no key; restore it from a backup)", path, path)
	}
	return NewKeyring(raws...)
}

func keyFileBody(raws [][]byte) []byte {
	var b bytes.Buffer
	b.WriteString("# lifeline Datenschlüssel: geheim halten, nicht bearbeiten, mit der Datensicherung getrennt aufbewahren.\n")
	b.WriteString("# lifeline data key: keep secret, do not edit, back it up apart from the data.\n")
	b.WriteString("# Erste Zeile: aktueller Schlüssel; weitere Zeilen: alte Schlüssel, nur zum Lesen.\n")
	for _, r := range raws {
		b.WriteString(EncodeKey(r))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// writeTemp writes body to a new 0600 temporary file beside path, synced.
func writeTemp(path string, body []byte) (string, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("Ordner für die Schlüsseldatei anlegen (create key file folder) %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".lifeline-key-*")
	if err != nil {
		return "", fmt.Errorf("Schlüsseldatei anlegen (create key file) in %s: %w", dir, err)
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", fmt.Errorf("Schlüsseldatei schreiben (write key file) %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil && !isWindows {
		return fail(err)
	}
	if _, err := f.Write(body); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("Schlüsseldatei schreiben (write key file) %s: %w", path, err)
	}
	return name, nil
}

// createKeyFile creates path holding raw, but only when it does not exist
// yet. It reports false when another process created it first.
func createKeyFile(path string, raw []byte) (bool, error) {
	tmp, err := writeTemp(path, keyFileBody([][]byte{raw}))
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		// File systems without hard links: fall back to an exclusive create.
		f, err2 := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err2 != nil {
			if errors.Is(err2, fs.ErrExist) {
				return false, nil
			}
			return false, fmt.Errorf("Schlüsseldatei anlegen (create key file) %s: %w", path, err2)
		}
		_, werr := f.Write(keyFileBody([][]byte{raw}))
		serr := f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			return false, fmt.Errorf("Schlüsseldatei schreiben (write key file) %s: %w", path, err)
		}
		return true, nil
	}
	syncDir(filepath.Dir(path))
	return true, nil
}

// replaceKeyFile atomically replaces path with the given keys (temp file,
// fsync, rename).
func replaceKeyFile(path string, raws [][]byte) error {
	tmp, err := writeTemp(path, keyFileBody(raws))
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("Schlüsseldatei ersetzen (replace key file) %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// Resealer is a holder of sealed data, for example the mirror's database.
type Resealer interface {
	// Reseal re-encrypts every sealed value it holds with the primary key
	// of kr, in one transaction: on error nothing is changed.
	Reseal(ctx context.Context, kr *Keyring) error
}

// RotateResult says what Rotate did.
type RotateResult struct {
	// Old are the keys that sealed before.
	Old []KeyID
	// New is the new primary key.
	New KeyID
	// Origin is where the keys came from.
	Origin Origin
	// KeepOld is true when old keys must still be removed by hand (keys
	// from LIFELINE_DATA_KEY).
	KeepOld bool
}

// ErrEnvSingleKey means rotation was asked for while the only key comes
// from LIFELINE_DATA_KEY, which lifeline cannot change.
var ErrEnvSingleKey = errors.New("der Schlüssel kommt aus " + EnvVar + " und kann dort nicht automatisch gewechselt werden (the key comes from " + EnvVar + ", which lifeline cannot change)")

// Rotate puts a new key in place and re-encrypts the data of every
// resealer. With a key file: it writes the new key beside the old ones,
// reseals, then removes the old keys; a failure or crash at any step leaves
// a key file that still opens all data. With LIFELINE_DATA_KEY holding
// "new,old": it reseals with the first key and the caller tells the user to
// drop the old one; with a single key in the variable it returns
// ErrEnvSingleKey.
//
// Every holder of sealed data must be passed: data of a holder left out no
// longer opens once the old key is removed.
func Rotate(ctx context.Context, o Options, resealers ...Resealer) (RotateResult, error) {
	if v := strings.TrimSpace(o.getenv(EnvVar)); v != "" {
		kr, err := parseEnv(v)
		if err != nil {
			return RotateResult{}, err
		}
		ids := kr.IDs()
		if len(ids) < 2 {
			return RotateResult{Origin: FromEnv, Old: ids}, ErrEnvSingleKey
		}
		for _, r := range resealers {
			if err := r.Reseal(ctx, kr); err != nil {
				return RotateResult{}, err
			}
		}
		return RotateResult{Old: ids[1:], New: ids[0], Origin: FromEnv, KeepOld: true}, nil
	}
	if o.File == "" {
		return RotateResult{}, fmt.Errorf("seal: no key file configured (key_file) and %s not set", EnvVar)
	}
	old, err := readKeyFile(o.File)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return RotateResult{}, fmt.Errorf("Schlüsseldatei %s fehlt; ohne alten Schlüssel gibt es nichts zu wechseln (key file missing; nothing to rotate): %w", o.File, err)
		}
		return RotateResult{}, err
	}
	raw, err := GenerateKey()
	if err != nil {
		return RotateResult{}, err
	}
	both := append([][]byte{raw}, old.raw()...)
	if err := replaceKeyFile(o.File, both); err != nil {
		return RotateResult{}, err
	}
	kr, err := NewKeyring(both...)
	if err != nil {
		return RotateResult{}, err
	}
	for _, r := range resealers {
		if err := r.Reseal(ctx, kr); err != nil {
			return RotateResult{}, fmt.Errorf("%w; die Schlüsseldatei enthält den alten und den neuen Schlüssel, alle Daten bleiben lesbar (the key file holds old and new key; all data stays readable)", err)
		}
	}
	if err := replaceKeyFile(o.File, [][]byte{raw}); err != nil {
		return RotateResult{}, err
	}
	return RotateResult{Old: old.IDs(), New: kr.Primary(), Origin: FromFile}, nil
}
