// Package parallel is the one parallel-for of provpack: indices handed to
// a bounded number of goroutines, the caller's included. It knows nothing
// of what the work is.
package parallel

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// For calls fn(i) for every i in [0, n) on at most jobs goroutines (the
// number of CPUs when jobs ≤ 0), the caller's included, and returns when
// all calls have returned. Indices are taken from a shared counter rather
// than handed over a channel: with thousands of small files the hand-over
// was a measurable share of the time, in futex and scheduler wake-ups.
//
// Once ctx is done no further calls start; For does not say which ran.
func For(ctx context.Context, n, jobs int, fn func(i int)) {
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	jobs = min(jobs, n)
	if jobs <= 0 {
		return
	}
	var next atomic.Int64
	done := ctx.Done()
	work := func() {
		for {
			if done != nil {
				select {
				case <-done:
					return
				default:
				}
			}
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(i)
		}
	}
	var wg sync.WaitGroup
	for range jobs - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}
