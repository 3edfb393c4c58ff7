package counterweb_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	bt "github.com/lifeline-project/lifeline/internal/browsertest"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/counter/countertest"
)

// TestCounterInBrowser is the "done" scenario in a real headless
// Chromium, on a counter screen and on a phone-sized window: log in, see
// the offer, switch emergency mode on with one click, scan a PZN (typed
// into the focused field and Enter, as a barcode scanner does), see price
// and co-payment, find a second article by name with the arrow keys, pay
// cash with F2, book with F9 (pressed twice: one sale), and see the receipt.
func TestCounterInBrowser(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"counter screen", 1280, 900}, {"phone", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			w := countertest.New(t, countertest.Options{}).StartWeb()
			w.Set(countertest.CheckERP, check.StatusFail)
			bctx := bt.New(t, size.w, size.h)
			ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
			defer cancel()
			text := func(sel string) string {
				s, _ := chromedp.Run(ctx, chromedp.Text(sel))
				return s
			}
			shot := func(name string) {
				if path := os.Getenv("LIFELINE_SCREENSHOT_COUNTER"); path != "" {
					if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
						os.WriteFile(strings.ReplaceAll(path, "SIZE", fmt.Sprintf("%d-%s", size.w, name)), png, 0o644)
					}
				}
			}
			fail := func(step string, err error) {
				t.Helper()
				html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
				t.Fatalf("%s: %v\npage text:\n%s", step, err, html)
			}
			err := chromedp.Do(ctx,
				chromedp.Navigate(w.URL+"/counter"),
				chromedp.WaitVisible(`#user`),
				chromedp.SendKeys(`#user`, "anna"),
				chromedp.SendKeys(`#password`, "anna-passwort"),
				chromedp.Click(`#login`),
				chromedp.WaitVisible(`#mode-on`),
			)
			if err != nil {
				fail("log in", err)
			}
			if b := text(`.banner`); !strings.Contains(b, "Warenwirtschaft ausgefallen: Notbetrieb einschalten?") {
				t.Errorf("banner: got %q; want the offer", b)
			}
			err = chromedp.Do(ctx,
				chromedp.Click(`#mode-on`),
				chromedp.WaitVisible(`#mode-off`),
				bt.WaitTrue(`document.activeElement && document.activeElement.id === 'scan'`, 10*time.Second),
			)
			if err != nil {
				fail("switch on", err)
			}
			if b := text(`.banner`); !strings.Contains(b, "Notbetrieb aktiv seit 02:14 — Verkäufe werden offline erfasst") {
				t.Errorf("banner: got %q; want emergency mode active", b)
			}
			// The scanner: digits and Enter into the focused field.
			err = chromedp.Do(ctx,
				chromedp.KeyEvent(string(countertest.Rx30.PZN)+kb.Enter),
				bt.WaitTrue(fmt.Sprintf(`(document.querySelector('#card-name')||{}).innerText === %q`, countertest.Rx30.Name), 10*time.Second),
			)
			if err != nil {
				fail("scan", err)
			}
			for sel, want := range map[string]string{"#card-avp": "30,00 €", "#card-copay": "5,00 €", "#card-pay": "5,00 €", "#card-rx": "verschreibungspflichtig (Rx)"} {
				if got := text(sel); got != want {
					t.Errorf("%s: got %q; want %q", sel, got, want)
				}
			}
			if got := text(`#card-reason`); !strings.Contains(got, "Mindestzuzahlung 5,00 €") {
				t.Errorf("co-payment explanation: got %q", got)
			}
			// A name: hits while typing, arrow down, Enter.
			err = chromedp.Do(ctx,
				bt.WaitTrue(`document.activeElement && document.activeElement.id === 'scan'`, 10*time.Second),
				chromedp.KeyEvent("Festom"),
				bt.WaitTrue(`!document.querySelector('#suggest').hidden && document.querySelectorAll('#suggest li').length > 0`, 10*time.Second),
				chromedp.KeyEvent(kb.ArrowDown),
				bt.WaitTrue(`document.querySelector('#suggest li[aria-selected="true"]') !== null`, 5*time.Second),
				chromedp.KeyEvent(kb.Enter),
				bt.WaitTrue(fmt.Sprintf(`(document.querySelector('#card-name')||{}).innerText === %q`, countertest.Festbetrag.Name), 10*time.Second),
			)
			if err != nil {
				fail("name search", err)
			}
			if got := text(`#card-mehrkosten`); got != "15,00 €" {
				t.Errorf("Mehrkosten: got %q; want 15,00 €", got)
			}
			if got := text(`#total-pay`); got != "28,00 €" {
				t.Errorf("to pay: got %q; want 5,00 + 8,00 + 15,00 = 28,00 €", got)
			}
			// F2 cash, F9 book (twice, as a nervous double press).
			err = chromedp.Do(ctx,
				chromedp.KeyEvent(kb.F2),
				bt.WaitTrue(`document.querySelector('#pay-cash').getAttribute('aria-pressed') === 'true' && !document.querySelector('#book').disabled`, 10*time.Second),
			)
			if err != nil {
				fail("pay", err)
			}
			shot("basket")
			err = chromedp.Do(ctx,
				chromedp.KeyEvent(kb.F9+kb.F9),
				chromedp.WaitVisible(`#receipt`),
			)
			if err != nil {
				fail("book", err)
			}
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			if !strings.HasSuffix(loc, "/counter/receipt/1") {
				t.Errorf("after booking: at %s; want /counter/receipt/1", loc)
			}
			if got := text(`#receipt-tse`); got != "TSE-Ausfall — Notbetrieb, Beleg ohne TSE-Signatur." {
				t.Errorf("receipt TSE line: got %q", got)
			}
			if got := text(`#receipt-pay`); got != "28,00 €" {
				t.Errorf("receipt pay: got %q; want 28,00 €", got)
			}
			if got := text(`#receipt-stand`); got != "Preisdaten Stand: 03.02.2026 02:11" {
				t.Errorf("receipt price data: got %q", got)
			}
			shot("receipt")
			if n := w.Journal.Last(); n != 1 {
				t.Errorf("journal entries: got %d; want 1 after a double F9", n)
			}
			// Nothing sticks out sideways, also on the phone.
			wide, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
			if wide {
				t.Errorf("the receipt is wider than the %d px window", size.w)
			}
			err = chromedp.Do(ctx, chromedp.Click(`#new-sale`), chromedp.WaitVisible(`#card-empty`))
			if err != nil {
				fail("new sale", err)
			}
			wide, _ = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
			if wide {
				t.Errorf("the counter page is wider than the %d px window", size.w)
			}
		})
	}
}
