-- The access log and the wards of users, in a file of their own
-- (fhir-access.db): a long import into the copy holds the copy's write
-- lock, and a view must still be logged at once.

-- Who saw which patient when. detail is sealed (a search query may hold a
-- name).
CREATE TABLE access_log (
	id      INTEGER PRIMARY KEY,
	at      TEXT NOT NULL,
	user    TEXT NOT NULL,
	role    TEXT NOT NULL,
	action  TEXT NOT NULL,
	patient BLOB,
	ward    TEXT NOT NULL DEFAULT '',
	detail  BLOB
);
CREATE INDEX access_log_patient ON access_log(patient, id);

-- Wards of users ("*" = all wards).
CREATE TABLE user_wards (
	user TEXT NOT NULL,
	ward TEXT NOT NULL,
	PRIMARY KEY (user, ward)
) WITHOUT ROWID;
