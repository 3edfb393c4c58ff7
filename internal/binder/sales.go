package binder

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/lifeline-project/lifeline/internal/journal"
)

// JournalSales counts the articles sold in the offline sales journal.
type JournalSales struct {
	Journal *journal.Journal
}

var _ Sales = JournalSales{}

// TopSellers returns the n articles with the most packs sold, most first
// (equal counts by PZN).
func (s JournalSales) TopSellers(ctx context.Context, n int) ([]Sold, error) {
	counts := map[string]int{}
	var after int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		es, err := s.Journal.Since(after, 1000)
		if err != nil {
			return nil, fmt.Errorf("read the sales journal: %w", err)
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			if e.Type != journal.TypeSale {
				continue
			}
			for _, it := range e.Items {
				counts[it.PZN] += it.Qty
			}
		}
		after = es[len(es)-1].Number
	}
	return Rank(counts, n), nil
}

// Rank orders counts by quantity (then PZN) and keeps the first n.
func Rank(counts map[string]int, n int) []Sold {
	out := make([]Sold, 0, len(counts))
	for p, q := range counts {
		out = append(out, Sold{PZN: p, Qty: q})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Qty != out[j].Qty {
			return out[i].Qty > out[j].Qty
		}
		return out[i].PZN < out[j].PZN
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// maxSalesFile bounds the top-seller file read into memory.
const maxSalesFile = 16 << 20

// FileSales reads a top-seller list exported from the pharmacy system
// (most ERPs export "Top-Artikel" statistics as CSV): one article per line,
// the PZN in the first column and, optionally, the quantity sold in the
// second. A header line, ";" or "," as separator and PZN-7 are accepted.
// Without quantities the order of the lines is the ranking.
type FileSales struct {
	Path string
}

var _ Sales = FileSales{}

// TopSellers returns the n most sold articles of the file.
func (s FileSales) TopSellers(ctx context.Context, n int) ([]Sold, error) {
	f, err := os.Open(s.Path)
	if err != nil {
		return nil, fmt.Errorf("open the top-seller file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSalesFile+1))
	if err != nil {
		return nil, fmt.Errorf("read the top-seller file: %w", err)
	}
	if len(b) > maxSalesFile {
		return nil, fmt.Errorf("the top-seller file %s is larger than 16 MB", s.Path)
	}
	counts, err := ParseTopSellers(b)
	if err != nil {
		return nil, fmt.Errorf("top-seller file %s: %w", s.Path, err)
	}
	return Rank(counts, n), nil
}

// Combined adds up the quantities of several sources (the ERP's statistics
// and the emergency-mode journal). A source that fails is skipped when
// another one answers.
type Combined []Sales

var _ Sales = Combined{}

// TopSellers returns the n articles with the most packs over all sources.
func (c Combined) TopSellers(ctx context.Context, n int) ([]Sold, error) {
	counts := map[string]int{}
	var errs []error
	ok := 0
	for _, s := range c {
		sold, err := s.TopSellers(ctx, 0)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ok++
		for _, x := range sold {
			counts[x.PZN] += x.Qty
		}
	}
	if ok == 0 && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return Rank(counts, n), nil
}

// ParseTopSellers reads a top-seller list (see FileSales) into quantities
// by PZN. Lines without a PZN (a header, a note) and lines whose quantity
// is not a number are skipped.
func ParseTopSellers(b []byte) (map[string]int, error) {
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord, r.LazyQuotes, r.ReuseRecord = -1, true, true
	if first, _, _ := bytes.Cut(b, []byte("\n")); bytes.Count(first, []byte(";")) > 0 {
		r.Comma = ';'
	}
	counts := map[string]int{}
	rows := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(rec) == 0 {
			continue
		}
		pzn := strings.TrimSpace(rec[0])
		if len(pzn) == 7 {
			pzn = "0" + pzn
		}
		if len(pzn) != 8 || strings.Trim(pzn, "0123456789") != "" {
			continue // a header or a note
		}
		rows++
		qty := maxSalesFile - rows // without quantities the order of the lines ranks
		if len(rec) > 1 && strings.TrimSpace(rec[1]) != "" {
			q, err := strconv.Atoi(strings.TrimSpace(rec[1]))
			if err != nil || q < 0 || q > 1_000_000_000 {
				continue // not a quantity: a damaged line
			}
			qty = q
		}
		counts[pzn] += qty
	}
	return counts, nil
}
