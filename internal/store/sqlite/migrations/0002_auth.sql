-- Users of the site dashboard. password_hash is an argon2id PHC string.
CREATE TABLE users (
	id                   INTEGER PRIMARY KEY AUTOINCREMENT,
	name                 TEXT NOT NULL UNIQUE,
	role                 TEXT NOT NULL CHECK (role IN ('viewer', 'staff', 'admin')),
	password_hash        TEXT NOT NULL,
	must_change_password INTEGER NOT NULL DEFAULT 0,
	created_at           TEXT NOT NULL,
	password_changed_at  TEXT NOT NULL
);

-- Login sessions. token_hash is the hex SHA-256 of the cookie value; the
-- cookie value itself is never stored.
CREATE TABLE sessions (
	token_hash   TEXT PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	csrf_token   TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE INDEX sessions_by_last_seen ON sessions(last_seen_at);

-- API tokens. token_hash is the hex SHA-256 of the token, shown once.
-- last_used_at is '' while never used.
CREATE TABLE api_tokens (
	name         TEXT PRIMARY KEY,
	token_hash   TEXT NOT NULL UNIQUE,
	role         TEXT NOT NULL CHECK (role IN ('viewer', 'staff', 'admin')),
	created_at   TEXT NOT NULL,
	last_used_at TEXT NOT NULL DEFAULT ''
);
