// Package feed is the HTTP JSON feed of a data set with a cursor, as an ERP
// or a vendor service offers it: the server side (Handler over a Log, with
// MemLog for the demo's simulated ERP) and the client side (Source, a
// mirror.Incremental).
//
// Protocol (documented in docs/mirror-csv.md, section "Feed"):
//
//	GET <url>?since=<cursor>&limit=<n>
//	Authorization: Bearer <token>
//
//	200 {"dataset":"articles","schema":1,"since":"0","cursor":"1000","more":true,
//	     "items":[{"pzn":"04877800",...}],"deleted":["12345678"]}
//	410 the cursor is older than the server's history: take a full sync
//
// since empty or "0" starts a full read: every current record, no
// deletions. Cursors are opaque to clients ("<history>-<position>" here);
// one from another history (the server restarted without its log) is
// answered with 410. A later since returns the changes after it, in change order,
// each key at most once per page (its latest state). The client pages on
// with since=cursor while more is true.
package feed

import (
	"encoding/json"
	"time"
)

// Page is one response of the feed.
type Page struct {
	Dataset string `json:"dataset"`
	Schema  int    `json:"schema"`
	Since   string `json:"since"`
	// Cursor is the position after this page; pass it as since.
	Cursor string `json:"cursor"`
	// More is true when further changes wait after Cursor.
	More bool `json:"more"`
	// AsOf is the server's time of the page.
	AsOf time.Time `json:"as_of"`
	// Items are records in the data set's JSON form (field names as the
	// CSV columns).
	Items []json.RawMessage `json:"items"`
	// Deleted are keys of removed records.
	Deleted []string `json:"deleted"`
}

// ErrorBody is the JSON body of an error response.
type ErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// Limits of a page.
const (
	DefaultLimit = 1000
	MaxLimit     = 5000
	// MaxPageBytes caps a response body the client reads.
	MaxPageBytes = 64 << 20
)
