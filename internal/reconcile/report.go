package reconcile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/journal/durable"
)

// Outcome is what became of one journal entry.
type Outcome struct {
	Number int64 `json:"number"`
	// ID is the entry's id, the idempotency key at the ERP.
	ID string `json:"id"`
	// SaleKey is the idempotency key the till used for the sale.
	SaleKey   string         `json:"sale_key"`
	Start     time.Time      `json:"start"`
	Total     journal.Amount `json:"total"`
	Status    Status         `json:"status"`
	BookingID string         `json:"booking_id,omitempty"`
	ReasonDE  string         `json:"reason,omitempty"`
	ReasonEN  string         `json:"reason_en,omitempty"`
	Adapter   string         `json:"adapter"`
	At        time.Time      `json:"at"`
}

// Stop says why a run ended early.
type Stop struct {
	Number int64  `json:"number,omitempty"`
	DE     string `json:"message"`
	EN     string `json:"message_en"`
	// Retry is true when a later run can go on.
	Retry bool `json:"retry"`
}

// Report is the reconciliation report: every entry handed over so far
// (over all runs), what the ERP did with it, and what is still open.
type Report struct {
	Generated time.Time `json:"generated"`
	Adapter   string    `json:"adapter"`
	// LastNumber is the last entry handed over.
	LastNumber int64 `json:"last_number"`
	// JournalLast is the journal's last entry when known, else 0.
	JournalLast int64 `json:"journal_last,omitempty"`
	// Open counts the entries not yet handed over, when known.
	Open     int64 `json:"open"`
	Complete bool  `json:"complete"`
	Booked   int   `json:"booked"`
	Refused  int   `json:"refused"`
	// BookedThisRun and RefusedThisRun count this run alone.
	BookedThisRun  int       `json:"booked_this_run"`
	RefusedThisRun int       `json:"refused_this_run"`
	Stopped        *Stop     `json:"stopped,omitempty"`
	Refusals       []Outcome `json:"refusals"`
	Outcomes       []Outcome `json:"outcomes"`
}

// lastNumberer is implemented by sources that know their last entry.
type lastNumberer interface{ Last() int64 }

// report builds the report from the outcome log and writes report.json
// and report.txt.
func (r *Reconciler) report(ru *run, runErr error) (*Report, error) {
	rep := &Report{Generated: r.clk.Now().UTC(), Adapter: r.ad.Name(), LastNumber: ru.p.LastNumber,
		Refusals: []Outcome{}, Outcomes: []Outcome{}}
	b, err := os.ReadFile(filepath.Join(r.cfg.StateDir, outcomesFile))
	if err != nil {
		return nil, stateErr(err)
	}
	b = b[:min(int64(len(b)), ru.p.OutcomesSize)]
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var o Outcome
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			return nil, &Error{DE: "Protokoll des Abgleichs beschädigt: " + outcomesFile, EN: "reconciliation outcome log damaged", Err: err}
		}
		rep.add(o)
	}
	if err := sc.Err(); err != nil {
		return nil, stateErr(err)
	}
	for _, o := range ru.outcomes {
		switch o.Status {
		case Booked:
			rep.BookedThisRun++
		case Refused:
			rep.RefusedThisRun++
		}
	}
	if ln, ok := r.src.(lastNumberer); ok {
		rep.JournalLast = ln.Last()
		rep.Open = max(rep.JournalLast-rep.LastNumber, 0)
	} else if es, err := r.src.Since(rep.LastNumber, 1); err == nil {
		rep.Open = int64(len(es)) // 0 or "at least one"
	}
	var re *Error
	if errors.As(runErr, &re) {
		rep.Stopped = &Stop{Number: re.Number, DE: re.DE, EN: re.EN, Retry: re.Retry}
	} else if runErr != nil {
		rep.Stopped = &Stop{DE: "Abgleich abgebrochen.", EN: runErr.Error()}
	}
	rep.Complete = rep.Stopped == nil && rep.Open == 0
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, stateErr(err)
	}
	if err := durable.WriteFileAtomic(filepath.Join(r.cfg.StateDir, ReportJSON), append(js, '\n'), 0o600); err != nil {
		return nil, stateErr(err)
	}
	if err := durable.WriteFileAtomic(filepath.Join(r.cfg.StateDir, ReportText), []byte(rep.Summary(r.cfg.Location)), 0o600); err != nil {
		return nil, stateErr(err)
	}
	return rep, nil
}

func (rep *Report) add(o Outcome) {
	rep.Outcomes = append(rep.Outcomes, o)
	switch o.Status {
	case Booked:
		rep.Booked++
	case Refused:
		rep.Refused++
		rep.Refusals = append(rep.Refusals, o)
	}
}

// Summary returns the report as plain text for the pharmacy staff, German
// first, then English, with times in loc.
func (rep *Report) Summary(loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	var b strings.Builder
	de := func(n int64, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	fmt.Fprintf(&b, "Nachbuchung ins ERP – Abgleich des Notbetrieb-Journals\n")
	fmt.Fprintf(&b, "Stand: %s, Übergabe über: %s\n\n", rep.Generated.In(loc).Format("02.01.2006 15:04"), rep.Adapter)
	fmt.Fprintf(&b, "Gebucht:    %s\n", de(int64(rep.Booked), "Verkauf", "Verkäufe"))
	fmt.Fprintf(&b, "Abgelehnt:  %s\n", de(int64(rep.Refused), "Verkauf", "Verkäufe"))
	fmt.Fprintf(&b, "Offen:      %s\n", de(rep.Open, "Verkauf", "Verkäufe"))
	if len(rep.Refusals) > 0 {
		fmt.Fprintf(&b, "\nAbgelehnt – bitte von Hand im ERP buchen:\n")
		for _, o := range rep.Refusals {
			fmt.Fprintf(&b, "  Nr. %d vom %s, %s: %s\n", o.Number, o.Start.In(loc).Format("02.01.2006 15:04"), o.Total.German(), o.ReasonDE)
		}
	}
	switch {
	case rep.Stopped != nil && rep.Stopped.Retry:
		fmt.Fprintf(&b, "\nUnterbrochen: %s\nDer Abgleich macht beim nächsten Lauf an dieser Stelle weiter; nichts wird doppelt gebucht.\n", rep.Stopped.DE)
	case rep.Stopped != nil:
		fmt.Fprintf(&b, "\nAbgebrochen: %s\n", rep.Stopped.DE)
	case rep.Complete && rep.Refused == 0:
		fmt.Fprintf(&b, "\nAlle Verkäufe des Notbetriebs sind im ERP.\n")
	case rep.Complete:
		fmt.Fprintf(&b, "\nAlle übrigen Verkäufe des Notbetriebs sind im ERP.\n")
	}
	fmt.Fprintf(&b, "\n---\nReplay to the ERP – reconciliation of the emergency-mode journal\n")
	fmt.Fprintf(&b, "As of %s, via %s\n", rep.Generated.In(loc).Format("2006-01-02 15:04"), rep.Adapter)
	fmt.Fprintf(&b, "Booked: %d, refused: %d, open: %d\n", rep.Booked, rep.Refused, rep.Open)
	for _, o := range rep.Refusals {
		fmt.Fprintf(&b, "  Refused no. %d of %s, %s EUR: %s (book it by hand)\n", o.Number, o.Start.In(loc).Format("2006-01-02 15:04"), o.Total, o.ReasonEN)
	}
	if rep.Stopped != nil {
		fmt.Fprintf(&b, "Stopped: %s\n", rep.Stopped.EN)
	}
	return b.String()
}
