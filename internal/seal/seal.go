// Package seal encrypts personal data at rest (priority patients, private
// phone numbers, later the journal's customer data) with XChaCha20-Poly1305
// from golang.org/x/crypto. The key lives outside the database: in a key file
// with 0600 rights or in the environment variable LIFELINE_DATA_KEY.
//
// A sealed value carries the id of the key that sealed it, so a Keyring can
// hold a new primary key and older keys side by side while Rotate re-encrypts
// everything. Associated data (see AD) binds a ciphertext to its table and
// row: a value copied into another row does not open.
//
// Sealed format, version 1:
//
//	byte 0      version (1)
//	bytes 1-4   key id (first 4 bytes of SHA-256("lifeline-seal-key-id" || key))
//	bytes 5-28  random 24-byte nonce
//	bytes 29-   ciphertext and 16-byte Poly1305 tag
//
// The first five bytes are authenticated together with the caller's
// associated data.
package seal

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// KeySize is the length of a data key in bytes.
const KeySize = chacha20poly1305.KeySize

const (
	version    = 1
	idSize     = 4
	headerSize = 1 + idSize
	nonceSize  = chacha20poly1305.NonceSizeX
	// Overhead is how many bytes sealing adds to a plaintext.
	Overhead = headerSize + nonceSize + chacha20poly1305.Overhead
)

// ErrWrongKey means a sealed value does not open with any key of the
// keyring: the key file or variable belongs to other data, or the value was
// altered or moved to another row.
var ErrWrongKey = errors.New("Schlüssel passt nicht zu den Daten (the data key does not match the data)")

// ErrDamaged means a value is not a sealed value of a known format.
var ErrDamaged = errors.New("verschlüsselte Daten beschädigt (sealed data damaged or of an unknown format)")

// KeyID identifies a key without revealing it.
type KeyID [idSize]byte

// String returns the id as 8 hex digits.
func (id KeyID) String() string { return hex.EncodeToString(id[:]) }

// idOf derives the id of a raw key.
func idOf(raw []byte) KeyID {
	h := sha256.New()
	h.Write([]byte("lifeline-seal-key-id"))
	h.Write(raw)
	var id KeyID
	copy(id[:], h.Sum(nil))
	return id
}

type key struct {
	id   KeyID
	raw  []byte
	aead cipher.AEAD
}

// Keyring holds the primary key, which seals, and older keys, which only
// open. It is safe for concurrent use; it is never modified after creation.
type Keyring struct {
	keys []key // keys[0] is the primary key
}

// NewKeyring builds a keyring from raw 32-byte keys; the first is the
// primary key. Duplicate keys are dropped.
func NewKeyring(raws ...[]byte) (*Keyring, error) {
	if len(raws) == 0 {
		return nil, errors.New("seal: no key given; a keyring needs at least one 32-byte key")
	}
	kr := &Keyring{}
	seen := map[KeyID]bool{}
	for i, raw := range raws {
		if len(raw) != KeySize {
			return nil, fmt.Errorf("seal: key %d has %d bytes; want %d (create a new one with GenerateKey)", i+1, len(raw), KeySize)
		}
		id := idOf(raw)
		if seen[id] {
			continue
		}
		seen[id] = true
		a, err := chacha20poly1305.NewX(raw)
		if err != nil {
			return nil, fmt.Errorf("seal: key %d: %w", i+1, err)
		}
		kr.keys = append(kr.keys, key{id: id, raw: append([]byte(nil), raw...), aead: a})
	}
	return kr, nil
}

// GenerateKey returns a new random 32-byte key.
func GenerateKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("seal: generate key: %w", err)
	}
	return k, nil
}

// EncodeKey returns a raw key in standard base64, the form used in key files
// and in LIFELINE_DATA_KEY.
func EncodeKey(raw []byte) string { return base64.StdEncoding.EncodeToString(raw) }

// DecodeKey reads a base64 key (standard or URL alphabet, padding optional).
func DecodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("key has %d bytes; want %d", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("key is not base64")
}

// Primary returns the id of the key that seals.
func (k *Keyring) Primary() KeyID { return k.keys[0].id }

// IDs returns the ids of all keys, primary first.
func (k *Keyring) IDs() []KeyID {
	out := make([]KeyID, len(k.keys))
	for i, kk := range k.keys {
		out[i] = kk.id
	}
	return out
}

// raw returns the raw keys, primary first.
func (k *Keyring) raw() [][]byte {
	out := make([][]byte, len(k.keys))
	for i, kk := range k.keys {
		out[i] = kk.raw
	}
	return out
}

// Seal encrypts plaintext with the primary key. ad is the associated data
// (see AD); the same ad must be given to Open.
func (k *Keyring) Seal(plaintext, ad []byte) ([]byte, error) {
	p := k.keys[0]
	out := make([]byte, headerSize+nonceSize, headerSize+nonceSize+len(plaintext)+chacha20poly1305.Overhead)
	out[0] = version
	copy(out[1:headerSize], p.id[:])
	if _, err := rand.Read(out[headerSize:]); err != nil {
		return nil, fmt.Errorf("seal: random nonce: %w", err)
	}
	return p.aead.Seal(out, out[headerSize:], plaintext, adWith(out[:headerSize], ad)), nil
}

// Open decrypts a value made by Seal. It returns ErrWrongKey when no key of
// the keyring opens it (wrong key file, or the value was altered or moved to
// another row) and ErrDamaged when it is not a sealed value at all.
func (k *Keyring) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) < Overhead || sealed[0] != version {
		return nil, ErrDamaged
	}
	var id KeyID
	copy(id[:], sealed[1:headerSize])
	for _, kk := range k.keys {
		if kk.id != id {
			continue
		}
		nonce := sealed[headerSize : headerSize+nonceSize]
		pt, err := kk.aead.Open(nil, nonce, sealed[headerSize+nonceSize:], adWith(sealed[:headerSize], ad))
		if err != nil {
			return nil, fmt.Errorf("%w: key %s does not open this value; it was altered or belongs to another row", ErrWrongKey, id)
		}
		return pt, nil
	}
	return nil, fmt.Errorf("%w: value sealed with key %s; available: %s", ErrWrongKey, id, joinIDs(k.IDs()))
}

// SealedWith returns the id of the key that sealed a value.
func SealedWith(sealed []byte) (KeyID, error) {
	if len(sealed) < Overhead || sealed[0] != version {
		return KeyID{}, ErrDamaged
	}
	var id KeyID
	copy(id[:], sealed[1:headerSize])
	return id, nil
}

// NeedsReseal reports whether a value is sealed with a key other than the
// primary key.
func (k *Keyring) NeedsReseal(sealed []byte) bool {
	id, err := SealedWith(sealed)
	return err != nil || id != k.keys[0].id
}

// AD builds associated data from its parts, for example
// AD("mirror", "patients", "4711"). Parts are length-prefixed, so
// ("a", "bc") and ("ab", "c") differ.
func AD(parts ...string) []byte {
	var b []byte
	for _, p := range parts {
		b = fmt.Appendf(b, "%d:", len(p))
		b = append(b, p...)
	}
	return b
}

func adWith(header, ad []byte) []byte {
	out := make([]byte, 0, len(header)+len(ad))
	return append(append(out, header...), ad...)
}

func joinIDs(ids []KeyID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return strings.Join(s, ", ")
}
