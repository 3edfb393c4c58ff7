package mdsource

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lifeline-project/lifeline/internal/mirror"
)

type sink struct {
	pages   []mirror.Page
	rejects []mirror.RowError
}

func (s *sink) Put(_ context.Context, r mirror.Record, _ mirror.Pos) error {
	s.pages = append(s.pages, r.(mirror.Page))
	return nil
}
func (s *sink) Delete(context.Context, string, mirror.Pos) error { return nil }
func (s *sink) Reject(e mirror.RowError) error {
	s.rejects = append(s.rejects, e)
	return nil
}

type pageInfo struct {
	Slug, Title string
	Order       int
}

func infos(ps []mirror.Page) []pageInfo {
	var out []pageInfo
	for _, p := range ps {
		out = append(out, pageInfo{p.Slug, p.Title, p.Order})
	}
	return out
}

func TestFolder(t *testing.T) {
	s := &sink{}
	src := New(filepath.Join("testdata", "handbuch"))
	m, err := src.Snapshot(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	want := []pageInfo{{"strom", "Stromausfall", 1}, {"ti-ausfall", "TI-Ausfall", 2}}
	if diff := cmp.Diff(want, infos(s.pages)); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	if len(s.rejects) != 1 || s.rejects[0].File != "03-leer.md" || s.rejects[0].Field != "markdown" {
		t.Errorf("rejects %v; want the empty page 03-leer.md", s.rejects)
	}
	v, _ := src.Version(context.Background())
	if m.Cursor != v || v == "" {
		t.Errorf("cursor %q; want the version %q", m.Cursor, v)
	}
}

func TestSingleFile(t *testing.T) {
	s := &sink{}
	if _, err := New(filepath.Join("testdata", "handbuch.md")).Snapshot(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	want := []pageInfo{{"einleitung", "Einleitung", 1}, {"stromausfall", "Stromausfall", 2}, {"warenwirtschaft-ausgefallen", "Warenwirtschaft ausgefallen", 3}}
	if diff := cmp.Diff(want, infos(s.pages)); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	if len(s.pages) == 3 && !strings.Contains(s.pages[1].Markdown, "shutdown -h now") {
		t.Errorf("code block left the Stromausfall page: %q", s.pages[1].Markdown)
	}
	if _, err := New("does-not-exist").Snapshot(context.Background(), &sink{}); mirror.ErrorCode(err) != mirror.EUNAVAILABLE {
		t.Errorf("missing path: %v; want EUNAVAILABLE", err)
	}
}

func FuzzSplitPages(f *testing.F) {
	f.Add("# A\nx\n# B\ny\n")
	f.Add("intro\n```\n# not a page\n```\n# Real\n")
	f.Fuzz(func(t *testing.T, text string) {
		pages, err := splitPages(text)
		if err != nil {
			return
		}
		for _, p := range pages {
			if p.title == "" && p.slug != "" && p.slug != "einleitung" {
				t.Fatalf("page with slug %q but no title", p.slug)
			}
		}
	})
}
