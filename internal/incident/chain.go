package incident

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// TimeFormat is how entry times are written into the hash and the store:
// UTC with nanoseconds, fixed width, so that text order is time order and
// a stored time reads back to the same instant.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// chainDomain separates lifeline's entry hashes from any other SHA-256 use.
const chainDomain = "lifeline-incident-entry-v1\n"

// hashed is the canonical form of an entry that its hash covers. JSON with
// fixed field order; encoding/json sorts the keys of Data.
type hashed struct {
	Seq        int64             `json:"seq"`
	IncidentID int64             `json:"incident_id"`
	At         string            `json:"at"`
	Kind       Kind              `json:"kind"`
	Actor      string            `json:"actor"`
	TextDE     string            `json:"text_de"`
	TextEN     string            `json:"text_en"`
	Data       map[string]string `json:"data"`
	Ref        string            `json:"ref"`
	PrevHash   string            `json:"prev_hash"`
}

// HashEntry returns the hex SHA-256 of the entry's content and PrevHash
// (the entry's own Hash is not part of it).
func HashEntry(e Entry) string {
	data := e.Data
	if data == nil {
		data = map[string]string{}
	}
	b, err := json.Marshal(hashed{
		Seq: e.Seq, IncidentID: e.IncidentID, At: e.At.UTC().Format(TimeFormat), Kind: e.Kind, Actor: e.Actor,
		TextDE: e.Text.DE, TextEN: e.Text.EN, Data: data, Ref: e.Ref, PrevHash: e.PrevHash,
	})
	if err != nil { // a map of strings always marshals
		panic(fmt.Sprintf("incident: marshal entry: %v", err))
	}
	h := sha256.New()
	h.Write([]byte(chainDomain))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// Seal turns a draft into the chain entry following head: the next
// sequence number, the previous hash and its own hash. Stores call it
// inside the transaction that reads the head.
func Seal(d Draft, head Head) Entry {
	e := Entry{
		Seq: head.Seq + 1, IncidentID: d.IncidentID, At: d.At.UTC().Round(0), Kind: d.Kind, Actor: d.Actor,
		Text: d.Text, Data: d.Data, Ref: d.Ref, PrevHash: head.Hash,
	}
	// Times are kept to the nanosecond as TimeFormat writes them.
	e.At, _ = time.Parse(TimeFormat, e.At.Format(TimeFormat))
	e.Hash = HashEntry(e)
	return e
}

// Problem is one thing Verify found wrong.
type Problem struct {
	// Seq is the entry concerned (0 for the chain head or an incident row).
	Seq        int64
	IncidentID int64
	Text       check.Text
}

// VerifyReport is the result of Verify.
type VerifyReport struct {
	Entries   int
	Incidents int
	// Head is the stored head; LastSeq and LastHash the last entry found.
	Head     Head
	LastSeq  int64
	LastHash string
	Problems []Problem
}

// OK reports whether the chain is intact.
func (r VerifyReport) OK() bool { return len(r.Problems) == 0 }

// Summary returns one sentence about the result.
func (r VerifyReport) Summary() check.Text {
	if r.OK() {
		return check.Msg(
			fmt.Sprintf("Kette in Ordnung: %d Einträge in %d Störung(en) geprüft, letzter Hash %s.", r.Entries, r.Incidents, short(r.LastHash)),
			fmt.Sprintf("Chain intact: %d entries in %d incident(s) verified, last hash %s.", r.Entries, r.Incidents, short(r.LastHash)))
	}
	return check.Msg(
		fmt.Sprintf("Kette beschädigt: %d Problem(e) in %d Einträgen. Die Einträge wurden nachträglich verändert, entfernt oder eingefügt.", len(r.Problems), r.Entries),
		fmt.Sprintf("Chain broken: %d problem(s) in %d entries. Entries were changed, removed or inserted afterwards.", len(r.Problems), r.Entries))
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// ChainReader is what Verify reads.
type ChainReader interface {
	// Chain calls fn with every entry in sequence order.
	Chain(ctx context.Context, fn func(Entry) error) error
	// Head returns the stored head of the chain.
	Head(ctx context.Context) (Head, error)
	// Incidents returns every incident row.
	Incidents(ctx context.Context, q Query) ([]Incident, error)
}

// Verify checks the whole chain: every entry's hash, the link to the entry
// before it, gap-free sequence numbers, the stored head, and that every
// incident row agrees with its entries (its opening and closing times). It
// returns an error only when the store cannot be read.
func Verify(ctx context.Context, st ChainReader) (VerifyReport, error) {
	var rep VerifyReport
	var prev Entry
	type span struct{ opened, closed time.Time }
	spans := map[int64]*span{}
	add := func(seq, inc int64, de, en string, args ...any) {
		rep.Problems = append(rep.Problems, Problem{Seq: seq, IncidentID: inc,
			Text: check.Msg(fmt.Sprintf(de, args...), fmt.Sprintf(en, args...))})
	}
	err := st.Chain(ctx, func(e Entry) error {
		rep.Entries++
		switch {
		case e.Seq > prev.Seq+1:
			add(e.Seq, e.IncidentID, "Vor Eintrag %d fehlen %d Einträge (zuletzt Nr. %d).", "%[1]d entries before entry %[2]d are missing (last was no. %[3]d).", e.Seq, e.Seq-prev.Seq-1, prev.Seq)
		case e.Seq != prev.Seq+1:
			add(e.Seq, e.IncidentID, "Eintrag %d steht an falscher Stelle (nach Nr. %d).", "entry %d is out of order (after no. %d).", e.Seq, prev.Seq)
		}
		if e.PrevHash != prev.Hash {
			add(e.Seq, e.IncidentID, "Eintrag %d passt nicht an seinen Vorgänger: der Vorgänger wurde verändert oder entfernt.", "entry %d does not link to its predecessor: the predecessor was changed or removed.", e.Seq)
		}
		if got := HashEntry(e); got != e.Hash {
			add(e.Seq, e.IncidentID, "Eintrag %d (Störung %d, %s) wurde nachträglich verändert: Hash stimmt nicht.", "entry %d (incident %d, %s) was changed afterwards: hash mismatch.", e.Seq, e.IncidentID, e.At.UTC().Format(time.RFC3339))
		}
		sp := spans[e.IncidentID]
		if sp == nil {
			sp = &span{}
			spans[e.IncidentID] = sp
		}
		switch e.Kind {
		case KindOpened:
			if sp.opened.IsZero() {
				sp.opened = e.At
			}
		case KindClosed:
			sp.closed = e.At
		}
		prev = e
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("read the incident chain: %w", err)
	}
	rep.LastSeq, rep.LastHash = prev.Seq, prev.Hash
	head, err := st.Head(ctx)
	if err != nil {
		return rep, fmt.Errorf("read the chain head: %w", err)
	}
	rep.Head = head
	if head.Seq != prev.Seq || head.Hash != prev.Hash {
		add(0, 0, "Das Ende der Kette fehlt: gespeichert ist Eintrag %d, gefunden nur bis %d. Einträge wurden am Ende entfernt.",
			"the end of the chain is missing: the head is entry %d, found only up to %d. Entries were removed at the end.", head.Seq, prev.Seq)
	}
	incs, err := st.Incidents(ctx, Query{})
	if err != nil {
		return rep, fmt.Errorf("read the incidents: %w", err)
	}
	rep.Incidents = len(incs)
	for _, inc := range incs {
		sp := spans[inc.ID]
		switch {
		case sp == nil || sp.opened.IsZero():
			add(0, inc.ID, "Störung %d hat keinen Beginn in der Kette.", "incident %d has no opening entry in the chain.", inc.ID)
			continue
		case !sp.opened.Equal(inc.OpenedAt):
			add(0, inc.ID, "Beginn der Störung %d weicht von der Kette ab.", "the start of incident %d differs from the chain.", inc.ID)
		}
		if !sp.closed.Equal(inc.ClosedAt) {
			add(0, inc.ID, "Ende der Störung %d weicht von der Kette ab.", "the end of incident %d differs from the chain.", inc.ID)
		}
	}
	return rep, nil
}
