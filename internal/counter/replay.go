package counter

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/reconcile"
)

// replayState is the hand-over's state in memory.
type replayState struct {
	mu        sync.Mutex
	running   bool
	startedAt time.Time
	startedBy string
	done      chan struct{}
	last      *reconcile.Report
	lastErr   check.Text
}

// ReplayStatus is what the hand-over page shows.
type ReplayStatus struct {
	// Configured is false when neither erp_url nor export_dir is set.
	Configured bool
	// Target names where the sales go ("http://erp.local:8081" or the
	// export folder).
	Target    string
	Running   bool
	StartedAt time.Time
	StartedBy string
	// JournalLast is the number of the last sale in the journal; Handed
	// the last one handed over; Pending the difference.
	JournalLast, Handed, Pending int64
	// Last is the latest report, nil before the first run.
	Last *reconcile.Report
	// LastErr says why the latest run stopped, if it did.
	LastErr check.Text
	// CanStart says whether the button works now; Blocked says why not.
	CanStart bool
	Blocked  check.Text
}

// loadReport reads the report of the last run from the state folder.
func (s *Service) loadReport() {
	if s.cfg.Replay.StateDir == "" {
		return
	}
	b, err := os.ReadFile(filepath.Join(s.cfg.Replay.StateDir, reconcile.ReportJSON))
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("counter: cannot read the last reconciliation report", "err", err)
		}
		return
	}
	var rep reconcile.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		s.log.Warn("counter: last reconciliation report unreadable", "err", err)
		return
	}
	s.rp.last = &rep
}

// ReplayStatus returns the hand-over's state.
func (s *Service) ReplayStatus() ReplayStatus {
	s.rp.mu.Lock()
	st := ReplayStatus{
		Configured: s.cfg.ReplayConfigured(), Running: s.rp.running, StartedAt: s.rp.startedAt, StartedBy: s.rp.startedBy,
		Last: s.rp.last, LastErr: s.rp.lastErr,
	}
	s.rp.mu.Unlock()
	st.Target = s.cfg.Replay.ERPURL
	if st.Target == "" {
		st.Target = s.cfg.Replay.ExportDir
	}
	if s.j != nil {
		st.JournalLast = s.j.Last()
	}
	if st.Last != nil {
		st.Handed = st.Last.LastNumber
	}
	st.Pending = max(st.JournalLast-st.Handed, 0)
	st.Blocked = s.replayBlocked(st)
	st.CanStart = st.Blocked.IsZero()
	return st
}

// replayBlocked says why the hand-over cannot start now, or nothing.
func (s *Service) replayBlocked(st ReplayStatus) check.Text {
	switch {
	case s.j == nil:
		return check.Msg("Das Verkaufsjournal ist nicht eingerichtet.", "The sales journal is not set up.")
	case !st.Configured:
		return check.Msg("Die Übertragung ist nicht eingerichtet (counter.replay: erp_url oder export_dir in der Konfiguration). Bitte die IT verständigen.",
			"The hand-over is not set up (counter.replay: erp_url or export_dir in the configuration). Please call IT.")
	case st.Running:
		return check.Msg("Die Übertragung läuft gerade.", "The hand-over is running.")
	case s.Mode().Active:
		return check.Msg("Erst den Notbetrieb ausschalten: solange er läuft, kommen noch Verkäufe hinzu.",
			"Switch off emergency mode first: while it is on, sales are still being added.")
	case !s.Situation().ERPOK:
		return check.Msg("Die Warenwirtschaft ist noch nicht wieder in Ordnung; die Übertragung geht, sobald ihre Prüfung „in Ordnung“ zeigt.",
			"The pharmacy system is not back yet; the hand-over works once its check shows OK.")
	}
	return check.Text{}
}

