package agent

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/lifeline-project/lifeline/internal/check"
)

// artifactName returns the file name of a verified artifact:
// <sha256>.<name>, so that one version never overwrites another.
func artifactName(t Target) string {
	return t.Hashes["sha256"] + "." + safeName(path.Base(t.Path))
}

// partPath returns where the artifact is downloaded to before it is
// verified.
func (a *Agent) partPath(t Target) string {
	return filepath.Join(a.artifactsDir(), artifactName(t)+".part")
}

// finalPath returns where the verified artifact is kept.
func (a *Agent) finalPath(t Target) string {
	return filepath.Join(a.artifactsDir(), artifactName(t))
}

// download fetches the artifact into its .part file, continuing where an
// earlier attempt stopped (HTTP Range). It never writes more than the
// signed length: a longer answer is a *VerifyError. Other errors are
// temporary; the part file is kept for the next attempt.
func (a *Agent) download(ctx context.Context, t Target) error {
	if err := os.MkdirAll(a.artifactsDir(), 0o700); err != nil {
		return fmt.Errorf("create the artifacts folder: %w", err)
	}
	part := a.partPath(t)
	var have int64
	if st, err := os.Stat(part); err == nil {
		have = st.Size()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if have > t.Length {
		have = 0 // cannot be ours: start over
	}
	if have == t.Length {
		return nil
	}
	body, start, err := a.repo.Open(ctx, t, have)
	if err != nil {
		return err
	}
	defer body.Close()
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", part, err)
	}
	defer f.Close()
	if err := f.Truncate(start); err != nil {
		return fmt.Errorf("truncate %s: %w", part, err)
	}
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return err
	}
	n, copyErr := io.Copy(f, io.LimitReader(body, t.Length-start+1))
	if err := f.Sync(); err != nil && copyErr == nil {
		copyErr = err
	}
	if start+n > t.Length {
		f.Close()
		os.Remove(part)
		return &VerifyError{Reason: check.Msg("Die heruntergeladene Datei ist länger als signiert; das Update wird nicht installiert",
			"the downloaded file is longer than signed; the update is not installed")}
	}
	if copyErr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &temporary{err: fmt.Errorf("download interrupted after %d of %d bytes: %w", start+n, t.Length, copyErr), progress: n > 0}
	}
	if start+n < t.Length {
		return &temporary{err: fmt.Errorf("download ended after %d of %d bytes", start+n, t.Length), progress: n > 0}
	}
	return nil
}

// verifyFile checks that the file at p has the signed length and hashes.
// A mismatch is a *VerifyError; trouble reading the file is not.
func verifyFile(p string, t Target) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	hs := map[string]hash.Hash{}
	var ws []io.Writer
	for alg := range t.Hashes {
		var h hash.Hash
		switch alg {
		case "sha256":
			h = sha256.New()
		case "sha512":
			h = sha512.New()
		default:
			continue // the sha256 hash, always present, decides
		}
		hs[alg] = h
		ws = append(ws, h)
	}
	n, err := io.Copy(io.MultiWriter(ws...), f)
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	if n != t.Length {
		return &VerifyError{Reason: check.Msg(
			fmt.Sprintf("Die Datei hat %d statt der signierten %d Bytes; das Update wird nicht installiert", n, t.Length),
			fmt.Sprintf("the file has %d instead of the signed %d bytes; the update is not installed", n, t.Length))}
	}
	for alg, h := range hs {
		if got := hex.EncodeToString(h.Sum(nil)); got != t.Hashes[alg] {
			return &VerifyError{Reason: check.Msg(
				"Die Prüfsumme ("+alg+") der Datei stimmt nicht mit der Signatur des Herstellers überein: die Datei wurde verändert; das Update wird nicht installiert",
				"the file's "+alg+" hash does not match the vendor's signature: the file was altered; the update is not installed")}
		}
	}
	return nil
}
