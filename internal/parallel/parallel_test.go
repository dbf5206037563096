package parallel

import (
	"context"
	"sync/atomic"
	"testing"
)

func TestParallelRunsEachIndexOnce(t *testing.T) {
	for _, jobs := range []int{0, 1, 2, 7, 100} {
		for _, n := range []int{0, 1, 5, 1000} {
			seen := make([]atomic.Int32, n)
			For(context.Background(), n, jobs, func(i int) { seen[i].Add(1) })
			for i := range seen {
				if c := seen[i].Load(); c != 1 {
					t.Fatalf("jobs %d n %d: index %d ran %d times", jobs, n, i, c)
				}
			}
		}
	}
}

func TestParallelStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int32
	For(ctx, 1000, 1, func(i int) {
		ran.Add(1)
		if i == 9 {
			cancel()
		}
	})
	if got := ran.Load(); got != 10 {
		t.Errorf("%d calls ran, want 10 (none after the cancel)", got)
	}
}
