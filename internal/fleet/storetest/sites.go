package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

func testSites(t *testing.T, s, _ fleet.Store) {
	c := ctx(t)
	must(t, "create", s.CreateSites(c, newSites("apo-b", "apo-a")))
	got, err := s.Site(c, "apo-a")
	must(t, "read", err)
	want := site("apo-a")
	want.CodeExpiresAt = t0.Add(24 * time.Hour)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("site (-want +got):\n%s", d)
	}
	_, err = s.Site(c, "apo-x")
	wantCode(t, "unknown site", err, fleet.ENOTFOUND)

	// All or none: one existing id refuses the whole batch.
	err = s.CreateSites(c, newSites("apo-c", "apo-a"))
	wantCode(t, "duplicate", err, fleet.ECONFLICT)
	_, err = s.Site(c, "apo-c")
	wantCode(t, "site of a refused batch", err, fleet.ENOTFOUND)
	err = s.CreateSites(c, newSites("apo-d", "apo-d"))
	wantCode(t, "duplicate within a batch", err, fleet.ECONFLICT)

	all, err := s.AllSites(c)
	must(t, "all", err)
	if len(all) != 2 || all[0].ID != "apo-a" || all[1].ID != "apo-b" {
		t.Errorf("all sites: got %+v; want apo-a, apo-b", all)
	}

	upd := got
	upd.Name, upd.Timezone, upd.State, upd.Window, upd.Contacts, upd.Ring = "Neu", "Europe/Vienna", "NW", "Sa 02:00-06:00", "", "test"
	must(t, "update", s.UpdateSite(c, upd))
	got2, err := s.Site(c, "apo-a")
	must(t, "read after update", err)
	if d := cmp.Diff(upd, got2); d != "" {
		t.Errorf("updated site (-want +got):\n%s", d)
	}
	upd.ID = "apo-x"
	wantCode(t, "update unknown", s.UpdateSite(c, upd), fleet.ENOTFOUND)
}

func testSitesFilter(t *testing.T, s, _ fleet.Store) {
	c := ctx(t)
	var ns []fleet.NewSite
	for _, id := range []string{"a1", "a2", "a3", "b1", "b2"} {
		n := newSites(id)[0]
		if id[0] == 'b' {
			n.Site.State = "HH"
			n.Site.Name = "Klinik_Nord " + id
		}
		if id == "b2" {
			n.Site.Contacts = "Herr Beispiel, 20095 Hamburg, 040 / 12 34-56"
		}
		ns = append(ns, n)
	}
	must(t, "create", s.CreateSites(c, ns))
	must(t, "heartbeat", s.SaveHeartbeats(c, fleet.HeartbeatBatch{Changed: []fleet.Heartbeat{
		{SiteID: "a2", ReceivedAt: t0, Overall: "down"},
		{SiteID: "b1", ReceivedAt: t0, Overall: "ok"},
	}}))
	tests := []struct {
		name  string
		f     fleet.SiteFilter
		ids   []string
		total int
	}{
		{"all", fleet.SiteFilter{}, []string{"a1", "a2", "a3", "b1", "b2"}, 5},
		{"page", fleet.SiteFilter{Limit: 2, Offset: 2}, []string{"a3", "b1"}, 5},
		{"state", fleet.SiteFilter{State: "HH"}, []string{"b1", "b2"}, 2},
		{"query name, any case", fleet.SiteFilter{Query: "KLINIK"}, []string{"b1", "b2"}, 2},
		{"query underscore is literal", fleet.SiteFilter{Query: "k_n"}, []string{"b1", "b2"}, 2},
		{"query percent is literal", fleet.SiteFilter{Query: "%"}, nil, 0},
		{"query id", fleet.SiteFilter{Query: "a3"}, []string{"a3"}, 1},
		{"query town in the contacts", fleet.SiteFilter{Query: "hamburg"}, []string{"b2"}, 1},
		{"query phone written otherwise", fleet.SiteFilter{Query: "04012 3456"}, []string{"b2"}, 1},
		{"query phone digits", fleet.SiteFilter{Query: "089123"}, []string{"a1", "a2", "a3", "b1"}, 4},
		{"overall", fleet.SiteFilter{Overall: "down"}, []string{"a2"}, 1},
		{"never reported", fleet.SiteFilter{Overall: "none"}, []string{"a1", "a3", "b2"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, total, err := s.Sites(c, tt.f)
			must(t, "list", err)
			var ids []string
			for _, r := range rows {
				ids = append(ids, r.Site.ID)
			}
			if d := cmp.Diff(tt.ids, ids); d != "" || total != tt.total {
				t.Errorf("got %v (total %d); want %v (total %d)", ids, total, tt.ids, tt.total)
			}
		})
	}
	rows, _, err := s.Sites(c, fleet.SiteFilter{Query: "a2"})
	must(t, "list", err)
	if len(rows) != 1 || rows[0].Heartbeat.Overall != "down" || !rows[0].Heartbeat.ReceivedAt.Equal(t0) {
		t.Errorf("row with heartbeat: got %+v", rows)
	}
}

