package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/fetcher"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
)

// Repository is where the agent learns what the vendor signed and gets the
// artifacts: the fleet's TUF repository. TUFRepository implements it.
type Repository interface {
	// Target refreshes the signed metadata and returns the description of
	// the artifact at path. Errors: *VerifyError when the metadata does
	// not verify or the path is not signed (no retry), *ClockError when the
	// site's clock is off (retry when fixed), others are temporary
	// (network, a busy fleet).
	Target(ctx context.Context, path string) (Target, error)
	// Open returns the artifact's bytes from offset on (HTTP Range); start
	// is where the returned bytes begin (0 when the server sent the whole
	// file). Errors are temporary.
	Open(ctx context.Context, t Target, offset int64) (body io.ReadCloser, start int64, err error)
}

// TUFOptions configure a TUFRepository.
type TUFOptions struct {
	// BaseURL is the fleet's address; the metadata is read from
	// BaseURL+/tuf/ and the artifacts from BaseURL+/targets/.
	BaseURL    string
	HTTPClient *http.Client
	// Token returns the site token for the Authorization header.
	Token func() (string, error)
	// TrustedRoot returns the TUF root received at enrolment (the anchor
	// of trust). When it changes (a new enrolment), the agent's metadata is
	// started afresh from it.
	TrustedRoot func() ([]byte, error)
	// Dir keeps the verified metadata between runs (rollback protection).
	Dir   string
	Clock clock.Clock
	// MaxSkew is the largest allowed difference between the site's clock
	// and the fleet's (the Date header of its answers).
	MaxSkew   time.Duration
	UserAgent string
}

// TUFRepository verifies with go-tuf's updater (the TUF client workflow:
// root rotation, timestamp, snapshot and targets, each checked for
// signatures, versions and expiry at the site's clock) against the root
// received at enrolment, and downloads artifacts with HTTP Range requests.
//
// Clock policy: TUF's freeze protection compares expiry times with the
// site's clock, and the maintenance window is read from it too. A clock
// behind would accept expired metadata; a clock ahead would refuse valid
// metadata. Every metadata answer of the fleet carries its Date header;
// when it differs from the site's clock by more than MaxSkew, Target
// returns a *ClockError instead of a verdict, and nothing is installed
// until the clock is right. An answer without a Date header (a proxy that
// strips it) leaves the check to the site's own clock check (NTP).
type TUFRepository struct {
	o  TUFOptions
	mu sync.Mutex // one updater at a time: it writes the metadata folder
}

var _ Repository = (*TUFRepository)(nil)

