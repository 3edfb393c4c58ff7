package rollout

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func siteIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("apo-%04d", i)
	}
	return ids
}

func TestDefaultRings(t *testing.T) {
	rings := DefaultRings([]string{"apo-test-1", "apo-test-2"})
	if err := ValidateRings(rings); err != nil {
		t.Fatal(err)
	}
	var names []string
	var pct []float64
	for _, r := range rings {
		names = append(names, r.Name)
		pct = append(pct, r.Percent)
	}
	if !slices.Equal(names, []string{"test", "first", "fast", "broad"}) {
		t.Errorf("names = %v; want test first fast broad", names)
	}
	if !slices.Equal(pct, []float64{0, 1, 9, 90}) {
		t.Errorf("percent = %v; want 0 1 9 90", pct)
	}
	if !slices.Equal(rings[0].Sites, []string{"apo-test-1", "apo-test-2"}) || rings[0].MaxFailureRatio != 0 {
		t.Errorf("test ring = %+v; want the two test sites and no failure allowed", rings[0])
	}
}

func TestAssignRings(t *testing.T) {
	tests := []struct {
		name      string
		sites     int
		test      []string
		wantSizes []int
	}{
		{"1000 sites, 5 test sites", 1000, []string{"apo-0001", "apo-0002", "apo-0003", "apo-0004", "apo-0005"}, []int{5, 10, 90, 895}},
		{"1000 sites, no test sites", 1000, nil, []int{0, 10, 90, 900}},
		{"17000 sites", 17000, []string{"apo-0001"}, []int{1, 170, 1530, 15299}},
		{"3 sites: each percentage ring gets one", 3, nil, []int{0, 1, 1, 1}},
		{"1 site: first ring only", 1, nil, []int{0, 1, 0, 0}},
		{"only test sites", 2, []string{"apo-0000", "apo-0001"}, []int{2, 0, 0, 0}},
		{"no sites", 0, nil, []int{0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := siteIDs(tt.sites)
			rings := DefaultRings(tt.test)
			got, err := AssignRings(ids, rings, "seed")
			if err != nil {
				t.Fatal(err)
			}
			var sizes []int
			seen := map[string]int{}
			for i, ring := range got {
				sizes = append(sizes, len(ring))
				if !slices.IsSorted(ring) {
					t.Errorf("ring %d not sorted", i)
				}
				for _, id := range ring {
					if j, dup := seen[id]; dup {
						t.Errorf("site %s in ring %d and ring %d", id, j, i)
					}
					seen[id] = i
				}
			}
			if !slices.Equal(sizes, tt.wantSizes) {
				t.Errorf("sizes = %v; want %v", sizes, tt.wantSizes)
			}
			if len(seen) != tt.sites {
				t.Errorf("%d sites assigned; want all %d", len(seen), tt.sites)
			}
			for _, id := range tt.test {
				if seen[id] != 0 {
					t.Errorf("test site %s in ring %d; want ring 0 only", id, seen[id])
				}
			}

			// Deterministic, whatever the order of the input.
			shuffled := slices.Clone(ids)
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			again, err := AssignRings(shuffled, rings, "seed")
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if !slices.Equal(got[i], again[i]) {
					t.Errorf("ring %d differs between calls", i)
				}
			}
		})
	}
}

func TestAssignRingsSeedAndStability(t *testing.T) {
	ids := siteIDs(1000)
	rings := DefaultRings(nil)
	a, _ := AssignRings(ids, rings, "rollout-1")
	b, _ := AssignRings(ids, rings, "rollout-2")
	if slices.Equal(a[1], b[1]) {
		t.Error("first ring is the same for two seeds; want the seed to choose")
	}
	// A site joining moves few others: the first ring keeps most sites.
	c, _ := AssignRings(append(slices.Clone(ids), "apo-new"), rings, "rollout-1")
	kept := 0
	for _, id := range a[1] {
		if slices.Contains(c[1], id) {
			kept++
		}
	}
	if kept < len(a[1])-1 {
		t.Errorf("first ring kept %d of %d sites after one joined; want at least %d", kept, len(a[1]), len(a[1])-1)
	}
}

func TestAssignRingsErrors(t *testing.T) {
	ids := siteIDs(10)
	tests := []struct {
		name  string
		ids   []string
		rings []Ring
	}{
		{"unknown test site", ids, DefaultRings([]string{"apo-9999"})},
		{"site given twice", append(slices.Clone(ids), "apo-0001"), DefaultRings(nil)},
		{"site in two lists", ids, []Ring{{Name: "a", Sites: []string{"apo-0001"}}, {Name: "b", Sites: []string{"apo-0001"}}}},
		{"no rings", ids, nil},
		{"no name", ids, []Ring{{Percent: 100}}},
		{"same name", ids, []Ring{{Name: "a", Percent: 10}, {Name: "a", Percent: 90}}},
		{"sites and percent", ids, []Ring{{Name: "a", Sites: []string{"apo-0001"}, Percent: 5}}},
		{"percent above 100 in sum", ids, []Ring{{Name: "a", Percent: 60}, {Name: "b", Percent: 60}}},
		{"ratio above 1", ids, []Ring{{Name: "a", Percent: 100, MaxFailureRatio: 1.5}}},
		{"share below 0", ids, []Ring{{Name: "a", Percent: 100, MinReportShare: -0.1}}},
		{"negative soak", ids, []Ring{{Name: "a", Percent: 100, Soak: -1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AssignRings(tt.ids, tt.rings, "s")
			if err == nil {
				t.Fatalf("got %v; want an error", got)
			}
			if ErrorCode(err) != EINVALID {
				t.Errorf("code = %q; want %q", ErrorCode(err), EINVALID)
			}
		})
	}
}
