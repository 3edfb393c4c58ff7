package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleettest"
)

// benchSites enrols n sites and returns their tokens.
func benchSites(b *testing.B, env *fleettest.Env, n int) []string {
	b.Helper()
	sites := make([]fleet.Site, n)
	for i := range sites {
		sites[i] = fleet.Site{ID: fmt.Sprintf("apo-%05d", i)}
	}
	codes := env.AddSites(b, sites...)
	tokens := make([]string, 0, n)
	for _, s := range sites {
		e, err := env.Service().Enrol(context.Background(), codes[s.ID], "")
		if err != nil {
			b.Fatal(err)
		}
		tokens = append(tokens, e.Token)
	}
	return tokens
}

// BenchmarkHeartbeat measures one heartbeat over real HTTP on loopback
// (token check against the store, validation, the in-memory update), with
// as many parallel senders as GOMAXPROCS*8. 20,000 sites every 30 s need
// about 670 a second.
func BenchmarkHeartbeat(b *testing.B) {
	env := fleettest.New(b, nil)
	tokens := benchSites(b, env, 2000)
	body := []byte(`{"sent_at":"2026-06-15T10:00:00Z","overall":"ok","sentence":"Alles in Ordnung.","components":{"erp":"2026.1","lifeline":"1.0.0"},"agent":{"version":"1.0.0","state":"idle"}}`)
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	hc := &http.Client{Transport: tr}
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tok := tokens[int(next.Add(1))%len(tokens)]
			req, _ := http.NewRequest(http.MethodPost, env.URL+"/api/v1/site/heartbeat", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "heartbeats/s")
}

// BenchmarkFlush20000 measures writing the last-seen times of 20,000
// sites in one transaction (a flush after every site sent an unchanged
// heartbeat).
func BenchmarkFlush20000(b *testing.B) {
	env := fleettest.New(b, nil)
	const n = 20000
	sites := make([]fleet.Site, n)
	for i := range sites {
		sites[i] = fleet.Site{ID: fmt.Sprintf("apo-%05d", i)}
	}
	env.AddSites(b, sites...)
	ctx := context.Background()
	beat := func() {
		for _, s := range sites {
			if _, err := env.Service().Heartbeat(ctx, s, fleet.Heartbeat{Overall: "ok", Components: map[string]string{"erp": "2026.1"}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	beat()
	if err := env.Service().Flush(ctx); err != nil { // the first, full write
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		env.Clock.Advance(30e9)
		beat()
		b.StartTimer()
		if err := env.Service().Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
