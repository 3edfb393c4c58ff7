package journal

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
)

var t0 = time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC) // a DST night in Germany

func testConfig(t *testing.T) Config {
	t.Helper()
	base := t.TempDir()
	return Config{Dir: filepath.Join(base, "primary"), MirrorDir: filepath.Join(base, "mirror"),
		Till: "Kasse 1", RegisterSerial: "LL-REG-0001", TSESerial: "TSE-42"}
}

// logBuf collects the journal's log for assertions.
type logBuf struct{ bytes.Buffer }

func (l *logBuf) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(&l.Buffer, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func openT(t *testing.T, cfg Config, clk clock.Clock) *Journal {
	t.Helper()
	j, err := Open(cfg, nil, clk)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func sale(key string, n int) Sale {
	return Sale{
		IdempotencyKey: key, Staff: "Frau Becker", Payment: PaymentCash,
		Items: []Item{
			{PZN: "04877800", Qty: 1 + n%3, Price: Cents(420), Copay: Cents(420)},
			{PZN: "12345678", Qty: 1, Price: Cents(7340), Copay: Cents(734)},
		},
	}
}

func appendN(t *testing.T, j *Journal, from, n int) []Entry {
	t.Helper()
	var out []Entry
	for i := from; i < from+n; i++ {
		e, _, err := j.Append(context.Background(), sale(fmt.Sprintf("key-%d", i), i))
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		out = append(out, e)
	}
	return out
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(b, []byte("\n"))
}

func writeLines(t *testing.T, path string, lines [][]byte) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
}
