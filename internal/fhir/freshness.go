package fhir

import (
	"context"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
)

// CheckID is the id of the freshness check of the hospital copy.
const CheckID = "fhir-copy"

// CheckSpec returns the check the site adds for the copy's freshness: it
// is probed every minute and turns degraded when the copy is older than
// the configured max_age.
func CheckSpec() check.Spec {
	s := check.Spec{ID: CheckID, Name: "Downtime-Kopie EHR (FHIR)", Kind: "fhir", Group: check.GroupOther,
		Interval: check.Duration(time.Minute), Timeout: check.Duration(10 * time.Second),
		FailAfter: 1, RecoverAfter: 1, Affects: []string{"Notfallansicht Stationen"}}
	s.ApplyDefaults()
	return s
}

// Freshness describes the age of the copy for every page and print-out.
type Freshness struct {
	// AsOf is the copy's Datenstand (zero: no copy yet).
	AsOf time.Time
	Age  time.Duration
	// Stale is true when the copy is older than the max age.
	Stale bool
	// Line is "Datenstand: heute 09:41 (3 Minuten alt)".
	Line check.Text
	// LastError is the last sync's failure, "" when it succeeded.
	LastError string
}

// FreshnessOf describes a sync state at now.
func FreshnessOf(st SyncState, now time.Time, maxAge time.Duration, loc *time.Location) Freshness {
	f := Freshness{AsOf: st.DataAsOf, LastError: st.LastError}
	if st.DataAsOf.IsZero() {
		f.Stale = true
		f.Line = check.Msg("Datenstand: noch keine Kopie vorhanden", "Data as of: no copy yet")
		return f
	}
	f.Age = now.Sub(st.DataAsOf)
	f.Stale = f.Age > maxAge
	when, age := check.StandWords(st.DataAsOf, now, loc), check.AgeWords(f.Age)
	f.Line = check.Msg("Datenstand: "+when.DE+" ("+age.DE+" alt)", "Data as of: "+when.EN+" ("+age.EN+" old)")
	return f
}

// StateReader reads the sync state.
type StateReader interface {
	State(ctx context.Context) (SyncState, error)
}

// Prober reports the age of the copy: OK while it is younger than maxAge
// ("Datenstand 3 Minuten alt"), degraded when older, failed when there is
// no copy because the first sync failed, unknown while the first sync
// runs.
func Prober(st StateReader, maxAge time.Duration, clk clock.Clock) check.Prober {
	return check.ProberFunc(func(ctx context.Context) check.Result {
		start := time.Now()
		s, err := st.State(ctx)
		lat := time.Since(start)
		if err != nil {
			return check.Fail(lat, "Downtime-Kopie nicht lesbar: "+err.Error(), "Downtime copy not readable: "+err.Error())
		}
		if s.DataAsOf.IsZero() {
			if s.LastError == "" { // the first sync is still running
				return check.Result{Status: check.StatusUnknown, Latency: lat,
					Message: check.Msg("Erster Abgleich mit dem EHR läuft", "First sync with the EHR running")}
			}
			return check.Fail(lat, "Noch keine Kopie des EHR; letzter Versuch: "+s.LastError, "No copy of the EHR yet; last attempt: "+s.LastError)
		}
		age := clk.Now().Sub(s.DataAsOf)
		a := check.AgeWords(age)
		res := check.Result{Status: check.StatusOK, Latency: lat, Values: map[string]float64{"age_seconds": age.Seconds()},
			Message: check.Msg("Datenstand "+a.DE+" alt", "Data "+a.EN+" old")}
		if age > maxAge {
			res.Status = check.StatusDegraded
			if s.LastError != "" {
				res.Message = check.Msg("Datenstand "+a.DE+" alt; letzter Abgleich fehlgeschlagen: "+s.LastError,
					"Data "+a.EN+" old; last sync failed: "+s.LastError)
			}
		}
		return res
	})
}
