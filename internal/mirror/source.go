package mirror

import (
	"context"
	"errors"
	"time"
)

// Sink receives what a source reads: good records, deletions and bad rows.
// The importer behind it decides what happens (write, count, abort under
// --strict).
type Sink interface {
	// Put stores a record read at pos. An error aborts the source's read.
	Put(ctx context.Context, r Record, pos Pos) error
	// Delete removes the record with key (increments only).
	Delete(ctx context.Context, key string, pos Pos) error
	// Reject reports a bad row. An error (under --strict) aborts the read.
	Reject(e RowError) error
}

// Mark is where a source stands after a read.
type Mark struct {
	// Cursor lets an incremental source continue from here; for a file
	// source it is the file's version (modification time and size).
	Cursor string
	// AsOf is how current the data is, when the source knows it (a
	// file's modification time, a feed's snapshot time); zero means now.
	AsOf time.Time
}

// Source is where a data set comes from: a CSV file, a feed, a folder of
// Markdown pages. Sources live in sub-packages, one per kind.
type Source interface {
	// Dataset returns the data set the source delivers.
	Dataset() Dataset
	// String names the source for people and logs ("artikel.csv",
	// "https://erp.local/feed/articles").
	String() string
	// Snapshot sends the whole data set to sink and returns where it
	// stands. Bad rows go to sink.Reject; an error means the read did not
	// finish (file unreadable, feed down), and the caller keeps the old copy.
	// Errors wrap a *Error with EUNAVAILABLE when a retry may help.
	Snapshot(ctx context.Context, sink Sink) (Mark, error)
}

// Incremental is a source that can deliver changes since a cursor.
type Incremental interface {
	Source
	// Changes sends the changes after cursor to sink. It returns the new
	// mark and caughtUp = false when more changes are waiting (call again).
	// ErrCursorExpired means the source no longer knows the cursor and a
	// Snapshot is needed.
	Changes(ctx context.Context, cursor string, sink Sink) (m Mark, caughtUp bool, err error)
}

// Versioned is a source that can tell cheaply whether its data changed (a
// file's modification time and size). The syncer re-imports it when the
// version differs from the cursor of the last import.
type Versioned interface {
	Source
	// Version returns the current version, comparable with Mark.Cursor.
	Version(ctx context.Context) (string, error)
}

// ErrCursorExpired means an incremental source no longer knows a cursor;
// the caller must take a full snapshot.
var ErrCursorExpired = errors.New("cursor expired: a full sync is needed")
