-- The fleet's schema (SQLite). Times are UTC RFC 3339 text with
-- nanoseconds, so that text order is time order; NULL means "never".
-- Secrets are stored only as hex SHA-256 (code_hash, token_hash).

CREATE TABLE sites (
	id              TEXT PRIMARY KEY,
	name            TEXT NOT NULL,
	timezone        TEXT NOT NULL,
	state           TEXT NOT NULL,
	maint_window    TEXT NOT NULL,
	contacts        TEXT NOT NULL DEFAULT '',
	ring            TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL,
	enrolled_at     TEXT,
	revoked_at      TEXT,
	token_hash      TEXT UNIQUE,
	code_hash       TEXT UNIQUE,
	code_expires_at TEXT
);
CREATE INDEX sites_by_state ON sites(state);

-- One row per site: the last heartbeat. Only changed content is written in
-- full; otherwise only received_at/sent_at (batched).
CREATE TABLE heartbeats (
	site_id        TEXT PRIMARY KEY REFERENCES sites(id) ON DELETE CASCADE,
	received_at    TEXT NOT NULL,
	sent_at        TEXT,
	overall        TEXT NOT NULL,
	sentence       TEXT NOT NULL DEFAULT '',
	root_causes    TEXT NOT NULL DEFAULT '[]',
	components     TEXT NOT NULL DEFAULT '{}',
	agent_version  TEXT NOT NULL DEFAULT '',
	agent_state    TEXT NOT NULL DEFAULT '',
	updates_paused INTEGER NOT NULL DEFAULT 0,
	pause_reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX heartbeats_by_overall ON heartbeats(overall);

-- The installed version of each component, and its history.
CREATE TABLE site_components (
	site_id   TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
	component TEXT NOT NULL,
	version   TEXT NOT NULL,
	since     TEXT NOT NULL,
	PRIMARY KEY (site_id, component)
);
CREATE TABLE version_events (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	site_id   TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
	component TEXT NOT NULL,
	version   TEXT NOT NULL,
	at        TEXT NOT NULL
);
CREATE INDEX version_events_by_site ON version_events(site_id, at);

CREATE TABLE releases (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	component     TEXT NOT NULL,
	version       TEXT NOT NULL,
	artifact      TEXT NOT NULL,
	target_path   TEXT NOT NULL,
	length        INTEGER NOT NULL,
	sha256        TEXT NOT NULL,
	install_hook  TEXT NOT NULL,
	rollback_hook TEXT NOT NULL,
	notes         TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL,
	created_by    TEXT NOT NULL,
	UNIQUE (component, version)
);

-- plan and state are internal/rollout's JSON; rev guards against two
-- writers (optimistic concurrency).
CREATE TABLE rollouts (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	release_id    INTEGER NOT NULL REFERENCES releases(id),
	status        TEXT NOT NULL,
	reason        TEXT NOT NULL DEFAULT '',
	plan          TEXT NOT NULL,
	state         TEXT NOT NULL,
	rev           INTEGER NOT NULL,
	report_cursor INTEGER NOT NULL DEFAULT 0,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL,
	created_by    TEXT NOT NULL
);
CREATE INDEX rollouts_by_status ON rollouts(status);

CREATE TABLE commands (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	site_id      TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
	rollout_id   INTEGER NOT NULL REFERENCES rollouts(id),
	kind         TEXT NOT NULL,
	body         TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	delivered_at TEXT,
	acked_at     TEXT
);
CREATE INDEX commands_pending ON commands(site_id, id) WHERE acked_at IS NULL;
CREATE INDEX commands_by_rollout ON commands(rollout_id, site_id);

CREATE TABLE reports (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	site_id    TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
	command_id INTEGER NOT NULL REFERENCES commands(id) ON DELETE CASCADE,
	rollout_id INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	component  TEXT NOT NULL,
	version    TEXT NOT NULL,
	status     TEXT NOT NULL,
	message    TEXT NOT NULL DEFAULT '',
	at         TEXT NOT NULL
);
CREATE INDEX reports_by_rollout ON reports(rollout_id, id);
CREATE INDEX reports_by_site ON reports(site_id, id);

CREATE TABLE audit (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	at     TEXT NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_target ON audit(target, id);

-- The TUF repository's metadata files (root, targets, snapshot, timestamp),
-- shared by every replica.
CREATE TABLE tuf_files (
	name TEXT PRIMARY KEY,
	data BLOB NOT NULL
);

-- Console users, sessions and API tokens (internal/auth).
CREATE TABLE users (
	id                   INTEGER PRIMARY KEY AUTOINCREMENT,
	name                 TEXT NOT NULL UNIQUE,
	role                 TEXT NOT NULL CHECK (role IN ('viewer', 'staff', 'admin')),
	password_hash        TEXT NOT NULL,
	must_change_password INTEGER NOT NULL DEFAULT 0,
	created_at           TEXT NOT NULL,
	password_changed_at  TEXT NOT NULL
);
CREATE TABLE sessions (
	token_hash   TEXT PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	csrf_token   TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE TABLE api_tokens (
	name         TEXT PRIMARY KEY,
	token_hash   TEXT NOT NULL UNIQUE,
	role         TEXT NOT NULL CHECK (role IN ('viewer', 'staff', 'admin')),
	created_at   TEXT NOT NULL,
	last_used_at TEXT
);