// NewTUFRepository returns the repository.
func NewTUFRepository(o TUFOptions) (*TUFRepository, error) {
	if o.BaseURL == "" || o.Token == nil || o.TrustedRoot == nil || o.Dir == "" {
		return nil, errors.New("agent: TUF repository needs the fleet URL, the token, the trusted root and a folder")
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Minute}
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.MaxSkew <= 0 {
		o.MaxSkew = DefaultMaxClockSkew
	}
	if o.UserAgent == "" {
		o.UserAgent = "lifeline-agent"
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	return &TUFRepository{o: o}, nil
}

// seedFile records the hash of the enrolment root the metadata grew from.
const seedFile = "enrolment-root.sha256"

// trusted returns the root to start from: the newest verified root in Dir,
// or the enrolment root when Dir holds none or grew from another one.
func (r *TUFRepository) trusted() ([]byte, error) {
	seed, err := r.o.TrustedRoot()
	if err != nil {
		return nil, fmt.Errorf("read the trusted TUF root from the enrolment: %w", err)
	}
	sum := sha256.Sum256(seed)
	want := hex.EncodeToString(sum[:])
	if err := os.MkdirAll(r.o.Dir, 0o700); err != nil {
		return nil, err
	}
	have, _ := os.ReadFile(filepath.Join(r.o.Dir, seedFile))
	if strings.TrimSpace(string(have)) != want {
		for _, n := range []string{"root.json", "timestamp.json", "snapshot.json", "targets.json"} {
			os.Remove(filepath.Join(r.o.Dir, n))
		}
		if err := writeAtomic(filepath.Join(r.o.Dir, seedFile), []byte(want+"\n"), 0o600); err != nil {
			return nil, err
		}
		return seed, nil
	}
	if cur, err := os.ReadFile(filepath.Join(r.o.Dir, "root.json")); err == nil && len(cur) > 0 {
		return cur, nil
	}
	return seed, nil
}

// Target implements Repository.
func (r *TUFRepository) Target(ctx context.Context, targetPath string) (Target, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	root, err := r.trusted()
	if err != nil {
		return Target{}, err
	}
	cfg, err := config.New(r.o.BaseURL+protocol.PathTUF, root)
	if err != nil {
		return Target{}, err
	}
	cfg.LocalMetadataDir = r.o.Dir
	cfg.LocalTargetsDir = filepath.Join(r.o.Dir, "targets")
	cfg.RemoteTargetsURL = r.o.BaseURL + protocol.PathTargets
	f := &dateFetcher{ctx: ctx, r: r}
	cfg.Fetcher = f
	up, err := updater.New(cfg)
	if err != nil {
		return Target{}, &VerifyError{Reason: check.Msg("Die gespeicherte Vertrauensbasis (TUF-Root) ist ungültig", "the stored trust anchor (TUF root) is invalid"), Err: err}
	}
	now := r.o.Clock.Now().UTC()
	up.UnsafeSetRefTime(now)
	err = up.Refresh()
	if cerr := f.skew(r.o.MaxSkew); cerr != nil {
		return Target{}, cerr
	}
	if err != nil {
		return Target{}, classify(err)
	}
	info, err := up.GetTargetInfo(targetPath)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return Target{}, &VerifyError{Reason: check.Msg("Das Update ist nicht vom Hersteller signiert ("+targetPath+" fehlt in den signierten Metadaten)",
				"the update is not signed by the vendor ("+targetPath+" is missing from the signed metadata)"), Err: err}
		}
		return Target{}, classify(err)
	}
	t := Target{Path: info.Path, Length: info.Length, Hashes: map[string]string{}}
	for alg, h := range info.Hashes {
		t.Hashes[alg] = hex.EncodeToString(h)
	}
	if t.Hashes["sha256"] == "" {
		return Target{}, &VerifyError{Reason: check.Msg("Die signierten Metadaten nennen keine SHA-256-Prüfsumme", "the signed metadata names no SHA-256 hash")}
	}
	return t, nil
}

// classify turns go-tuf's errors into a *VerifyError with a reason, or a
// temporary error for trouble reaching the fleet.
func classify(err error) error {
	var dl *metadata.ErrDownloadHTTP
	var tmp *temporary
	switch {
	case errors.As(err, &tmp):
		return err
	case errors.As(err, &dl):
		return fmt.Errorf("fleet answered %d for %s: %w", dl.StatusCode, dl.URL, err)
	case errors.Is(err, &metadata.ErrExpiredMetadata{}):
		return &VerifyError{Reason: check.Msg(
			"Die Signaturen des Herstellers sind abgelaufen. Das kann ein Angriff sein (veraltete Daten werden vorgespielt) oder ein Fehler beim Hersteller; das Update wird nicht installiert",
			"the vendor's signatures have expired. This may be an attack (stale data replayed) or a fault at the vendor; the update is not installed"), Err: err}
	case errors.Is(err, &metadata.ErrBadVersionNumber{}):
		return &VerifyError{Reason: check.Msg(
			"Der Update-Server liefert ältere Metadaten als zuvor gesehen (Rollback-Angriff?); das Update wird nicht installiert",
			"the update server serves older metadata than seen before (rollback attack?); the update is not installed"), Err: err}
	case errors.Is(err, &metadata.ErrUnsignedMetadata{}):
		return &VerifyError{Reason: check.Msg(
			"Die Signatur der Update-Metadaten ist ungültig; das Update wird nicht installiert",
			"the signature of the update metadata is invalid; the update is not installed"), Err: err}
	case errors.Is(err, &metadata.ErrLengthOrHashMismatch{}), errors.Is(err, &metadata.ErrDownloadLengthMismatch{}):
		return &VerifyError{Reason: check.Msg(
			"Die Update-Metadaten wurden verändert (Prüfsumme stimmt nicht); das Update wird nicht installiert",
			"the update metadata was altered (hash mismatch); the update is not installed"), Err: err}
	}
	return &VerifyError{Reason: check.Msg("Die Update-Metadaten ließen sich nicht prüfen; das Update wird nicht installiert",
		"the update metadata could not be verified; the update is not installed"), Err: err}
}

