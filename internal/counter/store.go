package counter

import (
	"context"
	"time"
)

// Store keeps the counter's own records in the site database: the
// emergency-mode switches, the details of each booked sale (what the
// journal does not hold: names, sale kinds, Mehrkosten), the E-Rezept
// queue (sealed) and the log of who looked at patient data.
// internal/store/sqlite implements it (migration 0003).
type Store interface {
	// SwitchMode appends sw when it changes the mode (sw.Active differs
	// from the last switch; no switch yet counts as off) and returns the
	// switch now in force and whether sw was recorded, in one transaction.
	SwitchMode(ctx context.Context, sw Switch) (current Switch, changed bool, err error)
	// LastSwitch returns the switch in force; ok is false when the mode
	// was never switched.
	LastSwitch(ctx context.Context) (sw Switch, ok bool, err error)
	// Switches returns the latest switches, newest first, at most limit.
	Switches(ctx context.Context, limit int) ([]Switch, error)

	// SaveSale stores the details of a sale before it is booked, keyed by
	// its idempotency key. A record of the key that is booked already is
	// left as it is; an unbooked one is replaced.
	SaveSale(ctx context.Context, rec SaleRecord) error
	// MarkSaleBooked records the journal number of the sale with key.
	MarkSaleBooked(ctx context.Context, key string, number int64) error
	// Sale returns the record of key; ENOTFOUND when there is none.
	Sale(ctx context.Context, key string) (SaleRecord, error)

	// AddERezept stores a queued E-Rezept and returns its id. row.UID must
	// be unique; it binds the sealed data to the row.
	AddERezept(ctx context.Context, row ERezeptRow) (int64, error)
	// ERezepte returns the rows with status, or all rows for "", oldest
	// first.
	ERezepte(ctx context.Context, status ERezeptStatus) ([]ERezeptRow, error)
	// ERezept returns one row; ENOTFOUND when there is none.
	ERezept(ctx context.Context, id int64) (ERezeptRow, error)
	// SetERezeptStatus moves a waiting row to status; ECONFLICT when it is
	// not waiting, ENOTFOUND when there is no such row.
	SetERezeptStatus(ctx context.Context, id int64, status ERezeptStatus, by string, at time.Time) error
	// CountERezepte counts the rows with status.
	CountERezepte(ctx context.Context, status ERezeptStatus) (int, error)
	// DeleteERezepteBefore deletes handled (not waiting) rows handled
	// before t and returns how many.
	DeleteERezepteBefore(ctx context.Context, t time.Time) (int, error)

	// LogAccess appends a record of who looked at or changed patient data.
	LogAccess(ctx context.Context, a Access) error
	// AccessLog returns the latest records, newest first, at most limit.
	AccessLog(ctx context.Context, limit int) ([]Access, error)
}

// Switch is one switch of the emergency mode: who, when, how and why.
type Switch struct {
	ID     int64
	At     time.Time
	Active bool
	// By is the user or API token name.
	By string
	// Via is "page" or "api".
	Via    string
	Reason string
}

// Access is one record of the access log for patient data.
type Access struct {
	At   time.Time
	User string
	// Action says what was done: "erezept.list", "erezept.add",
	// "erezept.token", "erezept.done", "erezept.returned".
	Action string
	// Subject names the row concerned ("erezept 17"), or "" for a list.
	Subject string
}
