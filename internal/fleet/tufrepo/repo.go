package tufrepo

import (
	"context"
	"crypto"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet"
)

// Lifetimes of the metadata. The timestamp is re-signed when half of its
// lifetime is over, so a site that cannot reach the fleet for a day notices
// (freeze attacks); snapshot likewise. Targets and root are signed with
// offline keys and live a year.
const (
	RootLifetime      = 365 * 24 * time.Hour
	TargetsLifetime   = 365 * 24 * time.Hour
	SnapshotLifetime  = 7 * 24 * time.Hour
	TimestampLifetime = 24 * time.Hour
)

// MetaStore keeps the metadata files; fleet.Store satisfies it.
type MetaStore interface {
	// TUFFile returns a stored file; an error with code ENOTFOUND when
	// there is none.
	TUFFile(ctx context.Context, name string) ([]byte, error)
	// PutTUFFiles stores files in one transaction.
	PutTUFFiles(ctx context.Context, files map[string][]byte) error
}

// Repo is the fleet's TUF repository. Its writing methods must not run
// concurrently across replicas; the fleet service calls them under the
// planner lock. Within a process a mutex serialises them.
type Repo struct {
	store MetaStore
	keys  *Keys
	clk   clock.Clock
	mu    sync.Mutex
}

var _ fleet.TUF = (*Repo)(nil)

// New returns the repository over store, signing with keys (those present).
func New(store MetaStore, keys *Keys, clk clock.Clock) *Repo {
	return &Repo{store: store, keys: keys, clk: clk}
}

// Keys returns the repository's keys.
func (r *Repo) Keys() *Keys { return r.keys }

func (k *Keys) signer(role string) (signature.Signer, error) {
	p, ok := k.priv[role]
	if !ok {
		return nil, fleet.Errorf(fleet.EINVALID,
			"Der %s-Schlüssel ist nicht auf dem Server (offline). Bitte den Schlüsselordner mit --keys angeben, etwa: lifeline fleet release add --keys /media/usb/keys ...",
			"The %s key is not on the server (offline). Please give the keys folder with --keys, for example: lifeline fleet release add --keys /media/usb/keys ...", role)
	}
	s, err := signature.LoadSigner(p, crypto.Hash(0))
	if err != nil {
		return nil, fmt.Errorf("load %s signer: %w", role, err)
	}
	return s, nil
}

// pubKey returns the TUF key of a role's present private key.
func (k *Keys) pubKey(role string) (*metadata.Key, error) {
	p, ok := k.priv[role]
	if !ok {
		return nil, fmt.Errorf("the %s key is missing", role)
	}
	return metadata.KeyFromPublicKey(p.Public())
}

// Initialized reports whether the repository has a root.
func (r *Repo) Initialized(ctx context.Context) (bool, error) {
	_, err := r.store.TUFFile(ctx, "root.json")
	if fleet.ErrorCode(err) == fleet.ENOTFOUND {
		return false, nil
	}
	return err == nil, err
}

// Init creates version 1 of all four roles, signed with all four keys
// (which must all be present), and stores them. ECONFLICT when the
// repository exists already.
func (r *Repo) Init(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok, err := r.Initialized(ctx); err != nil {
		return err
	} else if ok {
		return fleet.Errorf(fleet.ECONFLICT, "Das TUF-Verzeichnis gibt es schon.", "The TUF repository exists already.")
	}
	now := r.clk.Now().UTC()
	root := metadata.Root(now.Add(RootLifetime))
	for _, role := range Roles {
		key, err := r.keys.pubKey(role)
		if err != nil {
			return fmt.Errorf("init TUF repository: %w (run `lifeline fleet keys init` first)", err)
		}
		if err := root.Signed.AddKey(key, role); err != nil {
			return fmt.Errorf("init TUF repository: %w", err)
		}
	}
	targets := metadata.Targets(now.Add(TargetsLifetime))
	files := map[string][]byte{}
	if err := sign(root, r.keys, RoleRoot, files, "1.root.json", "root.json"); err != nil {
		return err
	}
	if err := sign(targets, r.keys, RoleTargets, files, "1.targets.json", "targets.json"); err != nil {
		return err
	}
	if err := r.addSnapshotAndTimestamp(files, 1, 1, 0, now); err != nil {
		return err
	}
	return r.store.PutTUFFiles(ctx, files)
}

