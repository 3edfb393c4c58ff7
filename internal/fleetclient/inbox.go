package fleetclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
)

// InboxFile holds the site's broadcasts (in the client's folder).
const InboxFile = "broadcasts.json"

// inboxKeep is how many broadcasts the inbox keeps; older ones are
// dropped once they expired.
const inboxKeep = 50

// Message is a broadcast as the site keeps it: what the fleet sent, when
// it arrived, and what the staff did with it.
type Message struct {
	Broadcast  protocol.Broadcast `json:"broadcast"`
	ReceivedAt time.Time          `json:"received_at"`
	ReadAt     time.Time          `json:"read_at,omitzero"`
	ReadBy     string             `json:"read_by,omitempty"`
	// Answer is "", helped or not_helped.
	Answer     string    `json:"answer,omitempty"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
	AnsweredBy string    `json:"answered_by,omitempty"`
	Note       string    `json:"note,omitempty"`
	// FileStored is set once the attachment was downloaded and verified
	// (FilePath), so that it is there when the line goes down later.
	FileStored bool `json:"file_stored,omitempty"`
	// Pending are receipts not yet accepted by the fleet (sent again).
	Pending []protocol.BroadcastReceipt `json:"pending,omitempty"`
}

// Active reports whether the message is still shown at now.
func (m Message) Active(now time.Time) bool { return now.Before(m.Broadcast.ExpiresAt) }

// Inbox keeps the broadcasts a site received, in a file written atomically
// in the client's folder, with their attachments beside it; it sends the
// staff's "read" and answers to the fleet, again and again until the
// fleet has them (the fleet may be unreachable just when the workaround is
// tried). It is safe for concurrent use.
type Inbox struct {
	c    *Client
	dir  string
	path string

	mu    sync.Mutex
	msgs  []Message // newest first
	onNew []func(Message)
	kick  chan struct{}
}

// OpenInbox loads the inbox of the client's folder and registers it with
// the client: the client's Run asks for broadcasts and runs the inbox.
func OpenInbox(c *Client) (*Inbox, error) {
	in := &Inbox{c: c, dir: c.dir, path: filepath.Join(c.dir, InboxFile), kick: make(chan struct{}, 1)}
	data, err := os.ReadFile(in.path)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &in.msgs); err != nil {
			// A damaged file must not stop the site; the fleet sends what
			// is still active again (it keeps the receipts).
			c.log.Warn("fleet: the broadcast inbox is damaged; starting empty", "file", in.path, "err", err)
			in.msgs = nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read the broadcast inbox: %w", err)
	}
	c.mu.Lock()
	c.inbox = in
	c.mu.Unlock()
	return in, nil
}

// OnNew registers fn to be called (outside the inbox's lock) with each
// broadcast when it first arrives.
func (in *Inbox) OnNew(fn func(Message)) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.onNew = append(in.onNew, fn)
}

// save writes the inbox; call with mu held.
func (in *Inbox) save() error {
	data, err := json.MarshalIndent(in.msgs, "", " ")
	if err != nil {
		return err
	}
	return writeFile(in.path, data, 0o600)
}

// receive stores a broadcast delivered by the long-poll. It returns nil
// once the broadcast is stored (a repeat is ignored); the client then
// tells the fleet "received".
func (in *Inbox) receive(ctx context.Context, b protocol.Broadcast) error {
	in.mu.Lock()
	if slices.ContainsFunc(in.msgs, func(m Message) bool { return m.Broadcast.ID == b.ID }) {
		in.mu.Unlock()
		return nil
	}
	m := Message{Broadcast: b, ReceivedAt: in.c.clk.Now().UTC()}
	in.msgs = append([]Message{m}, in.msgs...)
	in.trim()
	err := in.save()
	fns := append([]func(Message){}, in.onNew...)
	in.mu.Unlock()
	if err != nil {
		return err
	}
	in.c.log.Info("fleet: broadcast received", "broadcast", b.ID, "title", b.Title)
	if b.File != nil {
		in.fetchFile(ctx, b)
	}
	for _, fn := range fns {
		fn(m)
	}
	return nil
}

// trim drops expired messages beyond inboxKeep; call with mu held.
func (in *Inbox) trim() {
	if len(in.msgs) <= inboxKeep {
		return
	}
	now := in.c.clk.Now()
	var keep []Message
	for i, m := range in.msgs {
		if i < inboxKeep || m.Active(now) {
			keep = append(keep, m)
		} else {
			_ = os.RemoveAll(in.fileDir(m.Broadcast.ID))
		}
	}
	in.msgs = keep
}

func (in *Inbox) fileDir(id int64) string {
	return filepath.Join(in.dir, "broadcasts", strconv.FormatInt(id, 10))
}

// FilePath returns where the attachment of broadcast id is kept, and
// whether it is there.
func (in *Inbox) FilePath(id int64) (string, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, m := range in.msgs {
		if m.Broadcast.ID == id && m.Broadcast.File != nil {
			return filepath.Join(in.fileDir(id), safeName(m.Broadcast.File.Name)), m.FileStored
		}
	}
	return "", false
}

// safeName keeps a file name inside its folder.
func safeName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == ".." || name == "/" || name == "" {
		return "datei"
	}
	return name
}

// fetchFile downloads and verifies a broadcast's attachment; a failure is
// retried by Run.
func (in *Inbox) fetchFile(ctx context.Context, b protocol.Broadcast) {
	data, err := in.c.BroadcastFile(ctx, b.ID, *b.File)
	if err != nil {
		in.c.log.Warn("fleet: the broadcast's file could not be fetched yet; trying again", "broadcast", b.ID, "err", err)
		return
	}
	if err := writeFile(filepath.Join(in.fileDir(b.ID), safeName(b.File.Name)), data, 0o600); err != nil {
		in.c.log.Error("fleet: storing the broadcast's file failed", "broadcast", b.ID, "err", err)
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for i := range in.msgs {
		if in.msgs[i].Broadcast.ID == b.ID {
			in.msgs[i].FileStored = true
		}
	}
	if err := in.save(); err != nil {
		in.c.log.Error("fleet: saving the broadcast inbox failed", "err", err)
	}
}

// Messages returns the kept messages, newest first.
func (in *Inbox) Messages() []Message {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.msgs)
}

// Active returns the messages shown now, newest first.
func (in *Inbox) Active() []Message {
	now := in.c.clk.Now()
	var out []Message
	for _, m := range in.Messages() {
		if m.Active(now) {
			out = append(out, m)
		}
	}
	return out
}

// Message returns one message.
func (in *Inbox) Message(id int64) (Message, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, m := range in.msgs {
		if m.Broadcast.ID == id {
			return m, true
		}
	}
	return Message{}, false
}

// ErrNoMessage is returned for an unknown broadcast id.
var ErrNoMessage = errors.New("no such broadcast at this site")

// MarkRead records that a person at the site opened the message (the
// first time counts) and queues the receipt for the fleet.
func (in *Inbox) MarkRead(id int64, by string) error {
	return in.update(id, func(m *Message, now time.Time) bool {
		if !m.ReadAt.IsZero() {
			return false
		}
		m.ReadAt, m.ReadBy = now, by
		m.Pending = append(m.Pending, protocol.BroadcastReceipt{Status: protocol.ReceiptRead, By: by})
		return true
	})
}

// Answer records the staff's answer ("hat geholfen": helped true, "hilft
// nicht": false) with an optional note, and queues it for the fleet. A
// later answer replaces an earlier one.
func (in *Inbox) Answer(id int64, helped bool, note, by string) error {
	status := protocol.ReceiptNotHelped
	if helped {
		status = protocol.ReceiptHelped
	}
	note = strings.TrimSpace(note)
	if len([]rune(note)) > 1000 {
		note = string([]rune(note)[:1000])
	}
	return in.update(id, func(m *Message, now time.Time) bool {
		if m.ReadAt.IsZero() {
			m.ReadAt, m.ReadBy = now, by
		}
		m.Answer, m.AnsweredAt, m.AnsweredBy, m.Note = status, now, by, note
		m.Pending = append(m.Pending, protocol.BroadcastReceipt{Status: status, Note: note, By: by})
		return true
	})
}

func (in *Inbox) update(id int64, fn func(*Message, time.Time) bool) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	for i := range in.msgs {
		if in.msgs[i].Broadcast.ID != id {
			continue
		}
		if !fn(&in.msgs[i], in.c.clk.Now().UTC()) {
			return nil
		}
		if err := in.save(); err != nil {
			return err
		}
		select {
		case in.kick <- struct{}{}:
		default:
		}
		return nil
	}
	return ErrNoMessage
}

// run sends pending receipts and fetches missing files until ctx ends:
// at once when there is something new, else every 30 s while something
// waits (with back-off while the fleet is unreachable).
func (in *Inbox) run(ctx context.Context) {
	fails := 0
	for {
		wait := 30 * time.Second
		if in.flush(ctx) {
			fails = 0
		} else {
			wait = backoff(fails)
			fails++
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-in.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// flush sends what is pending; it returns false when the fleet was not
// reachable.
func (in *Inbox) flush(ctx context.Context) bool {
	if !in.c.Enrolled() {
		return true
	}
	ok := true
	for _, m := range in.Messages() {
		if m.Broadcast.File != nil && !m.FileStored && m.Active(in.c.clk.Now()) {
			in.fetchFile(ctx, m.Broadcast)
		}
		for len(m.Pending) > 0 {
			r := m.Pending[0]
			err := in.c.BroadcastReceipt(ctx, m.Broadcast.ID, r)
			if err != nil && Retryable(err) {
				ok = false
				break
			}
			if err != nil {
				in.c.log.Warn("fleet: the fleet refused a broadcast answer; dropped", "broadcast", m.Broadcast.ID, "status", r.Status, "err", err)
			}
			m.Pending = m.Pending[1:]
			in.mu.Lock()
			for i := range in.msgs {
				if in.msgs[i].Broadcast.ID == m.Broadcast.ID && len(in.msgs[i].Pending) > 0 {
					in.msgs[i].Pending = in.msgs[i].Pending[1:]
				}
			}
			err = in.save()
			in.mu.Unlock()
			if err != nil {
				in.c.log.Error("fleet: saving the broadcast inbox failed", "err", err)
				return false
			}
		}
		if !ok {
			break
		}
	}
	return ok
}

// Now returns the client's time (the clock the inbox judges expiry by).
func (in *Inbox) Now() time.Time { return in.c.clk.Now() }
