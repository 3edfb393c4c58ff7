package counter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/pharma"
	"github.com/lifeline-project/lifeline/internal/seal"
)

// ERezeptStatus is where an E-Rezept of the queue stands.
type ERezeptStatus string

// Statuses of a queued E-Rezept.
const (
	// StatusWaiting: scanned while the TI was down, not yet redeemed.
	StatusWaiting ERezeptStatus = "waiting"
	// StatusDone: redeemed at the Fachdienst (eingelöst).
	StatusDone ERezeptStatus = "done"
	// StatusReturned: given back to the patient (zurückgegeben).
	StatusReturned ERezeptStatus = "returned"
)

// Valid reports whether st is a known status.
func (st ERezeptStatus) Valid() bool {
	return st == StatusWaiting || st == StatusDone || st == StatusReturned
}

// Words returns the status in words.
func (st ERezeptStatus) Words() check.Text {
	switch st {
	case StatusWaiting:
		return check.Msg("wartet auf Einlösung", "waiting to be redeemed")
	case StatusDone:
		return check.Msg("eingelöst", "redeemed")
	default:
		return check.Msg("zurückgegeben", "returned")
	}
}

// Limits of the queue's fields.
const (
	MaxContactLen = 100
	MaxNoteLen    = 200
)

// ERezeptRow is a stored E-Rezept: everything personal is in Sealed, bound
// to the row by UID; Urgent and the times order the queue.
type ERezeptRow struct {
	ID        int64
	UID       string
	Sealed    []byte
	Urgent    bool
	CreatedAt time.Time
	CreatedBy string
	Status    ERezeptStatus
	StatusAt  time.Time
	StatusBy  string
}

// erezeptSecret is the sealed part of a row.
type erezeptSecret struct {
	Token   pharma.Token `json:"token"`
	Contact string       `json:"contact"`
	Note    string       `json:"note"`
}

// ERezept is a queued E-Rezept, opened.
type ERezept struct {
	ID    int64
	Token pharma.Token
	// Contact is the patient's phone number or name; Note the reason for
	// urgency ("dringend: Antibiotikum").
	Contact, Note string
	Urgent        bool
	CreatedAt     time.Time
	CreatedBy     string
	Status        ERezeptStatus
	StatusAt      time.Time
	StatusBy      string
}

// FlowName returns the name of the prescription's flow type.
func (e ERezept) FlowName() check.Text {
	de, en := pharma.FlowTypeName(e.Token.FlowType)
	return check.Msg(de, en)
}

// ERezeptInput is what the staff enter for a scanned printout.
type ERezeptInput struct {
	// Scan is the content of the printout's DataMatrix code.
	Scan    string
	Contact string
	Note    string
	Urgent  bool
}

func errNoKeys() *Error {
	return Errorf(EUNAVAILABLE,
		"Der Schlüssel für Patientendaten fehlt; E-Rezepte können nicht sicher gespeichert werden. Bitte auf Papier notieren und die IT verständigen.",
		"The key for patient data is missing; E-Rezepte cannot be stored safely. Note them on paper and call IT.")
}

func erezeptAD(uid string) []byte { return ERezeptAD(uid) }

// ERezeptAD is the associated data that binds a sealed E-Rezept token to
// its row; key rotation (sqlite.ERezeptResealer) needs it too.
func ERezeptAD(uid string) []byte { return seal.AD("counter", "erezept", uid) }

