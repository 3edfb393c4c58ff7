package binder

import (
	"context"
	"time"
)

// LogEntry records one generated binder: when, by whom, why, whether it
// held personal data, where it went. Every binder with priority patients
// is logged.
type LogEntry struct {
	ID int64
	At time.Time
	// By is the user, or "@system" for the daily binder.
	By string
	// Reason is "daily", "manual", "download" or "print".
	Reason   string
	Patients int
	Articles int
	// SHA256 is the hash of the PDF (empty for the print view).
	SHA256 string
	// Folders lists where the PDF was written.
	Folders []string
	// Problems lists what went wrong (a folder not writable).
	Problems []string
}

// Reasons of a binder.
const (
	ReasonDaily    = "daily"
	ReasonManual   = "manual"
	ReasonDownload = "download"
	ReasonPrint    = "print"
)

// LogStore keeps the binder log. Implementation: store/sqlite.
type LogStore interface {
	// LogBinder appends an entry.
	LogBinder(ctx context.Context, e LogEntry) error
	// BinderLog returns the newest entries first, at most limit.
	BinderLog(ctx context.Context, limit int) ([]LogEntry, error)
}
