package siteapp

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
	"github.com/lifeline-project/lifeline/internal/fleetclient/inboxweb"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/web"
)

// openBroadcasts lets the site receive its fleet's broadcasts (nothing
// without a fleet section): the inbox (kept in the fleet folder) is
// registered with the fleet client, whose long-poll then takes
// broadcasts; the page /messages shows them with the runbook and the two
// answers, a banner on every page points to an open one, and each new
// broadcast is recorded in every open incident's timeline.
// Open calls it after openFleet and openIncidents.
func (a *App) openBroadcasts() error {
	if a.Fleet == nil {
		return nil
	}
	in, err := fleetclient.OpenInbox(a.Fleet)
	if err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	if a.inc != nil && a.inc.recorder != nil {
		rec := a.inc.recorder
		in.OnNew(func(m fleetclient.Message) {
			b := incident.Broadcast{ID: strconv.FormatInt(m.Broadcast.ID, 10), From: "Hotline des Herstellers",
				Title: m.Broadcast.Title, Text: broadcastText(m), At: m.ReceivedAt}
			if err := rec.BroadcastReceived(context.Background(), b); err != nil {
				a.Log.Error("incident: recording a fleet broadcast failed", "broadcast", m.Broadcast.ID, "err", err)
			}
		})
	}
	h, err := inboxweb.New(in, inboxweb.Hooks{
		Render: a.Web.Render, Lang: web.Lang, CSRF: web.CSRFToken,
		User: func(r *http.Request) (string, bool) {
			p, ok := web.User(r)
			return p.Name, ok && p.Role.AtLeast(auth.RoleStaff)
		},
	}, a.Config.Location(), a.Log)
	if err != nil {
		return err
	}
	for _, rt := range h.Routes() {
		a.Web.HandlePage(rt.Pattern, rt.Role, rt.Handler)
	}
	a.Web.AddBanner(h.Banner)
	a.Web.AddCard(h.Card)
	a.Web.AddNav(inboxweb.Prefix, inboxweb.NavTitle(), auth.RoleViewer)
	return nil
}

// broadcastText is the broadcast's text with its steps, cut to what an
// incident entry holds.
func broadcastText(m fleetclient.Message) string {
	var sb strings.Builder
	sb.WriteString(m.Broadcast.Text)
	for i, st := range m.Broadcast.Steps {
		fmt.Fprintf(&sb, "\n%d. %s", i+1, st)
	}
	s := sb.String()
	if utf8.RuneCountInString(s) > incident.MaxText {
		s = string([]rune(s)[:incident.MaxText-1]) + "…"
	}
	return s
}
