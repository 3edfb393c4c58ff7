package counterweb

import (
	"net/http"
	"strconv"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/reconcile"
)

// replayView fills templates/replay.html.
type replayView struct {
	page
	Notice                        *notice
	Configured, Running, CanStart bool
	Blocked, Target, StartedBy    string
	StartedAt                     string
	JournalLast, Handed, Pending  int64
	ModeActive                    bool
	HasReport, Complete           bool
	Generated                     string
	Booked, Refused               int
	BookedRun, RefusedRun         int
	Open                          int64
	Stopped                       string
	LastErr                       string
	Refusals                      []refusalRow
	Bookings                      []bookingRow
	History                       []switchRow
}

type switchRow struct {
	At, State, By, Via, Reason string
	Active                     bool
}

type refusalRow struct {
	Number               int64
	Start, Total, Reason string
	ReceiptHref          string
}

type bookingRow struct {
	Number              int64
	Start, Total, ERPID string
	ReceiptHref         string
}

// replayPage serves GET /counter/replay.
func (h *Handlers) replayPage(w http.ResponseWriter, r *http.Request) {
	h.showReplay(w, r, http.StatusOK, nil)
}

func (h *Handlers) showReplay(w http.ResponseWriter, r *http.Request, status int, n *notice) {
	p := h.base(r)
	lang := p.Lang
	st := h.s.ReplayStatus()
	now := h.s.Now()
	loc := h.s.Location()
	v := replayView{page: p, Notice: n, Configured: st.Configured, Running: st.Running, CanStart: st.CanStart && p.Staff,
		Blocked: st.Blocked.In(lang), Target: st.Target, StartedBy: st.StartedBy, StartedAt: formatTime(st.StartedAt, now, loc, lang),
		JournalLast: st.JournalLast, Handed: st.Handed, Pending: st.Pending, ModeActive: h.s.Mode().Active,
		LastErr: st.LastErr.In(lang)}
	if rep := st.Last; rep != nil {
		v.HasReport, v.Complete = true, rep.Complete
		v.Generated = formatTime(rep.Generated, now, loc, lang)
		v.Booked, v.Refused, v.BookedRun, v.RefusedRun, v.Open = rep.Booked, rep.Refused, rep.BookedThisRun, rep.RefusedThisRun, rep.Open
		if rep.Stopped != nil {
			v.Stopped = check.Msg(rep.Stopped.DE, rep.Stopped.EN).In(lang)
		}
		for _, o := range rep.Refusals {
			v.Refusals = append(v.Refusals, refusalRow{Number: o.Number, Start: formatTime(o.Start, now, loc, lang),
				Total: money(o.Total, lang), Reason: check.Msg(o.ReasonDE, o.ReasonEN).In(lang),
				ReceiptHref: "/counter/receipt/" + strconv.FormatInt(o.Number, 10)})
		}
		for i := len(rep.Outcomes) - 1; i >= 0 && len(v.Bookings) < 50; i-- {
			o := rep.Outcomes[i]
			if o.Status != reconcile.Booked {
				continue
			}
			v.Bookings = append(v.Bookings, bookingRow{Number: o.Number, Start: formatTime(o.Start, now, loc, lang),
				Total: money(o.Total, lang), ERPID: o.BookingID, ReceiptHref: "/counter/receipt/" + strconv.FormatInt(o.Number, 10)})
		}
	}
	hist, err := h.s.ModeHistory(r.Context(), 20)
	if err != nil {
		h.log.Error("counterweb: emergency mode history", "err", err)
	}
	for _, sw := range hist {
		row := switchRow{At: sw.At.In(loc).Format("02.01.2006 15:04"), By: sw.By, Reason: sw.Reason, Active: sw.Active,
			State: check.Msg("ausgeschaltet", "switched off").In(lang), Via: check.Msg("Seite", "page").In(lang)}
		if lang == "en" {
			row.At = sw.At.In(loc).Format("2006-01-02 15:04")
		}
		if sw.Active {
			row.State = check.Msg("eingeschaltet", "switched on").In(lang)
		}
		if sw.Via == counter.ViaAPI {
			row.Via = "API"
		}
		v.History = append(v.History, row)
	}
	h.render(w, r, status, check.Msg("Offline-Verkäufe übertragen", "Hand over offline sales"), "replay", v)
}

// replayStart serves POST /counter/replay.
func (h *Handlers) replayStart(w http.ResponseWriter, r *http.Request) {
	if _, err := h.s.StartReplay(user(r)); err != nil {
		h.showReplay(w, r, statusOf(err), &notice{Text: counter.ErrorMessage(err, h.base(r).Lang), Error: true})
		return
	}
	http.Redirect(w, r, "/counter/replay", http.StatusSeeOther)
}
