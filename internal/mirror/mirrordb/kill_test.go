package mirrordb_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrortest"
)

const childEnv = "MIRRORDB_TEST_KILL_CHILD"

// TestInterruptedImport starts a child process (this test binary again)
// that runs a full import and, halfway through, is killed with SIGKILL
// (TerminateProcess on Windows). The copy must then open with the old data
// intact and readable, and take a new import.
func TestInterruptedImport(t *testing.T) {
	if path := os.Getenv(childEnv); path != "" {
		importForever(path)
		return
	}
	path := filepath.Join(t.TempDir(), mirrordb.FileName)
	ctx := context.Background()
	kr := newKeyring(t)
	{
		db, err := mirrordb.Open(ctx, path, kr, nil)
		if err != nil {
			t.Fatal(err)
		}
		var old []mirror.Record
		for i := range 1000 {
			old = append(old, mirror.Article{PZN: mirrortest.PZN(5000 + i), Name: fmt.Sprintf("Altbestand %d Salbe", i), AVP: 123, PharmacyOnly: true})
		}
		replace(t, db, mirror.Articles, old...)
		db.Close()
	}
	walBefore := fileSize(path + "-wal")

	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptedImport$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "HALFWAY") {
				ready <- sc.Text()
				return
			}
		}
		close(ready)
	}()
	select {
	case line, ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatal("child ended before reaching the middle of the import")
		}
		t.Logf("child: %s", line)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("child did not reach the middle of the import in 30 s")
	}
	walDuring := fileSize(path + "-wal")
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	t.Logf("WAL before %d bytes, at the kill %d bytes (uncommitted pages on disk)", walBefore, walDuring)
	if walDuring <= walBefore {
		t.Errorf("WAL did not grow during the child's import (%d -> %d); the kill did not interrupt a write", walBefore, walDuring)
	}

	db := open(t, path, kr)
	if got := rows(t, db, mirror.Articles); got != 1000 {
		t.Errorf("rows after the kill = %d; want the old 1000", got)
	}
	a, err := db.Article(ctx, mirrortest.PZN(5000+999))
	if err != nil || a.Name != "Altbestand 999 Salbe" {
		t.Errorf("old article after the kill: %+v, %v", a, err)
	}
	if _, err := db.Article(ctx, mirrortest.PZN(900_000)); mirror.ErrorCode(err) != mirror.ENOTFOUND {
		t.Errorf("an article of the killed import is visible: %v", err)
	}
	hits, err := db.SearchArticles(ctx, "altbestand 99", 20)
	if err != nil || len(hits) == 0 {
		t.Errorf("search after the kill: %d hits, %v; want the old articles (indexes intact)", len(hits), err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var check string
	if err := raw.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v; want ok", check, err)
	}
	replace(t, db, mirror.Articles, articles(5)...)
	if got := rows(t, db, mirror.Articles); got != 5 {
		t.Errorf("rows after a new import = %d; want 5", got)
	}
}

// importForever runs in the child: a full import that stops halfway and
// waits to be killed. A small cache makes SQLite spill uncommitted pages
// into the WAL file, as a large import does.
func importForever(path string) {
	ctx := context.Background()
	db, err := mirrordb.Open(ctx, path, nil, nil, mirrordb.Options{CacheMiB: 1})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(3)
	}
	db.Replace(ctx, mirror.Articles, func(w mirror.Writer) (mirror.Commit, error) {
		for i := range 40_000 {
			a := mirror.Article{PZN: mirrortest.PZN(900_000 + i), Name: fmt.Sprintf("Neuware %d Filmtabletten mit langem Namen", i), AVP: 1, PharmacyOnly: true}
			if err := w.Put(ctx, a); err != nil {
				fmt.Println("ERROR", err)
				os.Exit(3)
			}
		}
		fmt.Println("HALFWAY 40000 rows written, not committed")
		os.Stdout.Sync()
		select {} // wait for SIGKILL
	})
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
