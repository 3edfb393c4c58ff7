package journal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/journal/durable"
)

// Open opens the journal described by cfg, creating the folders and files
// when missing, and recovers from a crash (see the package comment).
// Errors: EINVALID for a config without two distinct folders, ELOCKED when
// another process has the journal open, ECORRUPT for damage that needs a
// person, EUNAVAILABLE when a folder cannot be read or written.
func Open(cfg Config, log *slog.Logger, clk clock.Clock) (*Journal, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clk == nil {
		clk = clock.Real{}
	}
	if ps := cfg.Validate(); len(ps) > 0 {
		return nil, &Error{Code: EINVALID, Op: "open", DE: "Journal falsch eingerichtet: " + ps[0].Error(),
			EN: "journal misconfigured: " + ps[0].Error()}
	}
	j := &Journal{
		cfg: cfg, log: log, clk: clk,
		newID: func() (string, error) {
			u, err := uuid.NewRandom()
			return u.String(), err
		},
		byKey: make(map[string]int64),
		reqs:  make(chan *appendReq),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if err := j.open(); err != nil {
		j.closeFiles()
		return nil, err
	}
	go j.run()
	return j, nil
}

func (j *Journal) open() error {
	for _, d := range []string{j.cfg.Dir, j.cfg.MirrorDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return unavailable("open", d, err)
		}
	}
	lock, err := durable.TryLock(filepath.Join(j.cfg.Dir, lockName))
	if errors.Is(err, durable.ErrLocked) {
		return &Error{Code: ELOCKED, Op: "open", Path: j.cfg.Dir,
			DE: "Das Journal ist schon von einem anderen lifeline-Prozess geöffnet.",
			EN: "the journal is already open in another lifeline process", Err: err}
	}
	if err != nil {
		return unavailable("open", j.cfg.Dir, err)
	}
	j.lock = lock
	j.primary, err = openCopy("primary", j.cfg.Dir)
	if err != nil {
		return err
	}
	j.mirror, err = openCopy("mirror", j.cfg.MirrorDir)
	if err != nil {
		return err
	}
	return j.recover()
}

func openCopy(name, dir string) (*copyFile, error) {
	path := filepath.Join(dir, FileName)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, unavailable("open", path, err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if err := durable.SyncDir(dir); err != nil {
			f.Close()
			return nil, unavailable("open", path, err)
		}
	}
	return &copyFile{name: name, dir: dir, path: path, f: f}, nil
}

// recover scans both copies, cuts torn tails, levels a lagging copy and
// builds the index.
func (j *Journal) recover() error {
	results := make(map[*copyFile]*scanResult, 2)
	for _, c := range []*copyFile{j.primary, j.mirror} {
		st, err := c.f.Stat()
		if err != nil {
			return unavailable("open", c.path, err)
		}
		res, err := scan(io.NewSectionReader(c.f, 0, st.Size()))
		if err != nil {
			return unavailable("open", c.path, err)
		}
		if res.problem != nil {
			return corrupt(c, *res.problem)
		}
		if res.tornBytes > 0 {
			j.log.Warn("journal: incomplete last record removed (crash while writing; it was never acknowledged)",
				"copy", c.name, "path", c.path, "bytes", res.tornBytes, "after_number", int64(len(res.recs)))
		}
		if res.fileSize != res.validSize {
			if err := truncateSync(c.f, res.validSize); err != nil {
				return unavailable("open", c.path, err)
			}
		}
		c.size = res.validSize
		results[c] = res
	}
	rp, rm := results[j.primary], results[j.mirror]
	common := min(len(rp.recs), len(rm.recs))
	for i := range common {
		if rp.recs[i].hash != rm.recs[i].hash {
			n := int64(i + 1)
			return corrupt(nil, Problem{Number: n,
				DE: fmt.Sprintf("Eintrag %d: Hauptkopie und zweite Kopie unterschiedlich", n),
				EN: fmt.Sprintf("entry %d: primary and mirror copy differ", n)})
		}
	}
	recs := rp.recs
	switch {
	case len(rp.recs) > len(rm.recs):
		if err := j.level(j.primary, j.mirror, rm.validSize, rp.validSize, len(rm.recs), len(rp.recs)); err != nil {
			return err
		}
	case len(rm.recs) > len(rp.recs):
		if err := j.level(j.mirror, j.primary, rp.validSize, rm.validSize, len(rp.recs), len(rm.recs)); err != nil {
			return err
		}
		recs = rm.recs
	}
	j.recs = recs
	for _, r := range recs {
		j.byKey[r.key] = r.number
	}
	j.lastHash = GenesisHash
	if len(recs) > 0 {
		j.lastHash = recs[len(recs)-1].hash
	}
	j.log.Info("journal: opened", "entries", len(recs), "primary", j.primary.path, "mirror", j.mirror.path)
	return nil
}

// level copies the bytes [from, to) of src to dst, whose records end at
// from, so that both copies hold the same records.
func (j *Journal) level(src, dst *copyFile, from, to int64, have, want int) error {
	level := slog.LevelInfo
	if have == 0 && dst == j.primary {
		level = slog.LevelWarn
	}
	j.log.Log(context.Background(), level, "journal: bringing a lagging copy level with the other",
		"copy", dst.name, "path", dst.path, "had", have, "now", want)
	buf := make([]byte, 1<<20)
	for off := from; off < to; {
		n := min(int64(len(buf)), to-off)
		if _, err := src.f.ReadAt(buf[:n], off); err != nil {
			return unavailable("open", src.path, err)
		}
		if _, err := dst.f.WriteAt(buf[:n], off); err != nil {
			return unavailable("open", dst.path, err)
		}
		off += n
	}
	if err := dst.f.Sync(); err != nil {
		return unavailable("open", dst.path, err)
	}
	dst.size = to
	return nil
}

func truncateSync(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

func unavailable(op, path string, err error) *Error {
	return &Error{Code: EUNAVAILABLE, Op: op, Path: path,
		DE: "Journal-Datei nicht lesbar oder nicht beschreibbar: " + path,
		EN: "journal file not readable or not writable: " + path, Err: err}
}

func corrupt(c *copyFile, p Problem) *Error {
	e := &Error{Code: ECORRUPT, Op: "open", Number: p.Number,
		DE: p.DE + ". Prüfen mit: lifeline journal verify",
		EN: p.EN + ". Check with: lifeline journal verify"}
	if c != nil {
		e.Path = c.path
		e.DE = copyNameDE(c.name) + ", " + e.DE
		e.EN = c.name + " copy, " + e.EN
	}
	return e
}

func copyNameDE(name string) string {
	if name == "mirror" {
		return "Zweite Kopie"
	}
	return "Hauptkopie"
}
