package counter

import (
	"testing"

	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

// Articles with the domain's co-payment examples (domain.md).
var (
	art30   = mirror.Article{PZN: "04877800", Name: "Testodol 30", Rx: true, PharmacyOnly: true, AVP: 3000}
	art7340 = mirror.Article{PZN: "12345678", Name: "Testodol 73", Rx: true, PharmacyOnly: true, AVP: 7340}
	artFB   = mirror.Article{PZN: "00000019", Name: "Festodol", Rx: true, PharmacyOnly: true, AVP: 9500, HasFestbetrag: true, Festbetrag: 8000}
	artOTC  = mirror.Article{PZN: "00000027", Name: "Hustensaft", PharmacyOnly: true, AVP: 420}
	artList = mirror.Article{PZN: "00000035", Name: "Befreitol", Rx: true, AVP: 2000, HasFestbetrag: true, Festbetrag: 3000, CopayExempt: true}
)

func arts(as ...mirror.Article) map[pharma.PZN]mirror.Article {
	m := map[pharma.PZN]mirror.Article{}
	for _, a := range as {
		m[a.PZN] = a
	}
	return m
}

func TestPriceBasket(t *testing.T) {
	all := arts(art30, art7340, artFB, artOTC, artList)
	tests := []struct {
		name                          string
		b                             Basket
		price, copay, mehrkosten, pay int64 // cents
	}{
		{"30.00 -> minimum 5.00", Basket{Lines: []Line{{art30.PZN, 1, KindGKV}}}, 3000, 500, 0, 500},
		{"73.40 -> 7.34", Basket{Lines: []Line{{art7340.PZN, 1, KindGKV}}}, 7340, 734, 0, 734},
		{"two packs pay twice", Basket{Lines: []Line{{art7340.PZN, 2, KindGKV}}}, 14680, 1468, 0, 1468},
		{"Festbetrag 80, price 95", Basket{Lines: []Line{{artFB.PZN, 1, KindGKV}}}, 9500, 800, 1500, 2300},
		{"exempt still pays Mehrkosten", Basket{Exempt: true, Lines: []Line{{artFB.PZN, 1, KindGKV}}}, 9500, 0, 1500, 1500},
		{"under 18 pays Mehrkosten only", Basket{Minor: true, Lines: []Line{{artFB.PZN, 1, KindGKV}, {art30.PZN, 1, KindGKV}}}, 12500, 0, 1500, 1500},
		{"article on the exemption list", Basket{Lines: []Line{{artList.PZN, 1, KindGKV}}}, 2000, 0, 0, 0},
		{"OTC pays the price", Basket{Lines: []Line{{artOTC.PZN, 3, KindOTC}}}, 1260, 0, 0, 1260},
		{"private pays the price", Basket{Lines: []Line{{artFB.PZN, 1, KindPKV}}}, 9500, 0, 0, 9500},
		{"mixed", Basket{Lines: []Line{{art30.PZN, 1, KindGKV}, {artOTC.PZN, 1, KindOTC}}}, 3420, 500, 0, 920},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := PriceBasket(tt.b, all)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				what string
				got  journal.Amount
				want int64
			}{{"price", p.Price, tt.price}, {"copay", p.Copay, tt.copay}, {"mehrkosten", p.Mehrkosten, tt.mehrkosten}, {"pay", p.Pay, tt.pay}} {
				if !c.got.Equal(journal.Cents(c.want)) {
					t.Errorf("%s: got %s; want %s", c.what, c.got, journal.Cents(c.want))
				}
			}
		})
	}
}

func TestPriceBasketListsMissing(t *testing.T) {
	p, err := PriceBasket(Basket{Lines: []Line{{art30.PZN, 1, KindGKV}, {"99999994", 1, KindGKV}}}, arts(art30))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Lines) != 1 || len(p.Missing) != 1 || p.Missing[0] != "99999994" {
		t.Errorf("got lines %d, missing %v; want one priced line and 99999994 missing", len(p.Lines), p.Missing)
	}
}

func TestPackCopayExplains(t *testing.T) {
	res, err := PackCopay(artFB, KindGKV, false, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reason != "10 % vom Festbetrag 80,00 € = 8,00 €; Festbetrag 80,00 € überschritten: Mehrkosten 15,00 €" {
		t.Errorf("reason: got %q", res.Reason)
	}
}

func TestRxWords(t *testing.T) {
	tests := []struct {
		a    mirror.Article
		want string
	}{
		{mirror.Article{BtM: true, Rx: true}, "Betäubungsmittel (BtM), verschreibungspflichtig"},
		{mirror.Article{Rx: true}, "verschreibungspflichtig (Rx)"},
		{mirror.Article{PharmacyOnly: true}, "apothekenpflichtig, ohne Rezept (OTC)"},
		{mirror.Article{}, "freiverkäuflich"},
	}
	for _, tt := range tests {
		if got := RxWords(tt.a).DE; got != tt.want {
			t.Errorf("RxWords(%+v): got %q; want %q", tt.a, got, tt.want)
		}
	}
}
