package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

// Options configure a feed Source.
type Options struct {
	Dataset mirror.Dataset
	// URL is the feed's address; since and limit are added to its query.
	URL   string
	Token string
	// Client is the HTTP client; nil means one with a 30 s timeout.
	Client *http.Client
	// PageSize is the limit asked for per page (default DefaultLimit).
	PageSize int
	// MaxPages caps the pages one Changes call reads (default 50); the
	// syncer calls again while more changes wait.
	MaxPages int
	// Location reads local wall-clock times (the duty rota); nil means UTC.
	Location *time.Location
}

// Source reads a data set from a feed.
type Source struct {
	o      Options
	u      *url.URL
	schema mirror.Schema
	name   string
}

var _ mirror.Incremental = (*Source)(nil)

// New returns the feed source described by o.
func New(o Options) (*Source, error) {
	schema, ok := mirror.SchemaOf(o.Dataset)
	if !ok {
		return nil, mirror.Errorf(mirror.EINVALID, "unbekannter Datenbestand %q", "unknown data set %q", string(o.Dataset), string(o.Dataset))
	}
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, mirror.Errorf(mirror.EINVALID, "Feed-Adresse %q ungültig", "feed URL %q invalid", o.URL, o.URL)
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultLimit
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 50
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	name := *u
	name.User = nil
	name.RawQuery = ""
	return &Source{o: o, u: u, schema: schema, name: name.String()}, nil
}

// Dataset returns the data set.
func (s *Source) Dataset() mirror.Dataset { return s.o.Dataset }

// String returns the feed's URL without credentials and query.
func (s *Source) String() string { return s.name }

// Snapshot reads every current record, page by page from since=0. The
// caller writes them in one transaction: if the feed goes down midway,
// nothing is applied.
func (s *Source) Snapshot(ctx context.Context, sink mirror.Sink) (mirror.Mark, error) {
	cursor, item := "0", 0
	for {
		p, err := s.fetch(ctx, cursor)
		if err != nil {
			if errors.Is(err, mirror.ErrCursorExpired) {
				// The server restarted its history midway: the pages read
				// so far may be from another history; let the next sync
				// start over.
				return mirror.Mark{}, &mirror.Error{Code: mirror.EUNAVAILABLE, Message: check.Msg(
					"Feed hat seine Historie während des Vollabgleichs neu begonnen; neuer Versuch beim nächsten Abgleich",
					"feed restarted its history during the full sync; retrying at the next sync"), Err: err}
			}
			return mirror.Mark{}, err
		}
		if err := s.apply(ctx, p, &item, sink); err != nil {
			return mirror.Mark{}, err
		}
		if !p.More {
			return mirror.Mark{Cursor: p.Cursor}, nil
		}
		if p.Cursor == cursor {
			return mirror.Mark{}, s.protocolError("Cursor bleibt stehen", "cursor does not advance", nil)
		}
		cursor = p.Cursor
	}
}

// Changes reads the changes after cursor, at most MaxPages pages.
func (s *Source) Changes(ctx context.Context, cursor string, sink mirror.Sink) (mirror.Mark, bool, error) {
	item := 0
	for range s.o.MaxPages {
		p, err := s.fetch(ctx, cursor)
		if err != nil {
			return mirror.Mark{}, false, err
		}
		if err := s.apply(ctx, p, &item, sink); err != nil {
			return mirror.Mark{}, false, err
		}
		if !p.More {
			return mirror.Mark{Cursor: p.Cursor}, true, nil
		}
		if p.Cursor == cursor {
			return mirror.Mark{}, false, s.protocolError("Cursor bleibt stehen", "cursor does not advance", nil)
		}
		cursor = p.Cursor
	}
	return mirror.Mark{Cursor: cursor}, false, nil
}

