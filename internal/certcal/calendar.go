package certcal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/incident"
)

// CheckID is the id of the calendar's check on the dashboard.
const CheckID = "zertifikate"

// CheckSpec returns the calendar's check for the monitor: group access,
// probed every 10 minutes (a stage is reached within 10 minutes after local
// midnight), no hysteresis (the verdict is computed, not measured).
func CheckSpec() check.Spec {
	s := check.Spec{ID: CheckID, Name: "Zertifikate und Ausweise", Kind: "certcal", Group: check.GroupAccess,
		Interval: check.Duration(10 * time.Minute), Timeout: check.Duration(5 * time.Second), FailAfter: 1, RecoverAfter: 1,
		Affects: []string{"TI-Zugang (E-Rezept, KIM, ePA)"}}
	return s
}

// Options configure a Calendar.
type Options struct {
	Store  Store
	Config incident.CertConfig
	// TLSChecks are the configured tls checks: their names label the
	// entries they find.
	TLSChecks []check.Spec
	Location  *time.Location
	Clock     clock.Clock
	Log       *slog.Logger
}

// Calendar is the certificate and identity calendar. Its methods are safe
// for concurrent use.
type Calendar struct {
	o   Options
	st  Store
	loc *time.Location
	clk clock.Clock
	log *slog.Logger

	config []Entry
	names  map[string]string

	mu     sync.Mutex
	manual []Manual
	found  map[string]Found
	acks   []Ack
}

