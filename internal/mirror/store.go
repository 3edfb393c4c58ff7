package mirror

import (
	"context"
	"time"

	"github.com/lifeline-project/lifeline/internal/pharma"
)

// Writer writes records of one data set inside an open transaction.
type Writer interface {
	// Put inserts or replaces a record. In a Replace, a key written twice
	// returns ECONFLICT and the first record stays; the transaction goes on.
	// Personal data sets return EKEY when the data key does not match.
	Put(ctx context.Context, r Record) error
	// Delete removes the record with key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// Commit is what a successful write records about its data set, in the
// same transaction as the data.
type Commit struct {
	// Source names where the data came from.
	Source string
	// Cursor is the source's mark to continue from.
	Cursor string
	// SyncedAt is how current the copy is now; zero leaves the previous
	// value (an increment that has not caught up yet).
	SyncedAt time.Time
	// Rejected is the number of bad rows of this write.
	Rejected int
	// At is when the write happened (the clock's now); a full write
	// records it as the time of the last full sync.
	At time.Time
}

// Reader is the read side of the copy, used by the counter pages, the
// print-outs and the API.
type Reader interface {
	// Article returns the article with a PZN; ENOTFOUND when unknown.
	Article(ctx context.Context, pzn pharma.PZN) (Article, error)
	// SearchArticles finds articles by name (prefixes, small typos) or
	// PZN, best first, at most limit (1..100).
	SearchArticles(ctx context.Context, query string, limit int) ([]Hit, error)
	// Contacts returns all contacts by kind and name, private numbers
	// decrypted; a contact whose number does not decrypt is returned with
	// PrivateUnavailable set.
	Contacts(ctx context.Context) ([]Contact, error)
	// DutyShifts returns the shifts overlapping [from, to), by start.
	DutyShifts(ctx context.Context, from, to time.Time) ([]DutyShift, error)
	// Patients returns the priority patients decrypted, by next due date
	// (unknown last) and name; EKEY when the data key does not match.
	Patients(ctx context.Context) ([]Patient, error)
	// HandbookPages returns every handbook page by order and title.
	HandbookPages(ctx context.Context) ([]Page, error)
	// HandbookPage returns one page; ENOTFOUND when unknown.
	HandbookPage(ctx context.Context, slug string) (Page, error)
	// Status returns the state of every data set, in Datasets order.
	Status(ctx context.Context) ([]Status, error)
}

// Store is the downtime copy's storage. Every write is one transaction:
// readers see the old copy until it commits, and a failed or interrupted
// write (even a killed process) leaves the old copy in use.
type Store interface {
	Reader
	// Replace empties the data set and fills it through fill, in one
	// transaction that commits only when fill returns nil.
	Replace(ctx context.Context, ds Dataset, fill func(w Writer) (Commit, error)) error
	// Update changes the data set through fill, in one transaction that
	// commits only when fill returns nil.
	Update(ctx context.Context, ds Dataset, fill func(w Writer) (Commit, error)) error
	// RecordError notes a failed sync of the data set for the dashboard;
	// the data is untouched.
	RecordError(ctx context.Context, ds Dataset, at time.Time, msg string) error
}

// Status is the state of one data set of the copy.
type Status struct {
	Dataset       Dataset
	SchemaVersion int
	// Rows is the number of records.
	Rows int
	// Source names where the data came from.
	Source string
	Cursor string
	// SyncedAt is how current the copy is; zero when never filled.
	SyncedAt time.Time
	// FullAt is the time of the last full import or sync.
	FullAt time.Time
	// Rejected is the number of bad rows of the last write.
	Rejected int
	// LastError and LastErrorAt describe the last failed sync, if it came
	// after the last success.
	LastError   string
	LastErrorAt time.Time
}

// Age returns how old the copy is at now; ok is false when it was never
// filled.
func (s Status) Age(now time.Time) (age time.Duration, ok bool) {
	if s.SyncedAt.IsZero() {
		return 0, false
	}
	age = now.Sub(s.SyncedAt)
	if age < 0 {
		age = 0
	}
	return age, true
}

// Hit is one search result.
type Hit struct {
	Article Article
	// Tier is the ranking class: TierPZN, TierExact, TierPrefix,
	// TierWords or TierTypo.
	Tier Tier
}
