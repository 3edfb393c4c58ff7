package incident

import (
	"context"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/notify"
)

// deliveryKey carries how a message reaches its receiver (drill routing).
type deliveryKey struct{}

// Delivery says how a message reaches a receiver, for the timeline.
type Delivery struct {
	// Drill is true for a drill message; RedirectedFrom names the real
	// receiver the message was meant for.
	Drill          bool
	RedirectedFrom string
}

// WithDelivery returns a context telling the recording notifier how the
// message is delivered; the drill routing sets it.
func WithDelivery(ctx context.Context, d Delivery) context.Context {
	return context.WithValue(ctx, deliveryKey{}, d)
}

// recording wraps a notifier and records every delivered message.
type recording struct {
	name string
	next notify.Notifier
	rec  *Recorder
}

// RecordDeliveries wraps the alert engine's notifiers (alert.Build) so that
// every message a receiver accepted is recorded in the incidents about its
// checks ("Meldung an anna-push gesendet"). Test messages are not.
func RecordDeliveries(ns map[string]notify.Notifier, rec *Recorder) map[string]notify.Notifier {
	out := make(map[string]notify.Notifier, len(ns))
	for name, n := range ns {
		out[name] = &recording{name: name, next: n, rec: rec}
	}
	return out
}

// Notify delivers m and records it when the receiver accepted it.
func (n *recording) Notify(ctx context.Context, m notify.Message) (bool, error) {
	retry, err := n.next.Notify(ctx, m)
	if err != nil || m.Kind == notify.KindTest {
		return retry, err
	}
	d, _ := ctx.Value(deliveryKey{}).(Delivery)
	ids := make([]string, len(m.Causes))
	for i, c := range m.Causes {
		ids[i] = c.CheckID
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if rerr := n.rec.AlertSent(rctx, AlertSent{DeliveryID: m.ID + "/" + n.name, AlertIncident: m.IncidentID, Receiver: n.name,
		Kind: string(m.Kind), Title: m.Title, CheckIDs: ids, Drill: d.Drill, RedirectedFrom: d.RedirectedFrom}); rerr != nil {
		n.rec.log.Error("record alert delivery", "receiver", n.name, "err", rerr)
	}
	return false, nil
}
