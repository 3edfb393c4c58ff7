package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "github.com/lifeline-project/lifeline/internal/browsertest"
	"github.com/lifeline-project/lifeline/internal/sim"
)

// startDemo runs the demo with a short probe interval and returns its info.
func startDemo(t *testing.T, interval time.Duration) demoInfo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan demoInfo, 1)
	done := make(chan error, 1)
	go func() {
		done <- runDemo(ctx, demoOptions{listen: "127.0.0.1:0", dataDir: t.TempDir(), interval: interval, lang: "de"}, io.Discard, ready)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo ended with %v", err)
		}
	})
	select {
	case info := <-ready:
		return info
	case err := <-done:
		t.Fatalf("demo did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not start within 30 s")
	}
	return demoInfo{}
}

// login signs in on the demo in the browser.
func login(info demoInfo) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(info.URL),
		chromedp.WaitVisible(`input[name="user"]`),
		chromedp.SendKeys(`input[name="user"]`, info.User),
		chromedp.SendKeys(`input[name="password"]`, info.Password),
		chromedp.Click(`#login`),
		chromedp.WaitVisible(`#sentence`),
	)
}

// TestDashboardShowsKonnektorOutageLive is the "done" scenario: log
// in, read the German sentence, break the Konnektor, and see the dashboard
// name it as the cause and E-Rezept as its consequence, without a reload.
func TestDashboardShowsKonnektorOutageLive(t *testing.T) {
	info := startDemo(t, time.Second)
	bctx := bt.New(t, 1280, 900)
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	err := chromedp.Do(ctx,
		login(info),
		bt.WaitTrue(`document.querySelector('#sentence').innerText.includes('Alles in Ordnung')`, 30*time.Second),
		bt.Void(chromedp.Evaluate[string](`window.__noReload = 'still here'`)),
	)
	if err != nil {
		sentence, _ := chromedp.Run(ctx, chromedp.Text(`#sentence`))
		t.Fatalf("log in and read 'Alles in Ordnung': %v (sentence %q)", err, sentence)
	}
	if err := info.Pharmacy.Set(sim.DepKonnektor, sim.ModeDown); err != nil {
		t.Fatal(err)
	}
	broke := time.Now()
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(`#check-konnektor[data-state="down"]`),
		chromedp.WaitVisible(`#check-erezept[data-state="down"]`),
		bt.WaitTrue(`document.querySelector('#sentence').innerText.includes('Ursache: Konnektor ausgefallen')`, 30*time.Second),
	)
	sentence, _ := chromedp.Run(ctx, chromedp.Text(`#sentence`))
	if err != nil {
		t.Fatalf("wait for the outage on the dashboard: %v (sentence %q)", err, sentence)
	}
	t.Logf("outage shown %.1f s after the break: %q", time.Since(broke).Seconds(), sentence)
	marker, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__noReload || 'reloaded'`))
	if marker != "still here" {
		t.Errorf("the page was reloaded (marker %q); want a live update", marker)
	}
	if !strings.Contains(sentence, "E-Rezept gestört seit") {
		t.Errorf("sentence: got %q; want E-Rezept ... gestört seit ... Ursache: Konnektor ausgefallen.", sentence)
	}
	erez, _ := chromedp.Run(ctx, chromedp.Text(`#check-erezept`))
	if !strings.Contains(erez, "weil Konnektor") {
		t.Errorf("E-Rezept tile: got %q; want it to say it is down because of the Konnektor", erez)
	}
	// The pharmacist on duty gets one message naming the Konnektor as the
	// cause, after the demo's group wait of 10 s.
	if !info.Mail.WaitCount(1, 30*time.Second) {
		t.Fatal("no alert mail within 30 s of the outage")
	}
	m := info.Mail.Mails()[0]
	if !strings.Contains(m.Subject+m.Body, "Konnektor") || len(m.To) != 1 || m.To[0] != "dienst@apotheke-am-markt.example" {
		t.Errorf("alert mail: to %v, subject %q; want one to the pharmacist on duty naming the Konnektor\n%s", m.To, m.Subject, m.Body)
	}
	if path := os.Getenv("LIFELINE_SCREENSHOT"); path != "" {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(path, png, 0o644)
		}
	}
	if err := info.Pharmacy.Set(sim.DepKonnektor, sim.ModeOK); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, bt.WaitTrue(`document.querySelector('#sentence').innerText.includes('Alles in Ordnung')`, 30*time.Second)); err != nil {
		t.Fatalf("after repair the dashboard did not return to 'Alles in Ordnung': %v", err)
	}
}
