// Command fhirbench measures the hospital downtime copy (internal/fhir)
// and prints a Markdown report:
//
//   - full Bulk Data import of the Synthea sample of 10 patients (with the
//     simulator's current stays) and of N generated patients: time, peak
//     resident memory, Go heap, database size;
//   - increments of a 5-minute interval's changes (new vital signs and
//     given doses of a share of the inpatients, a discharge): time from
//     kick-off to commit, and from it the age of the copy ("Datenstand")
//     under increments every 5 minutes;
//   - the viewer's reads on the copy: census, ward and medication lists,
//     a patient summary, a search.
//
// The simulated EHR (internal/fhir/fhirsim) serves on loopback in this
// process; every sync runs in a child process of its own, so its peak
// resident memory (getrusage maxrss) is the importer's alone.
//
//	go run ./cmd/fhirbench -patients 1000 -out /tmp/fhir-bench.md
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirsim"
	"github.com/lifeline-project/lifeline/internal/fhir/gen"
	"github.com/lifeline-project/lifeline/internal/seal"
)

type options struct {
	patients, changes, increments int
	seed                          uint64
	sample, dir, out              string
	interval                      time.Duration
	child, url, data              string
}

func main() {
	var o options
	flag.IntVar(&o.patients, "patients", 1000, "generated patients")
	flag.IntVar(&o.changes, "changes", 30, "inpatients with new vital signs and doses per increment")
	flag.IntVar(&o.increments, "increments", 5, "increments to measure per data set")
	flag.Uint64Var(&o.seed, "seed", 1, "generator seed")
	flag.StringVar(&o.sample, "sample", "", "the Synthea sample (default ../shared/testdata/fhir/10-patients beside the repository)")
	flag.StringVar(&o.dir, "dir", "", "work folder (default: a new temporary folder, removed afterwards)")
	flag.StringVar(&o.out, "out", "", "also write the report to this file")
	flag.DurationVar(&o.interval, "interval", fhir.DefaultInterval, "increment interval the age of the copy is computed for")
	flag.StringVar(&o.child, "child", "", "internal: sync or read in a child process")
	flag.StringVar(&o.url, "url", "", "internal: FHIR base of the child's sync")
	flag.StringVar(&o.data, "data", "", "internal: the child's data folder")
	flag.Parse()
	log.SetFlags(0)
	var err error
	switch o.child {
	case "sync":
		err = childSync(o.url, o.data)
	case "read":
		err = childRead(o.data)
	case "":
		err = run(o)
	default:
		err = fmt.Errorf("unknown child %q", o.child)
	}
	if err != nil {
		log.Fatalf("fhirbench: %v", err)
	}
}

// dataset is one measured data set.
type dataset struct {
	name     string
	dir      string
	admit    bool
	full     syncResult
	fullRSS  int64
	incs     []syncResult
	incRSS   int64
	read     readResult
	resTotal int
}

func findSample() string {
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "..", "shared", "testdata", "fhir", "10-patients")
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

func run(o options) error {
	if o.sample == "" {
		o.sample = findSample()
	}
	if _, err := os.Stat(filepath.Join(o.sample, "Patient.000.ndjson")); err != nil {
		return fmt.Errorf("the Synthea sample is missing at %q (../shared/testdata/fhir/10-patients beside the repository; or give -sample): %w", o.sample, err)
	}
	if o.dir == "" {
		d, err := os.MkdirTemp("", "fhirbench-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		o.dir = d
	}
	genDir := filepath.Join(o.dir, "generated")
	t := time.Now()
	// The hospital's present is the start of this hour: the same data for a
	// whole hour, and close enough to the wall clock for the retention.
	stats, err := gen.WriteDir(genDir, gen.Options{Patients: o.patients, Seed: o.seed, Now: time.Now().UTC().Truncate(time.Hour)})
	if err != nil {
		return err
	}
	log.Printf("generated %d patients (%d resources) in %s", o.patients, stats.Total(), time.Since(t).Round(time.Millisecond))
	sets := []*dataset{
		{name: "Synthea sample, 10 patients (+ simulated stays)", dir: o.sample, admit: true},
		{name: fmt.Sprintf("generated, %d patients", o.patients), dir: genDir},
	}
	for i, ds := range sets {
		if err := measure(o, ds, filepath.Join(o.dir, fmt.Sprintf("copy%d", i))); err != nil {
			return fmt.Errorf("%s: %w", ds.name, err)
		}
	}
	rep := report(o, sets, stats)
	fmt.Print(rep)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(rep), 0o644)
	}
	return nil
}

