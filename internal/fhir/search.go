package fhir

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// SearchPageSize is the _count of the fallback's searches.
const SearchPageSize = 500

// MaxSearchPages stops a search that never ends (a server whose next
// links go round in a circle).
const MaxSearchPages = 100000

type searchBundle struct {
	ResourceType string `json:"resourceType"`
	Link         []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []struct {
		Resource json.RawMessage `json:"resource"`
		Search   *struct {
			Mode string `json:"mode"`
		} `json:"search"`
	} `json:"entry"`
}

// Search is the fallback for servers without $export: it pages through
// [base]/Type?_lastUpdated=ge<since>&_sort=_lastUpdated (all resources of
// the type when since is zero), follows the Bundle's next links and calls
// fn with every matching resource. It returns the server's time of the
// first answer (its Date header, else the local clock), the cursor of the
// next increment.
func (c *Client) Search(ctx context.Context, typ string, since time.Time, fn func(raw []byte) error) (time.Time, error) {
	q := url.Values{"_count": {strconv.Itoa(SearchPageSize)}, "_sort": {"_lastUpdated"}}
	if !since.IsZero() {
		q.Set("_lastUpdated", "ge"+since.UTC().Format(time.RFC3339))
	}
	next := c.o.BaseURL + "/" + typ + "?" + q.Encode()
	var serverTime time.Time
	for page := 0; next != ""; page++ {
		if page >= MaxSearchPages {
			return serverTime, fmt.Errorf("search %s: more than %d pages; the server's next links do not end", typ, MaxSearchPages)
		}
		if !c.sameOrigin(next) {
			return serverTime, fmt.Errorf("search %s: next link %s leaves the server; refused", typ, redactURL(next))
		}
		u := next
		resp, err := c.do(ctx, func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodGet, u, nil)
			if err == nil {
				req.Header.Set("Accept", "application/fhir+json")
			}
			return req, err
		}, true)
		if err != nil {
			return serverTime, fmt.Errorf("search %s: %w", typ, err)
		}
		if page == 0 {
			serverTime = c.o.Clock.Now()
			if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
				serverTime = t
			}
		}
		var b searchBundle
		err = json.NewDecoder(io.LimitReader(resp.Body, 512<<20)).Decode(&b)
		resp.Body.Close()
		if err != nil {
			return serverTime, &TransientError{Err: fmt.Errorf("search %s page %d: answer is not a JSON Bundle: %w", typ, page+1, err)}
		}
		if b.ResourceType != "Bundle" {
			return serverTime, fmt.Errorf("search %s page %d: answer is a %q, want a Bundle", typ, page+1, b.ResourceType)
		}
		for _, e := range b.Entry {
			if e.Search != nil && e.Search.Mode != "" && e.Search.Mode != "match" {
				continue
			}
			if len(e.Resource) == 0 {
				continue
			}
			if err := fn(e.Resource); err != nil {
				return serverTime, err
			}
		}
		next = ""
		for _, l := range b.Link {
			if l.Relation == "next" {
				ref, err := resp.Request.URL.Parse(l.URL)
				if err != nil {
					return serverTime, fmt.Errorf("search %s: next link %q is not a URL", typ, l.URL)
				}
				next = ref.String()
			}
		}
	}
	return serverTime, nil
}
