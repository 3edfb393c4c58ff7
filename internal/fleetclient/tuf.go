package fleetclient

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/fetcher"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
)

// ErrNotTrusted is returned (wrapped) when the fleet's TUF metadata does
// not verify or an artifact does not match it: do not install. Retrying
// does not help until the fleet's repository is repaired.
var ErrNotTrusted = errors.New("the update is not trusted")

// Download is a verified artifact in the client's folder.
type Download struct {
	Path   string
	Length int64
	SHA256 string
}

// Fetch refreshes the TUF metadata (root, timestamp, snapshot, targets,
// each verified against the root received at enrolment and its signed
// successors, and against expiry at the clock's time), then returns the
// artifact at targetPath: from the cache when it matches, else downloaded
// and checked against the signed length and hashes. wantSHA256, when not
// empty, must equal the signed hash too (the command names it). Failures
// of verification wrap ErrNotTrusted.
func (c *Client) Fetch(ctx context.Context, targetPath, wantSHA256 string) (Download, error) {
	root, err := os.ReadFile(filepath.Join(c.dir, RootFile))
	if err != nil {
		return Download{}, fmt.Errorf("read the trusted TUF root (enrol first): %w", err)
	}
	cfg, err := config.New(c.base+protocol.PathTUF, root)
	if err != nil {
		return Download{}, err
	}
	cfg.LocalMetadataDir = filepath.Join(c.dir, "tuf", "metadata")
	cfg.LocalTargetsDir = filepath.Join(c.dir, "tuf", "targets")
	cfg.RemoteTargetsURL = c.base + protocol.PathTargets
	cfg.Fetcher = &tokenFetcher{ctx: ctx, c: c}
	if err := cfg.EnsurePathsExist(); err != nil {
		return Download{}, err
	}
	up, err := updater.New(cfg)
	if err != nil {
		return Download{}, fmt.Errorf("%w: load the trusted root: %v", ErrNotTrusted, err)
	}
	up.UnsafeSetRefTime(c.clk.Now().UTC()) // the injected clock (tests, simulation)
	if err := up.Refresh(); err != nil {
		return Download{}, classify("refresh the TUF metadata", err)
	}
	info, err := up.GetTargetInfo(targetPath)
	if err != nil {
		return Download{}, classify("look up "+targetPath, err)
	}
	sum := hex.EncodeToString(info.Hashes["sha256"])
	if wantSHA256 != "" && sum != wantSHA256 {
		return Download{}, fmt.Errorf("%w: the command names sha256 %s, the signed metadata %s", ErrNotTrusted, wantSHA256, sum)
	}
	if p, _, err := up.FindCachedTarget(info, ""); err == nil && p != "" {
		return Download{Path: p, Length: info.Length, SHA256: sum}, nil
	}
	p, _, err := up.DownloadTarget(info, "", "")
	if err != nil {
		return Download{}, classify("download "+targetPath, err)
	}
	return Download{Path: p, Length: info.Length, SHA256: sum}, nil
}

// classify wraps TUF's verification errors in ErrNotTrusted; network
// trouble stays retryable.
func classify(what string, err error) error {
	var dl *metadata.ErrDownloadHTTP
	var ce *Error
	switch {
	case errors.As(err, &ce):
		return fmt.Errorf("%s: %w", what, err)
	case errors.As(err, &dl):
		return &Error{Status: dl.StatusCode, Message: what + ": " + err.Error(), Retry: dl.StatusCode >= 500}
	}
	return fmt.Errorf("%w: %s: %v", ErrNotTrusted, what, err)
}

// tokenFetcher downloads TUF files with the site token, the client's HTTP
// client and the caller's context.
type tokenFetcher struct {
	ctx context.Context
	c   *Client
}

var _ fetcher.Fetcher = (*tokenFetcher)(nil)

// DownloadFile fetches urlPath, reading at most maxLength bytes.
func (f *tokenFetcher) DownloadFile(urlPath string, maxLength int64, _ time.Duration) ([]byte, error) {
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, urlPath, nil)
	if err != nil {
		return nil, err
	}
	f.c.mu.Lock()
	tok := f.c.token
	f.c.mu.Unlock()
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("User-Agent", "lifeline-site/"+f.c.ver)
	resp, err := f.c.hc.Do(req)
	if err != nil {
		return nil, &Error{Message: "fleet not reachable: " + err.Error(), Retry: true}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &metadata.ErrDownloadHTTP{StatusCode: resp.StatusCode, URL: urlPath}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxLength+1))
	if err != nil {
		return nil, &Error{Message: "download " + urlPath + ": " + err.Error(), Retry: true}
	}
	if int64(len(data)) > maxLength {
		return nil, &metadata.ErrDownloadLengthMismatch{Msg: fmt.Sprintf("download of %s is longer than %d bytes", urlPath, maxLength)}
	}
	return data, nil
}
