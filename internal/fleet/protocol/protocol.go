// Package protocol holds the wire format between a site and its fleet:
// paths and JSON bodies, shared by the fleet's server and the site's client
// (fleetclient), so that both sides cannot drift apart. docs/protocol.md
// describes every call with examples.
//
// Every call is opened by the site (pharmacy networks sit behind NAT), over
// HTTPS, with JSON bodies. Except for the enrolment itself, every call
// carries the site token: "Authorization: Bearer <token>".
package protocol

import (
	"encoding/json"
	"time"
)

// Paths of the site API.
const (
	// PathEnrol: POST EnrolRequest -> EnrolResponse (no token: the
	// one-time code is the credential).
	PathEnrol = "/api/v1/enrol"
	// PathHeartbeat: POST Heartbeat -> HeartbeatResponse.
	PathHeartbeat = "/api/v1/site/heartbeat"
	// PathCommands: GET ?wait=30s -> Commands (long-poll).
	PathCommands = "/api/v1/site/commands"
	// PathAckPrefix: POST PathAckPrefix+"{id}/ack" -> 204.
	PathAckPrefix = "/api/v1/site/commands/"
	// PathReports: POST Report -> 204.
	PathReports = "/api/v1/site/reports"
	// PathSelf: GET -> Site (the site's own record, nothing else).
	PathSelf = "/api/v1/site/self"
	// PathBroadcasts: POST PathBroadcasts+"{id}/receipt" BroadcastReceipt
	// -> 204; GET PathBroadcasts+"{id}/file" -> the attachment.
	PathBroadcasts = "/api/v1/site/broadcasts/"
	// PathTUF serves the TUF metadata (timestamp.json, N.root.json, ...).
	PathTUF = "/tuf/"
	// PathTargets serves the artifacts (component/version/<sha256>.<file>).
	PathTargets = "/targets/"
)

// MaxWait bounds the long-poll's wait.
const MaxWait = 60 * time.Second

// TokenPrefix starts every site token, so that a leaked one is easy to
// recognise.
const TokenPrefix = "llsite_"

// EnrolRequest exchanges a one-time enrolment code for a site token.
type EnrolRequest struct {
	Code         string `json:"code"`
	Hostname     string `json:"hostname,omitempty"`
	AgentVersion string `json:"agent_version,omitempty"`
}

// EnrolResponse carries the site's token (shown once, stored with 0600
// rights at the site) and the TUF root the site trusts from now on.
type EnrolResponse struct {
	SiteID   string `json:"site_id"`
	SiteName string `json:"site_name"`
	Token    string `json:"token"`
	// HeartbeatSeconds is the fleet's heartbeat interval.
	HeartbeatSeconds int `json:"heartbeat_seconds"`
	// TrustedRoot is the fleet's current TUF root metadata.
	TrustedRoot json.RawMessage `json:"trusted_root"`
}

// Heartbeat is the site's health summary.
type Heartbeat struct {
	// SentAt is the site's clock (the fleet uses its own for deadlines).
	SentAt time.Time `json:"sent_at"`
	// Overall is ok, degraded, down or unknown.
	Overall string `json:"overall"`
	// Sentence is the dashboard's summary sentence.
	Sentence string `json:"sentence,omitempty"`
	// RootCauses are the ids of the checks that explain the trouble.
	RootCauses []string `json:"root_causes,omitempty"`
	// Components maps installed components to versions.
	Components map[string]string `json:"components,omitempty"`
	// Agent is the update agent's state.
	Agent Agent `json:"agent"`
}

// Agent is the state of the site's update agent.
type Agent struct {
	Version string `json:"version,omitempty"`
	// State is idle, downloading, verifying, waiting, installing,
	// checking, rolling_back or failed.
	State string `json:"state,omitempty"`
	// UpdatesPaused: the pharmacy paused updates; the fleet sends no
	// install while it is set.
	UpdatesPaused bool   `json:"updates_paused,omitempty"`
	PauseReason   string `json:"pause_reason,omitempty"`
}

// HeartbeatResponse tells the site when to send the next heartbeat.
type HeartbeatResponse struct {
	NextSeconds int `json:"next_seconds"`
}

// Command is an instruction from the fleet.
type Command struct {
	ID           int64     `json:"id"`
	RolloutID    int64     `json:"rollout_id"`
	Kind         string    `json:"kind"`
	Component    string    `json:"component"`
	Version      string    `json:"version"`
	TargetPath   string    `json:"target_path"`
	Length       int64     `json:"length"`
	SHA256       string    `json:"sha256"`
	InstallHook  string    `json:"install_hook"`
	RollbackHook string    `json:"rollback_hook"`
	NotBefore    time.Time `json:"not_before"`
	NotAfter     time.Time `json:"not_after"`
	Reason       string    `json:"reason,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// Commands is the long-poll's answer: pending commands, oldest first (an
// empty list when the wait ended without any), and, for a site that asked
// with broadcasts=1, the broadcasts it has not acknowledged.
type Commands struct {
	Commands   []Command   `json:"commands"`
	Broadcasts []Broadcast `json:"broadcasts,omitempty"`
}

// QueryBroadcasts is the long-poll's query parameter (broadcasts=1) by
// which a site says it takes broadcasts; older sites do not send it and
// get none (they could not acknowledge them).
const QueryBroadcasts = "broadcasts"

// QueryReceived is the long-poll's query parameter by which a site says
// which broadcasts it stored since its last poll (received=12,13): the
// receipt rides on the next poll instead of a request of its own, so that
// 20,000 sites answering a broadcast cost no extra requests.
const QueryReceived = "received"

// MaxReceived bounds the ids in one QueryReceived.
const MaxReceived = 32

// Broadcast is a message from the vendor's hotline for the site's
// dashboard: a workaround with runbook steps and an optional file.
type Broadcast struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	Text  string `json:"text"`
	// Steps are the runbook steps, in order.
	Steps []string `json:"steps,omitempty"`
	// Severity is info, warning or critical.
	Severity string `json:"severity"`
	// File describes the attachment, fetched from
	// PathBroadcasts+"{id}/file".
	File      *BroadcastFile `json:"file,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	// ExpiresAt ends the banner at the site.
	ExpiresAt time.Time `json:"expires_at"`
}

// BroadcastFile describes a broadcast's attachment.
type BroadcastFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Receipt statuses of a broadcast.
const (
	ReceiptReceived  = "received"
	ReceiptRead      = "read"
	ReceiptHelped    = "helped"
	ReceiptNotHelped = "not_helped"
)

// BroadcastReceipt is what the site says about a broadcast: received
// (stored; it is not sent again), read (a person opened it), helped or
// not_helped (staff's answer, with an optional note and name).
type BroadcastReceipt struct {
	Status string `json:"status"`
	Note   string `json:"note,omitempty"`
	By     string `json:"by,omitempty"`
}

// Report is what the site says about a command.
type Report struct {
	CommandID int64 `json:"command_id"`
	// Status is received, downloading, installing, installed, failed,
	// rolled_back or skipped.
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// Site is the site's own record.
type Site struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Timezone string `json:"timezone"`
	State    string `json:"state"`
	Window   string `json:"window"`
	Contacts string `json:"contacts,omitempty"`
}

// Error is the body of every error answer.
type Error struct {
	Error string `json:"error"`
}