func testEnrol(t *testing.T, s, s2 fleet.Store) {
	c := ctx(t)
	ns := newSites("apo-1", "apo-2")
	ns[1].CodeExpiresAt = t0.Add(-time.Second) // expired
	must(t, "create", s.CreateSites(c, ns))

	_, err := s.Enrol(c, "code-apo-2", "tok-2", t0)
	wantCode(t, "expired code", err, fleet.EUNAUTHORIZED)
	_, err = s.Enrol(c, "wrong", "tok-x", t0)
	wantCode(t, "unknown code", err, fleet.EUNAUTHORIZED)
	_, err = s.Enrol(c, "", "tok-x", t0)
	wantCode(t, "empty code", err, fleet.EUNAUTHORIZED)
	_, err = s.SiteByToken(c, "")
	wantCode(t, "empty token", err, fleet.EUNAUTHORIZED)

	at := t0.Add(time.Minute)
	st, err := s.Enrol(c, "code-apo-1", "tok-1", at)
	must(t, "enrol", err)
	if st.ID != "apo-1" || !st.HasToken || !st.EnrolledAt.Equal(at) || !st.CodeExpiresAt.IsZero() {
		t.Errorf("enrolled site: got %+v", st)
	}
	_, err = s.Enrol(c, "code-apo-1", "tok-again", at)
	wantCode(t, "used code", err, fleet.EUNAUTHORIZED)

	// Another replica sees the token at once.
	got, err := s2.SiteByToken(c, "tok-1")
	must(t, "by token", err)
	if got.ID != "apo-1" {
		t.Errorf("site by token: got %q; want apo-1", got.ID)
	}

	// Revocation takes effect at once, on every replica.
	must(t, "revoke", s.RevokeToken(c, "apo-1", at.Add(time.Hour)))
	_, err = s2.SiteByToken(c, "tok-1")
	wantCode(t, "revoked token", err, fleet.EUNAUTHORIZED)
	got, err = s.Site(c, "apo-1")
	must(t, "read", err)
	if got.HasToken || !got.RevokedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("revoked site: got HasToken %v RevokedAt %v", got.HasToken, got.RevokedAt)
	}
	wantCode(t, "revoke unknown", s.RevokeToken(c, "nope", at), fleet.ENOTFOUND)

	// A new code; enrolling again gives a new token and clears the revocation.
	wantCode(t, "code for unknown", s.SetEnrolmentCode(c, "nope", "x", at.Add(time.Hour)), fleet.ENOTFOUND)
	must(t, "new code", s.SetEnrolmentCode(c, "apo-1", "code-new", at.Add(48*time.Hour)))
	got, _ = s.Site(c, "apo-1")
	sameTime(t, "code expiry", got.CodeExpiresAt, at.Add(48*time.Hour))
	st, err = s.Enrol(c, "code-new", "tok-new", at.Add(2*time.Hour))
	must(t, "re-enrol", err)
	if !st.HasToken || !st.RevokedAt.IsZero() {
		t.Errorf("re-enrolled site: got %+v", st)
	}
	if _, err := s.SiteByToken(c, "tok-new"); err != nil {
		t.Errorf("new token: %v", err)
	}

	// Re-enrolling while a token is valid replaces it.
	must(t, "third code", s.SetEnrolmentCode(c, "apo-1", "code-3", at.Add(48*time.Hour)))
	if _, err := s.SiteByToken(c, "tok-new"); err != nil {
		t.Errorf("token while a new code is open: %v; want still valid", err)
	}
	_, err = s.Enrol(c, "code-3", "tok-3", at.Add(3*time.Hour))
	must(t, "enrol third", err)
	_, err = s.SiteByToken(c, "tok-new")
	wantCode(t, "replaced token", err, fleet.EUNAUTHORIZED)
}
