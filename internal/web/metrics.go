package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lifeline-project/lifeline/internal/check"
)

// collector builds the check metrics from the monitor's Overview on each
// scrape, so the numbers are never older than the dashboard's.
//
//	lifeline_check_up{check}               1 when ok or degraded, 0 when down or unknown
//	lifeline_check_state{check,state}      1 for the current state, 0 for the other three
//	lifeline_probe_duration_seconds{check} latency of the last probe (absent before the first)
//	lifeline_build_info{version}           always 1
//
// Unknown counts as not up: "up" means the check confirmed that the
// dependency works, and an unknown state (not probed yet, or stale UPS
// data) confirms nothing. Tell unknown from down with lifeline_check_state.
type collector struct {
	src     StatusSource
	version string
	up      *prometheus.Desc
	state   *prometheus.Desc
	dur     *prometheus.Desc
	info    *prometheus.Desc
}

func newCollector(src StatusSource, version string) *collector {
	return &collector{
		src:     src,
		version: version,
		up: prometheus.NewDesc("lifeline_check_up",
			"1 when the check is ok or degraded, 0 when it is down or unknown.", []string{"check"}, nil),
		state: prometheus.NewDesc("lifeline_check_state",
			"1 for the check's current state (ok, degraded, down, unknown), 0 for the others.", []string{"check", "state"}, nil),
		dur: prometheus.NewDesc("lifeline_probe_duration_seconds",
			"Duration of the check's last probe in seconds.", []string{"check"}, nil),
		info: prometheus.NewDesc("lifeline_build_info",
			"Always 1; the label carries the lifeline version.", []string{"version"}, nil),
	}
}

// Describe sends the metric descriptions.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.state
	ch <- c.dur
	ch <- c.info
}

// Collect reads the current Overview and sends the metrics.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, c.version)
	states := []check.State{check.StateOK, check.StateDegraded, check.StateDown, check.StateUnknown}
	for _, cs := range c.src.Overview().Checks {
		st := cs.State
		if st == "" {
			st = check.StateUnknown
		}
		up := 0.0
		if st == check.StateOK || st == check.StateDegraded {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, cs.ID)
		for _, s := range states {
			v := 0.0
			if s == st {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, cs.ID, string(s))
		}
		if !cs.LastProbe.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.dur, prometheus.GaugeValue, cs.Latency.Seconds(), cs.ID)
		}
	}
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{ErrorLog: slogPromLogger{s}})
}

// slogPromLogger passes promhttp's errors to the server's logger.
type slogPromLogger struct{ s *Server }

// Println logs a metrics error.
func (l slogPromLogger) Println(v ...any) { l.s.log.Error("metrics", "err", v) }