// AddERezepte validates a scanned printout (1 to 3 prescriptions), and
// queues each prescription not queued yet, sealed with contact and note.
// It returns the queued ones and the number already waiting. Errors:
// EINVALID (unreadable code, missing contact), ECONFLICT (every
// prescription is waiting already), EUNAVAILABLE (no data key).
func (s *Service) AddERezepte(ctx context.Context, user string, in ERezeptInput) (added []ERezept, dup int, err error) {
	if s.keys == nil {
		return nil, 0, errNoKeys()
	}
	toks, perr := pharma.ParseERezeptToken(in.Scan)
	if perr != nil {
		var pe *pharma.Error
		if errors.As(perr, &pe) {
			return nil, 0, wrapErr(EINVALID, perr, pe.DE, pe.EN)
		}
		return nil, 0, wrapErr(EINVALID, perr, "E-Rezept-Code nicht lesbar; bitte erneut scannen.", "E-Rezept code unreadable; please scan again")
	}
	contact, note := strings.TrimSpace(in.Contact), strings.TrimSpace(in.Note)
	switch {
	case contact == "":
		return nil, 0, Errorf(EINVALID, "Bitte Name oder Telefonnummer der Patientin/des Patienten eintragen, damit wir zurückrufen können.",
			"Please enter the patient's name or phone number, so that we can call back.")
	case !utf8.ValidString(contact) || utf8.RuneCountInString(contact) > MaxContactLen:
		return nil, 0, Errorf(EINVALID, "Name/Telefon ist zu lang (höchstens 100 Zeichen).", "Name/phone is too long (at most 100 characters).")
	case !utf8.ValidString(note) || utf8.RuneCountInString(note) > MaxNoteLen:
		return nil, 0, Errorf(EINVALID, "Der Hinweis ist zu lang (höchstens 200 Zeichen).", "The note is too long (at most 200 characters).")
	}
	s.ezMu.Lock()
	defer s.ezMu.Unlock()
	waiting, err := s.open(ctx, StatusWaiting)
	if err != nil {
		return nil, 0, err
	}
	now := s.clk.Now().UTC()
	for _, tok := range toks {
		if queued(waiting, tok.PrescriptionID) {
			dup++
			continue
		}
		uid := newKey()
		sec, err := json.Marshal(erezeptSecret{Token: tok, Contact: contact, Note: note})
		if err != nil {
			return added, dup, wrapErr(EINTERNAL, err, "E-Rezept nicht speicherbar.", "cannot encode the E-Rezept")
		}
		sealed, err := s.keys.Seal(sec, erezeptAD(uid))
		if err != nil {
			return added, dup, wrapErr(EINTERNAL, err, "E-Rezept nicht verschlüsselbar.", "cannot seal the E-Rezept")
		}
		id, err := s.st.AddERezept(ctx, ERezeptRow{UID: uid, Sealed: sealed, Urgent: in.Urgent, CreatedAt: now, CreatedBy: user, Status: StatusWaiting})
		if err != nil {
			return added, dup, wrapErr(EUNAVAILABLE, err, "E-Rezept nicht gespeichert; bitte noch einmal scannen.", "E-Rezept not stored; please scan again")
		}
		s.logAccess(ctx, user, "erezept.add", "erezept "+strconv.FormatInt(id, 10))
		added = append(added, ERezept{ID: id, Token: tok, Contact: contact, Note: note, Urgent: in.Urgent, CreatedAt: now, CreatedBy: user, Status: StatusWaiting})
	}
	if len(added) == 0 {
		return nil, dup, Errorf(ECONFLICT, "Dieses E-Rezept wartet schon in der Liste.", "This E-Rezept is waiting in the list already.")
	}
	return added, dup, nil
}

func queued(list []ERezept, id string) bool {
	for _, e := range list {
		if e.Token.PrescriptionID == id {
			return true
		}
	}
	return false
}

