-- Raw probe results, kept 48 hours, packed in chunks: one row holds a run of
-- consecutive results of one check (see internal/store/sqlite/monitor.go for
-- the encoding). Packing keeps 1,000 checks at a 10 s interval for 48 h
-- (17 million results) near 100 MB instead of well over a gigabyte.
CREATE TABLE check_chunks (
	check_id TEXT NOT NULL,
	start_ms INTEGER NOT NULL,
	end_ms   INTEGER NOT NULL,
	n        INTEGER NOT NULL,
	data     BLOB NOT NULL,
	PRIMARY KEY (check_id, start_ms)
) WITHOUT ROWID;

-- Hourly roll-ups, kept 90 days.
CREATE TABLE check_rollups (
	check_id       TEXT NOT NULL,
	hour_ms        INTEGER NOT NULL,
	n              INTEGER NOT NULL,
	n_ok           INTEGER NOT NULL,
	n_degraded     INTEGER NOT NULL,
	n_fail         INTEGER NOT NULL,
	n_unknown      INTEGER NOT NULL,
	latency_sum_us INTEGER NOT NULL,
	latency_max_us INTEGER NOT NULL,
	PRIMARY KEY (check_id, hour_ms)
) WITHOUT ROWID;

-- Every state change, with time and reason. Kept 90 days.
CREATE TABLE check_transitions (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	check_id   TEXT NOT NULL,
	at         TEXT NOT NULL,
	from_state TEXT NOT NULL,
	to_state   TEXT NOT NULL,
	reason_de  TEXT NOT NULL DEFAULT '',
	reason_en  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX check_transitions_by_check ON check_transitions(check_id, at);
