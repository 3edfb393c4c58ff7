package fhir

import (
	"context"
	"time"
)

// SyncState is what the store remembers about the copy. It holds no
// patient data.
type SyncState struct {
	// Mode is how the last copy was made: bulk or search.
	Mode string `json:"mode,omitempty"`
	// TransactionTime is the server's transactionTime of the last export,
	// the _since of the next increment.
	TransactionTime string `json:"transaction_time,omitempty"`
	// SearchCursor is the server time of the last search pass, the
	// _lastUpdated of the next one.
	SearchCursor time.Time `json:"search_cursor,omitzero"`
	// DataAsOf is the local time at which the last successful copy was
	// asked for: the copy holds everything the EHR knew then ("Datenstand").
	DataAsOf time.Time `json:"data_as_of,omitzero"`
	// LastFull is DataAsOf of the last full export.
	LastFull time.Time `json:"last_full,omitzero"`
	// LastAttempt is when the last sync (successful or not) ended.
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	// LastError is why the last sync failed; "" after a success.
	LastError string `json:"last_error,omitempty"`
	// LastImport counts what the last successful sync changed.
	LastImport ImportCounts `json:"last_import"`
	// Problems are malformed lines of the last import (at most
	// MaxProblems; ProblemCount has the total).
	Problems     []LineError `json:"problems,omitempty"`
	ProblemCount int         `json:"problem_count,omitempty"`
}

// MaxProblems is how many malformed lines a SyncState keeps.
const MaxProblems = 100

// ImportCounts count an import's work.
type ImportCounts struct {
	Full     bool          `json:"full"`
	Put      int           `json:"put"`
	Deleted  int           `json:"deleted"`
	Dropped  int           `json:"dropped"`
	Skipped  int           `json:"skipped"`
	Bytes    int64         `json:"bytes"`
	Duration time.Duration `json:"duration"`
}

// Store is where the Syncer writes the copy. Implemented by fhirdb.DB.
type Store interface {
	// State returns the sync state (zero before the first copy).
	State(ctx context.Context) (SyncState, error)
	// SaveState records a state outside an import (a failed sync).
	SaveState(ctx context.Context, st SyncState) error
	// BeginImport starts one atomic import: readers see the old copy until
	// Commit. With full set, Commit removes every resource not put since
	// BeginImport.
	BeginImport(ctx context.Context, full bool) (Import, error)
}

// Import is one atomic change of the copy.
type Import interface {
	// Put adds or replaces a resource.
	Put(ctx context.Context, r *Resource) error
	// Delete removes a resource; a missing one is no error.
	Delete(ctx context.Context, typ, id string) error
	// Commit makes the import visible together with the new state.
	Commit(ctx context.Context, st SyncState) error
	// Rollback drops the import; after Commit it does nothing.
	Rollback() error
}

// StayRef is a current stay as the store indexes it: blind keys and the
// stay's locations (ward, room and bed ids are not personal data).
type StayRef struct {
	Encounter Key
	Patient   Key
	Locations []EncounterLocation
}

// Record is everything the copy holds of one patient, decrypted.
type Record struct {
	Key                Key
	Patient            *Patient
	Encounters         []*Encounter
	Allergies          []*Allergy
	Conditions         []*Condition
	MedicationRequests []*MedicationRequest
	Administrations    []*MedicationAdministration
	Observations       []*Observation
	Procedures         []*Procedure
	Documents          []*Document
}

// Reader is what the viewer and the print runs read. Implemented by
// fhirdb.DB.
type Reader interface {
	// State returns the sync state.
	State(ctx context.Context) (SyncState, error)
	// Locations returns every location of the copy.
	Locations(ctx context.Context) ([]Location, error)
	// Stays returns the current stays.
	Stays(ctx context.Context) ([]StayRef, error)
	// Record returns a patient's data, limited to the given resource types
	// (all when none are given). ENOTFOUND when the copy has no such
	// patient, EKEY when the data key does not open it.
	Record(ctx context.Context, patient Key, types ...string) (*Record, error)
	// FindPatients returns the patients that have, for every group, one of
	// the group's search terms (see QueryTerms), at most limit.
	FindPatients(ctx context.Context, groups [][]string, limit int) ([]Key, error)
}

// Access actions recorded in the access log.
const (
	ActionPatient  = "patient"  // patient summary viewed
	ActionWardList = "ward"     // patient shown on a ward list
	ActionSearch   = "search"   // search made (the query is sealed)
	ActionPrint    = "print"    // patient printed (print view, PDF)
	ActionPrintRun = "printrun" // patient written to a scheduled print-out
	ActionDenied   = "denied"   // a view was refused
)

// AccessEntry is one line of the access log: who saw which patient when.
type AccessEntry struct {
	At      time.Time
	User    string
	Role    string
	Action  string
	Patient Key
	Ward    string
	// Detail is sealed in the store: the search query, the file printed.
	Detail string
}

// Access keeps the access log and the users' wards. Implemented by
// fhirdb.DB.
type Access interface {
	// LogAccess records entries in one transaction.
	LogAccess(ctx context.Context, entries ...AccessEntry) error
	// AccessLog returns the newest entries first, at most limit; with a
	// non-zero patient only that patient's.
	AccessLog(ctx context.Context, patient Key, limit int) ([]AccessEntry, error)
	// UserWards returns the ward ids assigned to a user ("*" means all).
	UserWards(ctx context.Context, user string) ([]string, error)
	// SetUserWards replaces the wards of a user.
	SetUserWards(ctx context.Context, user string, wards []string) error
	// AllUserWards returns every user's wards.
	AllUserWards(ctx context.Context) (map[string][]string, error)
}

// AllWards is the ward assignment that opens every ward and every
// patient of the copy (emergency department, on-call doctors).
const AllWards = "*"
