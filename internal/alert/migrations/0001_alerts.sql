-- Alert state of the site: incidents (with their escalation state),
-- the delivery log, silences made on the dashboard and the acknowledgement
-- links already used. Times are Unix milliseconds (UTC).
CREATE TABLE incidents (
	id            TEXT PRIMARY KEY,
	key           TEXT NOT NULL,
	opened_at     INTEGER NOT NULL,
	closed_at     INTEGER,
	closed_reason TEXT NOT NULL DEFAULT '',
	data          TEXT NOT NULL
);
CREATE INDEX incidents_open ON incidents(closed_at) WHERE closed_at IS NULL;
CREATE INDEX incidents_opened ON incidents(opened_at);

CREATE TABLE deliveries (
	id          TEXT PRIMARY KEY,
	incident_id TEXT NOT NULL DEFAULT '',
	receiver    TEXT NOT NULL,
	person      TEXT NOT NULL DEFAULT '',
	kind        TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	status      TEXT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_at     INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	sent_at     INTEGER,
	title       TEXT NOT NULL DEFAULT '',
	message     TEXT NOT NULL
);
CREATE INDEX deliveries_created ON deliveries(created_at);
CREATE INDEX deliveries_pending ON deliveries(status) WHERE status IN ('pending', 'retry');

CREATE TABLE silences (
	id         TEXT PRIMARY KEY,
	checks     TEXT NOT NULL DEFAULT '[]',
	groups     TEXT NOT NULL DEFAULT '[]',
	comment    TEXT NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	starts_at  INTEGER NOT NULL,
	ends_at    INTEGER NOT NULL
);

CREATE TABLE ack_links_used (
	nonce       TEXT PRIMARY KEY,
	incident_id TEXT NOT NULL,
	receiver    TEXT NOT NULL,
	used_at     INTEGER NOT NULL
);
