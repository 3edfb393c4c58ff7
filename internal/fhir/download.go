package fhir

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/lifeline-project/lifeline/internal/seal"
)

// A download waits on disk for its import, and may wait long (a resumed
// download after a restart). Its content is patient data, so it is sealed:
// the file is a sequence of records, each a 4-byte big-endian length and a
// sealed chunk of at most chunkSize bytes of the NDJSON. The associated
// data binds a chunk to its job, file and position, so chunks cannot be
// reordered. A torn last record (a crash while writing) does not open and
// is cut off when the file is opened again; the download resumes after the
// last complete chunk.

const chunkSize = 256 << 10

// sealedFile is a download in progress: a Sink that seals what it gets.
type sealedFile struct {
	f    *os.File
	kr   *seal.Keyring
	job  string
	idx  int
	seq  int
	size int64 // plaintext bytes persisted
	buf  []byte
}

var _ Sink = (*sealedFile)(nil)

func chunkAD(job string, idx, seq int) []byte {
	return seal.AD("fhir", "download", job, strconv.Itoa(idx), strconv.Itoa(seq))
}

// openSealedFile opens (creating) the download file of file idx of a job
// and finds how much of it is complete, cutting off a torn record.
func openSealedFile(path string, kr *seal.Keyring, job string, idx int) (*sealedFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open download file %s: %w", path, err)
	}
	s := &sealedFile{f: f, kr: kr, job: job, idx: idx}
	var good int64
	r := bufio.NewReader(f)
	for {
		pt, n, err := readChunk(r, kr, job, idx, s.seq)
		if err != nil {
			break // end of file, or a torn or damaged record: cut here
		}
		good += n
		s.size += int64(len(pt))
		s.seq++
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, fmt.Errorf("cut torn end of download file %s: %w", path, err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// readChunk reads and opens one record; n is its size on disk.
func readChunk(r io.Reader, kr *seal.Keyring, job string, idx, seq int) ([]byte, int64, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, 0, err
	}
	l := binary.BigEndian.Uint32(hdr[:])
	if l > chunkSize+seal.Overhead {
		return nil, 0, errors.New("download chunk too large: file damaged")
	}
	sealed := make([]byte, l)
	if _, err := io.ReadFull(r, sealed); err != nil {
		return nil, 0, err
	}
	pt, err := kr.Open(sealed, chunkAD(job, idx, seq))
	if err != nil {
		return nil, 0, err
	}
	return pt, int64(4 + l), nil
}

// Size returns the plaintext bytes persisted: where a download resumes.
func (s *sealedFile) Size() int64 { return s.size }

// Write buffers p and seals every full chunk.
func (s *sealedFile) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	for len(s.buf) >= chunkSize {
		if err := s.writeChunk(s.buf[:chunkSize]); err != nil {
			return 0, err
		}
		s.buf = append(s.buf[:0], s.buf[chunkSize:]...)
	}
	return len(p), nil
}

func (s *sealedFile) writeChunk(pt []byte) error {
	sealed, err := s.kr.Seal(pt, chunkAD(s.job, s.idx, s.seq))
	if err != nil {
		return err
	}
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(sealed)))
	if _, err := s.f.Write(append(hdr[:], sealed...)); err != nil {
		return fmt.Errorf("write download file %s: %w", s.f.Name(), err)
	}
	s.seq++
	s.size += int64(len(pt))
	return nil
}

// Flush seals what is buffered and syncs the file, so Size is on disk.
func (s *sealedFile) Flush() error {
	if len(s.buf) > 0 {
		if err := s.writeChunk(s.buf); err != nil {
			return err
		}
		s.buf = s.buf[:0]
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync download file %s: %w", s.f.Name(), err)
	}
	return nil
}

// Reset empties the file (the server sent the whole file again).
func (s *sealedFile) Reset() error {
	s.buf, s.seq, s.size = s.buf[:0], 0, 0
	if err := s.f.Truncate(0); err != nil {
		return err
	}
	_, err := s.f.Seek(0, io.SeekStart)
	return err
}

// Close closes the file without flushing.
func (s *sealedFile) Close() error { return s.f.Close() }

// chunkReader reads the plaintext of a complete download file.
type chunkReader struct {
	f   *os.File
	r   *bufio.Reader
	kr  *seal.Keyring
	job string
	idx int
	seq int
	cur []byte
	n   int64 // bytes on disk
}

func openChunkReader(path string, kr *seal.Keyring, job string, idx int) (*chunkReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open download file %s: %w", path, err)
	}
	return &chunkReader{f: f, r: bufio.NewReaderSize(f, 64<<10), kr: kr, job: job, idx: idx}, nil
}

// Read returns plaintext, opening one chunk at a time.
func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.cur) == 0 {
		pt, n, err := readChunk(c.r, c.kr, c.job, c.idx, c.seq)
		if errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		if err != nil {
			return 0, fmt.Errorf("download file %s, chunk %d: %w", c.f.Name(), c.seq, err)
		}
		c.seq++
		c.n += n
		c.cur = pt
	}
	n := copy(p, c.cur)
	c.cur = c.cur[n:]
	return n, nil
}

// Close closes the file.
func (c *chunkReader) Close() error { return c.f.Close() }
