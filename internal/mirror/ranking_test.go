package mirror_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrortest"
)

// TestRanking is the ranking contract, independent of storage: the same
// cases run against the SQLite store in mirrordb.
func TestRanking(t *testing.T) {
	for _, tc := range mirrortest.RankingCases() {
		t.Run(tc.Query, func(t *testing.T) {
			q := mirror.ParseQuery(tc.Query)
			var hits []mirror.ScoredHit
			for _, a := range mirrortest.RankingArticles() {
				if h, ok := mirror.Score(q, a); ok {
					hits = append(hits, h)
				}
			}
			mirror.Rank(hits)
			var got []string
			for _, h := range hits {
				got = append(got, h.Article.Name)
			}
			if len(got) > len(tc.Want) {
				got = got[:len(tc.Want)]
			}
			if diff := cmp.Diff(tc.Want, got); diff != "" {
				t.Errorf("ranking of %q (-want +got):\n%s", tc.Query, diff)
			}
		})
	}
}
