package siteapp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/agent"
	"github.com/lifeline-project/lifeline/internal/agent/agentweb"
	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
	"github.com/lifeline-project/lifeline/internal/web"
)

// openAgent builds the update agent when the agent section names
// components and a fleet is configured: its TUF repository over the
// fleet's address with the site token and the root from the enrolment,
// the monitor's Overview as the health gate, the emergency mode and the
// duty rota of the downtime copy as start rules; and mounts its pages.
// Run starts it with a.Agent.Run; the fleet client hands it the commands
// (a.Agent.HandleCommand) and sends its state (a.Agent.Status,
// a.Agent.Components) in the heartbeat.
func (a *App) openAgent(ctx context.Context, o Options) error {
	cfg := a.Config.Agent
	if !cfg.Enabled() {
		return nil
	}
	if !a.Config.Fleet.Enabled() || a.Fleet == nil {
		a.Log.Warn("agent: components are configured but no fleet; the update agent stays off until the fleet section is complete")
		return nil
	}
	fleetDir := filepath.Join(a.Config.DataDir, "fleet")
	hc, err := fleetHTTPClient(a.Config.Fleet.CAFile)
	if err != nil {
		return err
	}
	repo, err := agent.NewTUFRepository(agent.TUFOptions{
		BaseURL: a.Config.Fleet.URL, HTTPClient: hc, Clock: o.Clock, MaxSkew: cfg.MaxClockSkew.D(),
		Dir: filepath.Join(a.Config.DataDir, "agent", "tuf"), UserAgent: "lifeline-site/" + o.Version,
		Token: func() (string, error) {
			b, err := os.ReadFile(filepath.Join(fleetDir, fleetclient.TokenFile))
			return strings.TrimSpace(string(b)), err
		},
		TrustedRoot: func() ([]byte, error) { return os.ReadFile(filepath.Join(fleetDir, fleetclient.RootFile)) },
	})
	if err != nil {
		return err
	}
	opts := agent.Options{
		Config: cfg, Dir: filepath.Join(a.Config.DataDir, "agent"), Fleet: a.Fleet, Repo: repo,
		Health: a.Monitor.Overview, Clock: o.Clock, Log: a.Log, Version: o.Version,
	}
	if a.Counter != nil {
		opts.Emergency = func() bool { return a.Counter.Mode().Active }
	}
	if a.Mirror != nil {
		opts.Duties = a.Mirror.DB
	}
	if a.inc != nil && a.inc.recorder != nil {
		rec := a.inc.recorder
		opts.IncidentOpen = func() bool { return len(rec.Open()) > 0 }
	}
	ag, err := agent.New(opts)
	if err != nil {
		return fmt.Errorf("open the update agent: %w", err)
	}
	a.Agent = ag
	h, err := agentweb.New(ag, agentweb.Hooks{
		Render: a.Web.Render, Lang: web.Lang, CSRF: web.CSRFToken,
		User: func(r *http.Request) (string, bool) {
			p, ok := web.User(r)
			return p.Name, ok && p.Role.AtLeast(auth.RoleStaff)
		},
	}, a.Log)
	if err != nil {
		return err
	}
	for _, rt := range h.Routes() {
		if rt.API {
			a.Web.HandleAPI(rt.Pattern, rt.Role, rt.Handler)
		} else {
			a.Web.HandlePage(rt.Pattern, rt.Role, rt.Handler)
		}
	}
	a.Web.AddBanner(h.Banner)
	a.Web.AddNav(agentweb.Prefix, check.Msg("Updates", "Updates"), auth.RoleViewer)
	return nil
}

// fleetHTTPClient builds the HTTP client for artifact downloads: the
// system roots or the fleet's own CA, TLS 1.2 or later, no overall
// timeout (a large artifact takes long; a stalled one is resumed).
func fleetHTTPClient(caFile string) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read the fleet's ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate", caFile)
		}
		tc.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	tr.ResponseHeaderTimeout = time.Minute
	return &http.Client{Transport: tr}, nil
}
