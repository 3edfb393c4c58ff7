package fhir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxLine is the longest NDJSON line accepted (64 MiB); a longer line is
// reported as malformed and skipped.
const MaxLine = 64 << 20

// LineError is one malformed line of an NDJSON file: it is reported and
// the rest of the file is imported.
type LineError struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// String formats the problem as "file:line: reason".
func (e LineError) String() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason) }

// errLineTooLong marks a line longer than the limit.
var errLineTooLong = errors.New("line too long")

// readLines calls fn for every non-empty line of r with its 1-based
// number; a line longer than max is passed as nil with errLineTooLong.
// The slice is only valid during the call.
func readLines(r io.Reader, max int, fn func(n int, line []byte, err error) error) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var buf []byte
	n := 0
	for {
		frag, err := br.ReadSlice('\n')
		tooLong := false
		line := frag
		if errors.Is(err, bufio.ErrBufferFull) {
			buf = append(buf[:0], frag...)
			for errors.Is(err, bufio.ErrBufferFull) {
				frag, err = br.ReadSlice('\n')
				if !tooLong {
					buf = append(buf, frag...)
					if len(buf) > max {
						tooLong, buf = true, buf[:0]
					}
				}
			}
			line = buf
		}
		if len(line) > max {
			tooLong = true
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if len(line) > 0 || tooLong {
			n++
			switch {
			case tooLong:
				if ferr := fn(n, nil, errLineTooLong); ferr != nil {
					return ferr
				}
			case len(bytes.TrimSpace(line)) > 0:
				if ferr := fn(n, line, nil); ferr != nil {
					return ferr
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// ReadResources reads NDJSON resources from r and calls fn for each one
// that parses. Malformed lines are returned as LineErrors naming file and
// line; an error of fn or of the reader ends the reading.
func ReadResources(r io.Reader, file string, fn func(*Resource) error) ([]LineError, error) {
	var problems []LineError
	err := readLines(r, MaxLine, func(n int, line []byte, lerr error) error {
		if lerr != nil {
			problems = append(problems, LineError{File: file, Line: n, Reason: fmt.Sprintf("longer than %d MiB", MaxLine>>20)})
			return nil
		}
		res, err := ParseResource(line)
		if err != nil {
			problems = append(problems, LineError{File: file, Line: n, Reason: err.Error()})
			return nil
		}
		return fn(res)
	})
	if err != nil {
		return problems, fmt.Errorf("read %s: %w", file, err)
	}
	return problems, nil
}

// Deletion is a resource the server reports as deleted.
type Deletion struct {
	Type string
	ID   string
}

// ReadDeleted reads a Bulk Data "deleted" file: NDJSON of Bundles whose
// entries carry request.method DELETE and request.url "Type/id".
func ReadDeleted(r io.Reader, file string, fn func(Deletion) error) ([]LineError, error) {
	var problems []LineError
	err := readLines(r, MaxLine, func(n int, line []byte, lerr error) error {
		if lerr != nil {
			problems = append(problems, LineError{File: file, Line: n, Reason: "line too long"})
			return nil
		}
		dels, err := parseDeletedBundle(line)
		if err != nil {
			problems = append(problems, LineError{File: file, Line: n, Reason: err.Error()})
			return nil
		}
		for _, d := range dels {
			if err := fn(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return problems, fmt.Errorf("read %s: %w", file, err)
	}
	return problems, nil
}

type deletedBundle struct {
	ResourceType string `json:"resourceType"`
	Entry        []struct {
		Request *struct {
			Method string `json:"method"`
			URL    string `json:"url"`
		} `json:"request"`
	} `json:"entry"`
}

func parseDeletedBundle(line []byte) ([]Deletion, error) {
	var b deletedBundle
	if err := json.Unmarshal(line, &b); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotResource, jsonReason(err))
	}
	if b.ResourceType != "Bundle" {
		return nil, fmt.Errorf("%w: a deleted file must hold Bundles, not %q", ErrNotResource, b.ResourceType)
	}
	var out []Deletion
	for i, e := range b.Entry {
		if e.Request == nil || e.Request.Method != "DELETE" {
			return nil, fmt.Errorf("entry %d: request.method must be DELETE", i)
		}
		ref := ParseRef(e.Request.URL, "")
		if ref.Type == "" || !validID(ref.ID) {
			return nil, fmt.Errorf("entry %d: request.url must be Type/id", i)
		}
		out = append(out, Deletion{Type: ref.Type, ID: ref.ID})
	}
	return out, nil
}
