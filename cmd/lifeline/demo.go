package main

import (
	"context"
	"embed"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lifeline-project/lifeline/internal/alert"
	"github.com/lifeline-project/lifeline/internal/alert/mailcatcher"
	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/config"
	"github.com/lifeline-project/lifeline/internal/counter/counterdemo"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/synth"
	"github.com/lifeline-project/lifeline/internal/service"
	"github.com/lifeline-project/lifeline/internal/sim"
	"github.com/lifeline-project/lifeline/internal/siteapp"
)

// demoAlerts is the demo's alert configuration: the pharmacist on duty gets
// mail at once (after a short group wait), the owner ten minutes later when
// nobody acknowledges. Arguments: public URL, mail catcher port (twice).
const demoAlerts = `
public_url: %s
group_wait: 10s
resolve_wait: 30s
receivers:
  - name: dienst-mail
    email: {host: 127.0.0.1, port: %d, tls: none, from: lifeline@apotheke-am-markt.example, to: [dienst@apotheke-am-markt.example]}
  - name: chefin-mail
    email: {host: 127.0.0.1, port: %d, tls: none, from: lifeline@apotheke-am-markt.example, to: [chefin@apotheke-am-markt.example]}
  - name: uebung-mail
    email: {host: 127.0.0.1, port: %d, tls: none, from: lifeline@apotheke-am-markt.example, to: [uebung@apotheke-am-markt.example]}
people:
  - {id: dienst, name: Apothekerin im Dienst, receivers: [dienst-mail]}
  - {id: chefin, name: Inhaberin, receivers: [chefin-mail]}
escalation_policies:
  - id: standard
    steps:
      - {people: [dienst]}
      - {delay: 10m, people: [chefin]}
routes:
  - {escalation: standard}
first_steps:
  erp: "Hotline der Warenwirtschaft anrufen; bis dahin Notbetrieb einschalten."
  konnektor: "Konnektor neu starten (Strom 10 Sekunden trennen); E-Rezepte bis dahin aufschreiben."
`

//go:embed demodata
var demoData embed.FS

// writeDemoData copies the demo's pharmacy files into dir and returns their
// paths by name.
func writeDemoData(dir string) (map[string]string, error) {
	out := map[string]string{"handbook": filepath.Join(dir, "handbook")}
	err := fs.WalkDir(demoData, "demodata", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, "demodata"), "/")
		target := filepath.Join(dir, filepath.FromSlash(rel))
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		b, err := demoData.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = target
		return os.WriteFile(target, b, 0o600)
	})
	return out, err
}

// demoOptions configure `lifeline demo`.
type demoOptions struct {
	listen   string
	dataDir  string
	interval time.Duration
	lang     string
	// incident plays one example outage of the ERP after the start, so
	// that the incident log, its export and the binder have content.
	incident bool
}

func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o demoOptions
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address of the demo dashboard (a free port is taken when busy)")
	fs.StringVar(&o.dataDir, "data", "", "data folder (default: a new temporary folder)")
	fs.DurationVar(&o.interval, "interval", 5*time.Second, "probe interval of the simulated pharmacy")
	fs.StringVar(&o.lang, "lang", "de", "language: de or en")
	scenario := fs.String("scenario", "", "bad-update: a fleet with simulated pharmacies and an update that breaks the canaries")
	fs.BoolVar(&o.incident, "example-incident", true, "play one example outage of the ERP at the start (incident log, export, binder)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch *scenario {
	case "":
	case "bad-update":
		return cmdDemoBadUpdate(append([]string{"--listen", o.listen}, fs.Args()...), stdout, stderr)
	default:
		fmt.Fprintf(stderr, "unknown scenario %q; use bad-update\n", *scenario)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runDemo(ctx, o, stdout, nil); err != nil {
		fmt.Fprintln(stderr, "lifeline demo:", err)
		return 1
	}
	return 0
}

// demoInfo is what a started demo tells its caller (tests use it).
type demoInfo struct {
	URL, ControlURL, MailURL, User, Password string
	HospitalURL                              string
	Pharmacy                                 *sim.Pharmacy
	App                                      *siteapp.App
	Mail                                     *mailcatcher.Catcher
	// Counter is the scenario "ERP down at the counter" (bookings of the
	// simulated ERP).
	Counter *counterdemo.Scenario
}

