package diskcheck

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

func TestProbeRealFolder(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name       string
		warn, min  float64
		wantStatus check.Status
		wantMsg    string
	}{
		{"ok", 0, 0, check.StatusOK, "frei ("},
		{"degraded", 100, 0, check.StatusDegraded, "Speicher wird knapp: nur noch"},
		{"down", 100, 100, check.StatusFail, "Speicher fast voll"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A folder on a real drive is more than 0 % and less than
			// 100 % free (the folder itself takes space).
			spec := check.Spec{ID: "disk", Kind: check.KindDisk, Path: dir, WarnFreePercent: tt.warn, MinFreePercent: tt.min}
			p, err := New(spec, nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			got := p.Probe(ctx)
			t.Logf("%v: %s | %s", got.Status, got.Message.DE, got.Message.EN)
			if got.Status != tt.wantStatus {
				t.Errorf("status: got %v (%s); want %v", got.Status, got.Message.DE, tt.wantStatus)
			}
			if !strings.Contains(got.Message.DE, tt.wantMsg) {
				t.Errorf("message: got %q; want it to contain %q", got.Message.DE, tt.wantMsg)
			}
			pct, free, total := got.Values["free_percent"], got.Values["free_bytes"], got.Values["total_bytes"]
			if pct < 0 || pct > 100 {
				t.Errorf("free_percent: got %v; want 0-100", pct)
			}
			if total <= 0 || free > total {
				t.Errorf("free_bytes %v, total_bytes %v; want 0 < total and free <= total", free, total)
			}
		})
	}
}

func TestProbeMissingFolder(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "usb-backup")
	spec := check.Spec{ID: "disk", Kind: check.KindDisk, Path: missing}
	spec.ApplyDefaults()
	p, err := New(spec, nil)
	if err != nil {
		t.Fatalf("New with a missing folder: got %v; want nil (the drive may come later)", err)
	}
	got := p.Probe(context.Background())
	if got.Status != check.StatusFail || !strings.Contains(got.Message.DE, "nicht gefunden") {
		t.Errorf("got %v %q; want fail with nicht gefunden", got.Status, got.Message.DE)
	}
}

func TestProbeContext(t *testing.T) {
	p, err := New(check.Spec{ID: "disk", Path: t.TempDir(), WarnFreePercent: 15, MinFreePercent: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if got := p.Probe(ctx); got.Status != check.StatusUnknown {
			t.Errorf("status: got %v (%s); want unknown", got.Status, got.Message.DE)
		}
	})
	t.Run("previous query still hanging", func(t *testing.T) {
		p.busy <- struct{}{} // as if a measurement hung on a dead network drive
		defer func() { <-p.busy }()
		got := p.Probe(context.Background())
		if got.Status != check.StatusFail || !strings.Contains(got.Message.DE, "antwortet noch immer nicht") {
			t.Errorf("got %v %q; want fail with antwortet noch immer nicht", got.Status, got.Message.DE)
		}
	})
	t.Run("works again after", func(t *testing.T) {
		if got := p.Probe(context.Background()); got.Status == check.StatusFail || got.Status == check.StatusUnknown {
			t.Errorf("got %v %q; want a measurement", got.Status, got.Message.DE)
		}
	})
}

func TestJudge(t *testing.T) {
	const gib = 1 << 30
	p := &Prober{path: "/data", warnFree: 15, minFree: 5}
	tests := []struct {
		name       string
		u          usage
		wantStatus check.Status
		wantDE     string
		wantEN     string
		wantPct    float64
	}{
		{"plenty", usage{free: 45 * gib, total: 100 * gib}, check.StatusOK, "45 % frei (45,0 GB)", "45 % free (45.0 GB)", 45},
		{"at warn line", usage{free: 15 * gib, total: 100 * gib}, check.StatusOK, "15 % frei (15,0 GB)", "15 % free (15.0 GB)", 15},
		{"below warn", usage{free: 12 * gib, total: 100 * gib}, check.StatusDegraded, "Speicher wird knapp: nur noch 12 % frei (12,0 GB)", "disk space running low: only 12 % free (12.0 GB)", 12},
		{"at min line", usage{free: 5 * gib, total: 100 * gib}, check.StatusDegraded, "nur noch 5,0 % frei (5,0 GB)", "only 5.0 % free (5.0 GB)", 5},
		{"below min", usage{free: 3 * gib / 2, total: 50 * gib}, check.StatusFail, "Speicher fast voll: nur noch 3,0 % frei (1,5 GB)", "disk almost full: only 3.0 % free (1.5 GB)", 3},
		{"full", usage{free: 0, total: 50 * gib}, check.StatusFail, "nur noch 0,0 % frei (0 B)", "only 0.0 % free (0 B)", 0},
		{"free above total", usage{free: 60 * gib, total: 50 * gib}, check.StatusOK, "100 % frei (50,0 GB)", "100 % free (50.0 GB)", 100},
		{"unknown size", usage{}, check.StatusUnknown, "nicht feststellbar", "cannot tell", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.judge(tt.u, time.Millisecond)
			if got.Status != tt.wantStatus {
				t.Errorf("status: got %v; want %v", got.Status, tt.wantStatus)
			}
			if !strings.Contains(got.Message.DE, tt.wantDE) || !strings.Contains(got.Message.EN, tt.wantEN) {
				t.Errorf("message: got %q | %q; want %q | %q", got.Message.DE, got.Message.EN, tt.wantDE, tt.wantEN)
			}
			if pct := got.Values["free_percent"]; pct != tt.wantPct {
				t.Errorf("free_percent: got %v; want %v", pct, tt.wantPct)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		b    uint64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1536, "1,5 KB"},
		{45*1<<30 + 1<<29, "45,5 GB"},
		{3 << 40, "3,0 TB"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := formatBytes(tt.b, "de"); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		spec check.Spec
	}{
		{"no path", check.Spec{}},
		{"blank path", check.Spec{Path: "  "}},
		{"warn above 100", check.Spec{Path: "/", WarnFreePercent: 150}},
		{"negative min", check.Spec{Path: "/", MinFreePercent: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.spec, nil); err == nil {
				t.Errorf("got nil error; want an error")
			}
		})
	}
}
