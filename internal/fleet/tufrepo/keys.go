// Package tufrepo is the fleet's side of The Update Framework (TUF): the
// repository whose signed metadata (root, targets, snapshot, timestamp)
// tells every site which artifacts are genuine, written with go-tuf v2's
// metadata package. Sites verify with go-tuf's updater (fleetclient).
//
// Keys are ed25519, one per role, each in its own PEM file in the keys
// folder (`lifeline fleet keys init`). The server needs only the snapshot
// and timestamp keys, to keep the metadata fresh; the root and targets keys
// can be kept offline (a USB stick in a safe) and brought in only to add a
// release (`lifeline fleet release add --keys DIR`) or to renew the
// targets metadata. A role whose key file is missing is offline.
//
// The metadata lives in the fleet store (shared by every replica); the
// artifacts live on disk, named by their SHA-256 (consistent snapshots:
// sites download <sha256>.<name>).
package tufrepo

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// The top-level roles.
const (
	RoleRoot      = metadata.ROOT
	RoleTargets   = metadata.TARGETS
	RoleSnapshot  = metadata.SNAPSHOT
	RoleTimestamp = metadata.TIMESTAMP
)

// Roles lists the top-level roles.
var Roles = []string{RoleRoot, RoleTargets, RoleSnapshot, RoleTimestamp}

// Keys holds the private keys present in a keys folder, by role.
type Keys struct {
	priv map[string]ed25519.PrivateKey
}

// KeyFile returns the file name of a role's private key.
func KeyFile(role string) string { return role + ".key" }

// InitKeys creates one ed25519 key per role in dir (created with 0700),
// each written with 0600 rights, plus the public keys (.pub). It refuses
// to overwrite an existing key.
func InitKeys(dir string) (*Keys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create keys folder %s: %w", dir, err)
	}
	for _, role := range Roles {
		if _, err := os.Stat(filepath.Join(dir, KeyFile(role))); err == nil {
			return nil, fmt.Errorf("%s exists already; keys are never overwritten (move the folder away to start a new repository)", filepath.Join(dir, KeyFile(role)))
		}
	}
	k := &Keys{priv: map[string]ed25519.PrivateKey{}}
	for _, role := range Roles {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate %s key: %w", role, err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, fmt.Errorf("encode %s key: %w", role, err)
		}
		if err := writeNew(filepath.Join(dir, KeyFile(role)), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, err
		}
		pder, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("encode %s public key: %w", role, err)
		}
		if err := writeNew(filepath.Join(dir, role+".pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder}), 0o644); err != nil {
			return nil, err
		}
		k.priv[role] = priv
	}
	return k, nil
}

// writeNew writes a new file with perm, synced to disk.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// LoadKeys reads the role keys present in dir; a missing file means the
// role's key is offline. It fails when dir holds no key at all.
func LoadKeys(dir string) (*Keys, error) {
	k := &Keys{priv: map[string]ed25519.PrivateKey{}}
	for _, role := range Roles {
		data, err := os.ReadFile(filepath.Join(dir, KeyFile(role)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s key: %w", role, err)
		}
		b, _ := pem.Decode(data)
		if b == nil || b.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("%s: not a PEM private key", filepath.Join(dir, KeyFile(role)))
		}
		key, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, KeyFile(role)), err)
		}
		priv, ok := key.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s: not an ed25519 key", filepath.Join(dir, KeyFile(role)))
		}
		k.priv[role] = priv
	}
	if len(k.priv) == 0 {
		return nil, fmt.Errorf("no TUF keys in %s; create them with `lifeline fleet keys init`", dir)
	}
	return k, nil
}

// Has reports whether the role's private key is present (online).
func (k *Keys) Has(role string) bool {
	if k == nil {
		return false
	}
	_, ok := k.priv[role]
	return ok
}

// Merge returns keys holding both k's and o's keys (o wins): the server's
// online keys plus an offline folder brought in for one operation.
func (k *Keys) Merge(o *Keys) *Keys {
	out := &Keys{priv: map[string]ed25519.PrivateKey{}}
	for _, src := range []*Keys{k, o} {
		if src == nil {
			continue
		}
		for r, p := range src.priv {
			out.priv[r] = p
		}
	}
	return out
}