// runDemo starts a simulated pharmacy and a site node watching it, and
// serves until ctx ends. ready, when not nil, receives the demo's
// addresses once everything listens.
func runDemo(ctx context.Context, o demoOptions, stdout io.Writer, ready chan<- demoInfo) error {
	if o.dataDir == "" {
		dir, err := os.MkdirTemp("", "lifeline-demo-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.dataDir = dir
	}
	log, closer := service.NewLogger("warn", filepath.Join(o.dataDir, "lifeline.log"))
	defer closer.Close()
	if err := os.MkdirAll(filepath.Join(o.dataDir, "sim"), 0o700); err != nil {
		return err
	}
	ph, err := sim.StartPharmacy(ctx, sim.PharmacyOptions{Name: "Apotheke am Markt (Demo)", Dir: filepath.Join(o.dataDir, "sim"), Logger: log})
	if err != nil {
		return fmt.Errorf("start the simulated pharmacy: %w", err)
	}
	defer ph.Close()
	// The demo's mail goes to a local mail catcher whose page shows it.
	mc, err := mailcatcher.Start(mailcatcher.Config{}, log)
	if err != nil {
		return fmt.Errorf("start the demo mail catcher: %w", err)
	}
	defer mc.Close()
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return err
		}
	}
	url := "http://" + ln.Addr().String() + "/"
	// The simulated ERP serves a synthetic article list as a feed and
	// changes a few prices every minute; the downtime copy follows it. The
	// pharmacy's contacts, duty rota, priority patients and handbook come
	// from files, as a pharmacy would export them.
	erp := synth.NewERP(synth.ERPOptions{Articles: 5000, Logger: log})
	ph.HandleERP("/feed/", erp.Handler())
	ph.HandleERP("/export/", erp.Handler())
	go erp.Run(ctx, time.Minute)
	// Scenario "ERP down at the counter": the simulated ERP also books the
	// offline sales handed over after the outage.
	counterDemo := counterdemo.Setup(ph, counterdemo.Options{Articles: erp, Logger: log})
	dataFiles, err := writeDemoData(filepath.Join(o.dataDir, "daten"))
	if err != nil {
		return err
	}
	if err := writeTopSellers(filepath.Join(o.dataDir, "daten", "top-artikel.csv"), erp.Articles(), 300); err != nil {
		return err
	}
	var alerts alert.Config
	if err := yaml.Unmarshal(fmt.Appendf(nil, demoAlerts, strings.TrimSuffix(url, "/"), mc.Port(), mc.Port(), mc.Port()), &alerts); err != nil {
		return fmt.Errorf("demo alert configuration: %w", err)
	}
	cfg, err := config.Build(config.Site{
		SiteName: "Apotheke am Markt (Demo)",
		DataDir:  filepath.Join(o.dataDir, "site"),
		Language: o.lang,
		Checks:   ph.Checks(o.interval),
		Alert:    alerts,
		Counter:  counterDemo.CounterConfig("Apotheke am Markt (Demo)"),
		Journal:  counterdemo.JournalConfig(filepath.Join(o.dataDir, "site")),
		Incident: demoIncidentConfig(o.dataDir),
		Mirror: mirror.Config{
			Interval: check.Duration(10 * time.Second),
			MaxAge:   check.Duration(2 * time.Minute),
			Sources: []mirror.SourceConfig{
				{Dataset: "articles", Kind: mirror.SourceFeed, URL: ph.ERPURL() + "/feed/articles"},
				{Dataset: "contacts", Kind: mirror.SourceCSV, File: dataFiles["contacts.csv"]},
				{Dataset: "duty", Kind: mirror.SourceCSV, File: dataFiles["duty.csv"]},
				{Dataset: "patients", Kind: mirror.SourceCSV, File: dataFiles["patients.csv"]},
				{Dataset: "handbook", Kind: mirror.SourceMarkdown, File: dataFiles["handbook"]},
			},
		},
	}, filepath.Join(o.dataDir, "demo.yaml"))
	if err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}
	app, err := siteapp.Open(ctx, siteapp.Options{Config: cfg, Log: log, Version: buildVersion()})
	if err != nil {
		return err
	}
	defer app.Close()
	// The demo's admin gets a fresh random password that need not be
	// changed at the first login; there is still no default password.
	pw, err := auth.GeneratePassword()
	if err != nil {
		return err
	}
	if err := app.Auth.SetPassword(ctx, "admin", pw); err != nil {
		return err
	}
	app.Web.HandlePublic("/sim/", http.StripPrefix("/sim", ph.ControlHandler()))
	app.Web.AddNav("/sim/", check.Msg("Demo: Störungen auslösen", "Demo: cause outages"), auth.RoleViewer)
	app.Web.HandlePage("GET /demo/mail", auth.RoleViewer, mc.Handler(cfg.Location()))
	app.Web.AddNav("/demo/mail", check.Msg("Demo: Postfach", "Demo: mailbox"), auth.RoleViewer)
	hospital, err := startDemoHospital(ctx, o.dataDir, o.lang, pw, log)
	if err != nil {
		return err
	}
	defer hospital.Close()
	app.UseListener(ln)
	info := demoInfo{URL: app.URL(), ControlURL: app.URL() + "sim/", MailURL: app.URL() + "demo/mail", User: "admin", Password: pw, Pharmacy: ph, App: app, Mail: mc, HospitalURL: hospital.URL, Counter: counterDemo}
	fmt.Fprintf(stdout, `
lifeline Demo: eine simulierte Apotheke mit USV, zwei Internetleitungen, Konnektor,
TI-Lagebild, Zeitserver und Warenwirtschaft, alle echt auf diesem Rechner (127.0.0.1).

  Dashboard:          %s
  Anmelden:           Benutzer %s, Passwort %s
  Störungen auslösen: %s
  Postfach der Demo:  %s   (Meldungen an die Apothekerin im Dienst)
  Klinik (FHIR-Notfallansicht): %s   (gleiche Anmeldung)

Probieren Sie: Konnektor "Ausfallen lassen" -> nach etwa %s zeigt das Dashboard
"E-Rezept gestört ... Ursache: Konnektor ausgefallen", ohne neu zu laden.
Beenden mit Strg+C.

`, info.URL, info.User, info.Password, info.ControlURL, info.MailURL, info.HospitalURL, 3*o.interval)
	fmt.Fprintln(stdout, counterDemo.Guide(info.URL))
	if ready != nil {
		ready <- info
	}
	if o.incident {
		go func() {
			id, err := app.DemoIncident(ctx, func() error { return ph.Set(sim.DepERP, sim.ModeDown) },
				func() error { return ph.Set(sim.DepERP, sim.ModeOK) }, 1500*time.Millisecond)
			if err != nil {
				log.Warn("demo: example incident not played", "err", err)
				return
			}
			fmt.Fprintf(stdout, "Beispiel-Störung Nr. %d aufgezeichnet: %sincidents/%d (Bericht als PDF), Notfallmappe: %sbinder\n", id, info.URL, id, info.URL)
		}()
	}
	return app.Run(ctx)
}

