package server

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/holiday"
)

// wireBroadcast converts a broadcast to the wire format.
func wireBroadcast(b fleet.Broadcast) protocol.Broadcast {
	out := protocol.Broadcast{ID: b.ID, Title: b.Title, Text: b.Text, Steps: b.Steps, Severity: b.Severity,
		CreatedAt: b.CreatedAt, ExpiresAt: b.ExpiresAt}
	if b.File != nil {
		out.File = &protocol.BroadcastFile{Name: b.File.Name, Size: b.File.Size, SHA256: b.File.SHA256}
	}
	return out
}

// broadcastJSON returns the wire JSON of a broadcast, encoded once.
func (s *Server) broadcastJSON(b fleet.Broadcast) []byte {
	if v, ok := s.bcJSON.Load(b.ID); ok {
		return v.([]byte)
	}
	data, err := json.Marshal(wireBroadcast(b))
	if err != nil { // plain strings and numbers: cannot happen
		s.log.Error("fleet: encode broadcast", "broadcast", b.ID, "err", err)
		return []byte("null")
	}
	s.bcJSON.Store(b.ID, data)
	return data
}

func broadcastID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fleet.NotFound("Die Nachricht", "broadcast", r.PathValue("id"))
	}
	return id, nil
}

// handleBroadcastReceipt: the site says it received, read or answered a
// broadcast.
func (s *Server) handleBroadcastReceipt(w http.ResponseWriter, r *http.Request) {
	id, err := broadcastID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var rc protocol.BroadcastReceipt
	if err := decodeBody(w, r, &rc); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.BroadcastReceipt(r.Context(), siteFrom(r), id, rc.Status, rc.Note, rc.By); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleSiteBroadcastFile serves a broadcast's attachment to a target site.
func (s *Server) handleSiteBroadcastFile(w http.ResponseWriter, r *http.Request) {
	id, err := broadcastID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, data, err := s.svc.SiteBroadcastFile(r.Context(), siteFrom(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	serveAttachment(w, f, data)
}

func serveAttachment(w http.ResponseWriter, f fleet.BroadcastFile, data []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-SHA256", f.SHA256)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// broadcastForm reads a broadcast from the console's form (or the API's
// form body).
func broadcastForm(r *http.Request) (fleet.Broadcast, time.Duration) {
	f := r.PostFormValue
	b := fleet.Broadcast{Title: f("title"), Text: f("text"), Severity: f("severity"),
		Steps: strings.Split(f("steps"), "\n"),
		Selector: fleet.Selector{All: f("all") == "1", Sites: []string{f("sites")}, States: r.PostForm["states"],
			Component: f("component"), Version: f("version"), FailingCheck: f("failing_check")}}
	ttl := fleet.DefaultBroadcastTTL
	if h, err := strconv.Atoi(f("hours")); err == nil && h > 0 {
		ttl = time.Duration(h) * time.Hour
	}
	return b, ttl
}

type broadcastsData struct {
	L         tr
	CSRF      string
	List      []fleet.BroadcastSummary
	CanSend   bool
	Error     string
	States    []holiday.State
	Form      fleet.Broadcast
	FormSteps string
	Hours     []int
	MaxFileMB int
}

func (s *Server) broadcastsPage(w http.ResponseWriter, r *http.Request, status int, form fleet.Broadcast, msg string) {
	list, err := s.svc.Broadcasts(r.Context(), 100)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	i := info(r)
	s.render(w, r, status, t("bc.title").In(lang(r)), "broadcasts", broadcastsData{L: s.tr(r), CSRF: i.csrf, List: list,
		CanSend: i.role.Can(fleet.PermBroadcast), Error: msg, States: holiday.States(), Form: form,
		FormSteps: strings.Join(form.Steps, "\n"), Hours: []int{4, 24, 72, 168}, MaxFileMB: fleet.MaxBroadcastFile >> 20})
}

func (s *Server) handleBroadcasts(w http.ResponseWriter, r *http.Request) {
	s.broadcastsPage(w, r, http.StatusOK, fleet.Broadcast{Severity: fleet.SeverityWarning}, "")
}

// readAttachment reads the optional file of a broadcast form.
func readAttachment(r *http.Request) (*fleet.Attachment, error) {
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return nil, nil // no file chosen
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, fleet.MaxBroadcastFile+1))
	if err != nil {
		return nil, fleet.Errorf(fleet.EINVALID, "Die Datei ließ sich nicht lesen.", "The file could not be read.")
	}
	if len(data) > fleet.MaxBroadcastFile {
		return nil, fleet.Errorf(fleet.EINVALID, "Die Datei ist größer als %d MiB.", "The file is larger than %d MiB.", fleet.MaxBroadcastFile>>20)
	}
	if len(data) == 0 {
		return nil, nil
	}
	return &fleet.Attachment{Name: filepath.Base(strings.ReplaceAll(hdr.Filename, "\\", "/")), Data: data}, nil
}

func (s *Server) handleSendBroadcast(w http.ResponseWriter, r *http.Request) {
	b, ttl := broadcastForm(r)
	fail := func(err error) {
		if fleet.ErrorCode(err) == fleet.EINTERNAL {
			s.renderError(w, r, err)
			return
		}
		s.broadcastsPage(w, r, HTTPStatus(fleet.ErrorCode(err)), b, fleet.ErrorMessage(err, lang(r)))
	}
	att, err := readAttachment(r)
	if err != nil {
		fail(err)
		return
	}
	b.ExpiresAt = s.clk.Now().Add(ttl)
	out, err := s.svc.SendBroadcast(r.Context(), actor(r), b, att)
	if err != nil {
		fail(err)
		return
	}
	http.Redirect(w, r, "/broadcasts/"+strconv.FormatInt(out.ID, 10), http.StatusSeeOther)
}

type broadcastData struct {
	L    tr
	CSRF string
	D    fleet.BroadcastDetail
	// Answered lists the sites that answered, "hilft nicht" first.
	Answered []fleet.Receipt
	// Waiting counts the targets that did not receive it yet.
	Waiting int
	Words   string
	Expired bool
}

func (s *Server) broadcastData(r *http.Request) (broadcastData, error) {
	id, err := broadcastID(r)
	if err != nil {
		return broadcastData{}, err
	}
	d, err := s.svc.Broadcast(r.Context(), id)
	if err != nil {
		return broadcastData{}, err
	}
	out := broadcastData{L: s.tr(r), CSRF: info(r).csrf, D: d, Words: d.Broadcast.Selector.Words().In(lang(r)),
		Waiting: d.Counts.Targets - d.Counts.Delivered, Expired: !d.Broadcast.Active(s.clk.Now())}
	for _, rc := range d.Receipts {
		if rc.Answer != "" {
			out.Answered = append(out.Answered, rc)
		}
	}
	slices.SortStableFunc(out.Answered, func(a, b fleet.Receipt) int {
		if (a.Answer == fleet.ReceiptNotHelped) != (b.Answer == fleet.ReceiptNotHelped) {
			if a.Answer == fleet.ReceiptNotHelped {
				return -1
			}
			return 1
		}
		return b.AnsweredAt.Compare(a.AnsweredAt)
	})
	if len(out.Answered) > 500 {
		out.Answered = out.Answered[:500]
	}
	out.D.Receipts = nil // the page lists only the answers
	return out, nil
}

func (s *Server) handleBroadcast(w http.ResponseWriter, r *http.Request) {
	d, err := s.broadcastData(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, d.D.Broadcast.Title, "broadcast", d)
}

// handleBroadcastLive returns the counts alone, which the page's script
// swaps in every few seconds.
func (s *Server) handleBroadcastLive(w http.ResponseWriter, r *http.Request) {
	d, err := s.broadcastData(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.tmpl.ExecuteTemplate(w, "bccounts", d); err != nil {
		s.log.Error("fleet console: render broadcast counts", "err", err)
	}
}

func (s *Server) handleBroadcastFile(w http.ResponseWriter, r *http.Request) {
	id, err := broadcastID(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	f, data, err := s.svc.BroadcastFile(r.Context(), id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	serveAttachment(w, f, data)
}

// apiBroadcastJSON is a broadcast in the hotline API.
type apiBroadcastJSON struct {
	ID        int64                  `json:"id"`
	Title     string                 `json:"title"`
	Text      string                 `json:"text"`
	Steps     []string               `json:"steps"`
	Severity  string                 `json:"severity"`
	Selector  fleet.Selector         `json:"selector"`
	File      *fleet.BroadcastFile   `json:"file,omitempty"`
	CreatedAt time.Time              `json:"created_at"`
	CreatedBy string                 `json:"created_by"`
	ExpiresAt time.Time              `json:"expires_at"`
	Counts    fleet.BroadcastCounts  `json:"counts"`
	Receipts  []apiBroadcastReceipts `json:"receipts,omitempty"`
}

type apiBroadcastReceipts struct {
	Site        string     `json:"site"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	ReadAt      *time.Time `json:"read_at,omitempty"`
	Answer      string     `json:"answer,omitempty"`
	AnsweredAt  *time.Time `json:"answered_at,omitempty"`
	Note        string     `json:"note,omitempty"`
	By          string     `json:"by,omitempty"`
}

func apiBroadcastFrom(b fleet.Broadcast, c fleet.BroadcastCounts) apiBroadcastJSON {
	steps := b.Steps
	if steps == nil {
		steps = []string{}
	}
	return apiBroadcastJSON{ID: b.ID, Title: b.Title, Text: b.Text, Steps: steps, Severity: b.Severity, Selector: b.Selector, File: b.File,
		CreatedAt: b.CreatedAt, CreatedBy: b.CreatedBy, ExpiresAt: b.ExpiresAt, Counts: c}
}

func (s *Server) apiBroadcasts(w http.ResponseWriter, r *http.Request) {
	list, err := s.svc.Broadcasts(r.Context(), 100)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Broadcasts []apiBroadcastJSON `json:"broadcasts"`
	}{Broadcasts: []apiBroadcastJSON{}}
	for _, x := range list {
		out.Broadcasts = append(out.Broadcasts, apiBroadcastFrom(x.Broadcast, x.Counts))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiBroadcast(w http.ResponseWriter, r *http.Request) {
	id, err := broadcastID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.svc.Broadcast(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := apiBroadcastFrom(d.Broadcast, d.Counts)
	for _, rc := range d.Receipts {
		out.Receipts = append(out.Receipts, apiBroadcastReceipts{Site: rc.SiteID, DeliveredAt: timePtr(rc.DeliveredAt),
			ReadAt: timePtr(rc.ReadAt), Answer: rc.Answer, AnsweredAt: timePtr(rc.AnsweredAt), Note: rc.Note, By: rc.By})
	}
	writeJSON(w, http.StatusOK, out)
}

// apiSendBroadcastJSON is the body of POST /api/v1/broadcasts.
type apiSendBroadcastJSON struct {
	Title    string         `json:"title"`
	Text     string         `json:"text"`
	Steps    []string       `json:"steps"`
	Severity string         `json:"severity"`
	Selector fleet.Selector `json:"selector"`
	// Hours until the broadcast expires (default 72).
	Hours int `json:"hours"`
	// FileName and File (base64 in JSON) are the optional attachment.
	FileName string `json:"file_name"`
	File     []byte `json:"file"`
}

func (s *Server) apiSendBroadcast(w http.ResponseWriter, r *http.Request) {
	var in apiSendBroadcastJSON
	r.Body = http.MaxBytesReader(w, r.Body, 2*fleet.MaxBroadcastFile)
	if err := decodeJSON(r.Body, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	b := fleet.Broadcast{Title: in.Title, Text: in.Text, Steps: in.Steps, Severity: in.Severity, Selector: in.Selector}
	ttl := fleet.DefaultBroadcastTTL
	if in.Hours > 0 {
		ttl = time.Duration(in.Hours) * time.Hour
	}
	b.ExpiresAt = s.clk.Now().Add(ttl)
	var att *fleet.Attachment
	if len(in.File) > 0 {
		att = &fleet.Attachment{Name: in.FileName, Data: in.File}
	}
	out, err := s.svc.SendBroadcast(r.Context(), actor(r), b, att)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiBroadcastFrom(out, fleet.BroadcastCounts{Targets: out.Targets}))
}
