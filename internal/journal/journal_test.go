package journal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
)

func TestAppendChain(t *testing.T) {
	clk := clock.NewFake(t0)
	j := openT(t, testConfig(t), clk)
	s := sale("key-1", 1)
	s.Start = t0.Add(-90 * time.Second)
	clk.Advance(time.Second)
	e1, existing, err := j.Append(context.Background(), s)
	if err != nil || existing {
		t.Fatalf("Append = %v, existing %v; want a new entry", err, existing)
	}
	e2 := appendN(t, j, 2, 1)[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"e1.Number", e1.Number, int64(1)},
		{"e2.Number", e2.Number, int64(2)},
		{"e1.PrevHash", e1.PrevHash, GenesisHash},
		{"e2.PrevHash", e2.PrevHash, e1.Hash},
		{"e1.Start", e1.Start, t0.Add(-90 * time.Second)},
		{"e1.End", e1.End, t0.Add(time.Second)},
		{"e1.TSEStatus", e1.TSEStatus, "TSE-Ausfall"},
		{"e1.Type", e1.Type, "Beleg"},
		{"e1.Till", e1.Till, "Kasse 1"},
		{"e1.RegisterSerial", e1.RegisterSerial, "LL-REG-0001"},
		{"e1.TSESerial", e1.TSESerial, "TSE-42"},
		{"e1.Staff", e1.Staff, "Frau Becker"},
		{"e1.Total", e1.Total.String(), "81.80"},
		{"e1.CopayTotal", e1.CopayTotal.String(), "15.74"},
		{"ids differ", e1.ID != e2.ID && e1.ID != "", true},
		{"Last", j.Last(), int64(2)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
		}
	}
	got, err := j.Get(1)
	if err != nil || got.Hash != e1.Hash || got.ID != e1.ID {
		t.Errorf("Get(1) = %+v, %v; want entry 1", got, err)
	}
}

func TestAppendIdempotent(t *testing.T) {
	j := openT(t, testConfig(t), clock.NewFake(t0))
	first := appendN(t, j, 1, 3)
	again, existing, err := j.Append(context.Background(), sale("key-2", 2))
	if err != nil || !existing || again.Number != first[1].Number || again.Hash != first[1].Hash {
		t.Fatalf("Append(key-2 again) = %d %v %v; want entry %d, existing", again.Number, existing, err, first[1].Number)
	}
	other := sale("key-2", 2)
	other.Payment = PaymentCard
	_, _, err = j.Append(context.Background(), other)
	if ErrorCode(err) != ECONFLICT {
		t.Fatalf("Append(key-2, other payment) error = %v; want ECONFLICT", err)
	}
	if j.Last() != 3 {
		t.Errorf("Last = %d; want 3 (nothing new recorded)", j.Last())
	}
}

func TestAppendInvalid(t *testing.T) {
	j := openT(t, testConfig(t), clock.NewFake(t0))
	s := Sale{IdempotencyKey: "bad key", Payment: "cheque", Items: []Item{{PZN: "123", Qty: 0, Price: Cents(100), Copay: Cents(500)}}}
	_, _, err := j.Append(context.Background(), s)
	var je *Error
	if !errors.As(err, &je) || je.Code != EINVALID {
		t.Fatalf("Append error = %v; want EINVALID", err)
	}
	var fields []string
	for _, f := range je.Fields {
		fields = append(fields, f.Field)
	}
	want := []string{"idempotency_key", "staff", "payment", "items[0].pzn", "items[0].qty", "items[0].copay"}
	if fmt.Sprint(fields) != fmt.Sprint(want) {
		t.Errorf("fields = %v; want %v", fields, want)
	}
	if j.Last() != 0 {
		t.Errorf("Last = %d; want 0", j.Last())
	}
}

