package diskcheck

import (
	"syscall"
	"testing"
)

// TestDiskUsageMatchesStatfs cross-checks the sizes with the standard
// library's statfs: the block arithmetic must give the same bytes.
func TestDiskUsageMatchesStatfs(t *testing.T) {
	dir := t.TempDir()
	u, err := diskUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	wantTotal := (st.Blocks - st.Bfree + st.Bavail) * uint64(st.Bsize)
	if u.total != wantTotal {
		t.Errorf("total: got %d; want %d", u.total, wantTotal)
	}
	// Free space moves while other tests write; allow 256 MiB.
	want := st.Bavail * uint64(st.Bsize)
	diff := int64(u.free) - int64(want)
	if diff < -256<<20 || diff > 256<<20 {
		t.Errorf("free: got %d; want about %d", u.free, want)
	}
}
