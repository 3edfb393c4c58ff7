package journal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/lifeline-project/lifeline/internal/journal/durable"
)

// writeBoth appends data to both copies and syncs them in parallel. On
// failure it cuts both copies back to their committed size, so that the
// copies never hold an entry that was not acknowledged, marks the failed
// copy to be opened afresh before the next write, and returns an
// EUNAVAILABLE error naming that copy.
func (j *Journal) writeBoth(data []byte) error {
	for _, c := range []*copyFile{j.primary, j.mirror} {
		if c.reopen {
			if err := j.reopenCopy(c, j.other(c)); err != nil {
				return j.writeErr(c, err)
			}
		}
	}
	var mirrorErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		mirrorErr = appendSync(j.mirror, data)
	}()
	primaryErr := appendSync(j.primary, data)
	wg.Wait()
	if primaryErr == nil && mirrorErr == nil {
		j.primary.size += int64(len(data))
		j.mirror.size += int64(len(data))
		return nil
	}
	for _, c := range []*copyFile{j.primary, j.mirror} {
		c.dirty = true
		if err := truncateSync(c.f, c.size); err == nil {
			c.dirty = false
		}
	}
	if primaryErr != nil {
		j.primary.reopen = true
		return j.writeErr(j.primary, primaryErr)
	}
	j.mirror.reopen = true
	return j.writeErr(j.mirror, mirrorErr)
}

func (j *Journal) other(c *copyFile) *copyFile {
	if c == j.primary {
		return j.mirror
	}
	return j.primary
}

func (j *Journal) writeErr(c *copyFile, err error) *Error {
	j.log.Error("journal: cannot write a copy; sale not acknowledged", "copy", c.name, "path", c.path, "err", err)
	if c == j.primary {
		return &Error{Code: EUNAVAILABLE, Op: "append", Path: c.path,
			DE: "Verkauf nicht gespeichert: Der Journal-Ordner ist nicht beschreibbar (Platte voll oder defekt?). Bitte erneut versuchen oder auf Papier notieren.",
			EN: "sale not saved: the journal folder is not writable (disk full or failing?); retry or note it on paper", Err: err}
	}
	return &Error{Code: EUNAVAILABLE, Op: "append", Path: c.path,
		DE: "Verkauf nicht gespeichert: Die zweite Kopie (" + j.cfg.MirrorDir + ") ist nicht beschreibbar. USB-Stick, Freigabe oder zweite Platte prüfen und erneut versuchen.",
		EN: "sale not saved: the mirror copy (" + j.cfg.MirrorDir + ") is not writable; check the USB stick, share or second disk and retry", Err: err}
}

// appendSync writes data at the copy's committed end and syncs it, first
// cutting off bytes a failed earlier write may have left.
func appendSync(c *copyFile, data []byte) error {
	if c.dirty {
		if err := truncateSync(c.f, c.size); err != nil {
			return fmt.Errorf("cut off an unacknowledged write: %w", err)
		}
		c.dirty = false
	}
	if _, err := c.f.WriteAt(data, c.size); err != nil {
		return err
	}
	return syncData(c.f)
}

// compareSpan is how much of the start and of the end of the common part
// reopenCopy compares before it trusts a file it finds again.
const compareSpan = 64 << 10

// reopenCopy opens a failed copy afresh and brings it level with src, the
// copy that kept working. A file that is gone or empty (a new USB stick)
// gets the whole journal; a file that lags gets the missing entries; a
// file that does not match the journal is left alone and reported.
func (j *Journal) reopenCopy(c, src *copyFile) error {
	j.mu.Lock() // readers use primary.f
	defer j.mu.Unlock()
	c.f.Close()
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	_, statErr := os.Stat(c.path)
	f, err := os.OpenFile(c.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	if errors.Is(statErr, os.ErrNotExist) {
		if err := durable.SyncDir(c.dir); err != nil {
			return err
		}
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	common := min(size, c.size)
	same, err := samePrefix(f, src.f, common)
	if err != nil {
		return err
	}
	if !same {
		return fmt.Errorf("the file found at %s is not this journal's copy; left as it is", c.path)
	}
	if size > c.size {
		if err := f.Truncate(c.size); err != nil {
			return err
		}
	}
	if size < c.size {
		if _, err := io.Copy(io.NewOffsetWriter(f, size), io.NewSectionReader(src.f, size, c.size-size)); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	ok = true
	c.f, c.reopen, c.dirty = f, false, false
	j.log.Warn("journal: copy opened afresh and brought level", "copy", c.name, "path", c.path, "had_bytes", size, "now_bytes", c.size)
	return nil
}

// samePrefix compares the first and the last compareSpan bytes of the
// first n bytes of a and b.
func samePrefix(a, b *os.File, n int64) (bool, error) {
	spans := [][2]int64{{0, min(n, compareSpan)}, {max(n-compareSpan, 0), n}}
	for _, sp := range spans {
		ba, bb := make([]byte, sp[1]-sp[0]), make([]byte, sp[1]-sp[0])
		if _, err := a.ReadAt(ba, sp[0]); err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		if _, err := b.ReadAt(bb, sp[0]); err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		if !bytes.Equal(ba, bb) {
			return false, nil
		}
	}
	return true, nil
}
