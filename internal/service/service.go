// Package service runs `lifeline site` as an operating-system service: a
// Windows service (golang.org/x/sys/windows/svc) on the pharmacy's Windows
// server, and a systemd unit on Linux (examples/lifeline-site.service). It
// also sets up logging: to stderr, or to a size-rotated file.
package service

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"gopkg.in/natefinch/lumberjack.v2"
)

// Name is the service name under which lifeline registers.
const Name = "lifeline-site"

// DisplayName is the name shown in the Windows service list.
const DisplayName = "lifeline Notfallwächter (Apotheke)"

// RunFunc runs the site until ctx ends.
type RunFunc func(ctx context.Context) error

// NewLogger returns a logger writing text records to file (rotated at 10 MB,
// five old files kept, compressed) or to stderr when file is empty, and the
// closer of the file.
func NewLogger(level, file string) (*slog.Logger, io.Closer) {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		lv = slog.LevelInfo
	}
	var w io.Writer = os.Stderr
	var c io.Closer = io.NopCloser(nil)
	if file != "" {
		lj := &lumberjack.Logger{Filename: file, MaxSize: 10, MaxBackups: 5, Compress: true}
		w, c = lj, lj
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv})), c
}
