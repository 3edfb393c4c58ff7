package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/journal"
)

// HTTPConfig configures the adapter for an ERP with an HTTP sales endpoint
// like the simulated ERP's (package erpsim).
type HTTPConfig struct {
	// BaseURL is the ERP's address; sales go to BaseURL + "/api/sales".
	BaseURL string `yaml:"base_url"`
	// Token, when set, is sent as "Authorization: Bearer <token>".
	Token string `yaml:"token"`
	// Timeout bounds one request. Default 10 s.
	Timeout time.Duration `yaml:"timeout"`
}

// HTTPAdapter books entries over HTTP: POST <base>/api/sales with the
// entry as JSON and the entry's id as Idempotency-Key.
//
// Answers: 200/201 {"booking_id"} booked; 422 (and 400, 409) refused with
// {"reason","reason_en"}; 408, 425, 429, 5xx and lost connections can pass
// (retry); 401, 403, 404 and anything else cannot.
type HTTPAdapter struct {
	cfg    HTTPConfig
	url    string
	client *http.Client
}

var _ Adapter = (*HTTPAdapter)(nil)

// NewHTTPAdapter returns the adapter. client nil means a client of its own.
func NewHTTPAdapter(cfg HTTPConfig, client *http.Client) (*HTTPAdapter, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("reconcile: ERP address %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if client == nil {
		client = &http.Client{}
	}
	return &HTTPAdapter{cfg: cfg, url: strings.TrimSuffix(cfg.BaseURL, "/") + "/api/sales", client: client}, nil
}

// Name returns "erp-http".
func (a *HTTPAdapter) Name() string { return "erp-http" }

type bookAnswer struct {
	BookingID string `json:"booking_id"`
	Reason    string `json:"reason"`
	ReasonEN  string `json:"reason_en"`
}

// Book posts the entry; see the type's comment for the answers.
func (a *HTTPAdapter) Book(ctx context.Context, e journal.Entry) (Result, bool, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return Result{}, false, fmt.Errorf("encode entry %d: %w", e.Number, err)
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(body))
	if err != nil {
		return Result{}, false, fmt.Errorf("build request for entry %d: %w", e.Number, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", e.ID)
	if a.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+a.cfg.Token)
	}
	res, err := a.client.Do(req)
	if err != nil {
		// Lost connection, refused connection, timeout: the ERP may or may
		// not have booked; the idempotency key makes the retry safe.
		return Result{}, true, fmt.Errorf("post entry %d to %s: %w", e.Number, a.url, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return Result{}, true, fmt.Errorf("read answer for entry %d from %s: %w", e.Number, a.url, err)
	}
	var ans bookAnswer
	jsonErr := json.Unmarshal(raw, &ans)
	switch {
	case res.StatusCode == http.StatusOK || res.StatusCode == http.StatusCreated:
		if jsonErr != nil || ans.BookingID == "" {
			return Result{}, true, fmt.Errorf("entry %d: ERP answered %d without a booking id", e.Number, res.StatusCode)
		}
		return Result{Status: Booked, BookingID: ans.BookingID}, false, nil
	case res.StatusCode == http.StatusUnprocessableEntity || res.StatusCode == http.StatusBadRequest || res.StatusCode == http.StatusConflict:
		de, en := ans.Reason, ans.ReasonEN
		if de == "" {
			de = fmt.Sprintf("vom ERP abgelehnt (HTTP %d)", res.StatusCode)
		}
		if en == "" {
			en = fmt.Sprintf("refused by the ERP (HTTP %d)", res.StatusCode)
		}
		return Result{Status: Refused, ReasonDE: de, ReasonEN: en}, false, nil
	case res.StatusCode == http.StatusRequestTimeout || res.StatusCode == http.StatusTooEarly ||
		res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return Result{}, true, fmt.Errorf("entry %d: ERP answered %s", e.Number, res.Status)
	default:
		return Result{}, false, fmt.Errorf("entry %d: ERP answered %s; check the address and the access token", e.Number, res.Status)
	}
}
