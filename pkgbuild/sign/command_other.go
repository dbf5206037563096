//go:build !unix

package sign

import "os/exec"

// killGroupOnCancel leaves cmd's cancellation as exec.CommandContext has
// it: it kills cmd itself (cmd.exe), not the processes it started;
// WaitDelay bounds how long those may hold its output open.
func killGroupOnCancel(cmd *exec.Cmd) {}
