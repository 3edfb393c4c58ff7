package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/clock"
)

// HeartbeatStatus is the body of a heartbeat: enough for the fleet to
// show the site's state, and ignored by healthchecks-style services.
type HeartbeatStatus struct {
	Site     string    `json:"site"`
	Overall  string    `json:"overall"`
	Sentence string    `json:"sentence"`
	At       time.Time `json:"at"`
}

// HeartbeatSender posts a sign of life to an outside URL every
// Heartbeat.Every: the outside dead-man's switch. When the site node, its
// power or its line is gone, the beats stop and the outside service alerts.
type HeartbeatSender struct {
	cfg    Heartbeat
	status func() HeartbeatStatus
	client *http.Client
	clk    clock.Clock
	log    *slog.Logger
}

// NewHeartbeat returns a sender; status fills each beat's body (nil: an
// empty body with the time).
func NewHeartbeat(cfg Heartbeat, status func() HeartbeatStatus, clk clock.Clock, log *slog.Logger) *HeartbeatSender {
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &HeartbeatSender{cfg: cfg, status: status, clk: clk, log: log, client: &http.Client{Timeout: 20 * time.Second}}
}

// Beat sends one heartbeat. The error says whether a retry can help.
func (h *HeartbeatSender) Beat(ctx context.Context) error {
	st := HeartbeatStatus{At: h.clk.Now().UTC()}
	if h.status != nil {
		st = h.status()
		st.At = h.clk.Now().UTC()
	}
	body, _ := json.Marshal(st)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return notify.Fatal(fmt.Errorf("heartbeat: build request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "lifeline-heartbeat/1")
	resp, err := h.client.Do(req)
	if err != nil {
		return notify.Transient(fmt.Errorf("heartbeat: %w", stripURLErr(err)))
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	if err := notify.HTTPStatus(resp.StatusCode, string(rb)); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	return nil
}

// Run beats at once and then every Every until ctx ends. Failures are
// logged; the next beat comes on schedule regardless.
func (h *HeartbeatSender) Run(ctx context.Context) {
	if h.cfg.URL == "" || h.cfg.Every <= 0 {
		return
	}
	t := time.NewTicker(h.cfg.Every.D())
	defer t.Stop()
	for {
		bctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if err := h.Beat(bctx); err != nil && ctx.Err() == nil {
			h.log.Warn("heartbeat failed", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// stripURLErr drops the URL, which may carry a token, from a client error.
func stripURLErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
