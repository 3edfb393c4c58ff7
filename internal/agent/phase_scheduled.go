package agent

import (
	"context"

	"github.com/lifeline-project/lifeline/internal/check"
)

// scheduledState: an install command was taken. It checks that the
// component is configured here, then the download begins (ahead of the
// window, so that the window is used for the install alone).
type scheduledState struct{}

// Handle goes on to Downloading, or ends the update when it was withdrawn
// or its slot is over, or fails it when the component is not configured.
func (scheduledState) Handle(_ context.Context, a *Agent) (StateID, check.Text) {
	u := a.current()
	if a.dropped(u, a.clk.Now()) {
		return Idle, check.Text{}
	}
	if _, ok := a.component(u.Component); !ok {
		return fail(a, check.Msg("Die Komponente „"+u.Component+"“ ist an diesem Standort nicht eingerichtet (Abschnitt agent, components); nichts wurde verändert",
			"component \""+u.Component+"\" is not configured at this site (agent section, components); nothing was changed"))
	}
	return Downloading, check.Msg("Download beginnt", "download begins")
}
