package fleetclient

import (
	"context"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/monitor"
)

func isWindows() bool { return runtime.GOOS == "windows" }

// Status builds the heartbeat's content; the site wires it to the
// monitor's Overview, the installed versions and the update agent.
type Status func() protocol.Heartbeat

// Handler receives one command. Returning nil acknowledges it (the site
// has stored it and will act on it); an error leaves it pending, and it is
// delivered again.
type Handler func(ctx context.Context, cmd protocol.Command) error

// FromOverview builds a heartbeat from the monitor's Overview, the
// installed components and the agent's state.
func FromOverview(ov monitor.Overview, loc *time.Location, components map[string]string, agent protocol.Agent) protocol.Heartbeat {
	hb := protocol.Heartbeat{
		Overall: string(ov.Overall), Sentence: ov.Sentence("de", loc),
		RootCauses: append([]string(nil), ov.RootCauses...), Agent: agent,
	}
	if hb.Overall == "" {
		hb.Overall = string(check.StateUnknown)
	}
	if len(components) > 0 {
		hb.Components = make(map[string]string, len(components))
		for k, v := range components {
			hb.Components[k] = v
		}
	}
	sort.Strings(hb.RootCauses)
	return hb
}

// backoff returns the wait before retry n (0, 1, ...): 5 s doubling up to
// 5 min, with jitter, so that thousands of sites do not return at once
// after a fleet outage.
func backoff(n int) time.Duration {
	d := 5 * time.Second << min(n, 6)
	if d > 5*time.Minute {
		d = 5 * time.Minute
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// ensureEnrolled enrols when the client holds no token, retrying with
// back-off while the fleet is unreachable; it returns false when ctx ends.
func (c *Client) ensureEnrolled(ctx context.Context) bool {
	for n := 0; !c.Enrolled(); n++ {
		_, err := c.Enrol(ctx)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if Retryable(err) {
			c.log.Warn("fleet: enrolment failed; retrying", "err", err)
		} else {
			c.log.Error("fleet: enrolment refused; create a new code in the fleet console and put it into the fleet section (enrolment_code)", "err", err)
		}
		if !sleep(ctx, backoff(n)) {
			return false
		}
	}
	return true
}

// refused handles a refused token: the token was revoked. It forgets the
// token, so that the next round enrols again with the configured code.
func (c *Client) refused(err error) {
	c.log.Error("fleet: the site token was refused (revoked?); enrol again with a new code from the fleet console", "err", err)
	c.mu.Lock()
	c.token = ""
	c.mu.Unlock()
}

// Run enrols when needed, then sends heartbeats and long-polls for
// commands until ctx ends. Network trouble is retried with back-off; a
// revoked token leads to a new enrolment with the configured code.
//
// With an inbox (OpenInbox) the long-poll also takes broadcasts: each is
// stored in the inbox and then acknowledged as received; the inbox sends
// the staff's answers.
func (c *Client) Run(ctx context.Context, status Status, handle Handler) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.runCommands(ctx, handle)
	}()
	c.mu.Lock()
	in := c.inbox
	c.mu.Unlock()
	inboxDone := make(chan struct{})
	if in != nil {
		go func() {
			defer close(inboxDone)
			in.run(ctx)
		}()
	} else {
		close(inboxDone)
	}
	c.runHeartbeats(ctx, status)
	<-done
	<-inboxDone
	return nil
}

func (c *Client) runHeartbeats(ctx context.Context, status Status) {
	fails := 0
	for {
		if !c.ensureEnrolled(ctx) {
			return
		}
		next, err := c.SendHeartbeat(ctx, status())
		switch {
		case err == nil:
			fails = 0
		case ctx.Err() != nil:
			return
		case Unauthorized(err):
			c.refused(err)
			continue
		default:
			c.log.Warn("fleet: heartbeat failed", "err", err)
			next = backoff(fails)
			fails++
		}
		if !sleep(ctx, next) {
			return
		}
	}
}

func (c *Client) runCommands(ctx context.Context, handle Handler) {
	fails := 0
	var received []int64 // stored broadcasts, acknowledged with the next poll
	for ctx.Err() == nil {
		if !c.Enrolled() {
			if !sleep(ctx, time.Second) {
				return
			}
			continue
		}
		c.mu.Lock()
		in := c.inbox
		c.mu.Unlock()
		var cmds []protocol.Command
		var bcs []protocol.Broadcast
		var err error
		if in != nil {
			var work protocol.Commands
			work, err = c.PollWork(ctx, 30*time.Second, received...)
			cmds, bcs = work.Commands, work.Broadcasts
			if err == nil {
				received = received[min(len(received), protocol.MaxReceived):]
			}
		} else {
			cmds, err = c.Poll(ctx, 30*time.Second)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if Unauthorized(err) {
				c.refused(err)
				continue
			}
			c.log.Warn("fleet: command poll failed", "err", err)
			if !sleep(ctx, backoff(fails)) {
				return
			}
			fails++
			continue
		}
		fails = 0
		stuck := false
		for _, b := range bcs {
			if err := in.receive(ctx, b); err != nil {
				c.log.Error("fleet: a broadcast could not be stored; it will come again", "broadcast", b.ID, "err", err)
				stuck = true
				continue
			}
			if !slices.Contains(received, b.ID) {
				received = append(received, b.ID)
			}
		}
		if stuck && !sleep(ctx, backoff(0)) {
			return
		}
		for _, cmd := range cmds {
			if err := handle(ctx, cmd); err != nil {
				c.log.Warn("fleet: command not taken; it will come again", "command", cmd.ID, "kind", cmd.Kind, "err", err)
				if !sleep(ctx, backoff(0)) {
					return
				}
				break
			}
			if err := c.Ack(ctx, cmd.ID); err != nil && ctx.Err() == nil {
				c.log.Warn("fleet: acknowledgement failed; the command will come again", "command", cmd.ID, "err", err)
			}
		}
	}
}

// NoAgent is the command handler for a site without an update agent yet:
// it logs each command and reports installs as skipped, so that the
// fleet's gate counts the site as without a result instead of waiting for
// it. The site update agent replaces it.
func NoAgent(c *Client) Handler {
	return func(ctx context.Context, cmd protocol.Command) error {
		c.log.Info("fleet: command received; this site has no update agent yet", "command", cmd.ID, "kind", cmd.Kind,
			"component", cmd.Component, "version", cmd.Version)
		if cmd.Kind != "install" {
			return nil
		}
		return c.Report(ctx, protocol.Report{CommandID: cmd.ID, Status: "skipped",
			Message: "Kein Update-Dienst an diesem Standort / no update agent at this site"})
	}
}
