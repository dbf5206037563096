// Command provpack builds, checks and reports on provisioning packages for
// Windows Mobile and Windows 10 Mobile ROM images. See the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// The first SIGINT or SIGTERM cancels ctx: the command stops, cleans
	// up and exits 130. Then the signals' default action is restored, so a
	// second one ends a process stuck in a system call at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
