package agent

import "syscall"

// setDeathSignal asks the kernel to kill the hook when the agent dies.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
