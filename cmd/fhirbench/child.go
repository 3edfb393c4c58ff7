package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirdb"
	"github.com/lifeline-project/lifeline/internal/seal"
)

// syncResult is what a child reports of one sync.
type syncResult struct {
	Full      bool          `json:"full"`
	Wall      time.Duration `json:"wall"`      // kick-off to commit
	Waited    time.Duration `json:"waited"`    // of it: waiting for the server (Retry-After)
	Put       int           `json:"put"`       // resources stored
	Dropped   int           `json:"dropped"`   // past retention
	Deleted   int           `json:"deleted"`   // deletions applied
	Bytes     int64         `json:"bytes"`     // JSON bytes parsed
	DBBytes   int64         `json:"db_bytes"`  // fhir.db + WAL after the sync
	HeapPeak  uint64        `json:"heap_peak"` // Go heap in use, sampled
	Resources int           `json:"resources"` // in the copy afterwards
	AgeAfter  time.Duration `json:"age_after"` // Datenstand age right after the commit
	Problems  int           `json:"problems"`  // malformed lines
}

// readResult times the viewer's reads on the finished copy.
type readResult struct {
	Wards      int           `json:"wards"`
	Inpatients int           `json:"inpatients"`
	Census     time.Duration `json:"census"`
	WardList   time.Duration `json:"ward_list"`   // slowest ward list (ward types)
	MedList    time.Duration `json:"med_list"`    // slowest medication list
	Summary50  time.Duration `json:"summary_p50"` // full patient record + summary
	SummaryMax time.Duration `json:"summary_max"`
	Search     time.Duration `json:"search_p50"`
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func openCopy(ctx context.Context, dir string) (*fhirdb.DB, *seal.Keyring, error) {
	kr, _, err := seal.Load(seal.Options{}) // LIFELINE_DATA_KEY from the parent
	if err != nil {
		return nil, nil, err
	}
	db, err := fhirdb.Open(ctx, filepath.Join(dir, fhirdb.FileName), kr, nil)
	return db, kr, err
}

// childSync runs one sync against url into the copy in dir.
func childSync(url, dir string) error {
	ctx := context.Background()
	db, kr, err := openCopy(ctx, dir)
	if err != nil {
		return err
	}
	defer db.Close()
	var waited time.Duration
	sleep := func(ctx context.Context, d time.Duration) error {
		waited += d
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	client, err := fhir.NewClient(fhir.ClientOptions{BaseURL: url, HTTP: &http.Client{Timeout: 5 * time.Minute}, Sleep: sleep})
	if err != nil {
		return err
	}
	s, err := fhir.NewSyncer(fhir.SyncOptions{Client: client, Store: db, Keys: kr, WorkDir: filepath.Join(dir, "fhir-work"), Sleep: sleep})
	if err != nil {
		return err
	}
	var peak uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	rep, err := s.SyncOnce(ctx)
	wall := time.Since(start)
	close(done)
	if err != nil {
		return err
	}
	st, err := db.State(ctx)
	if err != nil {
		return err
	}
	counts, _ := db.Counts(ctx)
	n := 0
	for _, c := range counts {
		n += c
	}
	res := syncResult{Full: rep.Full, Wall: wall, Waited: waited, Put: rep.Counts.Put, Dropped: rep.Counts.Dropped,
		Deleted: rep.Counts.Deleted, Bytes: rep.Counts.Bytes, HeapPeak: peak, Resources: n,
		AgeAfter: clock.Real{}.Now().Sub(st.DataAsOf), Problems: rep.ProblemCount,
		DBBytes: fileSize(db.Path()) + fileSize(db.Path()+"-wal")}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// childRead times what the viewer does on the copy in dir.
func childRead(dir string) error {
	ctx := context.Background()
	db, _, err := openCopy(ctx, dir)
	if err != nil {
		return err
	}
	defer db.Close()
	var res readResult
	start := time.Now()
	census, err := fhir.CensusOf(ctx, db)
	if err != nil {
		return err
	}
	res.Census = time.Since(start)
	now := time.Now()
	var keys []fhir.Key
	for _, w := range census.Wards {
		if w.Patients == 0 {
			continue
		}
		res.Wards++
		res.Inpatients += w.Patients
		t := time.Now()
		if _, err := fhir.LoadSheet(ctx, db, census, w.ID, now, fhir.WardTypes()); err != nil {
			return err
		}
		res.WardList = max(res.WardList, time.Since(t))
		t = time.Now()
		if _, err := fhir.LoadSheet(ctx, db, census, w.ID, now, fhir.MedicationTypes()); err != nil {
			return err
		}
		res.MedList = max(res.MedList, time.Since(t))
		for _, b := range census.Beds(w.ID) {
			keys = append(keys, b.Patient)
		}
	}
	if len(keys) == 0 {
		return fmt.Errorf("no inpatients in the copy")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var sums, searches []time.Duration
	for i := 0; i < 100; i++ {
		k := keys[rng.IntN(len(keys))]
		t := time.Now()
		rec, err := db.Record(ctx, k)
		if err != nil {
			return err
		}
		fhir.Summarize(rec, now)
		sums = append(sums, time.Since(t))
		t = time.Now()
		if _, err := db.FindPatients(ctx, fhir.QueryTerms(rec.Patient.Family), 50); err != nil {
			return err
		}
		searches = append(searches, time.Since(t))
	}
	res.Summary50, res.SummaryMax = pct(sums, 0.5), pct(sums, 1)
	res.Search = pct(searches, 0.5)
	return json.NewEncoder(os.Stdout).Encode(res)
}
