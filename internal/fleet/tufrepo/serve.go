package tufrepo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

// StoreArtifact copies r into dir under its SHA-256 (hex), written to a
// temporary file, synced and renamed, so that a crash never leaves a
// half-written artifact under a hash name. It returns the hash and length.
// An artifact larger than maxBytes is refused (EINVALID).
func StoreArtifact(dir string, r io.Reader, maxBytes int64) (sum string, n int64, err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", 0, fmt.Errorf("create artifacts folder: %w", err)
	}
	f, err := os.CreateTemp(dir, "upload-*")
	if err != nil {
		return "", 0, fmt.Errorf("store artifact: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	n, err = io.Copy(io.MultiWriter(f, h), io.LimitReader(r, maxBytes+1))
	if err != nil {
		return "", 0, fmt.Errorf("store artifact: %w", err)
	}
	if n > maxBytes {
		return "", 0, fleet.Errorf(fleet.EINVALID, "Die Datei ist größer als %d MB.", "The file is larger than %d MB.", maxBytes>>20)
	}
	if n == 0 {
		return "", 0, fleet.Errorf(fleet.EINVALID, "Die Datei ist leer.", "The file is empty.")
	}
	if err = f.Sync(); err != nil {
		return "", 0, fmt.Errorf("store artifact: %w", err)
	}
	if err = f.Close(); err != nil {
		return "", 0, fmt.Errorf("store artifact: %w", err)
	}
	sum = hex.EncodeToString(h.Sum(nil))
	if err = os.Rename(tmp, filepath.Join(dir, sum)); err != nil {
		return "", 0, fmt.Errorf("store artifact: %w", err)
	}
	return sum, n, nil
}

var metaNameRE = regexp.MustCompile(`^([0-9]{1,12}\.)?(root|targets|snapshot|timestamp)\.json$`)

// MetadataHandler serves GET <prefix>{name}: the metadata files as go-tuf's
// updater asks for them (timestamp.json, N.root.json, N.snapshot.json,
// N.targets.json).
func (r *Repo) MetadataHandler(prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		name := strings.TrimPrefix(req.URL.Path, prefix)
		if !metaNameRE.MatchString(name) {
			http.NotFound(w, req)
			return
		}
		data, err := r.store.TUFFile(req.Context(), name)
		if fleet.ErrorCode(err) == fleet.ENOTFOUND {
			http.NotFound(w, req)
			return
		}
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(data)
	})
}

var hashNameRE = regexp.MustCompile(`^([0-9a-f]{64})\.[0-9A-Za-z][0-9A-Za-z._+-]*$`)

// TargetsHandler serves GET <prefix><dir>/<sha256>.<name> from the
// artifacts folder (consistent snapshots: the hash names the content, so
// any such name is safe to serve).
func TargetsHandler(prefix, dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rest := strings.TrimPrefix(req.URL.Path, prefix)
		m := hashNameRE.FindStringSubmatch(path.Base(rest))
		if m == nil || strings.Contains(rest, "..") {
			http.NotFound(w, req)
			return
		}
		f, err := os.Open(filepath.Join(dir, m[1]))
		if err != nil {
			http.NotFound(w, req)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, req, "", st.ModTime(), f)
	})
}
