package counter

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

var t0 = time.Date(2026, 3, 29, 0, 14, 0, 0, time.UTC)

func fixedKey() string { return "ctr-test-key" }

func TestBasketRoundTrip(t *testing.T) {
	b := Basket{
		Lines:   []Line{{PZN: "04877800", Qty: 2, Kind: KindGKV}, {PZN: "12345678", Qty: 1, Kind: KindOTC}},
		Kind:    KindPKV,
		Minor:   true,
		Exempt:  true,
		Payment: journal.PaymentCard,
		Key:     "ctr-abc",
		Start:   t0,
		Last:    "12345678",
	}
	got, err := ParseBasket(b.Values())
	if err != nil {
		t.Fatalf("ParseBasket: %v", err)
	}
	if diff := cmp.Diff(b, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	empty, err := ParseBasket(url.Values{})
	if err != nil || !empty.Empty() || empty.Kind != KindGKV || len(empty.Values()) != 0 {
		t.Errorf("empty basket: got %+v, %v; want an empty Kassenrezept basket without values", empty, err)
	}
}

func TestParseBasketRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		v    url.Values
	}{
		{"bad check digit", url.Values{"i": {"04877801:1:gkv"}, "key": {"k"}}},
		{"PZN-7 instead of 8", url.Values{"i": {"4877800:1:gkv"}, "key": {"k"}}},
		{"zero quantity", url.Values{"i": {"04877800:0:gkv"}, "key": {"k"}}},
		{"huge quantity", url.Values{"i": {"04877800:10000:gkv"}, "key": {"k"}}},
		{"unknown kind", url.Values{"i": {"04877800:1:bkk"}, "key": {"k"}}},
		{"two fields", url.Values{"i": {"04877800:1"}, "key": {"k"}}},
		{"duplicate line", url.Values{"i": {"04877800:1:gkv,04877800:2:gkv"}, "key": {"k"}}},
		{"lines without key", url.Values{"i": {"04877800:1:gkv"}}},
		{"key with space", url.Values{"key": {"a b"}}},
		{"unknown payment", url.Values{"pay": {"cheque"}}},
		{"unknown basket kind", url.Values{"k": {"x"}}},
		{"negative start", url.Values{"t": {"-5"}}},
		{"too many lines", url.Values{"i": {strings.Repeat("04877800:1:gkv,", journal.MaxItems) + "04877800:1:gkv"}, "key": {"k"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseBasket(tt.v)
			if ErrorCode(err) != EINVALID {
				t.Errorf("ParseBasket(%v): got %+v, %v; want EINVALID", tt.v, b, err)
			}
		})
	}
}

func TestBasketAdd(t *testing.T) {
	var b Basket
	b, err := b.Add("04877800", true, t0, fixedKey)
	if err != nil {
		t.Fatal(err)
	}
	if b.Key != "ctr-test-key" || !b.Start.Equal(t0) || b.Last != "04877800" {
		t.Errorf("first add: key %q start %v last %q; want key, start and card set", b.Key, b.Start, b.Last)
	}
	b, _ = b.Add("12345678", false, t0.Add(time.Minute), func() string { t.Error("second add made a new key"); return "x" })
	b, _ = b.Add("04877800", true, t0.Add(2*time.Minute), fixedKey)
	want := []Line{{PZN: "04877800", Qty: 2, Kind: KindGKV}, {PZN: "12345678", Qty: 1, Kind: KindOTC}}
	if diff := cmp.Diff(want, b.Lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if !b.Start.Equal(t0) {
		t.Errorf("start moved to %v; want the first scan's time %v", b.Start, t0)
	}
	b = b.SetQty("04877800", 0)
	if len(b.Lines) != 1 || b.Last != "" {
		t.Errorf("after removing: %+v; want one line and no card", b)
	}
	b = b.SetQty("12345678", 5).SetLineKind("12345678", KindPKV)
	if b.Lines[0].Qty != 5 || b.Lines[0].Kind != KindPKV {
		t.Errorf("line: got %+v; want 5 packs, private", b.Lines[0])
	}
}

func TestBasketAddKeepsOriginalUntouched(t *testing.T) {
	b, _ := Basket{}.Add("04877800", true, t0, fixedKey)
	c, _ := b.Add("04877800", true, t0, fixedKey)
	if b.Lines[0].Qty != 1 || c.Lines[0].Qty != 2 {
		t.Errorf("got %d and %d packs; want the first basket unchanged (1) and the second with 2", b.Lines[0].Qty, c.Lines[0].Qty)
	}
}

func TestBasketSetKind(t *testing.T) {
	rx := map[pharma.PZN]bool{"04877800": true}
	b := Basket{Lines: []Line{{PZN: "04877800", Qty: 1, Kind: KindGKV}, {PZN: "12345678", Qty: 1, Kind: KindOTC}}, Key: "k"}
	tests := []struct {
		kind Kind
		want []Kind
	}{
		{KindPKV, []Kind{KindPKV, KindPKV}},
		{KindOTC, []Kind{KindOTC, KindOTC}},
		{KindGKV, []Kind{KindGKV, KindOTC}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			got := b.SetKind(tt.kind, func(p pharma.PZN) bool { return rx[p] })
			for i, l := range got.Lines {
				if l.Kind != tt.want[i] {
					t.Errorf("line %d: got %s; want %s", i, l.Kind, tt.want[i])
				}
			}
			if got.Kind != tt.kind {
				t.Errorf("basket kind: got %s; want %s", got.Kind, tt.kind)
			}
		})
	}
}

func TestBasketFull(t *testing.T) {
	b := Basket{Key: "k"}
	for i := range journal.MaxItems {
		b.Lines = append(b.Lines, Line{PZN: pharma.PZN(pznFor(i)), Qty: 1, Kind: KindOTC})
	}
	if _, err := b.Add("04877800", true, t0, fixedKey); ErrorCode(err) != EINVALID {
		t.Errorf("add to a full basket: got %v; want EINVALID", err)
	}
	one := Basket{Lines: []Line{{PZN: "04877800", Qty: journal.MaxQty, Kind: KindGKV}}, Key: "k"}
	if _, err := one.Add("04877800", true, t0, fixedKey); ErrorCode(err) != EINVALID {
		t.Errorf("add beyond the largest quantity: got %v; want EINVALID", err)
	}
}

// pznFor returns a distinct valid PZN for i.
func pznFor(i int) string {
	for n := i * 13; ; n++ {
		first7 := fmt.Sprintf("%07d", n)
		if d, ok := pharma.PZNCheckDigit(first7); ok {
			return first7 + strconv.Itoa(d)
		}
	}
}

func FuzzParseBasket(f *testing.F) {
	f.Add("i=04877800%3A2%3Agkv&key=k&pay=cash&u18=1&t=1770081240&last=04877800")
	f.Add("i=04877800:1:otc,12345678:3:pkv&k=pkv&key=ctr-1")
	f.Add("i=,,,&key=%00")
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		b, err := ParseBasket(v)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("ParseBasket(%q): error %v; want EINVALID", q, err)
			}
			return
		}
		again, err := ParseBasket(b.Values())
		if err != nil {
			t.Fatalf("ParseBasket(Values()) of %q: %v", q, err)
		}
		if len(again.Lines) != len(b.Lines) || again.Key != b.Key || again.Payment != b.Payment || again.Minor != b.Minor {
			t.Fatalf("round trip of %q: got %+v; want %+v", q, again, b)
		}
	})
}
