// Package mdsource reads the emergency handbook from Markdown: a folder with
// one .md file per page (sorted by file name; "01-strom.md" becomes the page
// "strom"), or a single .md file split into pages at its top-level "# "
// headings.
package mdsource

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/mirror"
)

// Source is a Markdown file or folder holding the handbook.
type Source struct {
	path string
}

var (
	_ mirror.Source    = (*Source)(nil)
	_ mirror.Versioned = (*Source)(nil)
)

// New returns the handbook source at path (file or folder).
func New(path string) *Source { return &Source{path: path} }

// Dataset returns Handbook.
func (s *Source) Dataset() mirror.Dataset { return mirror.Handbook }

// String returns the path.
func (s *Source) String() string { return s.path }

func unreadable(path string, err error) error {
	return &mirror.Error{Code: mirror.EUNAVAILABLE, Message: check.Msg(
		"Handbuch "+path+" nicht lesbar", "handbook "+path+" not readable"), Err: err}
}

// files lists the Markdown files: the file itself, or the folder's *.md
// files by name.
func (s *Source) files() ([]string, bool, error) {
	fi, err := os.Stat(s.path)
	if err != nil {
		return nil, false, unreadable(s.path, err)
	}
	if !fi.IsDir() {
		return []string{s.path}, false, nil
	}
	entries, err := os.ReadDir(s.path)
	if err != nil {
		return nil, true, unreadable(s.path, err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".md") {
			out = append(out, filepath.Join(s.path, e.Name()))
		}
	}
	sort.Strings(out)
	return out, true, nil
}

// Version hashes the names, sizes and modification times of the files.
func (s *Source) Version(context.Context) (string, error) {
	files, _, err := s.files()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return "", unreadable(f, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\n", f, fi.Size(), fi.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil)[:12]), nil
}

// Snapshot reads every page.
func (s *Source) Snapshot(ctx context.Context, sink mirror.Sink) (mirror.Mark, error) {
	ver, err := s.Version(ctx)
	if err != nil {
		return mirror.Mark{}, err
	}
	files, dir, err := s.files()
	if err != nil {
		return mirror.Mark{}, err
	}
	order := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			return mirror.Mark{}, unreadable(f, err)
		}
		base := filepath.Base(f)
		var pages []page
		if dir {
			pages = []page{filePage(base, string(body))}
		} else {
			if pages, err = splitPages(string(body)); err != nil {
				return mirror.Mark{}, unreadable(f, err)
			}
		}
		for _, p := range pages {
			order++
			fields := map[string]string{"slug": p.slug, "title": p.title, "order": strconv.Itoa(order), "markdown": p.body}
			rec, errs := mirror.DecodePage(func(k string) string { return fields[k] })
			pos := mirror.Pos{File: base, Line: p.line}
			if len(errs) > 0 {
				for _, fe := range errs {
					if err := sink.Reject(mirror.RowError{Pos: pos, Field: fe.Field, Reason: fe.Reason}); err != nil {
						return mirror.Mark{}, err
					}
				}
				continue
			}
			if err := sink.Put(ctx, rec, pos); err != nil {
				return mirror.Mark{}, err
			}
		}
	}
	return mirror.Mark{Cursor: ver}, ctx.Err()
}

type page struct {
	slug, title, body string
	line              int
}

// filePage makes the page of one file: title from its first "# " heading,
// else from the file name; slug from the file name without a leading
// number ("01-strom.md" -> "strom").
func filePage(name, body string) page {
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	if i := strings.IndexFunc(stem, func(r rune) bool { return r < '0' || r > '9' }); i > 0 {
		stem = strings.TrimLeft(stem[i:], "-_ .")
	}
	title := stem
	for _, l := range strings.Split(body, "\n") {
		if t, ok := heading(l); ok {
			title = t
			break
		}
	}
	return page{slug: mirror.Slugify(stem), title: title, body: body, line: 1}
}

// heading returns the text of a top-level ATX heading line.
func heading(line string) (string, bool) {
	line = strings.TrimRight(line, "\r")
	if !strings.HasPrefix(line, "# ") {
		return "", false
	}
	return strings.TrimSpace(strings.TrimRight(strings.TrimSpace(line[2:]), "#")), true
}

// splitPages splits a Markdown text into pages at top-level "# " headings
// outside code fences. Text before the first heading becomes a page
// "Einleitung" when it is not blank.
func splitPages(text string) ([]page, error) {
	var pages []page
	var cur *page
	var buf bytes.Buffer
	fence := ""
	flush := func() {
		if cur != nil {
			cur.body = strings.TrimSpace(buf.String()) + "\n"
			pages = append(pages, *cur)
		} else if strings.TrimSpace(buf.String()) != "" {
			pages = append(pages, page{slug: "einleitung", title: "Einleitung", body: strings.TrimSpace(buf.String()) + "\n", line: 1})
		}
		buf.Reset()
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), mirror.MaxPageBytes+1)
	n := 0
	for sc.Scan() {
		n++
		l := sc.Text()
		trim := strings.TrimSpace(l)
		if fence == "" && (strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~")) {
			fence = trim[:3]
		} else if fence != "" && strings.HasPrefix(trim, fence) {
			fence = ""
		} else if fence == "" {
			if t, ok := heading(l); ok {
				flush()
				cur = &page{slug: mirror.Slugify(t), title: t, line: n}
			}
		}
		buf.WriteString(l)
		buf.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	flush()
	return pages, nil
}
