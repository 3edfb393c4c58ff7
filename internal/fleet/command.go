package fleet

import (
	"time"
)

// Command kinds.
const (
	// CommandInstall: download, verify and install a release inside a slot.
	CommandInstall = "install"
	// CommandRollback: run the rollback hook of a release and return to the
	// previous version.
	CommandRollback = "rollback"
	// CommandCancel: drop this rollout's install if it has not begun (the
	// slot became blocked, the rollout paused, halted or was aborted).
	CommandCancel = "cancel"
)

// Command is an instruction to one site, delivered through its long-poll.
// A command stays pending until the site acknowledges it (it has stored it)
// so that a site that was offline receives it when it returns.
type Command struct {
	ID        int64  `json:"id"`
	SiteID    string `json:"-"`
	RolloutID int64  `json:"rollout_id"`
	// Kind is install or rollback.
	Kind string `json:"kind"`
	// Component, Version and the artifact's TUF target path, length and
	// hash; the site checks them against its verified TUF metadata.
	Component  string `json:"component"`
	Version    string `json:"version"`
	TargetPath string `json:"target_path"`
	Length     int64  `json:"length"`
	SHA256     string `json:"sha256"`
	// InstallHook and RollbackHook name the site's hooks.
	InstallHook  string `json:"install_hook"`
	RollbackHook string `json:"rollback_hook"`
	// NotBefore and NotAfter bound the slot: the site acts inside it, in
	// its maintenance window.
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// Reason says why (a rollback's gate, a person's reason).
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// DeliveredAt is the first delivery to the site; AckedAt the site's
	// acknowledgement. Both zero while pending.
	DeliveredAt time.Time `json:"-"`
	AckedAt     time.Time `json:"-"`
}

// Report statuses a site sends about a command.
const (
	ReportReceived    = "received"
	ReportDownloading = "downloading"
	ReportInstalling  = "installing"
	ReportInstalled   = "installed"
	ReportFailed      = "failed"
	ReportRolledBack  = "rolled_back"
	ReportSkipped     = "skipped"
)

// reportStatuses are the statuses a report may carry.
var reportStatuses = []string{ReportReceived, ReportDownloading, ReportInstalling, ReportInstalled, ReportFailed, ReportRolledBack, ReportSkipped}

// Report is what a site says about a command: progress and, at the end,
// installed, failed or rolled back.
type Report struct {
	ID        int64
	SiteID    string
	CommandID int64
	RolloutID int64
	// Kind is the command's kind (install, rollback, cancel).
	Kind      string
	Component string
	Version   string
	Status    string
	Message   string
	// At is the fleet's time of receipt.
	At time.Time
}

// Terminal reports whether the status ends the command.
func (r Report) Terminal() bool {
	switch r.Status {
	case ReportInstalled, ReportFailed, ReportRolledBack, ReportSkipped:
		return true
	}
	return false
}

// AuditEntry is one console or command-line action, kept as evidence of
// who did what when.
type AuditEntry struct {
	ID int64
	At time.Time
	// Actor is the user name, "cli:<user>" for the command line, or
	// "planner" for automatic decisions.
	Actor string
	// Action is a short verb ("site.add", "rollout.pause").
	Action string
	// Target names what was acted on ("site:apo-1", "rollout:7").
	Target string
	// Detail is the reason or a short description.
	Detail string
}