func TestAppendConcurrent(t *testing.T) {
	cfg := testConfig(t)
	j := openT(t, cfg, nil)
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				// Every worker also repeats its previous key once in a while.
				n := i
				if i%5 == 4 {
					n = i - 1
				}
				if _, _, err := j.Append(context.Background(), sale(fmt.Sprintf("w%d-%d", w, n), n)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Append: %v", err)
	}
	want := int64(workers * (each - each/5))
	if j.Last() != want {
		t.Fatalf("Last = %d; want %d", j.Last(), want)
	}
	es, err := j.Since(0, 10000)
	if err != nil || int64(len(es)) != want {
		t.Fatalf("Since(0) = %d entries, %v; want %d", len(es), err, want)
	}
	seen := map[string]bool{}
	for i, e := range es {
		if e.Number != int64(i+1) || seen[e.IdempotencyKey] {
			t.Fatalf("entry %d: number %d key %s (seen %v); want number %d and a new key", i, e.Number, e.IdempotencyKey, seen[e.IdempotencyKey], i+1)
		}
		seen[e.IdempotencyKey] = true
	}
	p, m := j.Paths()
	if _, err := Verify(p, m); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestSince(t *testing.T) {
	j := openT(t, testConfig(t), clock.NewFake(t0))
	appendN(t, j, 1, 10)
	tests := []struct {
		after     int64
		limit     int
		wantFirst int64
		wantLen   int
	}{
		{0, 100, 1, 10}, {3, 4, 4, 4}, {9, 100, 10, 1}, {10, 100, 0, 0}, {-5, 2, 1, 2}, {0, 0, 0, 0},
	}
	for _, tt := range tests {
		es, err := j.Since(tt.after, tt.limit)
		if err != nil || len(es) != tt.wantLen || (len(es) > 0 && es[0].Number != tt.wantFirst) {
			t.Errorf("Since(%d, %d) = %d entries, %v; want %d from %d", tt.after, tt.limit, len(es), err, tt.wantLen, tt.wantFirst)
		}
	}
	if _, err := j.Get(11); ErrorCode(err) != EINVALID {
		t.Errorf("Get(11) error = %v; want EINVALID", err)
	}
}

func TestReopenKeepsIndex(t *testing.T) {
	cfg := testConfig(t)
	j, err := Open(cfg, nil, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	first := appendN(t, j, 1, 5)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := j.Append(context.Background(), sale("key-9", 9)); ErrorCode(err) != ECLOSED {
		t.Errorf("Append after Close error = %v; want ECLOSED", err)
	}
	j = openT(t, cfg, clock.NewFake(t0))
	e, existing, err := j.Append(context.Background(), sale("key-3", 3))
	if err != nil || !existing || e.Hash != first[2].Hash {
		t.Fatalf("Append(key-3) after reopen = %d %v %v; want the old entry 3", e.Number, existing, err)
	}
	e = appendN(t, j, 6, 1)[0]
	if e.Number != 6 || e.PrevHash != first[4].Hash {
		t.Errorf("next entry = %d prev %s; want 6 chained to entry 5", e.Number, e.PrevHash)
	}
}

func TestOpenLocked(t *testing.T) {
	cfg := testConfig(t)
	openT(t, cfg, nil)
	_, err := Open(cfg, nil, nil)
	if ErrorCode(err) != ELOCKED {
		t.Fatalf("second Open error = %v; want ELOCKED", err)
	}
}

func TestOpenNeedsMirror(t *testing.T) {
	cfg := testConfig(t)
	cfg.MirrorDir = ""
	if _, err := Open(cfg, nil, nil); ErrorCode(err) != EINVALID {
		t.Fatalf("Open without mirror error = %v; want EINVALID", err)
	}
}

func TestAppendContextCancelled(t *testing.T) {
	j := openT(t, testConfig(t), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := j.Append(ctx, sale("k", 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with cancelled context error = %v; want context.Canceled", err)
	}
}

// TestMirrorFailure makes the mirror fail: the sale must not be
// acknowledged and neither copy may keep it. Then the mirror comes back as
// it was, as a new empty USB stick, or as a stick holding something else.
func TestMirrorFailure(t *testing.T) {
	tests := []struct {
		name    string
		between func(t *testing.T, mirrorPath string)
		wantOK  bool
	}{
		{name: "same file back", between: func(*testing.T, string) {}, wantOK: true},
		{name: "new empty stick", wantOK: true, between: func(t *testing.T, m string) {
			if err := os.RemoveAll(filepath.Dir(m)); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "stick with another journal", wantOK: false, between: func(t *testing.T, m string) {
			_, _, other := closedJournal(t, 4)
			b, _ := os.ReadFile(other)
			os.WriteFile(m, b, 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			j, err := Open(cfg, nil, clock.NewFake(t0))
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			appendN(t, j, 1, 2)
			p, m := j.Paths()
			ro, err := os.Open(m) // read-only: writes fail
			if err != nil {
				t.Fatal(err)
			}
			j.mirror.f.Close()
			j.mirror.f = ro
			_, _, err = j.Append(context.Background(), sale("key-3", 3))
			var je *Error
			if !errors.As(err, &je) || je.Code != EUNAVAILABLE || !je.Retryable() || je.Path != m || !strings.Contains(je.DE, "zweite Kopie") {
				t.Fatalf("Append with a broken mirror error = %v; want retryable EUNAVAILABLE naming the mirror", err)
			}
			if j.Last() != 2 || len(readLines(t, p))-1 != 2 {
				t.Fatalf("Last = %d, primary lines %d; want 2 and 2 (the unacknowledged sale cut off)", j.Last(), len(readLines(t, p))-1)
			}
			tt.between(t, m)
			before, _ := os.ReadFile(m)
			e, existing, err := j.Append(context.Background(), sale("key-3", 3))
			if !tt.wantOK {
				if ErrorCode(err) != EUNAVAILABLE {
					t.Fatalf("Append with a foreign mirror file error = %v; want EUNAVAILABLE", err)
				}
				if after, _ := os.ReadFile(m); !bytes.Equal(after, before) {
					t.Errorf("the foreign file was changed")
				}
				return
			}
			if err != nil || existing || e.Number != 3 {
				t.Fatalf("Append after the mirror is back = %d %v %v; want new entry 3", e.Number, existing, err)
			}
			pb, _ := os.ReadFile(p)
			mb, _ := os.ReadFile(m)
			if !bytes.Equal(pb, mb) {
				t.Errorf("mirror (%d bytes) differs from primary (%d bytes)", len(mb), len(pb))
			}
			if _, err := Verify(p, m); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}
