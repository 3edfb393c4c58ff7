package fleet

import (
	"context"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
)

// NewSite is a site to create with the hash of its first enrolment code.
type NewSite struct {
	Site Site
	// CodeHash is the hex SHA-256 of the enrolment code (HashSecret).
	CodeHash      string
	CodeExpiresAt time.Time
}

// SiteFilter selects sites for the console's list.
type SiteFilter struct {
	// Query matches a part of the id or the name, ignoring case.
	Query string
	// State selects one federal state ("" = all).
	State string
	// Overall selects sites whose last heartbeat has this overall state
	// ("" = all; "none" = never reported).
	Overall string
	// Limit (default 100, at most 1000) and Offset page the list, which is
	// ordered by id.
	Limit, Offset int
}

// SiteRow is a site with its last heartbeat (zero ReceivedAt: none).
type SiteRow struct {
	Site      Site
	Heartbeat Heartbeat
}

// Store keeps the fleet's data. Implementations: fleet/sqlite (default)
// and fleet/postgres (several fleet replicas); fleet/storetest is the one
// contract suite both pass. Times are kept to the microsecond and returned
// in UTC. Unless a method
// says otherwise, errors other than the named codes are internal.
type Store interface {
	// Store carries the console's users, sessions and API tokens
	// (internal/auth), so that every replica sees the same logins.
	auth.Store

	// CreateSites creates sites with their first enrolment codes, all or
	// none, in one transaction. ECONFLICT when an id exists already (or
	// appears twice).
	CreateSites(ctx context.Context, sites []NewSite) error
	// Site returns the site with id. ENOTFOUND when none.
	Site(ctx context.Context, id string) (Site, error)
	// Sites returns one page of sites with their last heartbeats, ordered
	// by id, and the number of sites matching the filter.
	Sites(ctx context.Context, f SiteFilter) (rows []SiteRow, total int, err error)
	// AllSites returns every site ordered by id (for the planner).
	AllSites(ctx context.Context) ([]Site, error)
	// UpdateSite replaces the editable fields (name, timezone, state,
	// window, contacts, ring) of the site with s.ID. ENOTFOUND when none.
	UpdateSite(ctx context.Context, s Site) error
	// SetEnrolmentCode opens a new enrolment code for the site (replacing
	// an open one). The current token stays valid until the code is used.
	// ENOTFOUND when there is no such site.
	SetEnrolmentCode(ctx context.Context, siteID, codeHash string, expiresAt time.Time) error
	// Enrol exchanges an open, unexpired enrolment code (by its hash) for
	// a token (by its hash), in one statement: the code is used up, the
	// token replaces any earlier one. EUNAUTHORIZED when no site has that
	// code open or it expired.
	Enrol(ctx context.Context, codeHash, tokenHash string, at time.Time) (Site, error)
	// SiteByToken returns the site holding the token (by its hash).
	// EUNAUTHORIZED when no site holds it (unknown or revoked).
	SiteByToken(ctx context.Context, tokenHash string) (Site, error)
	// RevokeToken revokes the site's token at once. ENOTFOUND when there
	// is no such site.
	RevokeToken(ctx context.Context, siteID string, at time.Time) error

	// SaveHeartbeats writes a batch in one transaction: changed heartbeats
	// in full (a VersionEvent for every component whose version differs
	// from the stored one), seen sites by their last-seen time only.
	// Heartbeats of unknown sites are ignored.
	SaveHeartbeats(ctx context.Context, b HeartbeatBatch) error
	// Heartbeats returns the last heartbeat of every site that sent one.
	Heartbeats(ctx context.Context) ([]Heartbeat, error)
	// Heartbeat returns the last heartbeat of one site. ENOTFOUND when the
	// site never sent one.
	Heartbeat(ctx context.Context, siteID string) (Heartbeat, error)
	// VersionHistory returns the site's version events, newest first.
	VersionHistory(ctx context.Context, siteID string) ([]VersionEvent, error)

	// CreateRelease stores a release and returns it with its ID. ECONFLICT
	// when the component has that version already.
	CreateRelease(ctx context.Context, r Release) (Release, error)
	// Release returns the release with id. ENOTFOUND when none.
	Release(ctx context.Context, id int64) (Release, error)
	// Releases returns all releases, newest first.
	Releases(ctx context.Context) ([]Release, error)

	// CreateRollout stores a new rollout (Rev 1) and returns it with its
	// ID. ENOTFOUND when the release does not exist.
	CreateRollout(ctx context.Context, r RolloutRecord) (RolloutRecord, error)
	// Rollout returns the rollout with id. ENOTFOUND when none.
	Rollout(ctx context.Context, id int64) (RolloutRecord, error)
	// Rollouts returns all rollouts, newest first, without plan and state.
	Rollouts(ctx context.Context) ([]RolloutRecord, error)
	// ActiveRollouts returns the rollouts the planner works on (running,
	// paused, halted), oldest first, with plan and state.
	ActiveRollouts(ctx context.Context) ([]RolloutRecord, error)
	// UpdateRollout writes status, reason, state and report cursor of r
	// and enqueues cmds, in one transaction, when the stored Rev equals
	// r.Rev; it returns the record with the new Rev. The sites of the
	// commands are notified (see Listen). ECONFLICT when the rollout
	// changed meanwhile, ENOTFOUND when it does not exist.
	UpdateRollout(ctx context.Context, r RolloutRecord, cmds []Command) (RolloutRecord, error)

	// PendingCommands returns the site's commands not yet acknowledged,
	// oldest first, and marks them delivered at at.
	PendingCommands(ctx context.Context, siteID string, at time.Time) ([]Command, error)
	// AckCommand records that the site stored the command. ENOTFOUND when
	// the site has no such command (another site's commands included).
	AckCommand(ctx context.Context, siteID string, id int64, at time.Time) error
	// Commands returns the commands of a rollout for a site ("" = all
	// sites), oldest first.
	Commands(ctx context.Context, rolloutID int64, siteID string) ([]Command, error)
	// AddReport stores a site's report about one of its commands (filling
	// RolloutID, Kind, Component and Version from the command) and returns it
	// with its ID; a terminal report also acknowledges the command.
	// ENOTFOUND when the site has no such command.
	AddReport(ctx context.Context, r Report) (Report, error)
	// Reports returns the reports of a rollout with ID > afterID, oldest
	// first, at most limit (0: all).
	Reports(ctx context.Context, rolloutID, afterID int64, limit int) ([]Report, error)
	// SiteReports returns the site's reports, newest first, at most limit.
	SiteReports(ctx context.Context, siteID string, limit int) ([]Report, error)

	// AddAudit appends an entry to the audit log.
	AddAudit(ctx context.Context, e AuditEntry) error
	// Audit returns audit entries, newest first, at most limit; target ""
	// means all targets.
	Audit(ctx context.Context, target string, limit int) ([]AuditEntry, error)

	// TUFFile returns a stored TUF metadata file ("root.json",
	// "3.targets.json", "timestamp.json"). ENOTFOUND when none.
	TUFFile(ctx context.Context, name string) ([]byte, error)
	// PutTUFFiles stores metadata files (replacing same names), all in one
	// transaction.
	PutTUFFiles(ctx context.Context, files map[string][]byte) error

	// TryPlannerLock takes the planner lock when free, so that one replica
	// at a time advances rollouts (PostgreSQL: pg_try_advisory_lock on a
	// dedicated connection; SQLite: in the process). It returns ok false
	// when another holder has it; unlock releases it.
	TryPlannerLock(ctx context.Context) (unlock func(), ok bool, err error)
	// Listen calls fn with the site id whenever commands for that site
	// were enqueued (by this or, with PostgreSQL, any replica), until ctx
	// ends. It returns once listening has begun; fn runs on one goroutine.
	Listen(ctx context.Context, fn func(siteID string)) error

	// Close releases the database.
	Close() error
}
