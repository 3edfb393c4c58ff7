package auth

import (
	"sync"
	"time"
)

// throttle counts failed logins per user name in memory. After maxFails
// failures within failWindow the name is locked for lock. A restart
// forgets everything, which is acceptable for a 30-second lock.
type throttle struct {
	maxFails int
	lock     time.Duration

	mu      sync.Mutex
	entries map[string]*throttleEntry
}

type throttleEntry struct {
	fails       int
	lastFail    time.Time
	lockedUntil time.Time
}

const (
	// failWindow: failures further apart than this do not add up.
	failWindow = 15 * time.Minute
	// maxThrottleEntries bounds the memory an attacker can make the
	// throttle use by trying many different names.
	maxThrottleEntries = 10000
)

func newThrottle(maxFails int, lock time.Duration) *throttle {
	if maxFails < 1 {
		maxFails = 1
	}
	return &throttle{maxFails: maxFails, lock: lock, entries: make(map[string]*throttleEntry)}
}

// locked reports whether name is locked at now, and until when.
func (t *throttle) locked(name string, now time.Time) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[name]
	if !ok || !now.Before(e.lockedUntil) {
		return time.Time{}, false
	}
	return e.lockedUntil, true
}

// fail records a failed attempt and reports whether it locked the name.
func (t *throttle) fail(name string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[name]
	if !ok {
		if len(t.entries) >= maxThrottleEntries {
			t.prune(now)
			if len(t.entries) >= maxThrottleEntries {
				return false
			}
		}
		e = &throttleEntry{}
		t.entries[name] = e
	}
	if now.Sub(e.lastFail) > failWindow {
		e.fails = 0
	}
	e.fails++
	e.lastFail = now
	if e.fails >= t.maxFails {
		e.fails = 0
		e.lockedUntil = now.Add(t.lock)
		return true
	}
	return false
}

// reset forgets the failures of name after a successful login.
func (t *throttle) reset(name string) {
	t.mu.Lock()
	delete(t.entries, name)
	t.mu.Unlock()
}

// prune drops entries that are neither locked nor recent. t.mu is held.
func (t *throttle) prune(now time.Time) {
	for name, e := range t.entries {
		if !now.Before(e.lockedUntil) && now.Sub(e.lastFail) > failWindow {
			delete(t.entries, name)
		}
	}
}
