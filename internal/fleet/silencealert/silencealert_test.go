package silencealert_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/email"
	"github.com/lifeline-project/lifeline/internal/alert/mailcatcher"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/silencealert"
)

// TestEmailToContacts mails a silence alert to the addresses in the
// site's contacts and the fixed receiver, through a real SMTP server on
// loopback.
func TestEmailToContacts(t *testing.T) {
	mc, err := mailcatcher.Start(mailcatcher.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	ns, err := silencealert.Build(fleet.SilenceAlerts{Email: &email.Config{Host: "127.0.0.1", Port: mc.Port(), TLS: email.TLSNone,
		From: "fleet@example.de", To: []string{"hotline@example.de"}}}, "https://fleet.example.de", nil)
	if err != nil || len(ns) != 1 {
		t.Fatalf("build: %v %v", ns, err)
	}
	st := fleet.Site{ID: "apo-1", Name: "Rosen-Apotheke", Timezone: "Europe/Berlin",
		Contacts: "Frau Muster, 089 123456, muster@rosen.example; Vertretung: <chef@rosen.example>"}
	a := fleet.SilenceAlert{Site: st, LastSeen: time.Date(2026, 6, 15, 9, 58, 0, 0, time.UTC), Emails: fleet.ContactEmails(st.Contacts),
		OnDuty: true, At: time.Date(2026, 6, 15, 10, 5, 0, 0, time.UTC)}
	if got := strings.Join(a.Emails, ","); got != "muster@rosen.example,chef@rosen.example" {
		t.Fatalf("contact addresses: got %q", got)
	}
	if _, err := ns[0].NotifySilence(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if !mc.WaitCount(1, 10*time.Second) {
		t.Fatal("no mail within 10 s")
	}
	m := mc.Mails()[0]
	all := strings.Join(m.To, ",")
	for _, want := range []string{"hotline@example.de", "muster@rosen.example", "chef@rosen.example"} {
		if !strings.Contains(all, want) {
			t.Errorf("receivers %q: missing %s", all, want)
		}
	}
	if !strings.Contains(m.Subject, "Rosen-Apotheke meldet sich nicht mehr") || !strings.Contains(m.Body, "Notdienst") ||
		!strings.Contains(m.Body, "https://fleet.example.de/sites/apo-1") {
		t.Errorf("mail: got subject %q body %q", m.Subject, m.Body)
	}
}
