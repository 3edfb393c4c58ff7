package alert

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// KeyFile is the name of the acknowledgement-link key in the data folder.
const KeyFile = "alert-ack.key"

// macLen is the length of the truncated HMAC-SHA256 in a link (128 bits).
const macLen = 16

// LoadOrCreateKey reads the per-site secret that signs acknowledgement
// links from path, creating it (32 random bytes, hex, mode 0600, written to
// a temporary file, synced and renamed) when missing.
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(key) < 32 {
			return nil, fmt.Errorf("acknowledgement key %s is damaged; delete it to make a new one (old links stop working)", path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read acknowledgement key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".alert-ack-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("write acknowledgement key: %w", err)
	}
	defer os.Remove(tmp.Name())
	// os.CreateTemp makes the file with mode 0600; on Windows the data
	// folder's ACL protects it.
	_, werr := tmp.WriteString(hex.EncodeToString(key) + "\n")
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return nil, fmt.Errorf("write acknowledgement key: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("write acknowledgement key: %w", err)
	}
	return key, nil
}

// Signer issues and checks acknowledgement links. A link names one
// delivery (so the acknowledgement records who clicked) and an expiry, and
// carries an HMAC-SHA256 (truncated to 128 bits) under the site's key; the
// store records each used link, so a link works once.
type Signer struct {
	key []byte
}

// NewSigner returns a signer with key (at least 32 bytes).
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < 32 {
		return nil, errors.New("acknowledgement key too short")
	}
	return &Signer{key: append([]byte(nil), key...)}, nil
}

// Issue returns the token for a delivery id (24 hex digits) valid until
// expires.
func (s *Signer) Issue(deliveryID string, expires time.Time) (string, error) {
	id, err := hex.DecodeString(deliveryID)
	if err != nil || len(id) != 12 {
		return "", fmt.Errorf("delivery id %q is not 24 hex digits", deliveryID)
	}
	buf := make([]byte, 0, 12+8+macLen)
	buf = append(buf, id...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(expires.Unix()))
	buf = append(buf, s.mac(buf)...)
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

func (s *Signer) mac(b []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("lifeline-ack-v1\x00"))
	m.Write(b)
	return m.Sum(nil)[:macLen]
}

// Verify checks a token and returns its delivery id. It returns ErrBadLink
// for a token that is malformed or not signed by this site, and ErrExpired
// after its expiry.
func (s *Signer) Verify(token string, now time.Time) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil || len(b) != 12+8+macLen {
		return "", ErrBadLink
	}
	body, sig := b[:20], b[20:]
	if !hmac.Equal(sig, s.mac(body)) {
		return "", ErrBadLink
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(body[12:20])), 0)
	if !now.Before(exp) {
		return "", ErrExpired
	}
	return hex.EncodeToString(body[:12]), nil
}

// LinkInfo describes the incident an acknowledgement link is for.
type LinkInfo struct {
	Delivery *Delivery
	Incident *Incident
}

// Inspect checks a link without using it up: for the confirmation page,
// which mail scanners may open without anybody clicking.
func (e *Engine) Inspect(ctx context.Context, token string) (LinkInfo, error) {
	id, err := e.o.Signer.Verify(token, e.clk.Now())
	if err != nil {
		return LinkInfo{}, err
	}
	d, err := e.st.Delivery(ctx, id)
	if err != nil {
		return LinkInfo{}, err
	}
	inc, err := e.incident(ctx, d.IncidentID)
	if err != nil {
		return LinkInfo{}, err
	}
	return LinkInfo{Delivery: d, Incident: inc}, nil
}

// AckLink acknowledges the incident of a link and uses the link up. The
// acknowledgement is recorded in the name of the link's person (or
// receiver).
func (e *Engine) AckLink(ctx context.Context, token string) (*Incident, error) {
	info, err := e.Inspect(ctx, token)
	if err != nil {
		return nil, err
	}
	if !info.Incident.Open() {
		return info.Incident, ErrResolved
	}
	if err := e.st.UseAckLink(ctx, info.Delivery.ID, info.Incident.ID, info.Delivery.Receiver, e.clk.Now()); err != nil {
		return nil, err
	}
	by := info.Delivery.Receiver
	if p, ok := e.plan.people[info.Delivery.Person]; ok {
		by = p.Name
	}
	return e.Ack(ctx, info.Incident.ID, by)
}

// incident returns an incident, open (from memory) or closed (from the
// store).
func (e *Engine) incident(ctx context.Context, id string) (*Incident, error) {
	e.mu.Lock()
	for _, inc := range e.incidents {
		if inc.ID == id {
			cp := *inc
			e.mu.Unlock()
			return &cp, nil
		}
	}
	e.mu.Unlock()
	return e.st.Incident(ctx, id)
}

// Ack acknowledges an open incident in the name of by: the escalation
// stops and no reminders go out until the acknowledgement times out. A
// second acknowledgement keeps the first. It returns ErrNotFound for an
// unknown incident and ErrResolved for a closed one.
func (e *Engine) Ack(ctx context.Context, incidentID, by string) (*Incident, error) {
	now := e.clk.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	var inc *Incident
	for _, x := range e.incidents {
		if x.ID == incidentID {
			inc = x
		}
	}
	if inc == nil {
		if _, err := e.st.Incident(ctx, incidentID); err == nil {
			return nil, ErrResolved
		}
		return nil, ErrNotFound
	}
	if !inc.Acked() {
		inc.AckedBy, inc.AckedAt = by, now
		inc.NextStepAt = time.Time{}
		inc.event(now, "Bestätigt von "+by+"; keine weitere Eskalation.", "Acknowledged by "+by+"; no further escalation.")
		e.log.Info("alert acknowledged", "incident", inc.ID, "by", by)
		if err := e.st.SaveIncidents(ctx, []*Incident{inc}); err != nil {
			return nil, err
		}
	}
	cp := *inc
	return &cp, nil
}