// sign signs md with the role's key and puts it into files under names.
func sign[T metadata.Roles](md *metadata.Metadata[T], keys *Keys, role string, files map[string][]byte, names ...string) error {
	s, err := keys.signer(role)
	if err != nil {
		return err
	}
	md.ClearSignatures()
	if _, err := md.Sign(s); err != nil {
		return fmt.Errorf("sign %s: %w", role, err)
	}
	data, err := md.ToBytes(false)
	if err != nil {
		return fmt.Errorf("encode %s: %w", role, err)
	}
	for _, n := range names {
		files[n] = data
	}
	return nil
}

// addSnapshotAndTimestamp signs a snapshot (version snapVersion, listing
// targetsVersion) and a timestamp (timestamp version tsVersion+1).
func (r *Repo) addSnapshotAndTimestamp(files map[string][]byte, snapVersion, targetsVersion, tsVersion int64, now time.Time) error {
	snap := metadata.Snapshot(now.Add(SnapshotLifetime))
	snap.Signed.Version = snapVersion
	snap.Signed.Meta["targets.json"] = metadata.MetaFile(targetsVersion)
	v := strconv.FormatInt(snapVersion, 10)
	if err := sign(snap, r.keys, RoleSnapshot, files, v+".snapshot.json", "snapshot.json"); err != nil {
		return err
	}
	ts := metadata.Timestamp(now.Add(TimestampLifetime))
	ts.Signed.Version = tsVersion + 1
	ts.Signed.Meta["snapshot.json"] = metadata.MetaFile(snapVersion)
	return sign(ts, r.keys, RoleTimestamp, files, "timestamp.json")
}

func load[T metadata.Roles](ctx context.Context, store MetaStore, name string) (*metadata.Metadata[T], error) {
	data, err := store.TUFFile(ctx, name)
	if err != nil {
		if fleet.ErrorCode(err) == fleet.ENOTFOUND {
			return nil, fleet.Errorf(fleet.EINVALID,
				"Das TUF-Verzeichnis ist nicht eingerichtet. Bitte `lifeline fleet keys init` ausführen.",
				"The TUF repository is not set up. Please run `lifeline fleet keys init`.")
		}
		return nil, err
	}
	var zero metadata.Metadata[T]
	md, err := zero.FromBytes(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	return md, nil
}

// Target describes an artifact to add: its path (component/version/file),
// length, SHA-256 (hex) and optional custom JSON (component, version,
// hooks, for the site's information).
type Target = fleet.TUFTarget

// AddTarget adds (or replaces) a target in the targets metadata and
// publishes new targets, snapshot and timestamp versions. It needs the
// targets, snapshot and timestamp keys; EINVALID names a missing one.
func (r *Repo) AddTarget(ctx context.Context, t Target) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	sum, err := hex.DecodeString(t.SHA256)
	if err != nil || len(sum) != 32 {
		return fleet.Errorf(fleet.EINVALID, "Ungültige SHA-256-Prüfsumme.", "Invalid SHA-256 hash.")
	}
	for _, role := range []string{RoleTargets, RoleSnapshot, RoleTimestamp} {
		if _, err := r.keys.signer(role); err != nil {
			return err
		}
	}
	root, err := load[metadata.RootType](ctx, r.store, "root.json")
	if err != nil {
		return err
	}
	if err := r.checkKey(root, RoleTargets); err != nil {
		return err
	}
	targets, err := load[metadata.TargetsType](ctx, r.store, "targets.json")
	if err != nil {
		return err
	}
	snap, err := load[metadata.SnapshotType](ctx, r.store, "snapshot.json")
	if err != nil {
		return err
	}
	ts, err := load[metadata.TimestampType](ctx, r.store, "timestamp.json")
	if err != nil {
		return err
	}
	now := r.clk.Now().UTC()
	tf := &metadata.TargetFiles{Length: t.Length, Hashes: metadata.Hashes{"sha256": sum}, Path: t.Path}
	if t.Custom != nil {
		raw, err := json.Marshal(t.Custom)
		if err != nil {
			return fmt.Errorf("encode custom data of %s: %w", t.Path, err)
		}
		rm := json.RawMessage(raw)
		tf.Custom = &rm
	}
	targets.Signed.Targets[t.Path] = tf
	targets.Signed.Version++
	targets.Signed.Expires = now.Add(TargetsLifetime)
	files := map[string][]byte{}
	tv := strconv.FormatInt(targets.Signed.Version, 10)
	if err := sign(targets, r.keys, RoleTargets, files, tv+".targets.json", "targets.json"); err != nil {
		return err
	}
	if err := r.addSnapshotAndTimestamp(files, snap.Signed.Version+1, targets.Signed.Version, ts.Signed.Version, now); err != nil {
		return err
	}
	return r.store.PutTUFFiles(ctx, files)
}

