package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	bt "github.com/lifeline-project/lifeline/internal/browsertest"
	"github.com/lifeline-project/lifeline/internal/sim"
)

// TestDemoERPDownAtTheCounter plays the demo scenario "ERP down at the
// counter" in the browser: the ERP fails, the dashboard offers emergency
// mode, a sale is scanned and booked, the ERP returns, and the hand-over
// books the sale in the simulated ERP.
func TestDemoERPDownAtTheCounter(t *testing.T) {
	info := startDemo(t, time.Second)
	bctx := bt.New(t, 1280, 900)
	ctx, cancel := context.WithTimeout(bctx, 120*time.Second)
	defer cancel()
	sample := info.Counter.Samples()[0]
	if err := chromedp.Do(ctx, login(info)); err != nil {
		t.Fatalf("log in: %v", err)
	}
	// until loads url again until the page shows what js tests; banners
	// are drawn with the page, so the page is reloaded.
	until := func(what, url, js string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			ok := false
			err := chromedp.Do(ctx, chromedp.Navigate(url))
			if err == nil {
				ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](js))
			}
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
				t.Fatalf("waited 30 s for %s (%v)\n%s", what, err, body)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	banner := func(text string) string {
		return fmt.Sprintf(`[...document.querySelectorAll('.banner')].some(b => b.innerText.includes(%q))`, text)
	}
	// The downtime copy has the demo's articles before the ERP fails.
	until("the demo article in the downtime copy", info.URL+"counter?q="+string(sample.PZN), `!!document.querySelector('#card-name')`)
	if err := info.Pharmacy.Set(sim.DepERP, sim.ModeDown); err != nil {
		t.Fatal(err)
	}
	until("the offer of emergency mode", info.URL, banner("Warenwirtschaft ausgefallen: Notbetrieb einschalten?"))
	err := chromedp.Do(ctx,
		chromedp.Navigate(info.URL+"counter"),
		chromedp.Click(`#mode-on`),
		chromedp.WaitVisible(`#mode-off`),
		bt.WaitTrue(`document.activeElement && document.activeElement.id === 'scan'`, 10*time.Second),
		chromedp.KeyEvent(string(sample.PZN)+kb.Enter),
		bt.WaitTrue(`!!document.querySelector('#card-name')`, 10*time.Second),
		chromedp.KeyEvent(kb.F2),
		bt.WaitTrue(`document.querySelector('#pay-cash').getAttribute('aria-pressed') === 'true'`, 10*time.Second),
		chromedp.KeyEvent(kb.F9),
		chromedp.WaitVisible(`#receipt`),
	)
	if err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("sell during the outage: %v\n%s", err, body)
	}
	if err := info.Pharmacy.Set(sim.DepERP, sim.ModeOK); err != nil {
		t.Fatal(err)
	}
	until("the ERP back", info.URL+"counter", banner("Warenwirtschaft wieder erreichbar"))
	err = chromedp.Do(ctx,
		chromedp.Click(`#mode-off`),
		chromedp.WaitVisible(`#mode-on`),
		chromedp.Navigate(info.URL+"counter/replay"),
		// Wait for the form's POST to come back before navigating again:
		// a navigation right after the click can cancel the submission.
		bt.Void(chromedp.Evaluate[int](`window.__beforeSubmit = 1`)),
		chromedp.Click(`#replay-start`),
	)
	// The page navigates while we poll: evaluation errors are expected
	// until the answer to the POST has loaded.
	for deadline := time.Now().Add(20 * time.Second); err == nil; time.Sleep(100 * time.Millisecond) {
		if done, e := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__beforeSubmit === undefined && document.readyState === 'complete'`)); e == nil && done {
			break
		}
		if time.Now().After(deadline) {
			err = fmt.Errorf("the hand-over form's answer did not load within 20 s")
		}
	}
	if err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("hand over after the outage: %v\n%s", err, body)
	}
	until("the hand-over's report", info.URL+"counter/replay", `(document.querySelector('#rp-summary')||{innerText:''}).innerText.includes('1 gebucht')`)
	if bs := info.Counter.Sales.Bookings(); len(bs) != 1 || bs[0].Number != 1 {
		t.Errorf("bookings in the simulated ERP: %+v; want sale 1", bs)
	}
	if out := info.Counter.Guide(info.URL); !strings.Contains(out, string(sample.PZN)) {
		t.Errorf("guide lacks the sample PZN:\n%s", out)
	}
}
