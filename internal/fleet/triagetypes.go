package fleet

import "time"

// Claim says that a support agent takes care of a site in the triage
// queue.
type Claim struct {
	SiteID    string
	Agent     string
	ClaimedAt time.Time
}

// Note is a support agent's note in a site's timeline.
type Note struct {
	ID     int64
	SiteID string
	At     time.Time
	Author string
	Text   string
}

// Silence is a site's heartbeat stopping: the site node, its power or its
// line is gone. Its contacts are alerted once per silence.
type Silence struct {
	SiteID    string
	LastSeen  time.Time
	AlertedAt time.Time
	// Result says how alerting the contacts went ("sent to 2", "no
	// receiver configured", an error).
	Result string
}
