package counterweb

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/counter"
)

// erezeptView fills templates/erezept.html.
type erezeptView struct {
	page
	Notice   *notice
	TI       string
	TIOK     bool
	Count    string
	Waiting  []erezeptRow
	Handled  []erezeptRow
	Form     erezeptForm
	Admin    bool
	Disabled string
}

type erezeptForm struct {
	Scan, Contact, Note string
	Urgent              bool
}

type erezeptRow struct {
	ID                          int64
	Urgent                      bool
	Note, Contact, Flow, Rezept string
	Since, By, Status, StatusBy string
}

// erezeptPage serves GET /counter/erezept; the view is logged.
func (h *Handlers) erezeptPage(w http.ResponseWriter, r *http.Request) {
	var n *notice
	lang := h.base(r).Lang
	if a := r.URL.Query().Get("added"); a != "" {
		cnt, _ := strconv.Atoi(a)
		dup, _ := strconv.Atoi(r.URL.Query().Get("dup"))
		msg := check.Msg(strconv.Itoa(cnt)+" E-Rezept(e) vorgemerkt.", strconv.Itoa(cnt)+" E-Rezept(e) queued.")
		if dup > 0 {
			msg = check.Msg(msg.DE+" "+strconv.Itoa(dup)+" war(en) schon in der Liste.", msg.EN+" "+strconv.Itoa(dup)+" were in the list already.")
		}
		n = &notice{Text: msg.In(lang)}
	}
	h.showERezept(w, r, http.StatusOK, erezeptForm{}, n)
}

func (h *Handlers) showERezept(w http.ResponseWriter, r *http.Request, status int, f erezeptForm, n *notice) {
	p := h.base(r)
	lang := p.Lang
	v := erezeptView{page: p, Notice: n, Form: f, Admin: isAdmin(r)}
	sit := h.s.Situation()
	switch {
	case sit.TIUsable:
		v.TIOK = true
		v.TI = check.Msg("TI erreichbar: vorgemerkte E-Rezepte jetzt in der Warenwirtschaft einlösen und hier abhaken.",
			"TI reachable: redeem the queued E-Rezepte in the pharmacy system now and tick them off here.").In(lang)
	case sit.TIDown:
		v.TI = check.Msg("TI gestört: E-Rezepte können nicht eingelöst werden. Code der Patientin/des Patienten scannen und vormerken.",
			"TI disrupted: E-Rezepte cannot be redeemed. Scan the patient's code to queue it.").In(lang)
	default:
		v.TI = check.Msg("Zustand der TI wird noch ermittelt.", "The TI's state is being determined.").In(lang)
	}
	list, err := h.s.ListERezepte(r.Context(), user(r))
	if err != nil {
		v.Disabled = counter.ErrorMessage(err, lang)
		if status == http.StatusOK {
			status = statusOf(err)
		}
	}
	now := h.s.Now()
	row := func(e counter.ERezept) erezeptRow {
		return erezeptRow{ID: e.ID, Urgent: e.Urgent, Note: e.Note, Contact: e.Contact, Flow: e.FlowName().In(lang),
			Rezept: e.Token.PrescriptionID, Since: formatTime(e.CreatedAt, now, h.s.Location(), lang), By: e.CreatedBy,
			Status: e.Status.Words().In(lang) + " " + formatTime(e.StatusAt, now, h.s.Location(), lang), StatusBy: e.StatusBy}
	}
	for _, e := range list.Waiting {
		v.Waiting = append(v.Waiting, row(e))
	}
	for _, e := range list.Handled {
		v.Handled = append(v.Handled, row(e))
	}
	c := len(list.Waiting)
	v.Count = check.Msg(plural(c, "E-Rezept wartet", "E-Rezepte warten")+" auf Einlösung",
		plural(c, "E-Rezept is", "E-Rezepte are")+" waiting to be redeemed").In(lang)
	h.render(w, r, status, check.Msg("E-Rezepte im Notbetrieb", "E-Rezepte in emergency mode"), "erezept", v)
}

