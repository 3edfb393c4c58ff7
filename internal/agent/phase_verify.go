package agent

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/lifeline-project/lifeline/internal/check"
)

// verifyingState checks the downloaded file against the vendor's signed
// metadata, refreshed once more (so that metadata that expired or was
// rolled back during the download is noticed).
type verifyingState struct{}

// Handle verifies length and hashes and moves the file to its final name.
// After a crash between the move and the next state it finds the file
// under the final name and verifies that.
func (verifyingState) Handle(ctx context.Context, a *Agent) (StateID, check.Text) {
	u := a.current()
	if a.dropped(u, a.clk.Now()) {
		return Idle, check.Text{}
	}
	if a.notYet(u) {
		return Verifying, check.Text{}
	}
	t, err := a.signedTarget(ctx, u)
	if err != nil {
		return a.downloadTrouble(ctx, err)
	}
	part, final := a.partPath(t), a.finalPath(t)
	src := part
	if _, err := os.Stat(part); errors.Is(err, fs.ErrNotExist) {
		src = final
		if _, err := os.Stat(final); err != nil {
			// Neither: the file is gone (removed by hand?); download again.
			return Downloading, check.Msg("heruntergeladene Datei fehlt; neuer Download", "downloaded file missing; downloading again")
		}
	}
	if err := verifyFile(src, t); err != nil {
		if IsVerifyError(err) {
			os.Remove(src)
		}
		return a.downloadTrouble(ctx, err)
	}
	if src == part {
		if err := os.Rename(part, final); err != nil {
			a.log.Error("agent: cannot move the verified artifact", "err", err)
			return Verifying, check.Text{}
		}
		syncDir(a.artifactsDir())
	}
	if err := a.update(func(x *Update) { x.Artifact = final }); err != nil {
		return Verifying, check.Text{}
	}
	return WaitingForWindow, check.Msg("geprüft: Signatur und Prüfsumme des Herstellers stimmen", "verified: the vendor's signature and hash match")
}
