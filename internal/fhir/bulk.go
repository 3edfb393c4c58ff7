package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/lifeline-project/lifeline/internal/check"
)

// ErrExportUnsupported means the server offers no Bulk Data export (it
// answered 404, 405 or 501 to the kick-off): use the search fallback.
var ErrExportUnsupported = errors.New("the FHIR server offers no Bulk Data $export")

func msgUnauthorized() check.Text {
	return check.Msg("Das EHR hat den Zugang abgelehnt (401/403): Token bzw. Schlüssel und Berechtigungen prüfen.",
		"The EHR refused access (401/403): check the token or key and its permissions.")
}

// ExportRequest is what a kick-off asks for.
type ExportRequest struct {
	// Since, when set, asks only for what changed after it (the
	// transactionTime of the previous export).
	Since string
	// Types limits the export to these resource types.
	Types []string
}

// Manifest is the answer of a completed export.
type Manifest struct {
	TransactionTime     string         `json:"transactionTime"`
	Request             string         `json:"request"`
	RequiresAccessToken bool           `json:"requiresAccessToken"`
	Output              []ManifestFile `json:"output"`
	Deleted             []ManifestFile `json:"deleted"`
	Error               []ManifestFile `json:"error"`
}

// ManifestFile is one NDJSON file of a manifest.
type ManifestFile struct {
	Type  string `json:"type"`
	URL   string `json:"url"`
	Count int    `json:"count,omitempty"`
}

// KickOff starts an export and returns the status URL to poll. It returns
// ErrExportUnsupported when the server has no $export.
func (c *Client) KickOff(ctx context.Context, er ExportRequest) (string, error) {
	q := url.Values{"_outputFormat": {"application/fhir+ndjson"}}
	if len(er.Types) > 0 {
		q.Set("_type", strings.Join(er.Types, ","))
	}
	if er.Since != "" {
		q.Set("_since", er.Since)
	}
	u := c.o.BaseURL + "/" + c.o.ExportPath + "?" + q.Encode()
	resp, err := c.do(ctx, func() (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/fhir+json")
		req.Header.Set("Prefer", "respond-async")
		return req, nil
	}, true, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented)
	if err != nil {
		return "", fmt.Errorf("Bulk Data kick-off: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return "", fmt.Errorf("%w (kick-off answered %d)", ErrExportUnsupported, resp.StatusCode)
	case http.StatusAccepted:
	default:
		return "", fmt.Errorf("Bulk Data kick-off: server answered %d, want 202 Accepted", resp.StatusCode)
	}
	loc := resp.Header.Get("Content-Location")
	if loc == "" {
		return "", errors.New("Bulk Data kick-off: 202 without Content-Location; the server cannot be polled")
	}
	ref, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return "", fmt.Errorf("Bulk Data kick-off: Content-Location %q is not a URL", loc)
	}
	return ref.String(), nil
}

// Poll asks the status URL until the export is complete and returns the
// manifest. It waits as long as the server's Retry-After says (capped by
// MaxWait), else backs off from 1 s to 1 min. progress, when not nil,
// receives the server's X-Progress.
func (c *Client) Poll(ctx context.Context, statusURL string, progress func(string)) (*Manifest, error) {
	auth := c.sameOrigin(statusURL)
	for n := 0; ; n++ {
		resp, err := c.do(ctx, func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodGet, statusURL, nil)
			if err == nil {
				req.Header.Set("Accept", "application/json")
			}
			return req, err
		}, auth, http.StatusAccepted)
		if err != nil {
			return nil, fmt.Errorf("Bulk Data status: %w", err)
		}
		if resp.StatusCode == http.StatusAccepted {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if progress != nil {
				progress(resp.Header.Get("X-Progress"))
			}
			wait := parseRetryAfter(resp.Header.Get("Retry-After"), c.o.Clock.Now())
			if wait == 0 {
				wait = backoff(n)
			}
			if err := c.o.Sleep(ctx, min(wait, c.o.MaxWait)); err != nil {
				return nil, err
			}
			continue
		}
		var m Manifest
		err = json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&m)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("Bulk Data status: manifest is not valid JSON: %w", err)
		}
		if m.TransactionTime == "" {
			return nil, errors.New("Bulk Data status: manifest without transactionTime")
		}
		for _, f := range append(append([]ManifestFile{}, m.Output...), m.Deleted...) {
			if _, err := url.Parse(f.URL); err != nil || f.URL == "" {
				return nil, fmt.Errorf("Bulk Data manifest: file URL %q is not valid", f.URL)
			}
		}
		return &m, nil
	}
}

// Finish tells the server the export's files may be removed (DELETE on the
// status URL). Errors are only logged: the server cleans up by itself.
func (c *Client) Finish(ctx context.Context, statusURL string) {
	resp, err := c.do(ctx, func() (*http.Request, error) {
		return http.NewRequest(http.MethodDelete, statusURL, nil)
	}, c.sameOrigin(statusURL), http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented)
	if err != nil {
		c.o.Log.Debug("fhir: delete export job", "err", err)
		return
	}
	resp.Body.Close()
}

// Sink receives a download; Reset empties it when the server ignores the
// Range request and sends the file from the start.
type Sink interface {
	io.Writer
	Reset() error
}

// Download fetches a manifest file into sink, which already holds offset
// bytes of it (a resumed download asks for the rest with a Range request).
// It returns how many bytes sink holds afterwards. An interrupted transfer
// returns a TransientError together with the bytes received so far, so the
// caller resumes from there.
func (c *Client) Download(ctx context.Context, fileURL string, auth bool, offset int64, sink Sink) (int64, error) {
	resp, err := c.do(ctx, func() (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, fileURL, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/fhir+ndjson")
		if offset > 0 {
			req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
		}
		return req, nil
	}, auth, http.StatusRequestedRangeNotSatisfiable)
	if err != nil {
		return offset, fmt.Errorf("download %s: %w", redactURL(fileURL), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		// The file is complete already (offset == size).
		return offset, nil
	case offset > 0 && resp.StatusCode == http.StatusPartialContent:
		if start := contentRangeStart(resp.Header.Get("Content-Range")); start != offset {
			return offset, fmt.Errorf("download %s: server resumed at byte %d, want %d", redactURL(fileURL), start, offset)
		}
	case offset > 0:
		c.o.Log.Info("fhir: server ignored the Range request; downloading the file again", "url", redactURL(fileURL))
		if err := sink.Reset(); err != nil {
			return offset, err
		}
		offset = 0
	}
	n, err := io.Copy(sink, resp.Body)
	if err != nil {
		return offset + n, &TransientError{Err: fmt.Errorf("download %s interrupted after %d bytes: %w", redactURL(fileURL), offset+n, err)}
	}
	return offset + n, nil
}

// contentRangeStart reads the first byte of "bytes 100-199/200"; -1 when
// the header is not of that form.
func contentRangeStart(h string) int64 {
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return -1
	}
	start, _, ok := strings.Cut(rest, "-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(start, 10, 64)
	if err != nil {
		return -1
	}
	return n
}
