package binder_test

import (
	"testing"

	"github.com/lifeline-project/lifeline/internal/binder"
)

func FuzzParseTopSellers(f *testing.F) {
	for _, s := range []string{"PZN;Menge\n04877800;12\n", "pzn,qty\n1234567,3\n", "\uFEFF04877800\n12345678\n", "\"a;b\n", "04877800;-1\n04877800;99999999999\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		counts, err := binder.ParseTopSellers(b)
		if err != nil {
			return
		}
		for pzn, q := range counts {
			if len(pzn) != 8 || q < 0 {
				t.Fatalf("parsed %q = %d from %q", pzn, q, b)
			}
		}
		ranked := binder.Rank(counts, 5)
		for i := 1; i < len(ranked); i++ {
			if ranked[i].Qty > ranked[i-1].Qty {
				t.Fatalf("ranking out of order: %v", ranked)
			}
		}
	})
}
