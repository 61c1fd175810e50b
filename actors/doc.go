// Package actors holds Switchboard's actor kinds, one sub-package each, and
// the request helper that transport uses to talk to them.
//
// Actors own all mutable state. A request message is answered with either
// the result or a *resource.Problem, so errors cross actor (and later node)
// boundaries as data.
package actors

import (
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/resource"
)

// ErrTimeout is returned by Ask when the actor did not answer in time.
var ErrTimeout = errors.New("actors: request timed out")

// Ask sends msg to pid and waits for its answer: a T, or a *resource.Problem
// returned as the error.
func Ask[T any](root *actor.RootContext, pid *actor.PID, msg any, timeout time.Duration) (T, error) {
	var zero T
	res, err := root.RequestFuture(pid, msg, timeout).Result()
	if err != nil {
		if errors.Is(err, actor.ErrTimeout) {
			return zero, ErrTimeout
		}
		return zero, fmt.Errorf("actors: request: %w", err)
	}
	switch v := res.(type) {
	case T:
		return v, nil
	case *resource.Problem:
		return zero, v
	default:
		return zero, fmt.Errorf("actors: unexpected reply %T", res)
	}
}
