package drill

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/incident"
)

// Action is what happens to one message for one receiver.
type Action int

// Routing actions.
const (
	// Deliver: not a drill message; deliver as it is.
	Deliver Action = iota
	// DeliverMarked: a drill message for a drill receiver; deliver it
	// marked as a drill.
	DeliverMarked
	// Redirect: a drill message for a real receiver; send it, marked, to
	// the drill receivers instead.
	Redirect
	// Drop: a drill message and no drill receiver is configured.
	Drop
)

// Decision is the routing of one message for one receiver.
type Decision struct {
	Action  Action
	DrillID int64
	// To are the drill receivers of a Redirect.
	To []string
}

// Decide routes a message meant for receiver: drill messages reach only
// the drill receivers. A message is a drill message when its alert
// incident was marked as one (its first message came during a drill and was
// only about the drill's checks) and every cause in it is a check of that
// drill; so the all-clear after a drill goes to the drill receivers too,
// and real trouble during a drill still reaches the real receivers.
func (c *Controller) Decide(ctx context.Context, receiver string, m notify.Message) Decision {
	id, ok := c.messageDrill(ctx, m)
	switch {
	case !ok:
		return Decision{Action: Deliver}
	case slices.Contains(c.o.Config.Receivers, receiver):
		return Decision{Action: DeliverMarked, DrillID: id}
	case len(c.o.Config.Receivers) == 0:
		return Decision{Action: Drop, DrillID: id}
	default:
		return Decision{Action: Redirect, DrillID: id, To: slices.Clone(c.o.Config.Receivers)}
	}
}

func (c *Controller) messageDrill(ctx context.Context, m notify.Message) (int64, bool) {
	if m.Kind == notify.KindTest || len(m.Causes) == 0 {
		return 0, false
	}
	c.mu.Lock()
	id, marked := c.alertInc[m.IncidentID]
	var d Drill
	if marked {
		d = c.drills[id]
	} else if c.active != nil {
		d = *c.active
	}
	c.mu.Unlock()
	if d.ID == 0 {
		return 0, false
	}
	for _, cause := range m.Causes {
		if !d.Simulates(cause.CheckID) {
			return 0, false
		}
	}
	if !marked && m.IncidentID != "" {
		if err := c.st.MarkAlertIncident(ctx, m.IncidentID, d.ID, c.clk.Now().UTC()); err != nil {
			c.log.Error("remember the drill's alert incident", "alert_incident", m.IncidentID, "err", err)
		}
		c.mu.Lock()
		c.alertInc[m.IncidentID] = d.ID
		c.mu.Unlock()
	}
	return d.ID, true
}

// Mark returns m marked as a drill message, in the message's language;
// redirectedFrom names the real receiver it was meant for.
func Mark(m notify.Message, title string, redirectedFrom string) notify.Message {
	en := m.Lang == "en"
	prefix, head := "ÜBUNG – ", fmt.Sprintf("ÜBUNG – keine echte Störung. Dies ist eine Notfallübung (%s).", title)
	if en {
		prefix, head = "DRILL – ", fmt.Sprintf("DRILL – not a real outage. This is an emergency drill (%s).", title)
	}
	if redirectedFrom != "" {
		if en {
			head += fmt.Sprintf(" In a real outage this message would have gone to %q.", redirectedFrom)
		} else {
			head += fmt.Sprintf(" Im Ernstfall ginge diese Meldung an „%s“.", redirectedFrom)
		}
	}
	if !strings.HasPrefix(m.Title, prefix) {
		m.Title = prefix + m.Title
		m.Short = prefix + m.Short
		m.Text = head + "\n\n" + m.Text
	}
	return m
}

// guarded routes one receiver's messages through Decide.
type guarded struct {
	c    *Controller
	name string
	next notify.Notifier
	all  map[string]notify.Notifier
}

// Guard wraps the alert engine's notifiers (after incident.RecordDeliveries,
// so that the timeline shows where a message really went): drill messages
// reach only the drill receivers.
func (c *Controller) Guard(ns map[string]notify.Notifier) map[string]notify.Notifier {
	out := make(map[string]notify.Notifier, len(ns))
	for name, n := range ns {
		out[name] = &guarded{c: c, name: name, next: n, all: ns}
	}
	return out
}

func (c *Controller) drillTitle(id int64, lang string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.drills[id].Title.In(lang)
}

// Notify delivers, marks, redirects or drops m as Decide says.
func (g *guarded) Notify(ctx context.Context, m notify.Message) (bool, error) {
	d := g.c.Decide(ctx, g.name, m)
	switch d.Action {
	case Deliver:
		return g.next.Notify(ctx, m)
	case DeliverMarked:
		if !g.c.claim(m, g.name) {
			return false, nil // sent already as a redirect copy
		}
		retry, err := g.next.Notify(incident.WithDelivery(ctx, incident.Delivery{Drill: true}), Mark(m, g.c.drillTitle(d.DrillID, m.Lang), ""))
		if err != nil {
			g.c.unclaim(m, g.name)
		}
		return retry, err
	case Drop:
		g.c.log.Warn("drill message not sent: no drill receivers configured (incident.drill.receivers)", "receiver", g.name, "title", m.Title)
		return false, nil
	}
	title := g.c.drillTitle(d.DrillID, m.Lang)
	for _, to := range d.To {
		n := g.all[to]
		if n == nil || !g.c.claim(m, to) {
			continue
		}
		g.c.log.Info("drill message redirected", "meant_for", g.name, "sent_to", to, "kind", m.Kind)
		cp := m
		cp.ID = m.ID + "-drill"
		retry, err := n.Notify(incident.WithDelivery(ctx, incident.Delivery{Drill: true, RedirectedFrom: g.name}), Mark(cp, title, g.name))
		if err != nil {
			g.c.unclaim(m, to)
			return retry, fmt.Errorf("drill receiver %s: %w", to, err)
		}
	}
	return false, nil
}

// claim reserves the delivery of one message (by alert incident, kind and
// time) to one drill receiver, so that a message meant for several real
// receivers reaches each drill receiver once.
func (c *Controller) claim(m notify.Message, to string) bool {
	key := fmt.Sprintf("%s|%s|%d|%s", m.IncidentID, m.Kind, m.At.UnixNano(), to)
	now := c.clk.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, t := range c.claimed {
		if now.Sub(t) > 24*time.Hour {
			delete(c.claimed, k)
		}
	}
	if _, ok := c.claimed[key]; ok {
		return false
	}
	c.claimed[key] = now
	return true
}

func (c *Controller) unclaim(m notify.Message, to string) {
	key := fmt.Sprintf("%s|%s|%d|%s", m.IncidentID, m.Kind, m.At.UnixNano(), to)
	c.mu.Lock()
	delete(c.claimed, key)
	c.mu.Unlock()
}
