package mirror

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/pharma"
)

// Tier is the ranking class of a search hit; lower is better.
type Tier int

// Ranking classes, best first.
const (
	// TierPZN: the query is the article's PZN.
	TierPZN Tier = iota
	// TierExact: the name equals the query (case, accents and
	// punctuation ignored).
	TierExact
	// TierPrefix: the name starts with the query ("ibupro" finds
	// "Ibuprofen AL 400 mg").
	TierPrefix
	// TierWords: every query word starts some word of the name ("400
	// ibu" finds "Ibuprofen AL 400 mg").
	TierWords
	// TierTypo: found after correcting small typos ("ibuprofne").
	TierTypo
)

// NameKeyLen is how many bytes of a name's folded form the store indexes
// for prefix lookups; longer queries fall back to the word index.
const NameKeyLen = 48

// Fold lower-cases a rune and removes common Latin diacritics, as the
// store's full-text tokenizer does ("Ä" -> "a").
func Fold(r rune) rune {
	r = unicode.ToLower(r)
	if r < 0xc0 {
		return r
	}
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā':
		return 'a'
	case 'ç', 'č':
		return 'c'
	case 'è', 'é', 'ê', 'ë', 'ē':
		return 'e'
	case 'ì', 'í', 'î', 'ï':
		return 'i'
	case 'ñ':
		return 'n'
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø':
		return 'o'
	case 'š':
		return 's'
	case 'ù', 'ú', 'û', 'ü':
		return 'u'
	case 'ý', 'ÿ':
		return 'y'
	case 'ž':
		return 'z'
	}
	return r
}

func isTokenRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
}

// Tokens splits a text into folded words, as the store's full-text index
// does: letters and digits form words, everything else separates them.
func Tokens(s string) []string {
	// Fold into one buffer with a space between words, then cut it: two
	// allocations per name instead of one per word.
	buf := make([]byte, 0, len(s)+1)
	n := 0
	inWord := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			default:
				inWord = false
				continue
			}
			if !inWord {
				if n > 0 {
					buf = append(buf, ' ')
				}
				n++
				inWord = true
			}
			buf = append(buf, c)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if !isTokenRune(r) {
			inWord = false
			continue
		}
		if !inWord {
			if n > 0 {
				buf = append(buf, ' ')
			}
			n++
			inWord = true
		}
		buf = utf8.AppendRune(buf, Fold(r))
	}
	if n == 0 {
		return nil
	}
	joined := string(buf)
	out := make([]string, 0, n)
	for len(joined) > 0 {
		i := strings.IndexByte(joined, ' ')
		if i < 0 {
			out = append(out, joined)
			break
		}
		out = append(out, joined[:i])
		joined = joined[i+1:]
	}
	return out
}

// NameKey returns the folded words of a name joined by single spaces and cut
// to NameKeyLen bytes: the store's prefix index.
func NameKey(name string) string {
	return truncKey(strings.Join(Tokens(name), " "))
}

func truncKey(k string) string {
	if len(k) <= NameKeyLen {
		return k
	}
	k = k[:NameKeyLen]
	for len(k) > 0 && !utf8.ValidString(k) {
		k = k[:len(k)-1]
	}
	return k
}

// Query is a parsed search.
type Query struct {
	Raw    string
	Tokens []string
	// Key is the folded query for the prefix index; empty when the query
	// is longer than NameKeyLen.
	Key string
	// PZN is set when the query is a valid PZN (7 or 8 digits).
	PZN pharma.PZN
}

// MaxQueryLen caps the query length in bytes; the rest is ignored.
const MaxQueryLen = 200

