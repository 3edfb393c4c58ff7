package feed

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/mirror"
)

func page(t *testing.T, l *MemLog, since uint64, limit int) (keys []string, next uint64, more bool) {
	t.Helper()
	es, next, more, err := l.Read(since, limit)
	if err != nil {
		t.Fatalf("Read(%d): %v", since, err)
	}
	for _, e := range es {
		k := e.Key
		if e.Record == nil {
			k = "-" + k
		}
		keys = append(keys, k)
	}
	return keys, next, more
}

func pg(slug string) mirror.Page { return mirror.Page{Slug: slug, Title: slug, Markdown: slug} }

func TestMemLog(t *testing.T) {
	clk := clock.NewFake(time.Date(2025, 3, 28, 9, 0, 0, 0, time.UTC))
	l := NewMemLog(mirror.Handbook, clk)
	l.Put(pg("a"), pg("b"), pg("c")) // seq 1..3
	l.Put(pg("a"))                   // seq 4, supersedes 1
	l.Delete("b")                    // seq 5

	tests := []struct {
		name     string
		since    uint64
		limit    int
		want     []string
		wantNext uint64
		wantMore bool
	}{
		{"full read skips deletions", 0, 10, []string{"c", "a"}, 5, false},
		{"paged full read", 0, 1, []string{"c"}, 3, true},
		{"second page", 3, 1, []string{"a"}, 4, true},
		{"increment shows deletion", 3, 10, []string{"a", "-b"}, 5, false},
		{"caught up", 5, 10, nil, 5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, next, more := page(t, l, tt.since, tt.limit)
			if diff := cmp.Diff(tt.want, keys); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			if next != tt.wantNext || more != tt.wantMore {
				t.Errorf("next %d more %v; want %d %v", next, more, tt.wantNext, tt.wantMore)
			}
		})
	}
	if l.Len() != 2 || l.Seq() != 5 {
		t.Errorf("Len %d Seq %d; want 2, 5", l.Len(), l.Seq())
	}
	if _, _, _, err := l.Read(99, 10); err != ErrExpired {
		t.Errorf("cursor from the future: %v; want ErrExpired", err)
	}

	clk.Advance(48 * time.Hour)
	l.Compact(clk.Now().Add(-24 * time.Hour)) // drops the tombstone of b (seq 5)
	if _, _, _, err := l.Read(3, 10); err != ErrExpired {
		t.Errorf("cursor before a dropped deletion: %v; want ErrExpired", err)
	}
	if keys, _, _ := page(t, l, 5, 10); len(keys) != 0 {
		t.Errorf("cursor at the dropped deletion: %v; want no changes", keys)
	}
	if keys, _, _ := page(t, l, 0, 10); !cmp.Equal(keys, []string{"c", "a"}) {
		t.Errorf("full read after compaction: %v; want [c a]", keys)
	}
}
