package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Attachment is the file a support agent attaches to a broadcast.
type Attachment struct {
	Name string
	Data []byte
}

// SendBroadcast resolves the selector to the sites it chooses now, stores
// the broadcast with its attachment (nil: none) and announces it: the
// long-polls of its targets on every replica answer at once. EINVALID
// lists the problems (or says that no site matches).
func (s *Service) SendBroadcast(ctx context.Context, actor string, b Broadcast, att *Attachment) (Broadcast, error) {
	b.Normalize()
	b.File = nil
	var file []byte
	if att != nil && len(att.Data) > 0 {
		file = att.Data
		sum := sha256.Sum256(file)
		b.File = &BroadcastFile{Name: strings.TrimSpace(att.Name), Size: int64(len(file)), SHA256: hex.EncodeToString(sum[:])}
	}
	now := s.clk.Now().UTC()
	b.CreatedAt, b.CreatedBy = now, actor
	if b.ExpiresAt.IsZero() {
		b.ExpiresAt = now.Add(DefaultBroadcastTTL)
	}
	ps := b.Validate()
	if !b.ExpiresAt.After(now) || b.ExpiresAt.Sub(now) > maxBroadcastTTL {
		ps.Add("expires", "must lie between now and 30 days ahead")
	}
	if len(ps) > 0 {
		return Broadcast{}, problemsError(ps, "")
	}
	ids, err := s.SelectSites(ctx, b.Selector)
	if err != nil {
		return Broadcast{}, err
	}
	if len(ids) == 0 {
		w := b.Selector.Words()
		return Broadcast{}, Err(EINVALID, "Die Auswahl ("+w.In("de")+") trifft keinen Standort. Nichts gesendet.",
			"The selection ("+w.In("en")+") matches no site. Nothing was sent.")
	}
	out, err := s.store.CreateBroadcast(ctx, b, file, ids)
	if err != nil {
		return Broadcast{}, err
	}
	detail := fmt.Sprintf("%q an %d Standorte (%s)", out.Title, out.Targets, out.Selector.Words().In("de"))
	if out.File != nil {
		detail += fmt.Sprintf("; Datei %s (%d Bytes, sha256 %s)", out.File.Name, out.File.Size, out.File.SHA256)
	}
	s.audit(ctx, actor, "broadcast.send", fmt.Sprintf("broadcast:%d", out.ID), detail)
	return out, nil
}

// SelectSites returns the ids of the sites the selector chooses now, by
// their records and last heartbeats (those in memory included), sorted.
func (s *Service) SelectSites(ctx context.Context, sel Selector) ([]string, error) {
	sel.Normalize()
	if ps := sel.Validate(); len(ps) > 0 {
		return nil, problemsError(ps, "")
	}
	sites, err := s.store.AllSites(ctx)
	if err != nil {
		return nil, err
	}
	hbs := map[string]Heartbeat{}
	if sel.Component != "" || sel.FailingCheck != "" {
		stored, err := s.store.Heartbeats(ctx)
		if err != nil {
			return nil, err
		}
		for _, hb := range stored {
			hbs[hb.SiteID] = hb
		}
		for id, hb := range s.hb.lastSeen() {
			if hb.ReceivedAt.After(hbs[id].ReceivedAt) {
				hbs[id] = hb
			}
		}
	}
	var ids []string
	for _, st := range sites {
		if sel.Matches(st, hbs[st.ID]) {
			ids = append(ids, st.ID)
		}
	}
	return ids, nil
}

// Broadcasts returns the latest broadcasts with their counts.
func (s *Service) Broadcasts(ctx context.Context, limit int) ([]BroadcastSummary, error) {
	return s.store.Broadcasts(ctx, limit)
}

// BroadcastDetail is a broadcast with its counts and the receipt of every
// target.
type BroadcastDetail struct {
	Broadcast Broadcast
	Counts    BroadcastCounts
	Receipts  []Receipt
}

