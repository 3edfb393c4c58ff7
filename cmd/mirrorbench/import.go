package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/csvsource"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
)

// importOurs is the lifeline path: CSV source, validation, one transaction.
func importOurs(csvPath, dbPath string) (int, error) {
	ctx := context.Background()
	db, err := mirrordb.Open(ctx, dbPath, nil, nil)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	src, err := csvsource.New(mirror.Articles, csvPath, nil)
	if err != nil {
		return 0, err
	}
	rep, err := mirror.Import(ctx, db, src, mirror.ImportOptions{})
	if err != nil {
		return 0, err
	}
	if rep.RejectedCount > 0 {
		return 0, fmt.Errorf("%d rows rejected, first: %v", rep.RejectedCount, rep.Rejected[0])
	}
	return rep.Imported, nil
}

const plainDSN = "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_pragma=busy_timeout(10000)"

// importPlain is the baseline: the same CSV rows read with encoding/csv
// (prices parsed, nothing validated) and inserted with one prepared
// statement in one transaction into a table with the same columns, then the
// same FTS5 index built in one pass.
func importPlain(csvPath, dbPath string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+dbPath+plainDSN)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE t (pzn INTEGER PRIMARY KEY, name TEXT, manufacturer TEXT, form TEXT, pack_size TEXT, norm_size TEXT,
			rx INTEGER, pharmacy_only INTEGER, btm INTEGER, avp INTEGER, festbetrag INTEGER, copay_exempt INTEGER)`,
		`CREATE VIRTUAL TABLE t_fts USING fts5(name, content='t', content_rowid='pzn', tokenize="unicode61 remove_diacritics 2", prefix='2 3', columnsize=0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			return 0, err
		}
	}
	f, err := os.Open(csvPath)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.Comma = ';'
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		return 0, err
	}
	tx, err := db.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	st, err := tx.Prepare(`INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return 0, err
	}
	price := func(s string) any {
		if s == "" {
			return nil
		}
		v, _ := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
		return int64(v*100 + 0.5)
	}
	n := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		pzn, _ := strconv.ParseInt(rec[0], 10, 64)
		if _, err := st.Exec(pzn, rec[1], rec[2], rec[3], rec[4], rec[5], rec[6] == "1", rec[7] == "1", rec[8] == "1",
			price(rec[9]), price(rec[10]), rec[11] == "1"); err != nil {
			return 0, err
		}
		n++
	}
	if _, err := tx.Exec(`INSERT INTO t_fts(t_fts) VALUES ('rebuild')`); err != nil {
		return 0, err
	}
	return n, tx.Commit()
}
