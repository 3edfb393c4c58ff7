package mirrordb

import (
	"context"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

// candidates is how many full-text matches (in PZN order) are ranked in Go
// for word and typo matches. Name-prefix matches come from the name index
// in name order and are exact for any limit.
const candidates = 200

// maxExpansion is how many indexed words a query word of four or more
// letters may stand for before the search falls back to an FTS5 prefix
// query. FTS5 merges the whole document lists of a prefix that its prefix
// index ('2 3') does not cover before it returns the first row; an OR of
// the words themselves is read lazily and stops at the candidate limit.
const maxExpansion = 32

// maxCorrections caps the typo corrections tried per query word.
const maxCorrections = 12

// keyEnd is the largest valid UTF-8 character: key + keyEnd bounds a
// prefix range.
const keyEnd = "\U0010FFFF"

// SearchArticles finds articles by name or PZN, best first:
//  1. the PZN itself (7 or 8 digits),
//  2. names equal to the query, then names starting with it (name order),
//  3. names whose words start with every query word,
//  4. names matching after small typos (one per word of 4-6 letters, two
//     from 7 letters on).
func (db *DB) SearchArticles(ctx context.Context, query string, limit int) ([]mirror.Hit, error) {
	limit = min(max(limit, 1), 100)
	q := mirror.ParseQuery(query)
	if len(q.Tokens) == 0 {
		return nil, nil
	}
	var hits []mirror.ScoredHit
	full := map[pharma.PZN]bool{} // hits whose Article is complete
	seen := map[pharma.PZN]bool{}
	add := func(a mirror.Article) {
		if seen[a.PZN] {
			return
		}
		seen[a.PZN] = true
		if h, ok := mirror.Score(q, a); ok {
			hits = append(hits, h)
			full[a.PZN] = true
		}
	}
	addName := func(pzn pharma.PZN, name string) {
		if seen[pzn] {
			return
		}
		seen[pzn] = true
		if h, ok := mirror.ScoreName(q, pzn, name); ok {
			hits = append(hits, h)
		}
	}
	if q.PZN != "" {
		a, err := db.Article(ctx, q.PZN)
		if err == nil {
			add(a)
		} else if mirror.ErrorCode(err) != mirror.ENOTFOUND {
			return nil, err
		}
	}
	// 1. Names starting with the query, from the name index.
	if q.Key != "" {
		if err := db.queryArticles(ctx, add,
			`SELECT `+articleCols+` FROM articles WHERE name_key >= ? AND name_key < ? ORDER BY name_key, pzn LIMIT ?`,
			q.Key, q.Key+keyEnd, limit); err != nil {
			return nil, err
		}
	}
	if len(hits) >= limit {
		return db.finish(ctx, hits, full, limit)
	}
	// 2. Every query word starts a word of the name.
	groups, missing, err := db.expand(ctx, q.Tokens)
	if err != nil {
		return nil, err
	}
	if len(missing) == 0 {
		if err := db.ftsCandidates(ctx, ftsQuery(groups), addName); err != nil {
			return nil, err
		}
	}
	// 3. Words that start no indexed word: try small typos.
	if len(hits) < limit && len(missing) > 0 {
		ok, err := db.corrections(ctx, q.Tokens, missing, groups)
		if err != nil {
			return nil, err
		}
		if ok {
			if err := db.ftsCandidates(ctx, ftsQuery(groups), addName); err != nil {
				return nil, err
			}
		}
	}
	return db.finish(ctx, hits, full, limit)
}

// finish ranks, cuts to limit and loads the winners known only by name.
func (db *DB) finish(ctx context.Context, hits []mirror.ScoredHit, full map[pharma.PZN]bool, limit int) ([]mirror.Hit, error) {
	mirror.Rank(hits)
	if len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]mirror.Hit, len(hits))
	for i, h := range hits {
		out[i] = h.Hit
		if full[h.Article.PZN] {
			continue
		}
		a, err := db.Article(ctx, h.Article.PZN)
		if err != nil {
			return nil, err
		}
		out[i].Article = a
	}
	return out, nil
}

