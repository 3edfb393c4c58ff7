package fleetclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
)

// File names in the client's folder.
const (
	// TokenFile holds the site token (0600).
	TokenFile = "token"
	// RootFile is the TUF root received at enrolment (0600), in the
	// metadata folder that go-tuf's updater keeps current.
	RootFile = "tuf/metadata/root.json"
)

// Options are the inputs of New.
type Options struct {
	Config Config
	// Dir keeps the token and the TUF metadata and downloads (the site's
	// data folder + "/fleet").
	Dir string
	// HTTPClient is used for every call; nil builds one with CAFile and
	// sensible timeouts.
	HTTPClient *http.Client
	Clock      clock.Clock
	Log        *slog.Logger
	// AgentVersion and Hostname are sent at enrolment.
	AgentVersion string
	Hostname     string
}

// Client talks to the fleet for one site. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base string
	dir  string
	hc   *http.Client
	clk  clock.Clock
	log  *slog.Logger
	ver  string
	host string

	mu       sync.Mutex
	token    string
	siteID   string
	interval time.Duration
	// inbox, when set (OpenInbox), receives broadcasts.
	inbox *Inbox
}

// Error is a failed call. Retry tells whether trying again later can help
// (network trouble, a busy or restarting fleet) or not (a revoked token, a
// refused code, a malformed request).
type Error struct {
	Status  int
	Message string
	Retry   bool
}

// Error returns the message with the HTTP status.
func (e *Error) Error() string {
	if e.Status == 0 {
		return e.Message
	}
	return fmt.Sprintf("fleet answered %d: %s", e.Status, e.Message)
}

// Retryable reports whether err is worth retrying later.
func Retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Retry
	}
	return err != nil && !errors.Is(err, context.Canceled)
}

// Unauthorized reports whether the fleet refused the token or code.
func Unauthorized(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusUnauthorized
}

// New returns a client; it loads a token saved by an earlier enrolment.
func New(o Options) (*Client, error) {
	if ps := o.Config.Validate(); len(ps) > 0 {
		return nil, fmt.Errorf("fleet configuration: %v", ps[0])
	}
	if !o.Config.Enabled() {
		return nil, errors.New("fleet configuration: no url")
	}
	if o.Dir == "" {
		return nil, errors.New("fleet client: no folder for the token")
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		hc, err := httpClient(o.Config.CAFile)
		if err != nil {
			return nil, err
		}
		o.HTTPClient = hc
	}
	c := &Client{cfg: o.Config, base: strings.TrimRight(o.Config.URL, "/"), dir: o.Dir, hc: o.HTTPClient,
		clk: o.Clock, log: o.Log, ver: o.AgentVersion, host: o.Hostname}
	data, err := os.ReadFile(filepath.Join(o.Dir, TokenFile))
	switch {
	case err == nil:
		c.token = strings.TrimSpace(string(data))
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read the fleet token: %w", err)
	}
	return c, nil
}

// httpClient builds the client for the fleet: the system roots or the
// configured CA, TLS 1.2 or later, timeouts that fit a long-poll.
func httpClient(caFile string) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate", caFile)
		}
		tc.RootCAs = pool
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: protocol.MaxWait + 30*time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       2 * time.Minute,
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Minute}, nil
}

// Enrolled reports whether the client holds a token.
func (c *Client) Enrolled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token != ""
}

// SiteID returns the site's id once known (after Enrol in this process).
func (c *Client) SiteID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.siteID
}

