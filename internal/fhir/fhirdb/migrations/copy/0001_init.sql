-- The hospital downtime copy. No column holds a patient's name, birth date,
-- identifier or FHIR id in plain: resources are sealed (package seal), rows
-- are addressed by keyed HMACs of "Type/id" (rid), and search goes through
-- keyed HMACs of normalised terms.

-- meta: 'index_key' (the sealed HMAC key), 'state' (sync state JSON, no
-- patient data), 'gen' (generation of the last full import).
CREATE TABLE meta (
	k TEXT PRIMARY KEY,
	v BLOB NOT NULL
);

CREATE TABLE resources (
	id      INTEGER PRIMARY KEY,
	rid     BLOB NOT NULL UNIQUE,
	type    TEXT NOT NULL,
	patient BLOB,
	gen     INTEGER NOT NULL,
	sealed  BLOB NOT NULL
);
CREATE INDEX resources_patient ON resources(patient, type);
CREATE INDEX resources_gen ON resources(gen);

-- Blind search index of patients.
CREATE TABLE terms (
	term BLOB NOT NULL,
	rid  BLOB NOT NULL REFERENCES resources(rid) ON DELETE CASCADE,
	PRIMARY KEY (term, rid)
) WITHOUT ROWID;
CREATE INDEX terms_rid ON terms(rid);

-- Current stays: the encounter, the patient (both blind keys) and the
-- stay's locations (ward, room and bed references, JSON).
CREATE TABLE stays (
	rid       BLOB PRIMARY KEY REFERENCES resources(rid) ON DELETE CASCADE,
	patient   BLOB NOT NULL,
	locations TEXT NOT NULL
);

-- Locations (wards, rooms, beds, sites): not personal data, kept in plain
-- for the ward lists.
CREATE TABLE locations (
	rid  BLOB PRIMARY KEY REFERENCES resources(rid) ON DELETE CASCADE,
	body TEXT NOT NULL
);
