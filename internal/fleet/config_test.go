package fleet

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadConfigGood(t *testing.T) {
	c, err := LoadConfig("testdata/conf.good.yaml")
	if err != nil {
		t.Fatalf("got error %v; want none", err)
	}
	if c.DataDir != filepath.Join("testdata", "fleetdata") || c.TUFKeysDir != filepath.Join("testdata", "fleetdata", "keys") {
		t.Errorf("folders: got %q %q; want relative to the file", c.DataDir, c.TUFKeysDir)
	}
	if c.HeartbeatInterval.D() != 30*time.Second || c.DeadManDeadline.D() != 15*time.Minute || c.EnrolmentCodeTTL.D() != DefaultCodeTTL {
		t.Errorf("durations: got %v %v %v", c.HeartbeatInterval.D(), c.DeadManDeadline.D(), c.EnrolmentCodeTTL.D())
	}
	if c.MemoryLimitBytes() != 900<<20 {
		t.Errorf("memory_limit: got %d bytes; want 900 MiB", c.MemoryLimitBytes())
	}
	if c.SQLitePath() != filepath.Join("testdata", "fleetdata", "fleet.db") {
		t.Errorf("sqlite path: got %q", c.SQLitePath())
	}
}

func TestLoadConfigBad(t *testing.T) {
	type want struct {
		line int
		key  string
		msg  string
	}
	tests := []struct {
		file string
		want []want
	}{
		{"conf.many.yaml", []want{
			{1, "listen", "not host:port"},
			{2, "public_url", "not an http(s) URL"},
			{3, "heartbeat_interval", "out of range"},
			{4, "dead_man_deadline", "shorter than two heartbeat intervals"},
			{5, "language", "not supported"},
			{6, "timezone", "IANA"},
			{7, "dsn", "PostgreSQL"},
			{8, "log_level", "not a log level"},
			{9, "memory_limit", "not a size"},
		}},
		{"conf.unknown-key.yaml", []want{{2, "heartbeat", "unknown key"}}},
		{"conf.bad-duration.yaml", []want{{2, "", "not a duration"}}},
		{"conf.tls-half.yaml", []want{{2, "tls_cert_file", "both"}, {2, "tls_cert_file", "cannot read"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := LoadConfig(filepath.Join("testdata", tt.file))
			ce, ok := err.(*ConfigError)
			if !ok {
				t.Fatalf("got %v; want a *ConfigError", err)
			}
			if len(ce.Problems) != len(tt.want) {
				t.Fatalf("got %d problems:\n%v\nwant %d", len(ce.Problems), ce, len(tt.want))
			}
			for i, w := range tt.want {
				p := ce.Problems[i]
				if p.Line != w.line || p.Key != w.key || !strings.Contains(p.Msg, w.msg) {
					t.Errorf("problem %d: got %s; want line %d, key %q, message with %q", i, p, w.line, w.key, w.msg)
				}
			}
		})
	}
}