// erezeptAdd serves POST /counter/erezept.
func (h *Handlers) erezeptAdd(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, counter.Errorf(counter.EINVALID, "Formular nicht lesbar.", "form unreadable"))
		return
	}
	f := erezeptForm{Scan: r.PostForm.Get("scan"), Contact: r.PostForm.Get("contact"), Note: r.PostForm.Get("note"),
		Urgent: r.PostForm.Get("urgent") == "1"}
	added, dup, err := h.s.AddERezepte(r.Context(), user(r), counter.ERezeptInput{Scan: f.Scan, Contact: f.Contact, Note: f.Note, Urgent: f.Urgent})
	if err != nil {
		if counter.ErrorCode(err) == counter.ECONFLICT {
			f = erezeptForm{}
		}
		h.showERezept(w, r, statusOf(err), f, &notice{Text: counter.ErrorMessage(err, h.base(r).Lang), Error: true})
		return
	}
	http.Redirect(w, r, "/counter/erezept?"+url.Values{"added": {strconv.Itoa(len(added))}, "dup": {strconv.Itoa(dup)}}.Encode(), http.StatusSeeOther)
}

// erezeptMark serves POST /counter/erezept/{id}/{action}: done or returned.
func (h *Handlers) erezeptMark(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, r, counter.Errorf(counter.ENOTFOUND, "Dieses E-Rezept gibt es nicht.", "No such E-Rezept."))
		return
	}
	var st counter.ERezeptStatus
	switch r.PathValue("action") {
	case "done":
		st = counter.StatusDone
	case "returned":
		st = counter.StatusReturned
	default:
		h.fail(w, r, counter.Errorf(counter.ENOTFOUND, "Unbekannte Aktion.", "Unknown action."))
		return
	}
	if err := h.s.MarkERezept(r.Context(), user(r), id, st); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/counter/erezept", http.StatusSeeOther)
}

// tokenView fills templates/erezept_token.html.
type tokenView struct {
	page
	Rezept, Flow, AccessCode, URL, JSON, Contact string
}

// erezeptToken serves GET /counter/erezept/{id}/token; the view is logged.
func (h *Handlers) erezeptToken(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, r, counter.Errorf(counter.ENOTFOUND, "Dieses E-Rezept gibt es nicht.", "No such E-Rezept."))
		return
	}
	e, err := h.s.ERezeptToken(r.Context(), user(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := h.base(r)
	u := "Task/" + e.Token.PrescriptionID + "/$accept?ac=" + e.Token.AccessCode
	h.render(w, r, http.StatusOK, check.Msg("E-Rezept einlösen", "Redeem E-Rezept"), "erezept_token", tokenView{
		page: p, Rezept: e.Token.PrescriptionID, Flow: e.FlowName().In(p.Lang), AccessCode: e.Token.AccessCode,
		URL: u, JSON: `{"urls":["` + u + `"]}`, Contact: e.Contact})
}

// logView fills templates/access_log.html.
type logView struct {
	page
	Rows []logRow
}

type logRow struct{ At, User, Action, Subject string }

// accessLog serves GET /counter/erezept/log (admin).
func (h *Handlers) accessLog(w http.ResponseWriter, r *http.Request) {
	l, err := h.s.AccessLog(r.Context(), 500)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := h.base(r)
	v := logView{page: p}
	for _, a := range l {
		v.Rows = append(v.Rows, logRow{At: a.At.In(h.s.Location()).Format("02.01.2006 15:04:05"), User: a.User,
			Action: actionWords(a.Action).In(p.Lang), Subject: a.Subject})
	}
	h.render(w, r, http.StatusOK, check.Msg("Zugriffe auf Patientendaten", "Access to patient data"), "access_log", v)
}

func actionWords(a string) check.Text {
	switch a {
	case "erezept.list":
		return check.Msg("E-Rezept-Liste angesehen", "viewed the E-Rezept list")
	case "erezept.add":
		return check.Msg("E-Rezept vorgemerkt", "queued an E-Rezept")
	case "erezept.token":
		return check.Msg("Zugangscode angezeigt", "showed the access code")
	case "erezept.done":
		return check.Msg("als eingelöst markiert", "marked redeemed")
	case "erezept.returned":
		return check.Msg("als zurückgegeben markiert", "marked returned")
	default:
		return check.Msg(a, a)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