// child runs this program in a child process and decodes its JSON.
func child(key string, v any, args ...string) (int64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), seal.EnvVar+"="+key)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("child %v: %v\n%s", args, err, errb.String())
	}
	if err := json.Unmarshal(out.Bytes(), v); err != nil {
		return 0, fmt.Errorf("child %v: %v: %s", args, err, out.String())
	}
	return maxRSS(cmd.ProcessState), nil
}

func measure(o options, ds *dataset, data string) error {
	sim, err := fhirsim.New(fhirsim.Options{Dir: ds.dir, Admit: ds.admit, AdmitSeed: o.seed, WorkDir: filepath.Join(data, "sim"),
		StatusPolls: 1, RetryAfter: time.Second})
	if err != nil {
		return err
	}
	defer sim.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())
	url := "http://" + ln.Addr().String() + "/fhir"
	raw, err := seal.GenerateKey()
	if err != nil {
		return err
	}
	key := seal.EncodeKey(raw)
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	log.Printf("%s: full import", ds.name)
	if ds.fullRSS, err = child(key, &ds.full, "-child", "sync", "-url", url, "-data", data); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(o.seed, 99))
	for i := 0; i < o.increments; i++ {
		time.Sleep(1100 * time.Millisecond) // the next changes lie after the last transactionTime
		if err := change(sim, rng, o.changes); err != nil {
			return err
		}
		var r syncResult
		rss, err := child(key, &r, "-child", "sync", "-url", url, "-data", data)
		if err != nil {
			return err
		}
		ds.incs = append(ds.incs, r)
		ds.incRSS = max(ds.incRSS, rss)
	}
	log.Printf("%s: reads", ds.name)
	_, err = child(key, &ds.read, "-child", "read", "-data", data)
	return err
}

