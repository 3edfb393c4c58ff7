package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxLine caps one record's line; real records are well under 100 KiB even
// with MaxItems items.
const maxLine = 1 << 20

// Problem is one thing wrong with a journal copy or between the copies.
// DE and EN are whole sentences naming the entry ("Eintrag 17: Hash passt
// nicht zum Vorgänger", "Nummer 18 fehlt").
type Problem struct {
	// Copy is "primary" or "mirror", or "" for a difference between them.
	Copy string `json:"copy,omitempty"`
	// Number is the first entry concerned.
	Number int64  `json:"number"`
	DE     string `json:"message"`
	EN     string `json:"message_en"`
}

// String returns the German sentence with the English one in brackets.
func (p Problem) String() string { return p.DE + " (" + p.EN + ")" }

// scanned is what the index keeps of a valid record.
type scanned struct {
	off    int64
	size   int64 // including the "\n"
	number int64
	key    string
	hash   string
}

// scanResult is what a scan of one copy found.
type scanResult struct {
	recs      []scanned
	validSize int64 // bytes of the intact prefix of records
	fileSize  int64
	// tornBytes counts the bytes after the intact prefix that are the
	// remains of a write cut short by a crash: an incomplete last record
	// that was never acknowledged and may be cut off.
	tornBytes int64
	// problem is the first damage that is not a torn tail: an altered,
	// missing or out-of-order entry in the middle. Nil when none.
	problem *Problem
}

func (s *scanResult) lastHash() string {
	if len(s.recs) == 0 {
		return GenesisHash
	}
	return s.recs[len(s.recs)-1].hash
}

// scan reads a journal copy and checks every record and the chain.
func scan(r io.Reader) (*scanResult, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	res := &scanResult{}
	var (
		off      int64
		prev     = GenesisHash
		keys     = make(map[string]int64)
		failed   bool  // a torn-tail candidate was seen at failNum
		failNum  int64 // entry number expected at the candidate
		lineBuf  []byte
		expected = int64(1)
	)
	for {
		line, consumed, complete, tooLong, err := readLine(br, &lineBuf)
		if err != nil {
			return nil, err
		}
		if consumed == 0 {
			break
		}
		lineOff := off
		off += consumed
		if failed {
			// After a torn-tail candidate only crash debris may follow. A
			// complete JSON object means a damaged entry in the middle.
			if complete && !tooLong && looksLikeRecord(line) {
				res.problem = &Problem{Number: failNum,
					DE: fmt.Sprintf("Eintrag %d: nicht lesbar, aber danach folgen weitere Einträge", failNum),
					EN: fmt.Sprintf("entry %d: not readable, but further entries follow", failNum)}
				return finish(res, off, br)
			}
			continue
		}
		if tooLong {
			failed, failNum = true, expected
			continue
		}
		if !complete {
			// The last bytes, without "\n": the journal writes a record and
			// its "\n" together and acknowledges only after the sync, so this
			// was never acknowledged.
			failed, failNum = true, expected
			continue
		}
		e, perr := ParseRecord(line)
		var re *RecordError
		if perr != nil && !errors.As(perr, &re) {
			return nil, perr
		}
		if perr != nil && re.kind == kindSyntax {
			// Incomplete: a torn tail if nothing record-like follows.
			failed, failNum = true, expected
			continue
		}
		if perr != nil {
			res.problem = &Problem{Number: expected,
				DE: fmt.Sprintf("Eintrag %d: %s", expected, re.DE),
				EN: fmt.Sprintf("entry %d: %s", expected, re.EN)}
			return finish(res, off, br)
		}
		switch {
		case e.Number > expected:
			res.problem = &Problem{Number: expected,
				DE: missingDE(expected, e.Number), EN: missingEN(expected, e.Number)}
		case e.Number < expected:
			res.problem = &Problem{Number: e.Number,
				DE: fmt.Sprintf("Nummer %d doppelt oder außer der Reihe (erwartet: Nummer %d)", e.Number, expected),
				EN: fmt.Sprintf("number %d repeated or out of order (expected number %d)", e.Number, expected)}
		case e.PrevHash != prev:
			res.problem = &Problem{Number: e.Number,
				DE: fmt.Sprintf("Eintrag %d: Hash passt nicht zum Vorgänger", e.Number),
				EN: fmt.Sprintf("entry %d: hash does not match its predecessor", e.Number)}
		default:
			if first, dup := keys[e.IdempotencyKey]; dup {
				res.problem = &Problem{Number: e.Number,
					DE: fmt.Sprintf("Eintrag %d: Idempotenzschlüssel schon in Eintrag %d verwendet", e.Number, first),
					EN: fmt.Sprintf("entry %d: idempotency key already used by entry %d", e.Number, first)}
			}
		}
		if res.problem != nil {
			return finish(res, off, br)
		}
		keys[e.IdempotencyKey] = e.Number
		res.recs = append(res.recs, scanned{off: lineOff, size: consumed, number: e.Number, key: e.IdempotencyKey, hash: e.Hash})
		res.validSize = off
		prev = e.Hash
		expected++
	}
	res.fileSize = off
	if failed {
		res.tornBytes = off - res.validSize
	}
	return res, nil
}

// finish records the file size after a problem was found.
func finish(res *scanResult, off int64, br *bufio.Reader) (*scanResult, error) {
	rest, err := io.Copy(io.Discard, br)
	if err != nil {
		return nil, err
	}
	res.fileSize = off + rest
	return res, nil
}

func missingDE(from, to int64) string {
	if to == from+1 {
		return fmt.Sprintf("Nummer %d fehlt", from)
	}
	return fmt.Sprintf("Nummer %d bis %d fehlen", from, to-1)
}

func missingEN(from, to int64) string {
	if to == from+1 {
		return fmt.Sprintf("number %d is missing", from)
	}
	return fmt.Sprintf("numbers %d to %d are missing", from, to-1)
}

func looksLikeRecord(line []byte) bool {
	t := bytes.TrimSpace(line)
	return len(t) > 0 && t[0] == '{' && json.Valid(t)
}

// readLine returns the next line without its "\n", the bytes it consumed,
// whether it ended with "\n", and whether it was longer than maxLine (then
// line holds only its start). consumed == 0 means end of input.
func readLine(br *bufio.Reader, buf *[]byte) (line []byte, consumed int64, complete, tooLong bool, err error) {
	*buf = (*buf)[:0]
	for {
		chunk, rerr := br.ReadSlice('\n')
		consumed += int64(len(chunk))
		if !tooLong {
			if len(*buf)+len(chunk) > maxLine+1 {
				tooLong = true
			} else {
				*buf = append(*buf, chunk...)
			}
		}
		switch {
		case rerr == nil:
			l := *buf
			if !tooLong {
				l = l[:len(l)-1]
			}
			return l, consumed, true, tooLong, nil
		case errors.Is(rerr, bufio.ErrBufferFull):
			continue
		case errors.Is(rerr, io.EOF):
			return *buf, consumed, false, tooLong, nil
		default:
			return nil, 0, false, false, rerr
		}
	}
}
