-- Raw probe results, kept 48 hours; older ones are rolled up hourly.
CREATE TABLE check_results (
	check_id   TEXT NOT NULL,
	at         TEXT NOT NULL,
	status     INTEGER NOT NULL,
	latency_us INTEGER NOT NULL,
	message    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX check_results_by_check ON check_results(check_id, at);
CREATE INDEX check_results_by_time ON check_results(at);

-- Hourly roll-ups, kept 90 days.
CREATE TABLE check_rollups (
	check_id       TEXT NOT NULL,
	hour           TEXT NOT NULL,
	n              INTEGER NOT NULL,
	n_ok           INTEGER NOT NULL,
	n_degraded     INTEGER NOT NULL,
	n_fail         INTEGER NOT NULL,
	latency_avg_us INTEGER NOT NULL,
	latency_max_us INTEGER NOT NULL,
	PRIMARY KEY (check_id, hour)
);

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