// New returns the calendar and loads its entries.
func New(ctx context.Context, o Options) (*Calendar, error) {
	if o.Store == nil {
		return nil, errors.New("certcal: no store")
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if len(o.Config.WarnDays) == 0 {
		o.Config.WarnDays = incident.DefaultWarnDays()
	}
	c := &Calendar{o: o, st: o.Store, loc: o.Location, clk: o.Clock, log: o.Log, names: map[string]string{}, found: map[string]Found{}}
	for _, e := range o.Config.Entries {
		en, err := dateEntry("config:"+e.ID, SourceConfig, e.Kind, e.Name, e.Expires, e.Note, c.loc)
		if err != nil {
			return nil, fmt.Errorf("certificates entry %s: %w", e.ID, err)
		}
		c.config = append(c.config, en)
	}
	for _, s := range o.TLSChecks {
		c.names[s.ID] = s.Name
	}
	if err := c.reload(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Calendar) reload(ctx context.Context) error {
	manual, err := c.st.ManualEntries(ctx)
	if err != nil {
		return fmt.Errorf("load certificate entries: %w", err)
	}
	found, err := c.st.Found(ctx)
	if err != nil {
		return fmt.Errorf("load certificates found: %w", err)
	}
	acks, err := c.st.Acks(ctx)
	if err != nil {
		return fmt.Errorf("load acknowledged warnings: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.manual, c.acks = manual, acks
	c.found = map[string]Found{}
	for _, f := range found {
		c.found[f.CheckID] = f
	}
	return nil
}

// WarnDays returns the warning stages, largest first.
func (c *Calendar) WarnDays() []int {
	d := slices.Clone(c.o.Config.WarnDays)
	slices.Sort(d)
	slices.Reverse(d)
	return d
}

// Location returns the site's zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// entries returns every entry. Call with c.mu held.
func (c *Calendar) entriesLocked() []Entry {
	out := slices.Clone(c.config)
	for _, m := range c.manual {
		e, err := dateEntry(fmt.Sprintf("manual:%d", m.ID), SourceManual, m.Kind, m.Name, m.Expires, m.Note, c.loc)
		if err != nil {
			c.log.Warn("certificate entry with a bad date", "id", m.ID, "err", err)
			continue
		}
		e.ManualID = m.ID
		out = append(out, e)
	}
	for _, f := range c.found {
		name := c.names[f.CheckID]
		if name == "" {
			name = f.CheckID
		}
		out = append(out, tlsEntry(f, name, c.loc))
	}
	return out
}

// Statuses returns every entry rated now, most urgent first.
func (c *Calendar) Statuses() []Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Evaluate(c.entriesLocked(), c.acks, c.o.Config.WarnDays, c.clk.Now(), c.loc)
}

// Probe rates the calendar for the monitor: down when an entry is expired
// or at the last stage, degraded when an entry reached a stage nobody has
// acknowledged, OK otherwise. Values: days_left of the nearest expiry.
func (c *Calendar) Probe(ctx context.Context) check.Result {
	st := c.Statuses()
	if len(st) == 0 {
		return check.OK(0, "Keine Zertifikate eingetragen. Bitte SMC-B, HBA und Konnektor im Zertifikatskalender eintragen.",
			"No certificates entered. Please enter SMC-B, HBA and Konnektor in the certificate calendar.")
	}
	res := check.Result{Status: check.StatusOK, Values: map[string]float64{"days_left": float64(st[0].DaysLeft)}}
	var urgent, warn []Status
	for _, s := range st {
		switch {
		case s.Level == LevelExpired || s.Level == LevelCritical:
			urgent = append(urgent, s)
		case s.Level == LevelWarn && !s.Acked:
			warn = append(warn, s)
		}
	}
	line := func(s Status) check.Text {
		w := s.Words()
		return check.Msg(s.Name+" "+w.DE, s.Name+" "+w.EN)
	}
	joinTexts := func(ss []Status) check.Text {
		var de, en []string
		for _, s := range ss {
			l := line(s)
			de, en = append(de, l.DE), append(en, l.EN)
		}
		return check.Msg(strings.Join(de, "; "), strings.Join(en, "; "))
	}
	switch {
	case len(urgent) > 0:
		t := joinTexts(urgent)
		res.Status = check.StatusFail
		res.Message = check.Msg(t.DE+". Sofort erneuern, sonst fällt der TI-Zugang aus.", t.EN+". Renew now, or TI access fails.")
	case len(warn) > 0:
		t := joinTexts(warn)
		res.Status = check.StatusDegraded
		res.Message = check.Msg(t.DE+". Bitte rechtzeitig erneuern und im Zertifikatskalender bestätigen.",
			t.EN+". Please renew in time and acknowledge in the certificate calendar.")
	default:
		t := line(st[0])
		res.Message = check.Msg("Nächster Ablauf: "+t.DE+".", "Next expiry: "+t.EN+".")
	}
	return res
}

// Prober returns the calendar as the prober of its check.
func (c *Calendar) Prober() check.Prober { return check.ProberFunc(c.Probe) }

// WrapTLS returns a prober that runs p and records the certificate expiry
// it reports (Values["not_after_unix"]) as a calendar entry of the check.
// The store is written only when the expiry changes.
func (c *Calendar) WrapTLS(checkID string, p check.Prober) check.Prober {
	return check.ProberFunc(func(ctx context.Context) check.Result {
		res := p.Probe(ctx)
		if v, ok := res.Values["not_after_unix"]; ok && v > 0 {
			c.observe(ctx, checkID, time.Unix(int64(v), 0).UTC())
		}
		return res
	})
}

func (c *Calendar) observe(ctx context.Context, checkID string, notAfter time.Time) {
	c.mu.Lock()
	old, ok := c.found[checkID]
	c.mu.Unlock()
	if ok && old.NotAfter.Equal(notAfter) {
		return
	}
	f := Found{CheckID: checkID, NotAfter: notAfter, SeenAt: c.clk.Now().UTC()}
	if err := c.st.SaveFound(ctx, f); err != nil {
		c.log.Error("save certificate expiry", "check", checkID, "err", err)
		return
	}
	c.mu.Lock()
	c.found[checkID] = f
	c.mu.Unlock()
	c.log.Info("certificate expiry recorded", "check", checkID, "not_after", notAfter)
}

// Acknowledge records that who took note of the current stage of the
// entry key (for example: the new card is ordered). ENOTFOUND for an
// unknown key, EINVALID when the entry has no warning to acknowledge.
func (c *Calendar) Acknowledge(ctx context.Context, key, who string) (Status, error) {
	for _, s := range c.Statuses() {
		if s.Key != key {
			continue
		}
		if s.Stage == 0 {
			return s, incident.Errorf(incident.EINVALID, "Für %s gibt es noch keine Warnung.", "There is no warning for %s yet.", s.Name)
		}
		a := Ack{Key: s.AckKey(), Stage: s.Stage, By: who, At: c.clk.Now().UTC()}
		if err := c.st.SaveAck(ctx, a); err != nil {
			return s, err
		}
		c.mu.Lock()
		c.acks = append(c.acks, a)
		c.mu.Unlock()
		s.Acked, s.AckedBy = true, who
		c.log.Info("certificate warning acknowledged", "entry", key, "stage", s.Stage, "by", who)
		return s, nil
	}
	return Status{}, incident.Errorf(incident.ENOTFOUND, "Diesen Eintrag gibt es nicht.", "There is no such entry.")
}

// Add stores an entry made on the dashboard. EINVALID names what is wrong.
func (c *Calendar) Add(ctx context.Context, m Manual) (Manual, error) {
	m.Name = strings.TrimSpace(m.Name)
	m.Note = strings.TrimSpace(m.Note)
	m.Expires = strings.TrimSpace(m.Expires)
	switch {
	case !slices.Contains(incident.CertKinds, m.Kind):
		return Manual{}, incident.Errorf(incident.EINVALID, "Bitte die Art auswählen.", "Please choose the kind.")
	case m.Name == "" || utf8.RuneCountInString(m.Name) > 200:
		return Manual{}, incident.Errorf(incident.EINVALID, "Bitte einen Namen angeben (höchstens 200 Zeichen).", "Please give a name (at most 200 characters).")
	case utf8.RuneCountInString(m.Note) > 1000:
		return Manual{}, incident.Errorf(incident.EINVALID, "Die Notiz ist zu lang.", "The note is too long.")
	}
	if _, err := time.Parse("2006-01-02", m.Expires); err != nil {
		return Manual{}, incident.Errorf(incident.EINVALID, "Das Ablaufdatum „%s“ ist ungültig; bitte ein Datum wählen.", "The expiry date %q is not valid; please pick a date.", m.Expires)
	}
	m.CreatedAt = c.clk.Now().UTC()
	got, err := c.st.AddManual(ctx, m)
	if err != nil {
		return Manual{}, err
	}
	c.mu.Lock()
	c.manual = append(c.manual, got)
	c.mu.Unlock()
	return got, nil
}

// Delete removes an entry made on the dashboard.
func (c *Calendar) Delete(ctx context.Context, id int64) error {
	if err := c.st.DeleteManual(ctx, id); err != nil {
		return err
	}
	c.mu.Lock()
	c.manual = slices.DeleteFunc(c.manual, func(m Manual) bool { return m.ID == id })
	c.mu.Unlock()
	return nil
}
