// Package csvsource reads the downtime copy's data sets from CSV files in
// the format of docs/mirror-csv.md: UTF-8 (a byte order mark is skipped),
// semicolon separated, a header naming the columns, one record per line.
// Every bad row is reported through the sink with file, line, field and
// reason; a bad header rejects the file as a whole.
package csvsource

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/mirror"
)

// Source is a CSV file of one data set.
type Source struct {
	ds     mirror.Dataset
	path   string
	loc    *time.Location
	schema mirror.Schema
}

var (
	_ mirror.Source    = (*Source)(nil)
	_ mirror.Versioned = (*Source)(nil)
)

// New returns the CSV source of a data set. loc is the zone of local
// wall-clock times (the duty rota); nil means UTC.
func New(ds mirror.Dataset, path string, loc *time.Location) (*Source, error) {
	s, ok := mirror.SchemaOf(ds)
	if !ok || !s.CSV {
		return nil, mirror.Errorf(mirror.EINVALID, "%s wird nicht aus CSV gelesen", "%s is not read from CSV", string(ds), string(ds))
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Source{ds: ds, path: path, loc: loc, schema: s}, nil
}

// Dataset returns the data set.
func (s *Source) Dataset() mirror.Dataset { return s.ds }

// String returns the file's path.
func (s *Source) String() string { return s.path }

// Version returns the file's modification time and size.
func (s *Source) Version(context.Context) (string, error) {
	fi, err := os.Stat(s.path)
	if err != nil {
		return "", fileError(s.path, err)
	}
	return version(fi), nil
}

func version(fi os.FileInfo) string {
	return fmt.Sprintf("%d:%d", fi.ModTime().UnixNano(), fi.Size())
}

func fileError(path string, err error) error {
	return &mirror.Error{Code: mirror.EUNAVAILABLE, Message: check.Msg(
		fmt.Sprintf("Datei %s nicht lesbar", path), fmt.Sprintf("file %s not readable", path)), Err: err}
}

// Snapshot reads the whole file. The mark's cursor is the file's version
// before reading, AsOf its modification time.
func (s *Source) Snapshot(ctx context.Context, sink mirror.Sink) (mirror.Mark, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return mirror.Mark{}, fileError(s.path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return mirror.Mark{}, fileError(s.path, err)
	}
	if err := Parse(ctx, f, filepath.Base(s.path), s.ds, s.loc, sink); err != nil {
		return mirror.Mark{}, err
	}
	return mirror.Mark{Cursor: version(fi), AsOf: fi.ModTime()}, nil
}

// Parse reads CSV records of a data set from r and sends them to sink;
// file names the input in row errors. It returns an error for a bad header,
// an unreadable input, a cancelled ctx, or when the sink aborts.
func Parse(ctx context.Context, r io.Reader, file string, ds mirror.Dataset, loc *time.Location, sink mirror.Sink) error {
	schema, ok := mirror.SchemaOf(ds)
	if !ok || !schema.CSV {
		return mirror.Errorf(mirror.EINVALID, "%s wird nicht aus CSV gelesen", "%s is not read from CSV", string(ds), string(ds))
	}
	if loc == nil {
		loc = time.UTC
	}
	br := bufio.NewReaderSize(r, 256<<10)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xef, 0xbb, 0xbf}) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = ';'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return headerError(file, check.Msg("Datei ist leer; erwartet wird eine Kopfzeile", "file is empty; a header line is expected"))
	}
	if err != nil {
		return headerError(file, csvReason(err))
	}
	index, herr := readHeader(header, schema)
	if herr != nil {
		return headerError(file, *herr)
	}
	fields := make([]string, len(schema.Columns))
	get := func(name string) string {
		if i, ok := index[name]; ok && i < len(fields) {
			return fields[i]
		}
		return ""
	}
	rowNo := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		rowNo++
		if rowNo%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line := 0
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			if rerr := sink.Reject(mirror.RowError{Pos: mirror.Pos{File: file, Line: line}, Reason: csvReason(err)}); rerr != nil {
				return rerr
			}
			if !errors.As(err, &pe) {
				return fmt.Errorf("read %s: %w", file, err)
			}
			continue
		}
		line, _ = cr.FieldPos(0)
		if len(rec) != len(header) {
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue // a line of spaces
			}
			if rerr := sink.Reject(mirror.RowError{Pos: mirror.Pos{File: file, Line: line}, Reason: check.Msg(
				fmt.Sprintf("%d Spalten statt %d", len(rec), len(header)),
				fmt.Sprintf("%d columns instead of %d", len(rec), len(header)))}); rerr != nil {
				return rerr
			}
			continue
		}
		if len(fields) < len(rec) {
			fields = make([]string, len(rec))
		}
		copy(fields, rec)
		r, errs := schema.Decode(get, loc)
		pos := mirror.Pos{File: file, Line: line}
		if len(errs) > 0 {
			for _, fe := range errs {
				if rerr := sink.Reject(mirror.RowError{Pos: pos, Field: fe.Field, Reason: fe.Reason}); rerr != nil {
					return rerr
				}
			}
			continue
		}
		if err := sink.Put(ctx, r, pos); err != nil {
			return err
		}
	}
}

