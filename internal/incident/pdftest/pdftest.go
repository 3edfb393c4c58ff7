// Package pdftest reads generated PDFs back as text in tests, with
// pdftotext from Debian's poppler-utils (installed by `make test` through
// scripts/ensure-debian-packages.sh).
package pdftest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Text returns the text of a PDF as pdftotext extracts it (layout kept,
// so table rows stay on one line). The test fails when the PDF is not
// readable or pdftotext is missing.
func Text(t testing.TB, pdf []byte) string {
	t.Helper()
	bin := "/usr/bin/pdftotext"
	if _, err := os.Stat(bin); err != nil {
		p, lerr := exec.LookPath("pdftotext")
		if lerr != nil {
			t.Fatal("pdftotext missing: run `make test`, which installs Debian's poppler-utils package")
		}
		bin = p
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: starts with %q", pdf[:min(len(pdf), 16)])
	}
	in := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", "-enc", "UTF-8", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return string(out)
}

// Pages returns the number of pages pdftotext found (form feeds).
func Pages(text string) int { return strings.Count(text, "\f") }

// Squash collapses runs of white space into one space, so that a phrase
// broken across columns or lines by the layout still matches.
func Squash(s string) string { return strings.Join(strings.Fields(s), " ") }
