package journal

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/lifeline-project/lifeline/internal/journal/durable"
)

// CopyReport is what Verify found in one copy.
type CopyReport struct {
	Path   string `json:"path"`
	Exists bool   `json:"exists"`
	// Entries counts the intact entries from the start of the copy.
	Entries  int64  `json:"entries"`
	LastHash string `json:"last_hash"`
	// TornBytes counts the bytes of an incomplete last record (a write cut
	// short by a crash; never acknowledged; cut off at the next start).
	TornBytes int64 `json:"torn_bytes,omitempty"`
}

// Report is the result of Verify.
type Report struct {
	Primary CopyReport  `json:"primary"`
	Mirror  *CopyReport `json:"mirror,omitempty"`
	// Live is true when a running lifeline had the journal open during the
	// check; an entry being written may then be in one copy only, which is
	// noted but not a problem.
	Live bool `json:"live"`
	// Problems lists what is broken, the first broken entry first.
	Problems []Problem `json:"problems"`
	// Notes lists what is worth knowing but not broken.
	Notes []Problem `json:"notes"`
}

// OK reports whether the chain is intact and the copies agree.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Verify checks the journal copy at primaryPath and, unless mirrorPath is
// empty, the copy at mirrorPath and that both hold the same entries. Each
// path is a journal file (ending in .jsonl) or the folder holding it.
//
// It always returns a report when it could read the copies. The error is
// nil when everything is intact; an *Error with code ECORRUPT naming the
// first broken entry ("Eintrag 17: Hash passt nicht zum Vorgänger",
// "Nummer 18 fehlt") when not; and an *Error with code EUNAVAILABLE when a
// copy cannot be read at all.
func Verify(primaryPath, mirrorPath string) (*Report, error) {
	pf := journalFile(primaryPath)
	rep := &Report{Problems: []Problem{}, Notes: []Problem{}}
	live, err := durable.IsLocked(filepath.Join(filepath.Dir(pf), lockName))
	if err != nil {
		return nil, &Error{Code: EUNAVAILABLE, Op: "verify", Path: pf, DE: "Journal-Ordner nicht lesbar.", EN: "journal folder not readable", Err: err}
	}
	rep.Live = live
	sp, err := verifyCopy(rep, "primary", pf, &rep.Primary)
	if err != nil {
		return nil, err
	}
	if mirrorPath != "" {
		mf := journalFile(mirrorPath)
		rep.Mirror = &CopyReport{}
		sm, err := verifyCopy(rep, "mirror", mf, rep.Mirror)
		if err != nil {
			return nil, err
		}
		compareCopies(rep, sp, sm)
	}
	slices.SortStableFunc(rep.Problems, func(a, b Problem) int { return cmp.Compare(a.Number, b.Number) })
	if len(rep.Problems) > 0 {
		p := rep.Problems[0]
		e := &Error{Code: ECORRUPT, Op: "verify", Number: p.Number, DE: p.DE, EN: p.EN}
		switch p.Copy {
		case "primary":
			e.Path, e.DE, e.EN = pf, "Hauptkopie, "+p.DE, "primary copy, "+p.EN
		case "mirror":
			e.Path, e.DE, e.EN = journalFile(mirrorPath), "Zweite Kopie, "+p.DE, "mirror copy, "+p.EN
		}
		return rep, e
	}
	return rep, nil
}

// journalFile turns a folder into the journal file inside it.
func journalFile(p string) string {
	if filepath.Ext(p) == ".jsonl" {
		return p
	}
	return filepath.Join(p, FileName)
}

func verifyCopy(rep *Report, name, path string, cr *CopyReport) (*scanResult, error) {
	cr.Path = path
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return &scanResult{}, nil
	}
	if err != nil {
		return nil, &Error{Code: EUNAVAILABLE, Op: "verify", Path: path, DE: "Journal-Datei nicht lesbar: " + path, EN: "journal file not readable: " + path, Err: err}
	}
	defer f.Close()
	cr.Exists = true
	res, err := scan(io.Reader(f))
	if err != nil {
		return nil, &Error{Code: EUNAVAILABLE, Op: "verify", Path: path, DE: "Journal-Datei nicht lesbar: " + path, EN: "journal file not readable: " + path, Err: err}
	}
	cr.Entries = int64(len(res.recs))
	cr.LastHash = res.lastHash()
	cr.TornBytes = res.tornBytes
	if res.problem != nil {
		p := *res.problem
		p.Copy = name
		rep.Problems = append(rep.Problems, p)
	}
	if res.tornBytes > 0 {
		n := int64(len(res.recs)) + 1
		de, en := "wird beim nächsten Start entfernt", "removed at the next start"
		if rep.Live {
			de, en = "wird vermutlich gerade geschrieben", "probably being written right now"
		}
		rep.Notes = append(rep.Notes, Problem{Copy: name, Number: n,
			DE: fmt.Sprintf("%s: Eintrag %d unvollständig (%d Bytes; Absturz beim Schreiben, nie bestätigt; %s)", copyNameDE(name), n, res.tornBytes, de),
			EN: fmt.Sprintf("%s copy: entry %d incomplete (%d bytes; crash while writing, never acknowledged; %s)", name, n, res.tornBytes, en)})
	}
	return res, nil
}

func compareCopies(rep *Report, sp, sm *scanResult) {
	np, nm := len(sp.recs), len(sm.recs)
	for i := range min(np, nm) {
		if sp.recs[i].hash != sm.recs[i].hash {
			n := int64(i + 1)
			rep.Problems = append(rep.Problems, Problem{Number: n,
				DE: fmt.Sprintf("Eintrag %d: Hauptkopie und zweite Kopie unterschiedlich", n),
				EN: fmt.Sprintf("entry %d: primary and mirror copy differ", n)})
			return
		}
	}
	if np == nm {
		return
	}
	if rep.Live && sp.problem == nil && sm.problem == nil {
		rep.Notes = append(rep.Notes, Problem{Number: int64(min(np, nm)) + 1,
			DE: fmt.Sprintf("Hauptkopie hat %d, zweite Kopie %d Einträge; lifeline schreibt gerade", np, nm),
			EN: fmt.Sprintf("primary copy has %d entries, mirror copy %d; lifeline is writing right now", np, nm)})
		return
	}
	if (np < nm && sp.problem != nil) || (nm < np && sm.problem != nil) {
		return // the shorter copy is broken there; that problem is reported already
	}
	// "fehlt/fehlen in der zweiten Kopie (die Hauptkopie hat …)"
	inDE, otherDE, inEN := "zweiten Kopie", "Hauptkopie", "mirror"
	if nm > np {
		inDE, otherDE, inEN = "Hauptkopie", "zweite Kopie", "primary"
	}
	n, hi := int64(min(np, nm))+1, int64(max(np, nm))
	p := Problem{Number: n,
		DE: fmt.Sprintf("Nummer %d bis %d fehlen in der %s (die %s hat sie; wird beim nächsten Start angeglichen)", n, hi, inDE, otherDE),
		EN: fmt.Sprintf("numbers %d to %d are missing in the %s copy (the other copy has them; levelled at the next start)", n, hi, inEN)}
	if hi == n {
		p.DE = fmt.Sprintf("Nummer %d fehlt in der %s (die %s hat sie; wird beim nächsten Start angeglichen)", n, inDE, otherDE)
		p.EN = fmt.Sprintf("number %d is missing in the %s copy (the other copy has it; levelled at the next start)", n, inEN)
	}
	rep.Problems = append(rep.Problems, p)
}