// apply sends a page's items and deletions to sink; item numbers bad rows.
func (s *Source) apply(ctx context.Context, p *Page, item *int, sink mirror.Sink) error {
	for _, raw := range p.Items {
		*item++
		pos := mirror.Pos{File: s.name, Line: *item}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			if rerr := sink.Reject(mirror.RowError{Pos: pos, Reason: check.Msg("Eintrag ist kein JSON-Objekt", "item is not a JSON object")}); rerr != nil {
				return rerr
			}
			continue
		}
		rec, errs := s.schema.Decode(mirror.JSONFields(m), s.o.Location)
		if len(errs) > 0 {
			for _, fe := range errs {
				if rerr := sink.Reject(mirror.RowError{Pos: pos, Field: fe.Field, Reason: fe.Reason}); rerr != nil {
					return rerr
				}
			}
			continue
		}
		if err := sink.Put(ctx, rec, pos); err != nil {
			return err
		}
	}
	for _, key := range p.Deleted {
		*item++
		pos := mirror.Pos{File: s.name, Line: *item}
		if s.o.Dataset == mirror.Articles {
			pzn, err := pharma.ParsePZN(key)
			if err != nil {
				if rerr := sink.Reject(mirror.RowError{Pos: pos, Field: "deleted", Reason: check.Msg(
					fmt.Sprintf("zu löschende PZN %q ungültig", key), fmt.Sprintf("PZN to delete %q invalid", key))}); rerr != nil {
					return rerr
				}
				continue
			}
			key = string(pzn)
		}
		if err := sink.Delete(ctx, key, pos); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (s *Source) unavailable(err error) error {
	return &mirror.Error{Code: mirror.EUNAVAILABLE, Message: check.Msg(
		"Feed "+s.name+" nicht erreichbar; die bisherigen Daten bleiben in Gebrauch",
		"feed "+s.name+" not reachable; the previous data stays in use"), Err: err}
}

func (s *Source) protocolError(de, en string, err error) error {
	return &mirror.Error{Code: mirror.EUNAVAILABLE, Message: check.Msg(
		"Feed "+s.name+" antwortet fehlerhaft: "+de, "feed "+s.name+" answers wrongly: "+en), Err: err}
}

// fetch reads one page.
func (s *Source) fetch(ctx context.Context, since string) (*Page, error) {
	u := *s.u
	q := u.Query()
	q.Set("since", since)
	q.Set("limit", strconv.Itoa(s.o.PageSize))
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, s.unavailable(err)
	}
	req.Header.Set("Accept", "application/json")
	if s.o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.o.Token)
	}
	resp, err := s.o.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.unavailable(err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusGone:
		return nil, mirror.ErrCursorExpired
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, &mirror.Error{Code: mirror.EINVALID, Message: check.Msg(
			"Feed "+s.name+" lehnt den Zugangsschlüssel (token) ab; token in der Konfiguration prüfen",
			"feed "+s.name+" refuses the token; check the token in the configuration"),
			Err: fmt.Errorf("HTTP %d", resp.StatusCode)}
	case resp.StatusCode != http.StatusOK:
		return nil, s.unavailable(fmt.Errorf("HTTP %d", resp.StatusCode))
	}
	var p Page
	dec := json.NewDecoder(io.LimitReader(resp.Body, MaxPageBytes))
	if err := dec.Decode(&p); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.protocolError("Antwort unvollständig oder kein JSON", "response incomplete or not JSON", err)
	}
	if p.Dataset != string(s.o.Dataset) {
		return nil, s.protocolError(fmt.Sprintf("liefert %q statt %q", p.Dataset, s.o.Dataset),
			fmt.Sprintf("delivers %q instead of %q", p.Dataset, s.o.Dataset), nil)
	}
	if p.Schema != s.schema.Version {
		return nil, &mirror.Error{Code: mirror.EINVALID, Message: check.Msg(
			fmt.Sprintf("Feed %s liefert Schema-Version %d, diese lifeline-Version versteht %d; lifeline aktualisieren", s.name, p.Schema, s.schema.Version),
			fmt.Sprintf("feed %s delivers schema version %d, this lifeline understands %d; update lifeline", s.name, p.Schema, s.schema.Version))}
	}
	if p.Cursor == "" {
		return nil, s.protocolError("Cursor fehlt", "cursor missing", nil)
	}
	return &p, nil
}
