package synth_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/csvsource"
	"github.com/lifeline-project/lifeline/internal/mirror/synth"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

func TestArticlesArePlausible(t *testing.T) {
	const n = 20_000
	arts := synth.Articles(n, 1)
	seen := map[pharma.PZN]bool{}
	var rx, btm, fb, exempt int
	for _, a := range arts {
		if errs := a.Validate(); len(errs) > 0 {
			t.Fatalf("invalid article %+v: %v", a, errs)
		}
		if seen[a.PZN] {
			t.Fatalf("PZN %s twice", a.PZN)
		}
		seen[a.PZN] = true
		if a.AVP < 50 || a.AVP > 100_000 {
			t.Errorf("%s: AVP %v outside 0.50..1000 EUR", a.Name, a.AVP)
		}
		if a.Rx {
			rx++
			if !a.PharmacyOnly {
				t.Errorf("%s: prescription-only but not pharmacy-only", a.Name)
			}
		}
		if a.BtM {
			btm++
			if !a.Rx || a.HasFestbetrag {
				t.Errorf("%s: BtM must be Rx and here without Festbetrag", a.Name)
			}
		}
		if a.HasFestbetrag {
			fb++
		}
		if a.CopayExempt {
			exempt++
			// GKV exemption list: price at least 30 % below the Festbetrag.
			if !a.HasFestbetrag || a.AVP*10 > a.Festbetrag*7 {
				t.Errorf("%s: exempt with AVP %v and Festbetrag %v; want AVP <= 70 %% of it", a.Name, a.AVP, a.Festbetrag)
			}
		}
		if a.NormSize != mirror.NormNone && !a.Rx {
			t.Errorf("%s: norm size on a non-Rx article", a.Name)
		}
	}
	share := func(k int) float64 { return float64(k) / n }
	if s := share(rx); s < 0.4 || s > 0.8 {
		t.Errorf("Rx share %.2f; want 0.4..0.8", s)
	}
	if btm == 0 || fb == 0 || exempt == 0 {
		t.Errorf("BtM %d, Festbetrag %d, exempt %d; want some of each", btm, fb, exempt)
	}
	again := synth.Articles(100, 1)
	for i := range again {
		if again[i] != arts[i] {
			t.Fatalf("article %d differs between two runs with the same seed", i)
		}
	}
}

func TestWriteCSVImportsCleanly(t *testing.T) {
	var b bytes.Buffer
	if err := synth.WriteCSV(&b, 2000, 9); err != nil {
		t.Fatal(err)
	}
	var puts, rejects int
	err := csvsource.Parse(context.Background(), &b, "synth.csv", mirror.Articles, nil, sinkCount{&puts, &rejects})
	if err != nil || puts != 2000 || rejects != 0 {
		t.Errorf("parse of generated CSV: %v, %d records, %d rejects; want 2000, 0", err, puts, rejects)
	}
}

type sinkCount struct{ puts, rejects *int }

func (s sinkCount) Put(context.Context, mirror.Record, mirror.Pos) error { *s.puts++; return nil }
func (s sinkCount) Delete(context.Context, string, mirror.Pos) error     { return nil }
func (s sinkCount) Reject(e mirror.RowError) error                       { *s.rejects++; return nil }

func TestERPTick(t *testing.T) {
	clk := clock.NewFake(time.Date(2025, 3, 28, 9, 0, 0, 0, time.UTC))
	erp := synth.NewERP(synth.ERPOptions{Articles: 500, ChangesPerTick: 5, Clock: clk})
	seq := erp.Log().Seq()
	var changed, deleted int
	for range 40 {
		before := map[pharma.PZN]mirror.Cents{}
		for _, a := range erp.Articles() {
			before[a.PZN] = a.AVP
		}
		ch := erp.Tick()
		changed += len(ch.Changed)
		deleted += len(ch.Deleted)
		for _, a := range ch.Changed {
			old, ok := before[a.PZN]
			if !ok || a.AVP == old {
				continue
			}
			if a.AVP*100 < old*96 || a.AVP*100 > old*106 {
				t.Errorf("price of %s jumped from %v to %v; want within -3 %%..+5 %%", a.PZN, old, a.AVP)
			}
		}
		if len(ch.Added) != len(ch.Deleted) {
			t.Errorf("added %d, deleted %d; want the list size kept", len(ch.Added), len(ch.Deleted))
		}
		clk.Advance(time.Minute)
	}
	if changed != 200 || deleted == 0 {
		t.Errorf("40 ticks: %d price changes, %d delistings; want 200 and some", changed, deleted)
	}
	if got := len(erp.Articles()); got != 500 {
		t.Errorf("article count %d; want 500", got)
	}
	if erp.Log().Seq() <= seq {
		t.Errorf("log did not record the changes")
	}
}
