// Package alertcli implements `lifeline site alert test`: it sends a test
// message through one receiver (or every receiver of one person), so that a
// pharmacy can check its alert set-up, and records it in the delivery log.
package alertcli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert"
	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/clock"
)

// DBFile is the name of the alert database in the data folder.
const DBFile = "alerts.db"

// Env is what the caller loaded from the site configuration.
type Env struct {
	// Alert is the alert section, defaults applied and validated.
	Alert    alert.Config
	SiteName string
	// Language is "de" or "en".
	Language string
	Location *time.Location
	// DataDir holds alerts.db; empty: the test is not logged.
	DataDir string
	Log     *slog.Logger
	Clock   clock.Clock
}

// Test runs `lifeline site alert test --config FILE --receiver R`. R is a
// receiver name or a person id (then every receiver of the person). Exit
// codes: 0 delivered, 1 a delivery failed, 2 usage or configuration error.
func Test(args []string, env Env, stdout, stderr io.Writer) int {
	en := env.Language == "en"
	say := func(w io.Writer, de, eng string, a ...any) {
		if en {
			fmt.Fprintf(w, eng+"\n", a...)
		} else {
			fmt.Fprintf(w, de+"\n", a...)
		}
	}
	fs := flag.NewFlagSet("alert test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", "", "configuration file (read by the caller)")
	name := fs.String("receiver", "", "receiver name or person id")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if env.Log == nil {
		env.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if env.Clock == nil {
		env.Clock = clock.Real{}
	}
	if *name == "" {
		say(stderr, "Bitte mit --receiver angeben, welcher Alarmweg getestet wird. Vorhanden: %s",
			"Please name the alert channel to test with --receiver. Configured: %s", names(env.Alert))
		return 2
	}
	var targets []alert.Receiver
	for _, r := range env.Alert.Receivers {
		if r.Name == *name {
			targets = append(targets, r)
		}
	}
	if len(targets) == 0 {
		for _, p := range env.Alert.People {
			if p.ID != *name {
				continue
			}
			for _, rn := range p.Receivers {
				for _, r := range env.Alert.Receivers {
					if r.Name == rn {
						targets = append(targets, r)
					}
				}
			}
		}
	}
	if len(targets) == 0 {
		say(stderr, "Es gibt keinen Alarmweg und keine Person „%s“. Vorhanden: %s",
			"There is no receiver or person %q. Configured: %s", *name, names(env.Alert))
		return 2
	}
	var store *alert.Store
	if env.DataDir != "" {
		s, err := alert.OpenStore(context.Background(), filepath.Join(env.DataDir, DBFile))
		if err != nil {
			env.Log.Warn("open alert database; the test is not logged", "err", err)
		} else {
			store = s
			defer s.Close()
		}
	}
	dash := ""
	if env.Alert.PublicURL != "" {
		dash = strings.TrimRight(env.Alert.PublicURL, "/") + "/"
	}
	code := 0
	for _, r := range targets {
		one := alert.Config{Receivers: []alert.Receiver{r}}
		ns, err := alert.Build(one, env.Log)
		if err != nil {
			say(stderr, "Alarmweg „%s“ ist falsch eingerichtet: %v", "Receiver %q is set up wrongly: %v", r.Name, err)
			code = 2
			continue
		}
		now := env.Clock.Now()
		msg := alert.TestMessage(env.SiteName, env.Language, r.Name, dash, now)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		retry, err := ns[r.Name].Notify(ctx, msg)
		cancel()
		d := &alert.Delivery{ID: msg.ID, Receiver: r.Name, Kind: notify.KindTest, Created: now, Attempts: 1, Message: msg, NextAt: now}
		if err == nil {
			d.Status, d.SentAt = alert.StatusSent, env.Clock.Now()
			say(stdout, "Testnachricht über „%s“ (%s) verschickt: der Server hat sie angenommen. Bitte prüfen, ob sie angekommen ist.",
				"Test message sent through %q (%s): the server accepted it. Please check that it arrived.", r.Name, r.Channel())
		} else {
			d.Status, d.LastError = alert.StatusFailed, err.Error()
			code = max(code, 1)
			if retry {
				say(stdout, "Testnachricht über „%s“ (%s) fehlgeschlagen: %v\nDas sieht vorübergehend aus (Netz, Server beschäftigt). Später noch einmal versuchen; Netzwerk und Adresse prüfen.",
					"Test message through %q (%s) failed: %v\nThis looks temporary (network, server busy). Try again later; check the network and the address.", r.Name, r.Channel(), err)
			} else {
				say(stdout, "Testnachricht über „%s“ (%s) fehlgeschlagen: %v\nEin neuer Versuch hilft nicht: bitte die Einstellungen prüfen (Adresse, Zugangsdaten, Zertifikat).",
					"Test message through %q (%s) failed: %v\nTrying again will not help: please check the settings (address, credentials, certificate).", r.Name, r.Channel(), err)
			}
		}
		if store != nil {
			if err := store.SaveDeliveries(context.Background(), []*alert.Delivery{d}); err != nil && !errors.Is(err, context.Canceled) {
				env.Log.Warn("log test delivery", "err", err)
			}
		}
	}
	return code
}

func names(c alert.Config) string {
	var out []string
	for _, r := range c.Receivers {
		out = append(out, r.Name)
	}
	for _, p := range c.People {
		out = append(out, p.ID)
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ", ")
}
