-- Emergency mode at the counter (internal/counter).

-- Every switch of the emergency mode: who, when, how and why. The mode in
-- force is the last row.
CREATE TABLE counter_mode_switches (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	at        TEXT NOT NULL,
	active    INTEGER NOT NULL CHECK (active IN (0, 1)),
	user_name TEXT NOT NULL,
	via       TEXT NOT NULL CHECK (via IN ('page', 'api')),
	reason    TEXT NOT NULL DEFAULT ''
);

-- What the counter keeps about a sale beyond the journal entry (names,
-- sale kinds, Mehrkosten, amount paid), as JSON, keyed by the sale's
-- idempotency key. journal_number is 0 until the journal acknowledged it.
-- No personal data.
CREATE TABLE counter_sales (
	idem_key       TEXT PRIMARY KEY,
	created_at     TEXT NOT NULL,
	journal_number INTEGER NOT NULL DEFAULT 0,
	details        TEXT NOT NULL
);
CREATE INDEX counter_sales_by_number ON counter_sales(journal_number);

-- E-Rezept tokens scanned while the TI was down. sealed holds the token,
-- the patient's name or phone and the note, encrypted (internal/seal) with
-- uid in the associated data; only the urgency and the times are plain,
-- to order the queue.
CREATE TABLE counter_erezepte (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	uid        TEXT NOT NULL UNIQUE,
	sealed     BLOB NOT NULL,
	urgent     INTEGER NOT NULL CHECK (urgent IN (0, 1)),
	created_at TEXT NOT NULL,
	created_by TEXT NOT NULL,
	status     TEXT NOT NULL CHECK (status IN ('waiting', 'done', 'returned')),
	status_at  TEXT NOT NULL DEFAULT '',
	status_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX counter_erezepte_by_status ON counter_erezepte(status, status_at);

-- Who looked at or changed patient data, and when.
CREATE TABLE counter_access_log (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	at        TEXT NOT NULL,
	user_name TEXT NOT NULL,
	action    TEXT NOT NULL,
	subject   TEXT NOT NULL DEFAULT ''
);
