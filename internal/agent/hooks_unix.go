//go:build !windows

package agent

import (
	"os/exec"
	"runtime"
	"syscall"
)

// prepareHook runs the hook in its own process group, so that a timeout
// kills the whole group (a script and what it started), and, on Linux,
// lets the kernel kill the hook when the agent dies (a crashed agent must
// not leave an install running that it no longer watches).
func prepareHook(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(cmd.SysProcAttr)
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// startAndWait starts cmd and waits for it on one locked OS thread: the
// parent-death signal fires when the thread that started the child ends.
func startAndWait(cmd *exec.Cmd) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Wait()
}
