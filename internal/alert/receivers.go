package alert

import (
	"fmt"
	"log/slog"

	"github.com/lifeline-project/lifeline/internal/alert/email"
	"github.com/lifeline-project/lifeline/internal/alert/ntfy"
	"github.com/lifeline-project/lifeline/internal/alert/sms"
	"github.com/lifeline-project/lifeline/internal/alert/webhook"
)

// Build makes one Notifier per configured receiver, keyed by its name. It
// is the one place that knows every channel package.
func Build(cfg Config, log *slog.Logger) (map[string]Notifier, error) {
	out := make(map[string]Notifier, len(cfg.Receivers))
	for _, r := range cfg.Receivers {
		n, err := buildOne(r, log.With("receiver", r.Name, "channel", r.Channel()))
		if err != nil {
			return nil, fmt.Errorf("receiver %q: %w", r.Name, err)
		}
		out[r.Name] = n
	}
	return out, nil
}

func buildOne(r Receiver, log *slog.Logger) (Notifier, error) {
	switch {
	case r.Email != nil:
		return email.New(*r.Email, log)
	case r.Webhook != nil:
		return webhook.New(*r.Webhook, log)
	case r.Ntfy != nil:
		return ntfy.New(*r.Ntfy, log)
	case r.SMS != nil:
		return sms.New(*r.SMS, log)
	default:
		return nil, fmt.Errorf("no channel configured")
	}
}
