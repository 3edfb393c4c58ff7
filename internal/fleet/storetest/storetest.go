// Package storetest is the one contract test suite of fleet.Store. Every
// backend runs it from its own tests (fleet/sqlite, fleet/postgres) with a
// function that opens a fresh, empty store; so SQLite and PostgreSQL are
// held to the same behaviour, error codes included.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

// Opener opens a fresh, empty store for one test and returns it with a
// second handle on the same database, as another fleet replica would hold
// it (a single-process backend returns the same store twice). The opener
// registers the clean-up with t.
type Opener func(t *testing.T) (first, second fleet.Store)

// Run runs the contract suite against a backend.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s, s2 fleet.Store)
	}{
		{"Sites", testSites},
		{"SitesFilter", testSitesFilter},
		{"Enrol", testEnrol},
		{"Heartbeats", testHeartbeats},
		{"Releases", testReleases},
		{"Rollouts", testRollouts},
		{"Commands", testCommands},
		{"Reports", testReports},
		{"Listen", testListen},
		{"Broadcasts", testBroadcasts},
		{"ConsoleRoles", testConsoleRoles},
		{"Triage", testTriage},
		{"UpcomingInstalls", testUpcomingInstalls},
		{"PlannerLock", testPlannerLock},
		{"Audit", testAudit},
		{"TUFFiles", testTUFFiles},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"APITokens", testAPITokens},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, s2 := open(t)
			tt.fn(t, s, s2)
		})
	}
}

// t0 is the suite's reference time; times carry microseconds to catch
// backends that round them to the second or millisecond.
var t0 = time.Date(2026, 3, 29, 1, 30, 0, 123456000, time.UTC)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// wantCode fails unless err carries the fleet (or auth) error code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := fleet.ErrorCode(err); got != code {
		t.Fatalf("%s: got error code %q (%v); want %q", what, got, err, code)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func site(id string) fleet.Site {
	return fleet.Site{ID: id, Name: "Apotheke " + id, Timezone: "Europe/Berlin", State: "BY",
		Window: "Mo-Fr 01:00-05:00", Contacts: "Frau Muster 089 123", CreatedAt: t0}
}

func newSites(ids ...string) []fleet.NewSite {
	out := make([]fleet.NewSite, len(ids))
	for i, id := range ids {
		out[i] = fleet.NewSite{Site: site(id), CodeHash: "code-" + id, CodeExpiresAt: t0.Add(24 * time.Hour)}
	}
	return out
}

func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s: got %v; want %v", what, got, want)
	}
	if !got.IsZero() && got.Location() != time.UTC {
		t.Errorf("%s: got location %v; want UTC", what, got.Location())
	}
}