// change plays 5 minutes of a hospital: for n inpatients a new set of
// vital signs (heart rate, temperature, SpO2) and a given dose; one stay
// ends (discharge); one observation entered in error is deleted.
func change(sim *fhirsim.Server, rng *rand.Rand, n int) error {
	var stays []map[string]any
	for _, id := range sim.IDs(fhir.TypeEncounter) {
		raw, _ := sim.Resource(fhir.TypeEncounter, id)
		var e map[string]any
		if json.Unmarshal(raw, &e) == nil && e["status"] == "in-progress" {
			stays = append(stays, e)
		}
	}
	if len(stays) == 0 {
		return fmt.Errorf("no current stays to change")
	}
	now := time.Now().UTC().Format(time.RFC3339)
	for i := 0; i < n; i++ {
		e := stays[rng.IntN(len(stays))]
		patient := e["subject"].(map[string]any)["reference"].(string)
		for j, v := range []struct {
			code, text, unit string
			value            float64
		}{{"8867-4", "Herzfrequenz", "/min", 60 + rng.Float64()*40}, {"8310-5", "Körpertemperatur", "Cel", 36 + rng.Float64()*2},
			{"59408-5", "Sauerstoffsättigung", "%", 90 + rng.Float64()*9}} {
			obs := fmt.Sprintf(`{"resourceType":"Observation","id":"bench-%d-%d-%d","status":"final","category":[{"coding":[{"code":"vital-signs"}]}],`+
				`"code":{"coding":[{"system":"http://loinc.org","code":"%s"}],"text":"%s"},"subject":{"reference":"%s"},"effectiveDateTime":"%s",`+
				`"valueQuantity":{"value":%.1f,"unit":"%s"}}`, time.Now().UnixNano(), i, j, v.code, v.text, patient, now, v.value, v.unit)
			if err := sim.Put([]byte(obs)); err != nil {
				return err
			}
		}
		dose := fmt.Sprintf(`{"resourceType":"MedicationAdministration","id":"bench-ma-%d-%d","status":"completed",`+
			`"medicationCodeableConcept":{"text":"Pantoprazol 40 mg"},"subject":{"reference":"%s"},"effectiveDateTime":"%s","dosage":{"text":"1 Tablette"}}`,
			time.Now().UnixNano(), i, patient, now)
		if err := sim.Put([]byte(dose)); err != nil {
			return err
		}
	}
	e := stays[rng.IntN(len(stays))]
	e["status"] = "finished"
	e["period"].(map[string]any)["end"] = now
	b, _ := json.Marshal(e)
	if err := sim.Put(b); err != nil {
		return err
	}
	obs := sim.IDs(fhir.TypeObservation)
	return sim.Delete(fhir.TypeObservation, obs[rng.IntN(len(obs))])
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func ms(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func report(o options, sets []*dataset, st gen.Stats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Import\n\n| data set | resources read | stored | past retention | JSON | time | of it waiting for the server | peak RSS | Go heap peak | fhir.db |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, ds := range sets {
		f := ds.full
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s | %s | %s | %s | %s | %s |\n", ds.name, f.Put+f.Dropped, f.Put, f.Dropped, mib(f.Bytes),
			ms(f.Wall), ms(f.Waited), mib(ds.fullRSS), mib(int64(f.HeapPeak)), mib(f.DBBytes))
	}
	fmt.Fprintf(&b, "\n## Increments (%d changed inpatients: 3 vital signs and 1 dose each, 1 discharge, 1 deletion)\n\n", o.changes)
	fmt.Fprintf(&b, "| data set | increments | resources each | time p50 | time max | of it waiting for the server | peak RSS | age of the copy: right after | at most | on average |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, ds := range sets {
		var walls []time.Duration
		put := 0
		var waited time.Duration
		for _, r := range ds.incs {
			walls = append(walls, r.Wall)
			put = r.Put + r.Deleted
			waited = r.Waited
		}
		d := pct(walls, 1)
		// Kick-offs lie interval + D apart; the copy's Datenstand is the
		// kick-off, so its age runs from D (after a commit) to
		// interval + 2D (just before the next commit); on average
		// (interval + 3D) / 2.
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |\n", ds.name, len(ds.incs), put, ms(pct(walls, 0.5)), ms(d), ms(waited),
			mib(ds.incRSS), ms(d), fmtAge(o.interval+2*d), fmtAge((o.interval+3*d)/2))
	}
	fmt.Fprintf(&b, "\n## Reads of the viewer\n\n| data set | wards | inpatients | census | slowest ward list | slowest medication list | patient summary p50 | max | search p50 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, ds := range sets {
		r := ds.read
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %s | %s | %s |\n", ds.name, r.Wards, r.Inpatients, ms(r.Census), ms(r.WardList), ms(r.MedList), ms(r.Summary50), ms(r.SummaryMax), ms(r.Search))
	}
	keys := make([]string, 0, len(st))
	for k := range st {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, st[k]))
	}
	fmt.Fprintf(&b, "\nGenerated data (seed %d): %s.\n", o.seed, strings.Join(parts, ", "))
	return b.String()
}

func fmtAge(d time.Duration) string {
	m := int(d / time.Minute)
	s := int((d % time.Minute) / time.Second)
	return fmt.Sprintf("%d:%02d min", m, s)
}