func headerError(file string, reason check.Text) error {
	return &mirror.Error{Code: mirror.EINVALID, Message: check.Msg(
		file+", Zeile 1 (Kopfzeile): "+reason.DE+"; die Datei wurde nicht übernommen",
		file+", line 1 (header): "+reason.EN+"; the file was not imported")}
}

// readHeader maps column names to their positions. Names are trimmed and
// lower-cased; unknown, duplicate and missing required columns are refused.
func readHeader(header []string, s mirror.Schema) (map[string]int, *check.Text) {
	known := map[string]bool{}
	for _, c := range s.Columns {
		known[c] = true
	}
	want := strings.Join(s.Columns, ";")
	if len(header) == 1 && strings.Count(header[0], ",") > 0 {
		t := check.Msg("Trennzeichen ist das Komma; erwartet wird das Semikolon: "+want,
			"separator is a comma; a semicolon is expected: "+want)
		return nil, &t
	}
	index := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		switch {
		case name == "":
			t := check.Msg(fmt.Sprintf("Spalte %d hat keinen Namen; erwartet: %s", i+1, want),
				fmt.Sprintf("column %d has no name; expected: %s", i+1, want))
			return nil, &t
		case !known[name]:
			t := check.Msg(fmt.Sprintf("unbekannte Spalte %q; erwartet: %s", clip(name), want),
				fmt.Sprintf("unknown column %q; expected: %s", clip(name), want))
			return nil, &t
		}
		if _, dup := index[name]; dup {
			t := check.Msg(fmt.Sprintf("Spalte %q kommt doppelt vor", name), fmt.Sprintf("column %q appears twice", name))
			return nil, &t
		}
		index[name] = i
	}
	var missing []string
	for _, c := range s.Required {
		if _, ok := index[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		t := check.Msg("Spalten fehlen: "+strings.Join(missing, ", ")+"; erwartet: "+want,
			"columns missing: "+strings.Join(missing, ", ")+"; expected: "+want)
		return nil, &t
	}
	return index, nil
}

func csvReason(err error) check.Text {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrQuote):
			return check.Msg("Anführungszeichen nicht geschlossen oder falsch gesetzt; diese und folgende Zeilen bis zum nächsten Anführungszeichen wurden nicht gelesen",
				"quote not closed or misplaced; this line and those up to the next quote were not read")
		case errors.Is(pe.Err, csv.ErrBareQuote):
			return check.Msg("Anführungszeichen mitten im Feld; das Feld bitte ganz in Anführungszeichen setzen und innere verdoppeln",
				"quote inside a field; put the whole field in quotes and double the inner ones")
		}
		return check.Msg("CSV-Fehler: "+pe.Err.Error(), "CSV error: "+pe.Err.Error())
	}
	return check.Msg("Datei nicht lesbar: "+err.Error(), "file not readable: "+err.Error())
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
