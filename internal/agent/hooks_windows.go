package agent

import "os/exec"

// prepareHook leaves the defaults: a timeout kills the hook's process.
func prepareHook(*exec.Cmd) {}

// startAndWait starts cmd and waits for it.
func startAndWait(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Wait()
}
