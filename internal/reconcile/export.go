package reconcile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/journal/durable"
)

// Export formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// ExportConfig configures the file export for ERPs that import files.
type ExportConfig struct {
	// Dir is the ERP's import folder.
	Dir string `yaml:"dir"`
	// Format is "csv" (one row per item) or "json" (an array of entries,
	// one per line).
	Format string `yaml:"format"`
	// Comma separates CSV fields. Default ';', as German spreadsheet and
	// ERP imports expect. Amounts always use a decimal point.
	Comma rune `yaml:"comma"`
}

// exportPrefix starts every export file's name.
const exportPrefix = "lifeline-verkaeufe-"

// partSuffix marks a file still being written; an ERP import must skip it.
const partSuffix = ".part"

// CSVHeader returns the first row of a CSV export. Each further row is one
// item of a sale; entry_id is the idempotency key of the sale.
func CSVHeader() []string {
	return []string{"entry_id", "number", "start", "end", "till", "register_serial", "tse_serial", "tse_status",
		"staff", "payment", "pzn", "qty", "price", "copay", "line_total", "line_copay", "sale_total", "sale_copay_total", "hash"}
}

// ExportAdapter writes entries into an import file for the ERP. While a run
// writes, the file is named "<name>.part"; Finish gives it its final name
// (lifeline-verkaeufe-<UTC time>.csv or .json), so that the ERP only ever
// sees complete files. After a crash, the leftover .part file is continued:
// entries already in it are not written again, so nothing is exported
// twice. The booking id of an entry is "<final file name>#<position>".
type ExportAdapter struct {
	cfg ExportConfig
	log *slog.Logger
	clk clock.Clock

	part     string // path of the .part file, "" when none
	f        *os.File
	w        *bufio.Writer
	created  bool // the .part file was created and its folder not yet synced
	ids      map[string]string
	count    int
	dirty    bool
	finalFor string
}

var (
	_ Adapter  = (*ExportAdapter)(nil)
	_ Flusher  = (*ExportAdapter)(nil)
	_ Finisher = (*ExportAdapter)(nil)
)

