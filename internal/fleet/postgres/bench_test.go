package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

// BenchmarkSaveSeen20000 measures one heartbeat flush of 20,000 sites
// whose content did not change (last-seen times only) on PostgreSQL.
func BenchmarkSaveSeen20000(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	const n = 20000
	t0 := time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)
	var news []fleet.NewSite
	var full fleet.HeartbeatBatch
	for i := range n {
		id := fmt.Sprintf("apo-%05d", i)
		news = append(news, fleet.NewSite{Site: fleet.Site{ID: id, Name: id, Timezone: "Europe/Berlin", State: "BY", Window: "Mo 01:00-02:00", CreatedAt: t0}})
		full.Changed = append(full.Changed, fleet.Heartbeat{SiteID: id, ReceivedAt: t0, Overall: "ok", Components: map[string]string{"erp": "1"}})
	}
	if err := s.CreateSites(ctx, news); err != nil {
		b.Fatal(err)
	}
	if err := s.SaveHeartbeats(ctx, full); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		at := t0.Add(time.Duration(i+1) * 30 * time.Second)
		var seen fleet.HeartbeatBatch
		for j := range n {
			seen.Seen = append(seen.Seen, fleet.Seen{SiteID: full.Changed[j].SiteID, At: at, SentAt: at})
		}
		if err := s.SaveHeartbeats(ctx, seen); err != nil {
			b.Fatal(err)
		}
	}
}
