package provision

import (
	"context"
	"sync"
)

// ForEach calls fn(ctx, i) for i in [0, n) with at most limit calls in
// flight, and returns when all have returned. Unlike an errgroup, one item's
// trouble does not cancel the others: fn records its own outcome. Once ctx
// is done no further item is started.
func ForEach(ctx context.Context, n, limit int, fn func(ctx context.Context, i int)) {
	if limit <= 0 {
		limit = 1
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(limit, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(ctx, i)
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
}