// Broadcast returns a broadcast with its counts and receipts. ENOTFOUND.
func (s *Service) Broadcast(ctx context.Context, id int64) (BroadcastDetail, error) {
	b, err := s.store.Broadcast(ctx, id)
	if err != nil {
		return BroadcastDetail{}, err
	}
	c, err := s.store.BroadcastCounts(ctx, id)
	if err != nil {
		return BroadcastDetail{}, err
	}
	rs, err := s.store.BroadcastReceipts(ctx, id)
	if err != nil {
		return BroadcastDetail{}, err
	}
	return BroadcastDetail{Broadcast: b, Counts: c, Receipts: rs}, nil
}

// BroadcastCounts returns a broadcast's live counts. ENOTFOUND.
func (s *Service) BroadcastCounts(ctx context.Context, id int64) (BroadcastCounts, error) {
	return s.store.BroadcastCounts(ctx, id)
}

// siteBroadcast returns the broadcast when the site is one of its
// targets; ENOTFOUND otherwise (another site's broadcast looks like none).
func (s *Service) siteBroadcast(ctx context.Context, site Site, id int64) (Broadcast, error) {
	if b, ok, known := s.bc.target(id, site.ID); known {
		if !ok {
			return Broadcast{}, NotFound("Die Nachricht", "broadcast", fmt.Sprint(id))
		}
		return b, nil
	}
	sbs, err := s.store.SiteBroadcasts(ctx, site.ID, 1000)
	if err != nil {
		return Broadcast{}, err
	}
	for _, sb := range sbs {
		if sb.Broadcast.ID == id {
			return sb.Broadcast, nil
		}
	}
	return Broadcast{}, NotFound("Die Nachricht", "broadcast", fmt.Sprint(id))
}

// BroadcastReceipt records what a site says about a broadcast: received,
// read, helped or not_helped (with a note and who answered). It returns
// once the receipt is stored. EINVALID for an unknown status or too long
// a note, ENOTFOUND when the site is not a target.
func (s *Service) BroadcastReceipt(ctx context.Context, site Site, id int64, status, note, by string) error {
	if !ValidReceiptStatus(status) {
		return Errorf(EINVALID, "Unbekannter Status „%s“.", "Unknown status \"%s\".", status)
	}
	note, by = strings.TrimSpace(note), strings.TrimSpace(by)
	if utf8.RuneCountInString(note) > maxSentence || utf8.RuneCountInString(by) > maxShortText || !utf8.ValidString(note+by) {
		return Errorf(EINVALID, "Anmerkung oder Name zu lang.", "Note or name too long.")
	}
	if _, err := s.siteBroadcast(ctx, site, id); err != nil {
		return err
	}
	r := Receipt{BroadcastID: id, SiteID: site.ID, Status: status, At: s.clk.Now().UTC(), Note: note, By: by}
	if err := s.receipts.write(ctx, r); err != nil {
		return err
	}
	s.bc.markReceived(id, site.ID)
	if status == ReceiptHelped || status == ReceiptNotHelped {
		s.log.Info("fleet: broadcast answered", "broadcast", id, "site", site.ID, "answer", status)
	}
	return nil
}

// SiteBroadcastFile returns a broadcast's attachment for one of its
// target sites. ENOTFOUND when the site is not a target or there is no
// file.
func (s *Service) SiteBroadcastFile(ctx context.Context, site Site, id int64) (BroadcastFile, []byte, error) {
	b, err := s.siteBroadcast(ctx, site, id)
	if err != nil {
		return BroadcastFile{}, nil, err
	}
	if b.File == nil {
		return BroadcastFile{}, nil, NotFound("Die Datei der Nachricht", "broadcast file", fmt.Sprint(id))
	}
	data, err := s.store.BroadcastFile(ctx, id)
	if err != nil {
		return BroadcastFile{}, nil, err
	}
	return *b.File, data, nil
}

// BroadcastFile returns a broadcast's attachment for the console.
// ENOTFOUND.
func (s *Service) BroadcastFile(ctx context.Context, id int64) (BroadcastFile, []byte, error) {
	b, err := s.store.Broadcast(ctx, id)
	if err != nil {
		return BroadcastFile{}, nil, err
	}
	if b.File == nil {
		return BroadcastFile{}, nil, NotFound("Die Datei der Nachricht", "broadcast file", fmt.Sprint(id))
	}
	data, err := s.store.BroadcastFile(ctx, id)
	return *b.File, data, err
}
