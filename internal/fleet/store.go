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
	// Query matches a part of the id, the name or the contacts (address,
	// town, phone), ignoring case; a phone number matches however its
	// digits are separated.
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
	// window, contacts, ring) of the site with s.ID and announces the
	// change (Notice.TokenSiteID). ENOTFOUND when none.
	UpdateSite(ctx context.Context, s Site) error
	// SetEnrolmentCode opens a new enrolment code for the site (replacing
	// an open one). The current token stays valid until the code is used.
	// ENOTFOUND when there is no such site.
	SetEnrolmentCode(ctx context.Context, siteID, codeHash string, expiresAt time.Time) error
	// Enrol exchanges an open, unexpired enrolment code (by its hash) for
	// a token (by its hash), in one statement: the code is used up, the
	// token replaces any earlier one; the change is announced
	// (Notice.TokenSiteID). EUNAUTHORIZED when no site has that code open
	// or it expired.
	Enrol(ctx context.Context, codeHash, tokenHash string, at time.Time) (Site, error)
	// SiteByToken returns the site holding the token (by its hash).
	// EUNAUTHORIZED when no site holds it (unknown or revoked).
	SiteByToken(ctx context.Context, tokenHash string) (Site, error)
	// RevokeToken revokes the site's token at once and announces it
	// (Notice.TokenSiteID), so that every replica refuses it at once.
	// ENOTFOUND when there is no such site.
	RevokeToken(ctx context.Context, siteID string, at time.Time) error

	// SaveHeartbeats writes a batch in one transaction: changed heartbeats
	// in full (a VersionEvent for every component whose version differs
	// from the stored one), seen sites by their last-seen time only.
	// Heartbeats of unknown sites are ignored.
	SaveHeartbeats(ctx context.Context, b HeartbeatBatch) error
	// Heartbeats returns the last heartbeat of every site that sent one.
	Heartbeats(ctx context.Context) ([]Heartbeat, error)
	// StaleHeartbeats returns the last heartbeats received before before,
	// of sites that hold a token (candidates for silence detection).
	StaleHeartbeats(ctx context.Context, before time.Time) ([]Heartbeat, error)
	// Heartbeat returns the last heartbeat of one site. ENOTFOUND when the
	// site never sent one.
	Heartbeat(ctx context.Context, siteID string) (Heartbeat, error)
	// VersionHistory returns the site's version events, newest first.
	VersionHistory(ctx context.Context, siteID string) ([]VersionEvent, error)
	// HealthEvents returns the changes of the site's overall state (written
	// by SaveHeartbeats), newest first, at most limit.
	HealthEvents(ctx context.Context, siteID string, limit int) ([]HealthEvent, error)

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
	// PendingSites returns the ids of the sites that have commands not yet
	// acknowledged.
	PendingSites(ctx context.Context) ([]string, error)
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

	// NotHelped returns the receipts answered "not_helped" at or after
	// since, of broadcasts still active at since.
	NotHelped(ctx context.Context, since time.Time) ([]Receipt, error)
	// UpcomingInstalls returns the install commands whose slot begins in
	// [from, to), for one site ("" = all), that were neither cancelled nor
	// ended by a report, ordered by slot.
	UpcomingInstalls(ctx context.Context, from, to time.Time, siteID string) ([]Command, error)

	// Claims returns the triage queue's claims.
	Claims(ctx context.Context) ([]Claim, error)
	// ClaimSite records that an agent takes care of a site. ECONFLICT
	// when another agent holds it (unless takeover), ENOTFOUND when there
	// is no such site.
	ClaimSite(ctx context.Context, c Claim, takeover bool) error
	// ReleaseSite removes the claim on a site (by anyone when agent is
	// ""). ENOTFOUND when the agent holds no claim on it.
	ReleaseSite(ctx context.Context, siteID, agent string) error
	// AddNote appends a note to a site's timeline and returns it with its
	// ID. ENOTFOUND when there is no such site.
	AddNote(ctx context.Context, n Note) (Note, error)
	// Notes returns the site's notes, newest first, at most limit.
	Notes(ctx context.Context, siteID string, limit int) ([]Note, error)

	// RecordSilence notes that a site fell silent after its heartbeat at
	// lastSeen; it returns false when that silence was recorded already
	// (by this or another replica), so that contacts are alerted once.
	RecordSilence(ctx context.Context, siteID string, lastSeen, at time.Time) (bool, error)
	// SetSilenceResult stores how alerting the contacts went.
	SetSilenceResult(ctx context.Context, siteID string, lastSeen time.Time, result string) error
	// Silences returns the site's recorded silences, newest first, at most
	// limit.
	Silences(ctx context.Context, siteID string, limit int) ([]Silence, error)

	// ConsoleRole returns the console role stored for a principal
	// (PrincipalKey): "support", "release" or "" for none.
	ConsoleRole(ctx context.Context, principal string) (string, error)
	// SetConsoleRole stores the console role of a principal ("support" or
	// "release"); "" removes it. EINVALID for another role.
	SetConsoleRole(ctx context.Context, principal, role string) error

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
	// Listen calls fn whenever commands for a site were enqueued or a
	// broadcast was sent (by this or, with PostgreSQL, any replica), until
	// ctx ends. It returns once listening has begun; fn runs on one
	// goroutine. After a lost connection fn receives a Notice with Resync
	// set: notices may have been missed.
	Listen(ctx context.Context, fn func(Notice)) error

	// CreateBroadcast stores a broadcast (with its attachment's bytes, nil
	// for none) and one receipt row per target site, in one transaction,
	// and announces it (see Listen). It returns the broadcast with its ID.
	// Unknown site ids are skipped; Targets is set to the number stored.
	CreateBroadcast(ctx context.Context, b Broadcast, file []byte, siteIDs []string) (Broadcast, error)
	// Broadcast returns a broadcast without its file's bytes. ENOTFOUND.
	Broadcast(ctx context.Context, id int64) (Broadcast, error)
	// BroadcastFile returns the bytes of a broadcast's attachment.
	// ENOTFOUND when the broadcast or its file does not exist.
	BroadcastFile(ctx context.Context, id int64) ([]byte, error)
	// Broadcasts returns broadcasts with their counts, newest first, at
	// most limit.
	Broadcasts(ctx context.Context, limit int) ([]BroadcastSummary, error)
	// ActiveBroadcasts returns the broadcasts that expire after now,
	// oldest first.
	ActiveBroadcasts(ctx context.Context, now time.Time) ([]Broadcast, error)
	// BroadcastReceipts returns the receipt of every target site of a
	// broadcast, ordered by site id.
	BroadcastReceipts(ctx context.Context, id int64) ([]Receipt, error)
	// BroadcastCounts returns a broadcast's counts. ENOTFOUND.
	BroadcastCounts(ctx context.Context, id int64) (BroadcastCounts, error)
	// SaveReceipts writes receipts in one transaction: each sets
	// delivered_at (received and later), read_at (read and later) when
	// not set yet, and an answer (helped, not_helped) replaces an earlier
	// one. Receipts of sites that are not targets are ignored.
	SaveReceipts(ctx context.Context, rs []Receipt) error
	// SiteBroadcasts returns the broadcasts a site was sent with its
	// receipts, newest first, at most limit.
	SiteBroadcasts(ctx context.Context, siteID string, limit int) ([]SiteBroadcast, error)

	// Close releases the database.
	Close() error
}

// Notice is what Store.Listen reports: a site with new commands, a new
// broadcast, or (Resync) that notices may have been lost while the
// listener reconnected.
type Notice struct {
	// SiteID is set when commands for the site were enqueued.
	SiteID string
	// BroadcastID is set when a broadcast was sent.
	BroadcastID int64
	// TokenSiteID is set when a site's token or record changed
	// (enrolment, revocation, edit): drop what is cached of it.
	TokenSiteID string
	// Resync: re-read what is kept in memory.
	Resync bool
}