// StartReplay starts the hand-over of the offline sales to the ERP in the
// background, for user. The returned channel closes when it ends. Pressing
// twice is safe: a second start while one runs is refused (ECONFLICT), and
// every run books only what is not booked yet (the reconciler keeps its
// progress; the ERP recognises the idempotency keys). Errors: ECONFLICT
// with the reason when it cannot start now.
func (s *Service) StartReplay(user string) (<-chan struct{}, error) {
	st := s.ReplayStatus()
	if !st.CanStart {
		return nil, &Error{Code: ECONFLICT, Message: st.Blocked}
	}
	s.rp.mu.Lock()
	if s.rp.running {
		s.rp.mu.Unlock()
		return nil, Errorf(ECONFLICT, "Die Übertragung läuft gerade.", "The hand-over is running.")
	}
	done := make(chan struct{})
	s.rp.running, s.rp.startedAt, s.rp.startedBy, s.rp.done = true, s.clk.Now(), user, done
	s.rp.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(done)
		rep, err := s.runReplay(s.ctx, user)
		s.rp.mu.Lock()
		defer s.rp.mu.Unlock()
		s.rp.running = false
		if rep != nil {
			s.rp.last = rep
		}
		s.rp.lastErr = check.Text{}
		if err != nil {
			var re *reconcile.Error
			var ce *Error
			switch {
			case errors.As(err, &re):
				s.rp.lastErr = check.Msg(re.DE, re.EN)
			case errors.As(err, &ce):
				s.rp.lastErr = ce.Message
			default:
				s.rp.lastErr = check.Msg("Übertragung abgebrochen; bitte noch einmal starten.", "hand-over stopped; please start again")
			}
		}
	}()
	return done, nil
}

// runReplay hands the journal to the configured adapter once.
func (s *Service) runReplay(ctx context.Context, user string) (*reconcile.Report, error) {
	r := s.cfg.Replay
	var ad reconcile.Adapter
	switch {
	case r.ERPURL != "":
		h, err := reconcile.NewHTTPAdapter(reconcile.HTTPConfig{BaseURL: r.ERPURL, Token: r.Token, Timeout: r.Timeout.D()}, s.client)
		if err != nil {
			return nil, wrapErr(EINVALID, err, "Adresse der Warenwirtschaft ungültig (counter.replay.erp_url).", "ERP address invalid")
		}
		ad = h
	default:
		e, err := reconcile.NewExportAdapter(reconcile.ExportConfig{Dir: r.ExportDir, Format: r.ExportFormat}, s.log, s.clk)
		if err != nil {
			return nil, wrapErr(EUNAVAILABLE, err, "Import-Ordner der Warenwirtschaft nicht beschreibbar: "+r.ExportDir, "ERP import folder not writable")
		}
		defer e.Close()
		ad = e
	}
	rec, err := reconcile.New(reconcile.Config{StateDir: r.StateDir, Location: s.loc}, s.j, ad, s.log, s.clk)
	if err != nil {
		return nil, err
	}
	s.log.Info("counter: hand-over of offline sales started", "by", user, "adapter", ad.Name())
	rep, err := rec.Run(ctx)
	if rep != nil {
		s.log.Info("counter: hand-over finished", "by", user, "booked", rep.BookedThisRun, "refused", rep.RefusedThisRun,
			"open", rep.Open, "complete", rep.Complete, "err", err)
	}
	return rep, err
}

// ReplayBanner reminds that offline sales wait for the hand-over once
// emergency mode is off and the ERP is back.
func (s *Service) ReplayBanner() (check.Text, bool) {
	st := s.ReplayStatus()
	if st.Pending == 0 || !st.Configured || st.Running || s.Mode().Active || !s.Situation().ERPOK {
		return check.Text{}, false
	}
	n := int(st.Pending)
	return check.Msg(plural(n, "Offline-Verkauf", "Offline-Verkäufe")+" noch nicht an die Warenwirtschaft übertragen (Notbetrieb → Übertragen).",
		plural(n, "offline sale", "offline sales")+" not yet handed over to the pharmacy system (Emergency mode → Hand over)."), true
}