// open reads and opens the rows with status ("" for all), oldest first.
func (s *Service) open(ctx context.Context, st ERezeptStatus) ([]ERezept, error) {
	rows, err := s.st.ERezepte(ctx, st)
	if err != nil {
		return nil, wrapErr(EUNAVAILABLE, err, "E-Rezept-Liste nicht lesbar.", "cannot read the E-Rezept list")
	}
	out := make([]ERezept, 0, len(rows))
	for _, r := range rows {
		e, err := s.openRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *Service) openRow(r ERezeptRow) (ERezept, error) {
	plain, err := s.keys.Open(r.Sealed, erezeptAD(r.UID))
	if err != nil {
		return ERezept{}, wrapErr(EUNAVAILABLE, err,
			"Die E-Rezepte lassen sich mit dem vorhandenen Schlüssel nicht öffnen (falscher oder ersetzter Schlüssel). Bitte die IT verständigen.",
			"The E-Rezepte do not open with the key at hand (wrong or replaced key). Please call IT.")
	}
	var sec erezeptSecret
	if err := json.Unmarshal(plain, &sec); err != nil {
		return ERezept{}, wrapErr(EINTERNAL, err, "E-Rezept-Eintrag beschädigt.", "E-Rezept entry damaged")
	}
	return ERezept{ID: r.ID, Token: sec.Token, Contact: sec.Contact, Note: sec.Note, Urgent: r.Urgent,
		CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, Status: r.Status, StatusAt: r.StatusAt, StatusBy: r.StatusBy}, nil
}

// ERezeptList is the queue as the page shows it.
type ERezeptList struct {
	// Waiting: urgent first, then oldest first.
	Waiting []ERezept
	// Handled: redeemed or returned in the last 24 hours, newest first.
	Handled []ERezept
}

// ListERezepte opens the queue for user and records the view in the
// access log. Handled rows older than the configured days are deleted
// first.
func (s *Service) ListERezepte(ctx context.Context, user string) (ERezeptList, error) {
	if s.keys == nil {
		return ERezeptList{}, errNoKeys()
	}
	now := s.clk.Now()
	if n, err := s.st.DeleteERezepteBefore(ctx, now.AddDate(0, 0, -s.cfg.ERezeptKeepDays)); err != nil {
		s.log.Error("counter: cannot delete old E-Rezepte", "err", err)
	} else if n > 0 {
		s.log.Info("counter: deleted handled E-Rezepte past their keeping time", "count", n, "days", s.cfg.ERezeptKeepDays)
	}
	if err := s.recordAccess(ctx, user, "erezept.list", ""); err != nil {
		return ERezeptList{}, err
	}
	all, err := s.open(ctx, "")
	if err != nil {
		return ERezeptList{}, err
	}
	var l ERezeptList
	for _, e := range all {
		switch {
		case e.Status == StatusWaiting:
			l.Waiting = append(l.Waiting, e)
		case now.Sub(e.StatusAt) < 24*time.Hour:
			l.Handled = append(l.Handled, e)
		}
	}
	sort.SliceStable(l.Waiting, func(i, j int) bool {
		a, b := l.Waiting[i], l.Waiting[j]
		if a.Urgent != b.Urgent {
			return a.Urgent
		}
		return a.CreatedAt.Before(b.CreatedAt)
	})
	sort.SliceStable(l.Handled, func(i, j int) bool { return l.Handled[i].StatusAt.After(l.Handled[j].StatusAt) })
	return l, nil
}

// ERezeptToken opens one E-Rezept with its access code, for redeeming it
// by hand, and records the view. Errors: ENOTFOUND, EUNAVAILABLE.
func (s *Service) ERezeptToken(ctx context.Context, user string, id int64) (ERezept, error) {
	if s.keys == nil {
		return ERezept{}, errNoKeys()
	}
	r, err := s.st.ERezept(ctx, id)
	if err != nil {
		return ERezept{}, s.rowErr(err)
	}
	if err := s.recordAccess(ctx, user, "erezept.token", "erezept "+strconv.FormatInt(id, 10)); err != nil {
		return ERezept{}, err
	}
	return s.openRow(r)
}

// MarkERezept marks a waiting E-Rezept redeemed (StatusDone) or returned.
// Errors: EINVALID, ENOTFOUND, ECONFLICT when it is not waiting.
func (s *Service) MarkERezept(ctx context.Context, user string, id int64, st ERezeptStatus) error {
	if st != StatusDone && st != StatusReturned {
		return Errorf(EINVALID, "Unbekannter Status.", "Unknown status.")
	}
	if err := s.st.SetERezeptStatus(ctx, id, st, user, s.clk.Now().UTC()); err != nil {
		return s.rowErr(err)
	}
	s.logAccess(ctx, user, "erezept."+string(st), "erezept "+strconv.FormatInt(id, 10))
	return nil
}

func (s *Service) rowErr(err error) error {
	switch ErrorCode(err) {
	case ENOTFOUND:
		return Errorf(ENOTFOUND, "Dieses E-Rezept gibt es nicht (mehr).", "This E-Rezept does not exist (any more).")
	case ECONFLICT:
		return Errorf(ECONFLICT, "Dieses E-Rezept wurde schon erledigt.", "This E-Rezept was handled already.")
	default:
		return wrapErr(EUNAVAILABLE, err, "E-Rezept-Liste nicht lesbar oder speicherbar.", "cannot read or write the E-Rezept list")
	}
}

// WaitingERezepte counts the E-Rezepte waiting to be redeemed (no personal
// data is opened).
func (s *Service) WaitingERezepte(ctx context.Context) (int, error) {
	n, err := s.st.CountERezepte(ctx, StatusWaiting)
	if err != nil {
		return 0, wrapErr(EUNAVAILABLE, err, "E-Rezept-Liste nicht lesbar.", "cannot read the E-Rezept list")
	}
	return n, nil
}

// ERezeptBanner tells how many E-Rezepte wait: as work to do once the TI
// is usable ("7 E-Rezepte warten auf Einlösung"), as a note while it is
// down.
func (s *Service) ERezeptBanner(ctx context.Context) (check.Text, bool) {
	n, err := s.WaitingERezepte(ctx)
	if err != nil {
		s.log.Warn("counter: cannot count waiting E-Rezepte", "err", err)
		return check.Text{}, false
	}
	sit := s.Situation()
	switch {
	case n > 0 && sit.TIUsable:
		return check.Msg(plural(n, "E-Rezept wartet", "E-Rezepte warten")+" auf Einlösung — die TI ist wieder erreichbar (Menü „E-Rezepte“).",
			plural(n, "E-Rezept is", "E-Rezepte are")+" waiting to be redeemed — the TI is reachable again (menu \"E-Rezepte\")."), true
	case n > 0:
		return check.Msg("TI gestört: "+plural(n, "E-Rezept", "E-Rezepte")+" vorgemerkt, Einlösung sobald die TI zurück ist.",
			"TI disrupted: "+plural(n, "E-Rezept", "E-Rezepte")+" queued, to be redeemed once the TI is back."), true
	case sit.TIDown:
		return check.Msg("TI gestört: E-Rezept-Codes der Patienten unter „E-Rezepte“ scannen und vormerken.",
			"TI disrupted: scan the patients' E-Rezept codes under \"E-Rezepte\" to queue them."), true
	}
	return check.Text{}, false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// AccessLog returns the latest records of access to patient data, newest
// first.
func (s *Service) AccessLog(ctx context.Context, limit int) ([]Access, error) {
	l, err := s.st.AccessLog(ctx, limit)
	if err != nil {
		return nil, wrapErr(EUNAVAILABLE, err, "Zugriffsprotokoll nicht lesbar.", "cannot read the access log")
	}
	return l, nil
}

// recordAccess records an access to patient data before it is made; when
// the record cannot be written the access is refused.
func (s *Service) recordAccess(ctx context.Context, user, action, subject string) error {
	a := Access{At: s.clk.Now().UTC(), User: user, Action: action, Subject: subject}
	if err := s.st.LogAccess(ctx, a); err != nil {
		return wrapErr(EUNAVAILABLE, err, "Zugriff kann nicht protokolliert werden, daher keine Anzeige. Bitte die IT verständigen.",
			"the access cannot be logged, so nothing is shown; please call IT")
	}
	s.log.Info("counter: access to patient data", "user", user, "action", action, "subject", subject)
	return nil
}

// logAccess records a change already made to patient data; a failure to
// record is logged as an error.
func (s *Service) logAccess(ctx context.Context, user, action, subject string) {
	if err := s.recordAccess(ctx, user, action, subject); err != nil {
		s.log.Error("counter: cannot record an access to patient data", "user", user, "action", action, "err", err)
	}
}
