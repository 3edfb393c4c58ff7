package reconcile

import (
	"context"

	"github.com/lifeline-project/lifeline/internal/journal"
)

// Status is what became of one journal entry at the ERP.
type Status string

// Outcomes of booking an entry.
const (
	// Booked: the ERP booked the sale (or had booked it before under the
	// same idempotency key).
	Booked Status = "booked"
	// Refused: the ERP declined the sale for a reason a retry cannot fix
	// (unknown article, closed period, ...). A person books it by hand.
	Refused Status = "refused"
)

// Result is the ERP's answer for one entry.
type Result struct {
	Status Status
	// BookingID is the ERP's reference of the booking (Booked only).
	BookingID string
	// ReasonDE and ReasonEN say why the ERP refused (Refused only).
	ReasonDE, ReasonEN string
}

// Adapter hands journal entries to one kind of ERP. One package-level
// constructor per kind: NewHTTPAdapter, NewExportAdapter.
type Adapter interface {
	// Name names the adapter in the log and the report ("erp-http").
	Name() string
	// Book hands e to the ERP under the idempotency key e.ID. Calling Book
	// again for the same entry, also after a crash or a lost connection,
	// must not book it twice. When err is nil the result is Booked or
	// Refused. When err is not nil nothing is known; retry reports whether
	// trying again later can help (connection lost, ERP busy) or not
	// (wrong address, access refused, bug).
	Book(ctx context.Context, e journal.Entry) (res Result, retry bool, err error)
}

// Flusher is implemented by adapters that buffer: the reconciler calls
// Flush before it records its progress, so that everything the progress
// counts as handed over is durable at the ERP's side.
type Flusher interface {
	Flush() error
}

// Finisher is implemented by adapters that deliver at the end of a run,
// like a file export that the ERP imports once complete.
type Finisher interface {
	Finish() error
}