// temporary marks network trouble: retrying later helps. progress is set
// when a download got further before the trouble: it is retried at once.
type temporary struct {
	err      error
	progress bool
}

func (t *temporary) Error() string { return "fleet not reachable: " + t.err.Error() }
func (t *temporary) Unwrap() error { return t.err }

// dateFetcher downloads metadata with the site token and notes the fleet's
// Date header with the site's clock at that moment, for the clock check.
type dateFetcher struct {
	ctx context.Context
	r   *TUFRepository

	mu    sync.Mutex
	fleet time.Time
	site  time.Time
}

var _ fetcher.Fetcher = (*dateFetcher)(nil)

// skew returns a *ClockError when the site's clock differed from the
// fleet's Date header by more than max (plus the header's resolution of a
// second).
func (f *dateFetcher) skew(max time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fleet.IsZero() {
		return nil
	}
	d := f.site.Sub(f.fleet)
	if d > max+time.Second || d < -max-time.Second {
		return &ClockError{Skew: d.Round(time.Second), Max: max}
	}
	return nil
}

// DownloadFile fetches urlPath, reading at most maxLength bytes.
func (f *dateFetcher) DownloadFile(urlPath string, maxLength int64, _ time.Duration) ([]byte, error) {
	resp, err := f.r.get(f.ctx, urlPath, 0)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		f.mu.Lock()
		if f.fleet.IsZero() {
			f.fleet, f.site = d, f.r.o.Clock.Now()
		}
		f.mu.Unlock()
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &metadata.ErrDownloadHTTP{StatusCode: resp.StatusCode, URL: urlPath}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxLength+1))
	if err != nil {
		return nil, &temporary{err: err}
	}
	if int64(len(data)) > maxLength {
		return nil, &metadata.ErrDownloadLengthMismatch{Msg: fmt.Sprintf("%s is longer than %d bytes", urlPath, maxLength)}
	}
	return data, nil
}

// get sends an authenticated GET, with a Range header from offset on.
func (r *TUFRepository) get(ctx context.Context, url string, offset int64) (*http.Response, error) {
	tok, err := r.o.Token()
	if err != nil {
		return nil, &temporary{err: fmt.Errorf("no site token (not enrolled yet?): %w", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("User-Agent", r.o.UserAgent)
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := r.o.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &temporary{err: err}
	}
	return resp, nil
}

// targetURL returns the artifact's address: the fleet's repository uses
// consistent snapshots, so the file is named <sha256>.<name> beside its
// folder (component/version/).
func (r *TUFRepository) targetURL(t Target) string {
	dir, base := path.Split(t.Path)
	return r.o.BaseURL + protocol.PathTargets + dir + t.Hashes["sha256"] + "." + base
}

// Open implements Repository.
func (r *TUFRepository) Open(ctx context.Context, t Target, offset int64) (io.ReadCloser, int64, error) {
	resp, err := r.get(ctx, r.targetURL(t), offset)
	if err != nil {
		return nil, 0, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Body, 0, nil
	case http.StatusPartialContent:
		return resp.Body, offset, nil
	case http.StatusRequestedRangeNotSatisfiable:
		resp.Body.Close()
		return r.Open(ctx, t, 0)
	}
	resp.Body.Close()
	return nil, 0, &temporary{err: fmt.Errorf("fleet answered %d for %s", resp.StatusCode, t.Path)}
}