// Interval returns the heartbeat interval: the site's configuration, else
// the fleet's, else 30 s.
func (c *Client) Interval() time.Duration {
	if d := c.cfg.Heartbeat.D(); d > 0 {
		return d
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.interval > 0 {
		return c.interval
	}
	return DefaultHeartbeat
}

// Enrol exchanges the configured enrolment code for a token and saves it
// (0600) with the TUF root the fleet sent. Error.Retry is false when the
// fleet refused the code.
func (c *Client) Enrol(ctx context.Context) (protocol.EnrolResponse, error) {
	code := strings.TrimSpace(c.cfg.EnrolmentCode)
	if code == "" {
		return protocol.EnrolResponse{}, &Error{Message: "no enrolment_code in the fleet section; create one in the fleet console"}
	}
	var resp protocol.EnrolResponse
	if err := c.do(ctx, http.MethodPost, protocol.PathEnrol, false, protocol.EnrolRequest{Code: code, Hostname: c.host, AgentVersion: c.ver}, &resp); err != nil {
		return resp, err
	}
	if !strings.HasPrefix(resp.Token, protocol.TokenPrefix) || len(resp.TrustedRoot) == 0 {
		return resp, &Error{Message: "the fleet's enrolment answer lacks a token or the TUF root", Retry: true}
	}
	if err := writeFile(filepath.Join(c.dir, RootFile), resp.TrustedRoot, 0o600); err != nil {
		return resp, err
	}
	if err := writeFile(filepath.Join(c.dir, TokenFile), []byte(resp.Token+"\n"), 0o600); err != nil {
		return resp, err
	}
	c.mu.Lock()
	c.token, c.siteID = resp.Token, resp.SiteID
	if resp.HeartbeatSeconds > 0 {
		c.interval = time.Duration(resp.HeartbeatSeconds) * time.Second
	}
	c.mu.Unlock()
	c.log.Info("fleet: enrolled", "site", resp.SiteID, "fleet", c.base)
	return resp, nil
}

// writeFile writes data to path atomically (temp, fsync, rename) with
// perm, creating the folder (0700).
func writeFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil && !isWindows() {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// do performs one call: body as JSON (nil: none), the answer into out
// (nil: discarded). auth adds the site token.
func (c *Client) do(ctx context.Context, method, path string, auth bool, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return &Error{Message: "encode request: " + err.Error()}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return &Error{Message: err.Error()}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "lifeline-site/"+c.ver)
	if auth {
		c.mu.Lock()
		tok := c.token
		c.mu.Unlock()
		if tok == "" {
			return &Error{Status: http.StatusUnauthorized, Message: "not enrolled: no site token"}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &Error{Message: "fleet not reachable: " + err.Error(), Retry: true}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return &Error{Status: resp.StatusCode, Message: "read answer: " + err.Error(), Retry: true}
	}
	if resp.StatusCode >= 300 {
		var e protocol.Error
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusConflict
		return &Error{Status: resp.StatusCode, Message: msg, Retry: retry}
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(data, out); err != nil {
			return &Error{Status: resp.StatusCode, Message: "decode answer: " + err.Error(), Retry: true}
		}
	}
	return nil
}

// SendHeartbeat sends one heartbeat (SentAt is set from the clock) and
// returns the fleet's interval for the next one.
func (c *Client) SendHeartbeat(ctx context.Context, hb protocol.Heartbeat) (time.Duration, error) {
	hb.SentAt = c.clk.Now().UTC()
	var resp protocol.HeartbeatResponse
	if err := c.do(ctx, http.MethodPost, protocol.PathHeartbeat, true, hb, &resp); err != nil {
		return 0, err
	}
	if resp.NextSeconds > 0 {
		c.mu.Lock()
		c.interval = time.Duration(resp.NextSeconds) * time.Second
		c.mu.Unlock()
	}
	return c.Interval(), nil
}

// Poll long-polls for commands, waiting up to wait on the fleet.
func (c *Client) Poll(ctx context.Context, wait time.Duration) ([]protocol.Command, error) {
	var resp protocol.Commands
	path := protocol.PathCommands + "?wait=" + strconv.Itoa(int(wait/time.Second)) + "s"
	if err := c.do(ctx, http.MethodGet, path, true, nil, &resp); err != nil {
		return nil, err
	}
	return resp.Commands, nil
}

// PollWork long-polls for commands and broadcasts, waiting up to wait on
// the fleet; received are the broadcasts stored since the last poll (at
// most protocol.MaxReceived), acknowledged with this poll. Broadcasts come
// again until acknowledged (here or with BroadcastReceipt).
func (c *Client) PollWork(ctx context.Context, wait time.Duration, received ...int64) (protocol.Commands, error) {
	var resp protocol.Commands
	path := protocol.PathCommands + "?wait=" + strconv.Itoa(int(wait/time.Second)) + "s&" + protocol.QueryBroadcasts + "=1"
	if len(received) > 0 {
		ids := make([]string, 0, len(received))
		for _, id := range received[:min(len(received), protocol.MaxReceived)] {
			ids = append(ids, strconv.FormatInt(id, 10))
		}
		path += "&" + protocol.QueryReceived + "=" + strings.Join(ids, ",")
	}
	if err := c.do(ctx, http.MethodGet, path, true, nil, &resp); err != nil {
		return protocol.Commands{}, err
	}
	return resp, nil
}

// BroadcastReceipt tells the fleet that the site received, read or
// answered a broadcast.
func (c *Client) BroadcastReceipt(ctx context.Context, id int64, r protocol.BroadcastReceipt) error {
	return c.do(ctx, http.MethodPost, protocol.PathBroadcasts+strconv.FormatInt(id, 10)+"/receipt", true, r, nil)
}

// BroadcastFile downloads a broadcast's attachment and checks its length
// and SHA-256 against f (from the broadcast).
func (c *Client) BroadcastFile(ctx context.Context, id int64, f protocol.BroadcastFile) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+protocol.PathBroadcasts+strconv.FormatInt(id, 10)+"/file", nil)
	if err != nil {
		return nil, &Error{Message: err.Error()}
	}
	c.mu.Lock()
	tok := c.token
	c.mu.Unlock()
	if tok == "" {
		return nil, &Error{Status: http.StatusUnauthorized, Message: "not enrolled: no site token"}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("User-Agent", "lifeline-site/"+c.ver)
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Message: "fleet not reachable: " + err.Error(), Retry: true}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var e protocol.Error
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return nil, &Error{Status: resp.StatusCode, Message: msg, Retry: resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.Size+1))
	if err != nil {
		return nil, &Error{Status: resp.StatusCode, Message: "read file: " + err.Error(), Retry: true}
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
		return nil, &Error{Status: resp.StatusCode, Message: fmt.Sprintf("the file of broadcast %d does not match its length or SHA-256; refused", id)}
	}
	return data, nil
}

// Ack tells the fleet that the site stored the command; it is not sent
// again.
func (c *Client) Ack(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodPost, protocol.PathAckPrefix+strconv.FormatInt(id, 10)+"/ack", true, nil, nil)
}

// Report sends a result or progress of a command.
func (c *Client) Report(ctx context.Context, r protocol.Report) error {
	return c.do(ctx, http.MethodPost, protocol.PathReports, true, r, nil)
}

// Self returns the site's own record at the fleet.
func (c *Client) Self(ctx context.Context) (protocol.Site, error) {
	var s protocol.Site
	err := c.do(ctx, http.MethodGet, protocol.PathSelf, true, nil, &s)
	return s, err
}
