package siteapp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
)

// openFleet builds the client that enrols the site at its fleet and then
// sends heartbeats and receives commands (nothing without a fleet section).
func (a *App) openFleet(o Options) error {
	if !a.Config.Fleet.Enabled() {
		return nil
	}
	host, _ := os.Hostname()
	c, err := fleetclient.New(fleetclient.Options{
		Config: a.Config.Fleet, Dir: filepath.Join(a.Config.DataDir, "fleet"),
		Clock: o.Clock, Log: o.Log, AgentVersion: o.Version, Hostname: host,
	})
	if err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	a.Fleet = c
	a.version = o.Version
	return nil
}

// runFleet heartbeats and long-polls until ctx ends; commands go to the
// update agent, or are answered as "no agent" when the site has none.
func (a *App) runFleet(ctx context.Context) {
	if a.Fleet == nil {
		return
	}
	status := func() protocol.Heartbeat {
		comps := map[string]string{"lifeline": a.version}
		agentState := protocol.Agent{Version: a.version, State: "idle"}
		if a.Agent != nil {
			comps, agentState = a.Agent.Components(), a.Agent.Status()
		}
		return fleetclient.FromOverview(a.Monitor.Overview(), a.Config.Location(), comps, agentState)
	}
	handler := fleetclient.NoAgent(a.Fleet)
	if a.Agent != nil {
		handler = a.Agent.HandleCommand
		go a.Agent.Run(ctx)
	}
	if err := a.Fleet.Run(ctx, status, handler); err != nil && ctx.Err() == nil {
		a.Log.Error("fleet connection ended", "err", err)
	}
}