// checkKey fails when the present key of role is not the one root trusts.
func (r *Repo) checkKey(root *metadata.Metadata[metadata.RootType], role string) error {
	key, err := r.keys.pubKey(role)
	if err != nil {
		return err
	}
	id, err := key.ID()
	if err != nil {
		return err
	}
	for _, k := range root.Signed.Roles[role].KeyIDs {
		if k == id {
			return nil
		}
	}
	return fleet.Errorf(fleet.EINVALID,
		"Der %s-Schlüssel passt nicht zu diesem TUF-Verzeichnis (falscher Schlüsselordner?).",
		"The %s key does not belong to this TUF repository (wrong keys folder?).", role)
}

// Status tells when the metadata expires.
type Status struct {
	RootExpires, TargetsExpires, SnapshotExpires, TimestampExpires time.Time
	TargetsVersion                                                 int64
}

// Refresh re-signs the timestamp (and the snapshot) when half of its
// lifetime is over, with the online keys; it reports whether it published
// anything. The targets metadata cannot be renewed online: Status tells
// the console when it expires.
func (r *Repo) Refresh(ctx context.Context) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	snap, err := load[metadata.SnapshotType](ctx, r.store, "snapshot.json")
	if err != nil {
		return false, err
	}
	ts, err := load[metadata.TimestampType](ctx, r.store, "timestamp.json")
	if err != nil {
		return false, err
	}
	now := r.clk.Now().UTC()
	snapDue := snap.Signed.Expires.Sub(now) < SnapshotLifetime/2
	tsDue := ts.Signed.Expires.Sub(now) < TimestampLifetime/2
	if !snapDue && !tsDue {
		return false, nil
	}
	files := map[string][]byte{}
	if snapDue {
		err = r.addSnapshotAndTimestamp(files, snap.Signed.Version+1, snap.Signed.Meta["targets.json"].Version, ts.Signed.Version, now)
	} else {
		nts := metadata.Timestamp(now.Add(TimestampLifetime))
		nts.Signed.Version = ts.Signed.Version + 1
		nts.Signed.Meta["snapshot.json"] = metadata.MetaFile(snap.Signed.Version)
		err = sign(nts, r.keys, RoleTimestamp, files, "timestamp.json")
	}
	if err != nil {
		return false, err
	}
	return true, r.store.PutTUFFiles(ctx, files)
}

// Status returns the expiry times of the metadata.
func (r *Repo) Status(ctx context.Context) (Status, error) {
	var st Status
	root, err := load[metadata.RootType](ctx, r.store, "root.json")
	if err != nil {
		return st, err
	}
	targets, err := load[metadata.TargetsType](ctx, r.store, "targets.json")
	if err != nil {
		return st, err
	}
	snap, err := load[metadata.SnapshotType](ctx, r.store, "snapshot.json")
	if err != nil {
		return st, err
	}
	ts, err := load[metadata.TimestampType](ctx, r.store, "timestamp.json")
	if err != nil {
		return st, err
	}
	return Status{RootExpires: root.Signed.Expires, TargetsExpires: targets.Signed.Expires,
		SnapshotExpires: snap.Signed.Expires, TimestampExpires: ts.Signed.Expires, TargetsVersion: targets.Signed.Version}, nil
}

// TrustedRoot returns the current root metadata, which a site receives at
// enrolment as the anchor of its trust.
func (r *Repo) TrustedRoot(ctx context.Context) ([]byte, error) {
	data, err := r.store.TUFFile(ctx, "root.json")
	if fleet.ErrorCode(err) == fleet.ENOTFOUND {
		return nil, errors.New("the TUF repository is not set up; run `lifeline fleet keys init`")
	}
	return data, err
}
