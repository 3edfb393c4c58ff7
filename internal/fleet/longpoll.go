package fleet

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// WaitForCommands is the long-poll: it returns the site's pending
// commands at once when there are any, else waits up to wait (real time)
// for new ones, and returns what is pending then (possibly nothing).
// Commands stay pending until acknowledged, so a lost answer only means
// they are sent again.
func (s *Service) WaitForCommands(ctx context.Context, site Site, wait time.Duration) ([]Command, error) {
	woken, cancel := s.hub.wait(site.ID) // before reading, so no wake-up is missed
	defer cancel()
	cmds, err := s.store.PendingCommands(ctx, site.ID, s.clk.Now().UTC())
	if err != nil || len(cmds) > 0 || wait <= 0 {
		return cmds, err
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, nil
	case <-t.C:
	case <-woken:
	}
	return s.store.PendingCommands(ctx, site.ID, s.clk.Now().UTC())
}

// AckCommand records that the site stored a command. ENOTFOUND when the
// site has no such command.
func (s *Service) AckCommand(ctx context.Context, site Site, id int64) error {
	return s.store.AckCommand(ctx, site.ID, id, s.clk.Now().UTC())
}

// Report records what a site says about one of its commands. EINVALID for
// an unknown status, ENOTFOUND when the site has no such command.
func (s *Service) Report(ctx context.Context, site Site, commandID int64, status, message string) (Report, error) {
	if !slices.Contains(reportStatuses, status) {
		return Report{}, Errorf(EINVALID, "Unbekannter Status „%s“.", "Unknown status \"%s\".", status)
	}
	message = strings.TrimSpace(message)
	if utf8.RuneCountInString(message) > maxSentence || !utf8.ValidString(message) {
		return Report{}, Errorf(EINVALID, "Meldung zu lang.", "Message too long.")
	}
	r, err := s.store.AddReport(ctx, Report{SiteID: site.ID, CommandID: commandID, Status: status, Message: message, At: s.clk.Now().UTC()})
	if err != nil {
		return Report{}, err
	}
	s.log.Info("fleet: site report", "site", site.ID, "command", commandID, "kind", r.Kind, "status", status, "version", r.Version)
	return r, nil
}
