package sim

import (
	"context"
	"time"
)

// Wait blocks for d or until ctx is done, returning ctx.Err() in that case.
type Wait func(ctx context.Context, d time.Duration) error

// RealWait waits on a time.Timer.
func RealWait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
