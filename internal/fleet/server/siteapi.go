package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
)

// maxSiteBody bounds the body of a site call.
const maxSiteBody = 256 << 10

type siteKey struct{}

// siteFrom returns the authenticated site of a site API request.
func siteFrom(r *http.Request) fleet.Site {
	st, _ := r.Context().Value(siteKey{}).(fleet.Site)
	return st
}

// siteAuth wraps a site API handler: the bearer token must belong to a
// site; the handler sees only that site, never one named in the request.
func (s *Server) siteAuth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			s.writeError(w, r, fleet.Errorf(fleet.EUNAUTHORIZED,
				"Standort-Schlüssel fehlt (Authorization: Bearer ...).", "Site token missing (Authorization: Bearer ...)."))
			return
		}
		st, err := s.svc.AuthenticateSite(r.Context(), strings.TrimSpace(token))
		if err != nil {
			if fleet.ErrorCode(err) == fleet.EUNAUTHORIZED {
				s.log.Warn("fleet: site token refused", "path", r.URL.Path, "remote", r.RemoteAddr)
			}
			s.writeError(w, r, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), siteKey{}, st)))
	})
}

// decodeBody reads a JSON body of a site call into v (unknown fields
// refused).
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeJSON(http.MaxBytesReader(w, r.Body, maxSiteBody), v)
}

// decodeJSON reads one JSON object into v (unknown fields refused).
func decodeJSON(rd io.Reader, v any) error {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fleet.Errorf(fleet.EINVALID, "Ungültiges JSON: %s", "Invalid JSON: %s", err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fleet.Errorf(fleet.EINVALID, "Nach dem JSON-Objekt folgt noch etwas.", "Something follows the JSON object.")
	}
	return nil
}

func (s *Server) handleEnrol(w http.ResponseWriter, r *http.Request) {
	var req protocol.EnrolRequest
	if err := decodeBody(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	host := req.Hostname
	if len(host) > 200 {
		host = host[:200]
	}
	e, err := s.svc.Enrol(r.Context(), req.Code, host)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.EnrolResponse{
		SiteID: e.Site.ID, SiteName: e.Site.Name, Token: e.Token,
		HeartbeatSeconds: int(s.svc.Config().HeartbeatInterval.D() / time.Second),
		TrustedRoot:      json.RawMessage(e.TrustedRoot),
	})
}

func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	var hb protocol.Heartbeat
	if err := decodeBody(w, r, &hb); err != nil {
		s.writeError(w, r, err)
		return
	}
	next, err := s.svc.Heartbeat(r.Context(), siteFrom(r), fleet.Heartbeat{
		SentAt: hb.SentAt, Overall: hb.Overall, Sentence: hb.Sentence, RootCauses: hb.RootCauses,
		Components: hb.Components, AgentVersion: hb.Agent.Version, AgentState: hb.Agent.State,
		UpdatesPaused: hb.Agent.UpdatesPaused, PauseReason: hb.Agent.PauseReason,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.HeartbeatResponse{NextSeconds: int(next / time.Second)})
}

// wireCommand converts a command to the wire format.
func wireCommand(c fleet.Command) protocol.Command {
	return protocol.Command{ID: c.ID, RolloutID: c.RolloutID, Kind: c.Kind, Component: c.Component, Version: c.Version,
		TargetPath: c.TargetPath, Length: c.Length, SHA256: c.SHA256, InstallHook: c.InstallHook,
		RollbackHook: c.RollbackHook, NotBefore: c.NotBefore, NotAfter: c.NotAfter, Reason: c.Reason, CreatedAt: c.CreatedAt}
}

func (s *Server) handleCommands(w http.ResponseWriter, r *http.Request) {
	wait := time.Duration(0)
	if v := r.URL.Query().Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			s.writeError(w, r, fleet.Errorf(fleet.EINVALID, "wait=%s ist keine Dauer wie 30s.", "wait=%s is not a duration like 30s.", v))
			return
		}
		wait = min(d, protocol.MaxWait)
	}
	if rcv := r.URL.Query().Get(protocol.QueryReceived); rcv != "" {
		ids := strings.Split(rcv, ",")
		if len(ids) > protocol.MaxReceived {
			s.writeError(w, r, fleet.Errorf(fleet.EINVALID, "Zu viele Quittungen auf einmal (höchstens %d).", "Too many receipts at once (at most %d).", protocol.MaxReceived))
			return
		}
		for _, x := range ids {
			id, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil || id <= 0 {
				s.writeError(w, r, fleet.Errorf(fleet.EINVALID, "received=%s ist keine Liste von Nummern.", "received=%s is not a list of ids.", rcv))
				return
			}
			// Another site's broadcast or one that ended is ignored: the
			// site will not ask again.
			if err := s.svc.BroadcastReceipt(r.Context(), siteFrom(r), id, fleet.ReceiptReceived, "", ""); err != nil && fleet.ErrorCode(err) != fleet.ENOTFOUND {
				s.writeError(w, r, err)
				return
			}
		}
	}
	work, err := s.svc.WaitForWork(r.Context(), siteFrom(r), wait, r.URL.Query().Get(protocol.QueryBroadcasts) == "1")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := protocol.Commands{Commands: make([]protocol.Command, 0, len(work.Commands))}
	for _, c := range work.Commands {
		out.Commands = append(out.Commands, wireCommand(c))
	}
	if len(work.Broadcasts) == 0 {
		writeJSON(w, http.StatusOK, out)
		return
	}
	// A broadcast goes to thousands of sites within a second: its JSON is
	// encoded once and spliced into every answer, and only a few answers
	// are written at a time, so that the heartbeats arriving meanwhile
	// are not queued behind 20,000 woken long-polls.
	select {
	case s.deliver <- struct{}{}:
		defer func() { <-s.deliver }()
	case <-r.Context().Done():
		return
	}
	cmds, err := json.Marshal(out.Commands)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var buf bytes.Buffer
	buf.WriteString(`{"commands":`)
	buf.Write(cmds)
	buf.WriteString(`,"broadcasts":[`)
	for i, b := range work.Broadcasts {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(s.broadcastJSON(b))
	}
	buf.WriteString("]}\n")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) handleAck(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.writeError(w, r, fleet.Errorf(fleet.ENOTFOUND, "Unbekannter Auftrag.", "Unknown command."))
		return
	}
	if err := s.svc.AckCommand(r.Context(), siteFrom(r), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	var rep protocol.Report
	if err := decodeBody(w, r, &rep); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.svc.Report(r.Context(), siteFrom(r), rep.CommandID, rep.Status, rep.Message); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleSelf(w http.ResponseWriter, r *http.Request) {
	st := siteFrom(r)
	writeJSON(w, http.StatusOK, protocol.Site{ID: st.ID, Name: st.Name, Timezone: st.Timezone, State: st.State,
		Window: st.Window, Contacts: st.Contacts})
}
