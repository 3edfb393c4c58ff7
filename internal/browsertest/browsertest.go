// Package browsertest starts a real headless Chromium (Debian's chromium
// package) for end-to-end tests of lifeline's pages through chromedp. The
// flags follow the notes for this machine: no sandbox (tests run as root),
// no GPU, and no background networking (the machine reaches no outside
// hosts).
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ExecPath finds the Chromium binary or fails the test with what to do.
func ExecPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("LIFELINE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("chromium missing: run `make test`, which installs Debian's chromium package (or set LIFELINE_CHROMIUM)")
	return ""
}

// New returns a chromedp context for a fresh headless browser with the given
// window size; it is closed when the test ends.
func New(t testing.TB, width, height int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ExecPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(width, height),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelC()
		cancelA()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// Void turns an action with a value into one for chromedp.Do.
func Void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

// WaitTrue polls a JavaScript expression until it is true or timeout passes.
func WaitTrue(expr string, timeout time.Duration) chromedp.Action[chromedp.Void] {
	return Void(chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout)))
}
