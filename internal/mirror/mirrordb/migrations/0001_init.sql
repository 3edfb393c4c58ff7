-- The downtime copy's own database (mirror.db). One row per data set in
-- datasets; one table per data set. Personal fields are sealed (see package
-- seal): patients.sealed, contacts.phone_private, keycheck.sealed.

CREATE TABLE datasets (
	name           TEXT PRIMARY KEY,
	schema_version INTEGER NOT NULL,
	generation     INTEGER NOT NULL DEFAULT 0,
	rows           INTEGER NOT NULL DEFAULT 0,
	source         TEXT NOT NULL DEFAULT '',
	cursor         TEXT NOT NULL DEFAULT '',
	synced_at      TEXT NOT NULL DEFAULT '',
	full_at        TEXT NOT NULL DEFAULT '',
	rejected       INTEGER NOT NULL DEFAULT 0,
	last_error     TEXT NOT NULL DEFAULT '',
	last_error_at  TEXT NOT NULL DEFAULT ''
);
INSERT INTO datasets(name, schema_version) VALUES
	('articles', 1), ('contacts', 1), ('duty', 1), ('patients', 1), ('handbook', 1);

-- The PZN is the rowid: a lookup is one B-tree descent, and the full-text
-- index refers to it directly.
CREATE TABLE articles (
	pzn           INTEGER PRIMARY KEY,
	name          TEXT NOT NULL,
	name_key      TEXT NOT NULL,
	manufacturer  TEXT NOT NULL,
	form          TEXT NOT NULL,
	pack_size     TEXT NOT NULL,
	norm_size     TEXT NOT NULL,
	rx            INTEGER NOT NULL,
	pharmacy_only INTEGER NOT NULL,
	btm           INTEGER NOT NULL,
	avp           INTEGER NOT NULL,
	festbetrag    INTEGER,
	copay_exempt  INTEGER NOT NULL
);
CREATE INDEX articles_name_key ON articles(name_key);
CREATE VIRTUAL TABLE articles_fts USING fts5(
	name, content='articles', content_rowid='pzn',
	tokenize="unicode61 remove_diacritics 2", prefix='2 3', columnsize=0);
-- The distinct words of the article names, for typo corrections.
CREATE TABLE article_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;

CREATE TABLE contacts (
	id            TEXT PRIMARY KEY,
	kind          TEXT NOT NULL,
	name          TEXT NOT NULL,
	phone         TEXT NOT NULL,
	phone_private BLOB,
	email         TEXT NOT NULL,
	address       TEXT NOT NULL,
	note          TEXT NOT NULL
);

CREATE TABLE duty (
	id      TEXT PRIMARY KEY,
	starts  TEXT NOT NULL,
	ends    TEXT NOT NULL,
	name    TEXT NOT NULL,
	address TEXT NOT NULL,
	phone   TEXT NOT NULL,
	note    TEXT NOT NULL
);
CREATE INDEX duty_starts ON duty(starts);

-- Everything but the customer number and the due date is in sealed.
CREATE TABLE patients (
	customer_no TEXT PRIMARY KEY,
	next_due    TEXT NOT NULL,
	sealed      BLOB NOT NULL
);

CREATE TABLE handbook (
	slug     TEXT PRIMARY KEY,
	ord      INTEGER NOT NULL,
	title    TEXT NOT NULL,
	markdown TEXT NOT NULL
);

-- A sealed constant: tells at start whether the data key matches the data.
CREATE TABLE keycheck (
	id     INTEGER PRIMARY KEY CHECK (id = 1),
	sealed BLOB NOT NULL
);
