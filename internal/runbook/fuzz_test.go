package runbook_test

import (
	"testing"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/runbook"
)

func FuzzFromHandbook(f *testing.F) {
	for _, s := range []string{"# Strom\n- [ ] a\n- [x] a\n", "Phase: Netz\n1. Router\n2) LTE\n", "Bereich: ???\n* [ ] \u00e4\u00f6\u00fc\n", "1. \n- [ ] !!!\n"} {
		f.Add("Titel", s)
	}
	f.Fuzz(func(t *testing.T, title, md string) {
		for _, c := range runbook.FromHandbook([]mirror.Page{{Slug: "seite", Title: title, Markdown: md}}) {
			seen := map[string]bool{}
			for _, s := range c.Steps {
				if s.ID == "" || seen[s.ID] {
					t.Fatalf("step id %q empty or twice in %q", s.ID, md)
				}
				seen[s.ID] = true
			}
		}
	})
}
