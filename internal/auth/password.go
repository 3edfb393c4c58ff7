package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password limits. The maximum only guards against absurd input.
const (
	MinPasswordLength = 10
	MaxPasswordBytes  = 1024
)

// HashParams are the argon2id cost parameters.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// DefaultHashParams follow the OWASP recommendation for argon2id
// (19 MiB, 2 passes, 1 thread), which takes a few tens of milliseconds on
// a small pharmacy server.
func DefaultHashParams() HashParams {
	return HashParams{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Upper bounds accepted when decoding a stored hash, so that a damaged or
// forged row cannot make a login allocate gigabytes.
const (
	maxHashMemory  = 1 << 20 // 1 GiB in KiB
	maxHashTime    = 100
	maxHashThreads = 64
)

// HashPassword returns a PHC-style argon2id string with a random salt:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func HashPassword(password string, p HashParams) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the encoded hash. The
// parameters are read from the hash, so hashes made with older parameters
// keep working. The comparison takes constant time.
func VerifyPassword(password, encoded string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

func decodeHash(encoded string) (HashParams, []byte, []byte, error) {
	var p HashParams
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("password hash: not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("password hash: unsupported version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("password hash: bad parameters %q: %w", parts[3], err)
	}
	if p.Memory < 8 || p.Memory > maxHashMemory || p.Time < 1 || p.Time > maxHashTime || p.Threads < 1 || p.Threads > maxHashThreads {
		return p, nil, nil, fmt.Errorf("password hash: parameters out of range %q", parts[3])
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, fmt.Errorf("password hash: bad salt")
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, fmt.Errorf("password hash: bad key")
	}
	p.SaltLen, p.KeyLen = len(salt), uint32(len(key))
	return p, salt, key, nil
}

// ValidatePassword checks the length rules and returns an EINVALID error
// in plain words.
func ValidatePassword(password string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return Errorf(EINVALID,
			fmt.Sprintf("Das Passwort ist zu kurz: Es braucht mindestens %d Zeichen.", MinPasswordLength),
			fmt.Sprintf("The password is too short: it needs at least %d characters.", MinPasswordLength))
	}
	if len(password) > MaxPasswordBytes {
		return Errorf(EINVALID,
			"Das Passwort ist zu lang.",
			"The password is too long.")
	}
	return nil
}

// readableAlphabet leaves out characters that are easily confused when
// read from a screen and typed: 0/O, 1/l/I.
const readableAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// GeneratePassword returns a random password of 20 characters from a
// readable alphabet, in groups of four joined by hyphens
// ("k7Qm-2xPa-..."): about 116 bits.
func GeneratePassword() (string, error) {
	const groups, per = 5, 4
	var b strings.Builder
	max := big.NewInt(int64(len(readableAlphabet)))
	for g := range groups {
		if g > 0 {
			b.WriteByte('-')
		}
		for range per {
			n, err := rand.Int(rand.Reader, max)
			if err != nil {
				return "", fmt.Errorf("read random: %w", err)
			}
			b.WriteByte(readableAlphabet[n.Int64()])
		}
	}
	return b.String(), nil
}