// expand turns each query word into FTS5 atoms: one letter as itself; two
// or three letters as a prefix (served by the prefix index); four or more
// as the indexed words starting with it, or as a prefix when there are more
// than maxExpansion. missing lists the words of four or more letters that
// start no indexed word.
func (db *DB) expand(ctx context.Context, tokens []string) ([][]string, []int, error) {
	groups := make([][]string, len(tokens))
	var missing []int
	for i, t := range tokens {
		switch n := utf8.RuneCountInString(t); {
		case n == 1:
			groups[i] = []string{quote(t)}
		case n <= 3:
			groups[i] = []string{quote(t) + "*"}
		default:
			terms, err := db.terms(ctx, t, t+keyEnd, maxExpansion+1)
			if err != nil {
				return nil, nil, err
			}
			switch {
			case len(terms) == 0:
				missing = append(missing, i)
			case len(terms) > maxExpansion:
				groups[i] = []string{quote(t) + "*"}
			default:
				for _, term := range terms {
					groups[i] = append(groups[i], quote(term))
				}
			}
		}
	}
	return groups, missing, nil
}

// terms returns indexed words in [lo, hi), at most limit (0: all).
func (db *DB) terms(ctx context.Context, lo, hi string, limit int) ([]string, error) {
	q := `SELECT term FROM article_terms WHERE term >= ? AND term < ? ORDER BY term`
	args := []any{lo, hi}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, unavailable("Suche", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, unavailable("Suche", err)
		}
		out = append(out, t)
	}
	return out, unavailable("Suche", rows.Err())
}

func quote(w string) string { return `"` + strings.ReplaceAll(w, `"`, `""`) + `"` }

// ftsQuery joins the groups: any atom of a group, every group required.
func ftsQuery(groups [][]string) string {
	parts := make([]string, 0, len(groups))
	for _, g := range groups {
		switch len(g) {
		case 0:
			return ""
		case 1:
			parts = append(parts, g[0])
		default:
			parts = append(parts, "("+strings.Join(g, " OR ")+")")
		}
	}
	return strings.Join(parts, " AND ")
}

func (db *DB) queryArticles(ctx context.Context, add func(mirror.Article), q string, args ...any) error {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return unavailable("Suche", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return unavailable("Suche", err)
		}
		add(a)
	}
	return unavailable("Suche", rows.Err())
}

// ftsCandidates reads PZN and name of up to candidates full-text matches.
func (db *DB) ftsCandidates(ctx context.Context, match string, add func(pharma.PZN, string)) error {
	if match == "" {
		return nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT rowid, name FROM articles_fts WHERE articles_fts MATCH ? LIMIT ?`, match, candidates)
	if err != nil {
		return unavailable("Suche", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pzn int64
		var name string
		if err := rows.Scan(&pzn, &name); err != nil {
			return unavailable("Suche", err)
		}
		add(pznString(pzn), name)
	}
	return unavailable("Suche", rows.Err())
}

// corrections fills the groups of the missing words with the indexed words
// within their typo allowance (same first letter, closest first). It
// reports false when a missing word has none.
func (db *DB) corrections(ctx context.Context, tokens []string, missing []int, groups [][]string) (bool, error) {
	for _, i := range missing {
		t := tokens[i]
		maxd := mirror.MaxTypos(t)
		first, _ := utf8.DecodeRuneInString(t)
		all, err := db.terms(ctx, string(first), string(first+1), 0)
		if err != nil {
			return false, err
		}
		type cand struct {
			term string
			d    int
		}
		var cs []cand
		for _, term := range all {
			if d := mirror.PrefixDistance(t, term, maxd); d <= maxd {
				cs = append(cs, cand{term, d})
			}
		}
		if len(cs) == 0 {
			return false, nil
		}
		sort.Slice(cs, func(a, b int) bool {
			if cs[a].d != cs[b].d {
				return cs[a].d < cs[b].d
			}
			return cs[a].term < cs[b].term
		})
		groups[i] = nil
		for _, c := range cs[:min(len(cs), maxCorrections)] {
			groups[i] = append(groups[i], quote(c.term))
		}
	}
	return true, nil
}