// demoIncidentConfig is the demo's incident section: the binder also goes
// to a "USB stick" folder and lists the ERP's top sellers; a phone tree;
// certificate dates; drill mails go to the
// drill mailbox.
func demoIncidentConfig(dataDir string) incident.Config {
	year := time.Now().Year()
	return incident.Config{
		Binder: incident.BinderConfig{
			Folders:        []string{filepath.Join(dataDir, "usb-stick", "Notfallmappe")},
			TopSellersFile: filepath.Join(dataDir, "daten", "top-artikel.csv"),
			PhoneTree: []incident.PhoneTreeEntry{
				{Name: "Anna Becker", Role: "Inhaberin", Phone: "0171 2345678", Calls: []string{"Jonas Wolf", "IT-Service Krause"}},
				{Name: "Jonas Wolf", Role: "Filialleitung", Phone: "0172 3456789"},
				{Name: "IT-Service Krause", Role: "IT-Dienstleister", Phone: "0201 555 1234"},
			},
		},
		Certificates: incident.CertConfig{Entries: []incident.CertEntry{
			{ID: "smcb", Kind: incident.CertSMCB, Name: "SMC-B Apotheke am Markt", Expires: fmt.Sprintf("%d-03-31", year+2)},
			{ID: "hba-becker", Kind: incident.CertHBA, Name: "HBA Anna Becker", Expires: time.Now().AddDate(0, 0, 120).Format("2006-01-02")},
			{ID: "konnektor", Kind: incident.CertKonnektor, Name: "Konnektor (Netzkonnektor)", Expires: fmt.Sprintf("%d-11-30", year+1)},
		}},
		Drill: incident.DrillConfig{Receivers: []string{"uebung-mail"}},
	}
}

// writeTopSellers writes the demo's top-seller statistics as a pharmacy
// system exports them: the first n articles with falling quantities.
func writeTopSellers(file string, arts []mirror.Article, n int) error {
	var b strings.Builder
	b.WriteString("PZN;Menge\n")
	for i, a := range arts {
		if i == n {
			break
		}
		fmt.Fprintf(&b, "%s;%d\n", a.PZN, 5*(n-i))
	}
	return os.WriteFile(file, []byte(b.String()), 0o600)
}
