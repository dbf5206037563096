// Package outdir is the output-directory transaction of a build, and the
// guard around the manifest and its release lock.
//
// A build stages every output as a temporary file in the directory it
// goes to (Tx.Create), and only when all are staged does Tx.Commit check
// the destinations and rename them into place, the release lock last.
// Until the last rename succeeds, a failure leaves every destination as
// it was: files replaced so far are put back from hard-linked copies. A
// destination that is not a regular file (a directory, a FIFO, a device)
// is an error before anything is renamed; it is never opened, so it
// cannot block.
//
// Lock guards a directory against a second provpack writing to it at the
// same time: an output directory, or the directory holding a manifest and
// its provpack.lock. Whoever holds the guard removes temporary files that
// an interrupted run left there.
//
// outdir owns file staging, destination checks, renaming, syncing and
// locking. It knows nothing of what the files hold: naming, archives and
// reports belong to its callers.
package outdir
