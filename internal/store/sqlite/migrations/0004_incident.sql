-- Incidents as evidence (internal/incident), the certificate calendar
-- (internal/certcal), drills (internal/drill) and the log of paper binders
-- (internal/binder). Kept without a time limit: they are the site's record.

-- One row per incident: a projection of its entries for lists and pages.
-- Times are UTC text (TimeFormat); closed_at is '' while open.
CREATE TABLE incidents (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	source      TEXT NOT NULL,
	title_de    TEXT NOT NULL,
	title_en    TEXT NOT NULL,
	opened_at   TEXT NOT NULL,
	closed_at   TEXT NOT NULL DEFAULT '',
	root_causes TEXT NOT NULL DEFAULT '[]',
	involved    TEXT NOT NULL DEFAULT '[]',
	affected    TEXT NOT NULL DEFAULT '[]',
	drill_id    INTEGER NOT NULL DEFAULT 0,
	retro       INTEGER NOT NULL DEFAULT 0,
	cost_cents  INTEGER NOT NULL DEFAULT 0,
	emergency   INTEGER NOT NULL DEFAULT 0,
	last_seq    INTEGER NOT NULL DEFAULT 0,
	last_hash   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incidents_open ON incidents(closed_at, id);
CREATE INDEX incidents_by_drill ON incidents(drill_id) WHERE drill_id != 0;
CREATE INDEX incidents_by_opened ON incidents(opened_at);

-- The timeline entries of all incidents: one hash chain across the site,
-- seq 1, 2, 3, ... Append-only: the triggers refuse changes, and Verify
-- finds changes made around them.
CREATE TABLE incident_entries (
	seq         INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	at          TEXT NOT NULL,
	kind        TEXT NOT NULL,
	actor       TEXT NOT NULL,
	text_de     TEXT NOT NULL,
	text_en     TEXT NOT NULL,
	data        TEXT NOT NULL DEFAULT 'null',
	ref         TEXT NOT NULL DEFAULT '',
	prev_hash   TEXT NOT NULL,
	hash        TEXT NOT NULL
);
CREATE INDEX incident_entries_by_incident ON incident_entries(incident_id, seq);
CREATE UNIQUE INDEX incident_entries_ref ON incident_entries(incident_id, ref) WHERE ref != '';

CREATE TRIGGER incident_entries_no_update BEFORE UPDATE ON incident_entries
BEGIN SELECT RAISE(ABORT, 'incident entries are append-only'); END;
CREATE TRIGGER incident_entries_no_delete BEFORE DELETE ON incident_entries
BEGIN SELECT RAISE(ABORT, 'incident entries are append-only'); END;

-- The head of the chain, so that cutting entries off the end is found.
CREATE TABLE incident_chain_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO incident_chain_head(id, seq, hash) VALUES (1, 0, '');

-- Improvements from retrospectives, with owner and due date.
CREATE TABLE incident_improvements (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	text        TEXT NOT NULL,
	owner       TEXT NOT NULL,
	due         TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	created_by  TEXT NOT NULL,
	done_at     TEXT NOT NULL DEFAULT '',
	done_by     TEXT NOT NULL DEFAULT ''
);

-- Certificate calendar: entries made on the dashboard, expiries found by
-- the tls checks, and acknowledged warnings (entry key, stage in days).
CREATE TABLE cert_entries (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	kind       TEXT NOT NULL,
	name       TEXT NOT NULL,
	expires    TEXT NOT NULL,
	note       TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	created_by TEXT NOT NULL
);
CREATE TABLE cert_found (
	check_id  TEXT PRIMARY KEY,
	subject   TEXT NOT NULL,
	not_after TEXT NOT NULL,
	seen_at   TEXT NOT NULL
);
CREATE TABLE cert_acks (
	entry_key TEXT NOT NULL,
	stage     INTEGER NOT NULL,
	by_user   TEXT NOT NULL,
	at        TEXT NOT NULL,
	PRIMARY KEY (entry_key, stage)
);

-- Drills and the alert incidents they caused (their messages keep going to
-- the drill receivers, also the all-clear after the drill).
CREATE TABLE drills (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	scenario   TEXT NOT NULL,
	title_de   TEXT NOT NULL,
	title_en   TEXT NOT NULL,
	checks     TEXT NOT NULL,
	started_at TEXT NOT NULL,
	started_by TEXT NOT NULL,
	ended_at   TEXT NOT NULL DEFAULT '',
	ended_by   TEXT NOT NULL DEFAULT ''
);
CREATE TABLE drill_alert_incidents (
	alert_incident TEXT PRIMARY KEY,
	drill_id       INTEGER NOT NULL REFERENCES drills(id),
	marked_at      TEXT NOT NULL
);

-- Every paper binder generated: when, by whom, why, whether it held
-- personal data (priority patients), where it went.
CREATE TABLE binder_log (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	at       TEXT NOT NULL,
	by_user  TEXT NOT NULL,
	reason   TEXT NOT NULL,
	patients INTEGER NOT NULL,
	articles INTEGER NOT NULL,
	sha256   TEXT NOT NULL,
	folders  TEXT NOT NULL,
	problems TEXT NOT NULL DEFAULT ''
);