// ParseQuery folds and splits a search query.
func ParseQuery(s string) Query {
	s = strings.TrimSpace(s)
	if len(s) > MaxQueryLen {
		s = s[:MaxQueryLen]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	q := Query{Raw: s, Tokens: Tokens(s)}
	if len(q.Tokens) > 8 {
		q.Tokens = q.Tokens[:8]
	}
	k := strings.Join(q.Tokens, " ")
	if len(k) <= NameKeyLen {
		q.Key = k
	}
	if len(q.Tokens) == 1 && allDigits(q.Tokens[0]) && (len(q.Tokens[0]) == 7 || len(q.Tokens[0]) == 8) {
		if p, err := pharma.ParsePZN(q.Tokens[0]); err == nil {
			q.PZN = p
		}
	}
	return q
}

// MaxTypos returns how many typos a query word of this length may carry:
// none up to 3 letters, one up to 6, two from 7 on.
func MaxTypos(word string) int {
	n := utf8.RuneCountInString(word)
	switch {
	case n <= 3:
		return 0
	case n <= 6:
		return 1
	default:
		return 2
	}
}

// PrefixDistance returns the smallest edit distance (insertions, deletions,
// substitutions, swaps of neighbours) between word and any prefix of term,
// or max+1 when it exceeds max. "ibuprf" is 1 from "ibuprofen".
func PrefixDistance(word, term string, max int) int {
	a, b := []rune(word), []rune(term)
	if len(b) > len(a)+max {
		b = b[:len(a)+max]
	}
	// d[i][j]: distance between a[:i] and b[:j] (optimal string alignment).
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	prevMin := 0
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		// Later rows build on this row and the one before (swaps), so when
		// both are past max, the result is too.
		if rowMin > max && prevMin > max {
			return max + 1
		}
		prevMin = rowMin
		prev2, prev, cur = prev, cur, prev2
	}
	best := max + 1
	for j := max0(len(a)-max, 0); j <= len(b); j++ {
		best = min(best, prev[j])
	}
	return best
}

func max0(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Classify places an article name in a tier for the query and returns a
// score that orders names within the tier (lower is better); ok is false
// when the name does not match, not even with small typos.
func Classify(q Query, name string) (tier Tier, score int, ok bool) {
	if len(q.Tokens) == 0 {
		return 0, 0, false
	}
	nt := Tokens(name)
	n := len(q.Tokens)
	if len(nt) >= n {
		same := true
		for i := 0; i < n-1; i++ {
			if nt[i] != q.Tokens[i] {
				same = false
				break
			}
		}
		if same && nt[n-1] == q.Tokens[n-1] && len(nt) == n {
			return TierExact, 0, true
		}
		if same && strings.HasPrefix(nt[n-1], q.Tokens[n-1]) {
			return TierPrefix, 0, true
		}
	}
	// Every query word starts some name word; earlier words score better.
	words := true
	for _, t := range q.Tokens {
		pos := -1
		for j, w := range nt {
			if strings.HasPrefix(w, t) {
				pos = j
				break
			}
		}
		if pos < 0 {
			words = false
			break
		}
		score += pos
	}
	if words {
		return TierWords, score, true
	}
	// Every query word is within its typo allowance of some name word's
	// prefix; fewer typos score better, then earlier words.
	score = 0
	for _, t := range q.Tokens {
		max := MaxTypos(t)
		best, bestPos := max+1, 0
		for j, w := range nt {
			if d := PrefixDistance(t, w, max); d < best {
				best, bestPos = d, j
			}
		}
		if best > max {
			return 0, 0, false
		}
		score += best*100 + bestPos
	}
	return TierTypo, score, true
}

// Rank orders hits: by tier, then score, then folded name, then PZN.
func Rank(hits []ScoredHit) {
	sort.SliceStable(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.Tier != b.Tier {
			return a.Tier < b.Tier
		}
		if a.Score != b.Score {
			return a.Score < b.Score
		}
		if a.NameKey != b.NameKey {
			return a.NameKey < b.NameKey
		}
		return a.Article.PZN < b.Article.PZN
	})
}

// ScoredHit is a hit with its sort keys, used while ranking.
type ScoredHit struct {
	Hit
	Score   int
	NameKey string
}

// Score classifies an article for the query; ok is false when it does not
// match.
func Score(q Query, a Article) (ScoredHit, bool) {
	h, ok := ScoreName(q, a.PZN, a.Name)
	if ok {
		h.Article = a
	}
	return h, ok
}

// ScoreName classifies an article known only by PZN and name; the hit's
// Article holds just those two fields, for a store that loads the rest of
// the winners only.
func ScoreName(q Query, pzn pharma.PZN, name string) (ScoredHit, bool) {
	a := Article{PZN: pzn, Name: name}
	if q.PZN != "" && pzn == q.PZN {
		return ScoredHit{Hit: Hit{Article: a, Tier: TierPZN}, NameKey: strings.Join(Tokens(name), " ")}, true
	}
	tier, score, ok := Classify(q, name)
	if !ok {
		return ScoredHit{}, false
	}
	return ScoredHit{Hit: Hit{Article: a, Tier: tier}, Score: score, NameKey: strings.Join(Tokens(name), " ")}, true
}
