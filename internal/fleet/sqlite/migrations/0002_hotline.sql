-- The hotline: broadcasts with per-site receipts, health changes for the
-- site timeline, notes and claims of the triage queue, console roles
-- beyond the login's (support agent, release manager), and silence alerts.

-- When the overall state last changed (the start of a problem).
ALTER TABLE heartbeats ADD COLUMN overall_since TEXT;
-- Every change of a site's overall state, for its timeline.
CREATE TABLE health_events (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	site_id     TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
	at          TEXT NOT NULL,
	overall     TEXT NOT NULL,
	sentence    TEXT NOT NULL DEFAULT '',
	root_causes TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX health_events_by_site ON health_events(site_id, at);

-- The slot of an install, for the calendar of upcoming updates.
ALTER TABLE commands ADD COLUMN not_before TEXT;
CREATE INDEX commands_by_slot ON commands(kind, not_before);

CREATE TABLE broadcasts (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	title       TEXT NOT NULL,
	body        TEXT NOT NULL,
	steps       TEXT NOT NULL DEFAULT '[]',
	severity    TEXT NOT NULL,
	selector    TEXT NOT NULL,
	targets     INTEGER NOT NULL,
	file_name   TEXT NOT NULL DEFAULT '',
	file_size   INTEGER NOT NULL DEFAULT 0,
	file_sha256 TEXT NOT NULL DEFAULT '',
	file_data   BLOB,
	created_at  TEXT NOT NULL,
	created_by  TEXT NOT NULL,
	expires_at  TEXT NOT NULL
);
CREATE INDEX broadcasts_by_expiry ON broadcasts(expires_at);
-- One row per target site: the receipt.
CREATE TABLE broadcast_sites (
	broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
	site_id      TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
	delivered_at TEXT,
	read_at      TEXT,
	answer       TEXT NOT NULL DEFAULT '',
	answered_at  TEXT,
	note         TEXT NOT NULL DEFAULT '',
	answered_by  TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (broadcast_id, site_id)
);
CREATE INDEX broadcast_sites_by_site ON broadcast_sites(site_id, broadcast_id);

-- The triage queue: who took care of a site, and notes in its timeline.
CREATE TABLE triage_claims (
	site_id    TEXT PRIMARY KEY REFERENCES sites(id) ON DELETE CASCADE,
	agent      TEXT NOT NULL,
	claimed_at TEXT NOT NULL
);
CREATE TABLE site_notes (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	site_id TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
	at      TEXT NOT NULL,
	author  TEXT NOT NULL,
	body    TEXT NOT NULL
);
CREATE INDEX site_notes_by_site ON site_notes(site_id, id);

-- The console role of a staff login or API token ("user:anna",
-- "token:hotline-tool"): support (hotline) or release (release manager).
CREATE TABLE console_roles (
	principal TEXT PRIMARY KEY,
	role      TEXT NOT NULL CHECK (role IN ('support', 'release'))
);

-- One row per silence of a site (keyed by its last heartbeat), so that
-- its contacts are alerted once, by one replica.
CREATE TABLE silence_alerts (
	site_id    TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
	last_seen  TEXT NOT NULL,
	alerted_at TEXT NOT NULL,
	result     TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (site_id, last_seen)
);
