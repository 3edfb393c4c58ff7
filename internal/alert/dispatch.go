package alert

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// attemptTimeout bounds one delivery attempt.
const attemptTimeout = 60 * time.Second

// due marks the deliveries due at now as in flight and returns them,
// oldest first. Call with e.mu held.
func (e *Engine) due(now time.Time) []*Delivery {
	var out []*Delivery
	for id, d := range e.queue {
		if e.inflight[id] || d.NextAt.After(now) {
			continue
		}
		e.inflight[id] = true
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out
}

// backoff returns the wait after the n-th failed attempt.
func (e *Engine) backoff(n int) time.Duration {
	d := e.cfg.Retry.First.D()
	for i := 1; i < n && d < e.cfg.Retry.Max.D(); i++ {
		d *= 2
	}
	return min(d, e.cfg.Retry.Max.D())
}

func (e *Engine) start(d *Delivery) {
	e.mu.Lock()
	sem := e.sem[d.Receiver]
	if sem == nil {
		sem = make(chan struct{}, e.o.Concurrency)
		e.sem[d.Receiver] = sem
	}
	n := e.o.Notifiers[d.Receiver]
	msg := d.Message
	e.mu.Unlock()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		sem <- struct{}{}
		var retry bool
		var err error
		if n == nil {
			err = fmt.Errorf("no receiver named %q is configured", d.Receiver)
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), attemptTimeout)
			retry, err = n.Notify(ctx, msg)
			cancel()
		}
		<-sem
		e.finish(d, retry, err)
	}()
}

// finish records the outcome of one attempt.
func (e *Engine) finish(d *Delivery, retry bool, err error) {
	now := e.clk.Now()
	e.mu.Lock()
	delete(e.inflight, d.ID)
	d.Attempts++
	h := e.healthOf(d.Receiver)
	switch {
	case err == nil:
		d.Status, d.SentAt, d.LastError = StatusSent, now, ""
		delete(e.queue, d.ID)
		h.LastOK = now
		e.log.Info("alert delivered", "receiver", d.Receiver, "kind", d.Kind, "incident", d.IncidentID, "attempts", d.Attempts)
	case retry && d.Attempts < e.cfg.Retry.Attempts:
		d.Status, d.LastError = StatusRetry, err.Error()
		d.NextAt = now.Add(e.backoff(d.Attempts))
		e.log.Warn("alert delivery failed; will retry", "receiver", d.Receiver, "attempt", d.Attempts, "next", d.NextAt, "err", err)
	default:
		d.Status, d.LastError, d.NextAt = StatusFailed, err.Error(), now
		delete(e.queue, d.ID)
		h.LastFailure, h.LastError = now, err.Error()
		e.log.Error("alert delivery failed for good", "receiver", d.Receiver, "attempts", d.Attempts, "retry_possible", retry, "err", err)
	}
	cp := *d
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if serr := e.st.SaveDeliveries(ctx, []*Delivery{&cp}); serr != nil {
		e.log.Error("save delivery", "err", serr)
	}
	cancel()
	e.mu.Unlock()
	e.poke()
}

// Health returns the last result of every receiver that was used, sorted
// by name; Failing ones belong on the dashboard.
func (e *Engine) Health() []ReceiverHealth {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]ReceiverHealth, 0, len(e.health))
	for _, h := range e.health {
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Receiver < out[j].Receiver })
	return out
}

// Deliveries returns the newest entries of the delivery log.
func (e *Engine) Deliveries(ctx context.Context, limit int) ([]*Delivery, error) {
	return e.st.Deliveries(ctx, limit)
}
