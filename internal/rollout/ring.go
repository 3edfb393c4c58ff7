package rollout

import (
	"crypto/sha256"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Ring is one stage of a rollout. Its sites are either listed (Sites, the
// vendor's own test pharmacies) or a share of the sites not listed in any
// ring (Percent); a ring with neither is empty and passes at once. A ring
// is done when its gate passes (see EvaluateGate).
type Ring struct {
	// Name names the ring in the console and in reasons ("test", "first").
	Name string `json:"name"`
	// Sites lists the ring's sites by ID; empty for a percentage ring.
	Sites []string `json:"sites,omitempty"`
	// Percent is the ring's share, 0 to 100, of the sites not listed in
	// any ring. The last percentage ring of a plan takes all sites left,
	// whatever its Percent, so that rounding never leaves a site out.
	Percent float64 `json:"percent,omitempty"`
	// Soak is how long the ring is watched after its last site's slot (or
	// its last install, when later) before it passes. At least the
	// heartbeat deadline is always waited.
	Soak time.Duration `json:"soak"`
	// MaxFailureRatio is the share of the ring's sites, 0 to 1, that may
	// fail (report failure or fall silent) without halting the rollout:
	// 0 halts on the first failure.
	MaxFailureRatio float64 `json:"max_failure_ratio"`
	// MinReportShare is the share of the ring's sites, 0 to 1, that must
	// have a result (ok, failed or silent) when the soak is over; fewer
	// pause the rollout as inconclusive.
	MinReportShare float64 `json:"min_report_share"`
}

// DefaultRings returns the default stages, after Windows Autopatch's Test,
// First, Fast and Broad rings: the vendor's test sites chosen by hand, then
// 1 %, 9 % and the remaining 90 % of the other sites.
//
//	ring   sites  soak  max failures  min reports
//	test   listed 24 h  0 (any halts) 100 %
//	first  1 %    24 h  5 %           90 %
//	fast   9 %    48 h  5 %           90 %
//	broad  rest   24 h  5 %           80 %
//
// With no test sites the test ring is empty and passes at once.
func DefaultRings(testSites []string) []Ring {
	return []Ring{
		{Name: "test", Sites: slices.Clone(testSites), Soak: 24 * time.Hour, MaxFailureRatio: 0, MinReportShare: 1},
		{Name: "first", Percent: 1, Soak: 24 * time.Hour, MaxFailureRatio: 0.05, MinReportShare: 0.9},
		{Name: "fast", Percent: 9, Soak: 48 * time.Hour, MaxFailureRatio: 0.05, MinReportShare: 0.9},
		{Name: "broad", Percent: 90, Soak: 24 * time.Hour, MaxFailureRatio: 0.05, MinReportShare: 0.8},
	}
}

// ValidateRings reports every problem of a ring list at once: names
// missing or repeated, a ring with both sites and a percentage, a site
// listed twice, ratios outside 0 to 1, percentages outside
// 0 to 100 or summing above 100, a negative soak.
func ValidateRings(rings []Ring) error {
	var msgs []string
	add := func(i int, format string, args ...any) {
		msgs = append(msgs, fmt.Sprintf("rings[%d]: ", i)+fmt.Sprintf(format, args...))
	}
	if len(rings) == 0 {
		msgs = append(msgs, "rings: none; a plan needs at least one ring")
	}
	names := map[string]bool{}
	listed := map[string]int{}
	sum := 0.0
	for i, r := range rings {
		switch {
		case strings.TrimSpace(r.Name) == "":
			add(i, "name missing")
		case names[r.Name]:
			add(i, "name %q used twice", r.Name)
		}
		names[r.Name] = true
		if len(r.Sites) > 0 && r.Percent != 0 {
			add(i, "has both sites and a percentage; give one")
		}
		if math.IsNaN(r.Percent) || r.Percent < 0 || r.Percent > 100 {
			add(i, "percent %v is not between 0 and 100", r.Percent)
		} else {
			sum += r.Percent
		}
		for _, s := range r.Sites {
			if j, ok := listed[s]; ok {
				add(i, "site %q is listed in rings[%d] already", s, j)
			}
			listed[s] = i
		}
		if r.Soak < 0 {
			add(i, "soak %s is negative", r.Soak)
		}
		if math.IsNaN(r.MaxFailureRatio) || r.MaxFailureRatio < 0 || r.MaxFailureRatio > 1 {
			add(i, "max_failure_ratio %v is not between 0 and 1", r.MaxFailureRatio)
		}
		if math.IsNaN(r.MinReportShare) || r.MinReportShare < 0 || r.MinReportShare > 1 {
			add(i, "min_report_share %v is not between 0 and 1", r.MinReportShare)
		}
	}
	if sum > 100+1e-9 {
		msgs = append(msgs, fmt.Sprintf("rings: percentages sum to %v, more than 100", sum))
	}
	if len(msgs) > 0 {
		return errorf(EINVALID, "Ringe ungültig: %s", "rings invalid: %s", strings.Join(msgs, "; "))
	}
	return nil
}

// AssignRings distributes siteIDs over rings and returns each ring's
// sites, sorted, in the order of rings:
//
//   - a ring with Sites gets exactly those (each must be in siteIDs);
//   - the other sites are ordered by a hash of seed and their ID, so the
//     order looks random but is the same on every call, whatever the order
//     of siteIDs, and a site keeps its place when others join or leave;
//   - the percentage rings take consecutive parts of that order, sized by
//     their cumulative Percent of those sites, rounded; a ring with a
//     Percent above 0 gets at least one site while sites are left; the
//     last percentage ring takes all the rest.
//
// A site is in at most one ring. With no percentage ring, sites not listed
// are in no ring. It returns an EINVALID error for invalid rings, a listed
// site that is not in siteIDs, or a site ID given twice.
func AssignRings(siteIDs []string, rings []Ring, seed string) ([][]string, error) {
	if err := ValidateRings(rings); err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(siteIDs))
	for _, id := range siteIDs {
		if known[id] {
			return nil, errorf(EINVALID, "Standort %q doppelt", "site %q given twice", id)
		}
		known[id] = true
	}
	out := make([][]string, len(rings))
	listed := map[string]bool{}
	lastPercent := -1
	for i, r := range rings {
		if len(r.Sites) == 0 {
			if r.Percent > 0 {
				lastPercent = i
			}
			continue
		}
		for _, s := range r.Sites {
			if !known[s] {
				return nil, errorf(EINVALID, "Ring %q: Standort %q gibt es nicht", "ring %q: no site %q", r.Name, s)
			}
			listed[s] = true
		}
		out[i] = slices.Sorted(slices.Values(r.Sites))
	}

	type ranked struct {
		id  string
		key [32]byte
	}
	var pool []ranked
	for _, id := range siteIDs {
		if !listed[id] {
			pool = append(pool, ranked{id, sha256.Sum256([]byte(seed + "\x00" + id))})
		}
	}
	slices.SortFunc(pool, func(a, b ranked) int {
		if c := strings.Compare(string(a.key[:]), string(b.key[:])); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})

	n := len(pool)
	taken, cum := 0, 0.0
	for i, r := range rings {
		if len(r.Sites) > 0 || r.Percent <= 0 {
			continue
		}
		cum += r.Percent
		upto := int(math.Round(float64(n) * cum / 100))
		if i == lastPercent {
			upto = n
		}
		upto = min(max(upto, taken+1), n)
		for _, p := range pool[taken:upto] {
			out[i] = append(out[i], p.id)
		}
		slices.Sort(out[i])
		taken = max(taken, upto)
	}
	return out, nil
}
