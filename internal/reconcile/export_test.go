package reconcile

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/journal"
)

func exportFiles(t *testing.T, dir string) (final, part []string) {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range des {
		if strings.HasSuffix(d.Name(), partSuffix) {
			part = append(part, filepath.Join(dir, d.Name()))
		} else {
			final = append(final, filepath.Join(dir, d.Name()))
		}
	}
	return final, part
}

func TestExport(t *testing.T) {
	for _, format := range []string{FormatCSV, FormatJSON} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			j := openJournal(t, dir)
			fill(t, j, 0, 12)
			es, _ := j.Since(0, 100)
			out := filepath.Join(dir, "import")
			clk := clock.NewFake(t0)
			newAd := func() *ExportAdapter {
				a, err := NewExportAdapter(ExportConfig{Dir: out, Format: format}, nil, clk)
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
			// An interrupted run: five entries written, then a crash that
			// leaves half a line.
			a := newAd()
			var ids []string
			for _, e := range es[:5] {
				res, _, err := a.Book(context.Background(), e)
				if err != nil || res.Status != Booked {
					t.Fatalf("Book %d = %+v, %v", e.Number, res, err)
				}
				ids = append(ids, res.BookingID)
			}
			if err := a.Flush(); err != nil {
				t.Fatal(err)
			}
			a.Close()
			_, part := exportFiles(t, out)
			if len(part) != 1 {
				t.Fatalf("part files %v; want one", part)
			}
			f, _ := os.OpenFile(part[0], os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString(`,{"number":6,"id":"tor`)
			f.Close()

			// The next run goes over the first entries again.
			clk.Advance(time.Hour)
			a = newAd()
			for i, e := range es {
				res, _, err := a.Book(context.Background(), e)
				if err != nil || res.Status != Booked {
					t.Fatalf("Book %d = %+v, %v", e.Number, res, err)
				}
				if i < 5 && res.BookingID != ids[i] {
					t.Errorf("Book %d again = %s; want the first id %s", e.Number, res.BookingID, ids[i])
				}
			}
			if err := a.Finish(); err != nil {
				t.Fatal(err)
			}
			final, part := exportFiles(t, out)
			if len(final) != 1 || len(part) != 0 || !strings.HasSuffix(final[0], "lifeline-verkaeufe-20260329-090000."+format) {
				t.Fatalf("files %v, parts %v; want one finished file named after the first run", final, part)
			}
			if !strings.HasPrefix(ids[0], filepath.Base(final[0])+"#1") {
				t.Errorf("booking id %s; want <file>#1", ids[0])
			}
			numbers := readExport(t, final[0], format)
			if len(numbers) != 12 {
				t.Fatalf("export holds %d entries; want 12", len(numbers))
			}
			for i, n := range numbers {
				if n != int64(i+1) {
					t.Fatalf("export entry %d has number %d; want each entry once, in order", i, n)
				}
			}
			// Finish with nothing written leaves no new file.
			if err := a.Finish(); err != nil {
				t.Fatal(err)
			}
			if final, _ := exportFiles(t, out); len(final) != 1 {
				t.Errorf("files after an empty Finish: %v; want still one", final)
			}
		})
	}
}

// readExport returns the entry numbers in an export file, once per entry.
func readExport(t *testing.T, path, format string) []int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nums []int64
	if format == FormatJSON {
		var es []journal.Entry
		if err := json.Unmarshal(b, &es); err != nil {
			t.Fatalf("JSON export is not an array of entries: %v\n%s", err, b)
		}
		for _, e := range es {
			nums = append(nums, e.Number)
		}
		return nums
	}
	r := csv.NewReader(strings.NewReader(string(b)))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("CSV export: %v", err)
	}
	if strings.Join(rows[0], ",") != strings.Join(CSVHeader(), ",") {
		t.Errorf("CSV header %v; want %v", rows[0], CSVHeader())
	}
	for _, row := range rows[1:] { // one item per sale in these tests
		var n int64
		json.Unmarshal([]byte(row[1]), &n)
		nums = append(nums, n)
		if row[12] == "" || !strings.Contains(row[12], ".") {
			t.Errorf("price %q; want a decimal amount", row[12])
		}
	}
	return nums
}

func TestExportThroughReconciler(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir)
	fill(t, j, 0, 9)
	out := filepath.Join(dir, "import")
	a, err := NewExportAdapter(ExportConfig{Dir: out, Format: FormatCSV}, nil, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := New(fastConfig(filepath.Join(dir, "state")), j, a, nil, clock.NewFake(t0))
	rep, err := r.Run(context.Background())
	if err != nil || rep.Booked != 9 || !rep.Complete || rep.Adapter != "export-csv" {
		t.Fatalf("Run = %+v, %v; want 9 handed over by export-csv", rep, err)
	}
	final, part := exportFiles(t, out)
	if len(final) != 1 || len(part) != 0 {
		t.Fatalf("files %v, parts %v; want one finished CSV", final, part)
	}
	if n := readExport(t, final[0], FormatCSV); len(n) != 9 {
		t.Errorf("CSV holds %d rows; want 9", len(n))
	}
}

func TestNewExportAdapterRejects(t *testing.T) {
	if _, err := NewExportAdapter(ExportConfig{Dir: t.TempDir(), Format: "xml"}, nil, nil); err == nil {
		t.Error("format xml: nil error; want one")
	}
	if _, err := NewExportAdapter(ExportConfig{Format: "csv"}, nil, nil); err == nil {
		t.Error("no folder: nil error; want one")
	}
}