// NewExportAdapter returns the adapter and continues a .part file left by
// an interrupted run.
func NewExportAdapter(cfg ExportConfig, log *slog.Logger, clk clock.Clock) (*ExportAdapter, error) {
	if cfg.Format != FormatCSV && cfg.Format != FormatJSON {
		return nil, fmt.Errorf("reconcile: export format %q: want csv or json", cfg.Format)
	}
	if cfg.Dir == "" {
		return nil, errors.New("reconcile: export folder missing")
	}
	if cfg.Comma == 0 {
		cfg.Comma = ';'
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clk == nil {
		clk = clock.Real{}
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("reconcile: create export folder %s: %w", cfg.Dir, err)
	}
	a := &ExportAdapter{cfg: cfg, log: log, clk: clk, ids: map[string]string{}}
	if err := a.resume(); err != nil {
		return nil, err
	}
	return a, nil
}

// Name returns "export-csv" or "export-json".
func (a *ExportAdapter) Name() string { return "export-" + a.cfg.Format }

func (a *ExportAdapter) ext() string { return "." + a.cfg.Format }

// resume opens a leftover .part file and reads the entry ids in it.
func (a *ExportAdapter) resume() error {
	parts, err := filepath.Glob(filepath.Join(a.cfg.Dir, exportPrefix+"*"+a.ext()+partSuffix))
	if err != nil || len(parts) == 0 {
		return err
	}
	slices.Sort(parts)
	if len(parts) > 1 {
		a.log.Warn("reconcile: several unfinished export files; continuing the newest", "files", parts)
	}
	path := parts[len(parts)-1]
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reconcile: read unfinished export %s: %w", path, err)
	}
	// Cut off a last line the crash left incomplete.
	keep := bytes.LastIndexByte(b, '\n') + 1
	if keep < len(b) {
		a.log.Warn("reconcile: cutting off an incomplete last line of an unfinished export", "file", path, "bytes", len(b)-keep)
	}
	b = b[:keep]
	if a.cfg.Format == FormatJSON && bytes.HasSuffix(b, []byte("\n]\n")) {
		keep -= 2 // closed by an interrupted Finish; Finish closes it again
		b = b[:keep]
	}
	a.part = path
	a.finalFor = a.finalName(path)
	if err := a.loadIDs(b); err != nil {
		return fmt.Errorf("reconcile: read unfinished export %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("reconcile: open unfinished export %s: %w", path, err)
	}
	if err := f.Truncate(int64(keep)); err != nil {
		f.Close()
		return fmt.Errorf("reconcile: repair unfinished export %s: %w", path, err)
	}
	if _, err := f.Seek(int64(keep), io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("reconcile: open unfinished export %s: %w", path, err)
	}
	a.f, a.w = f, bufio.NewWriter(f)
	if keep == 0 {
		return a.writeHeader()
	}
	return nil
}

// writeHeader starts a file: the CSV header row, or the "[" of the JSON
// array. A JSON export holds one entry per line, each after the first
// starting with ",", so that it can be continued after a crash and closed
// with a "]" line.
func (a *ExportAdapter) writeHeader() error {
	if a.cfg.Format == FormatCSV {
		return a.writeCSV(CSVHeader())
	}
	_, err := a.w.WriteString("[\n")
	return err
}

func (a *ExportAdapter) loadIDs(b []byte) error {
	switch a.cfg.Format {
	case FormatCSV:
		r := csv.NewReader(bytes.NewReader(b))
		r.Comma = a.cfg.Comma
		r.FieldsPerRecord = len(CSVHeader())
		rows, err := r.ReadAll()
		if err != nil {
			return err
		}
		for i, row := range rows {
			if i == 0 {
				continue // header
			}
			if _, ok := a.ids[row[0]]; !ok {
				a.count++
				a.ids[row[0]] = fmt.Sprintf("%s#%d", filepath.Base(a.finalFor), a.count)
			}
		}
	default:
		for line := range bytes.Lines(b) {
			if string(line) == "[\n" {
				continue
			}
			var e struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(bytes.TrimPrefix(line, []byte(",")), &e); err != nil {
				return err
			}
			a.count++
			a.ids[e.ID] = fmt.Sprintf("%s#%d", filepath.Base(a.finalFor), a.count)
		}
	}
	return nil
}

// finalName returns the name a .part file gets when finished.
func (a *ExportAdapter) finalName(part string) string { return strings.TrimSuffix(part, partSuffix) }

// Book appends the entry to the export file, unless it is there already.
// Errors writing the file can pass (a full disk, a missing share): retry.
func (a *ExportAdapter) Book(_ context.Context, e journal.Entry) (Result, bool, error) {
	if id, ok := a.ids[e.ID]; ok {
		return Result{Status: Booked, BookingID: id}, false, nil
	}
	if a.f == nil {
		if err := a.create(); err != nil {
			return Result{}, true, err
		}
	}
	var err error
	if a.cfg.Format == FormatCSV {
		for _, it := range e.Items {
			if err = a.writeCSV([]string{e.ID, strconv.FormatInt(e.Number, 10), e.Start.Format(time.RFC3339Nano), e.End.Format(time.RFC3339Nano),
				e.Till, e.RegisterSerial, e.TSESerial, e.TSEStatus, e.Staff, string(e.Payment), it.PZN, strconv.Itoa(it.Qty),
				it.Price.String(), it.Copay.String(), it.Price.Times(it.Qty).String(), it.Copay.Times(it.Qty).String(),
				e.Total.String(), e.CopayTotal.String(), e.Hash}); err != nil {
				break
			}
		}
	} else {
		var b []byte
		if b, err = json.Marshal(e); err == nil {
			if a.count > 0 {
				b = append([]byte{','}, b...)
			}
			_, err = a.w.Write(append(b, '\n'))
		}
	}
	a.dirty = true
	if err != nil {
		return Result{}, true, fmt.Errorf("write export %s: %w", a.part, err)
	}
	a.count++
	id := fmt.Sprintf("%s#%d", filepath.Base(a.finalFor), a.count)
	a.ids[e.ID] = id
	return Result{Status: Booked, BookingID: id}, false, nil
}

func (a *ExportAdapter) create() error {
	stamp := a.clk.Now().UTC().Format("20060102-150405")
	a.part = filepath.Join(a.cfg.Dir, exportPrefix+stamp+a.ext()+partSuffix)
	a.finalFor = a.finalName(a.part)
	f, err := os.OpenFile(a.part, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create export %s: %w", a.part, err)
	}
	a.f, a.w, a.created = f, bufio.NewWriter(f), true
	return a.writeHeader()
}

func (a *ExportAdapter) writeCSV(row []string) error {
	cw := csv.NewWriter(a.w)
	cw.Comma = a.cfg.Comma
	if err := cw.Write(row); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// Flush makes everything written so far durable.
func (a *ExportAdapter) Flush() error {
	if a.f == nil || !a.dirty && !a.created {
		return nil
	}
	if err := a.w.Flush(); err != nil {
		return fmt.Errorf("write export %s: %w", a.part, err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("sync export %s: %w", a.part, err)
	}
	if a.created {
		if err := durable.SyncDir(a.cfg.Dir); err != nil {
			return err
		}
		a.created = false
	}
	a.dirty = false
	return nil
}

// Finish gives the export file its final name, so the ERP imports it; a
// JSON export gets its closing "]" first. The rename is atomic: the ERP
// sees the whole file or none. The next Book starts a new file.
func (a *ExportAdapter) Finish() error {
	if a.f == nil {
		return nil
	}
	if a.cfg.Format == FormatJSON {
		if _, err := a.w.WriteString("]\n"); err != nil {
			return fmt.Errorf("finish export %s: %w", a.part, err)
		}
		a.dirty = true
	}
	if err := a.Flush(); err != nil {
		return err
	}
	if err := a.f.Close(); err != nil {
		return fmt.Errorf("close export %s: %w", a.part, err)
	}
	a.f = nil
	if err := os.Rename(a.part, a.finalFor); err != nil {
		return fmt.Errorf("finish export %s: %w", a.part, err)
	}
	if err := durable.SyncDir(a.cfg.Dir); err != nil {
		return err
	}
	a.log.Info("reconcile: export file ready for the ERP", "file", a.finalFor, "entries", a.count)
	a.part, a.finalFor, a.ids, a.count = "", "", map[string]string{}, 0
	return nil
}

// Close releases the open export file without finishing it.
func (a *ExportAdapter) Close() error {
	if a.f == nil {
		return nil
	}
	err := errors.Join(a.w.Flush(), a.f.Close())
	a.f = nil
	return err
}
