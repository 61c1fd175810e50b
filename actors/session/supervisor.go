package session

import (
	"fmt"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
)

// Spawn asks the sessions supervisor to start a session, or, with Props
// set, an actor that owns one (a phone call). Answer: *actor.PID.
type Spawn struct {
	Config Config
	Props  *actor.Props
	Name   string
}

// Count asks how many sessions are live. Answer: int.
type Count struct{}

// supervisor parents every live session. A session that panics is stopped,
// not restarted: its media state cannot be rebuilt, so the call ends
// cleanly (the session hangs up its port as it stops) and the failure is
// logged; the other sessions go on.
type supervisor struct {
	log  *slog.Logger
	live map[string]*actor.PID
}

// NewSupervisor returns the props of the sessions supervisor.
func NewSupervisor(log *slog.Logger) *actor.Props {
	strategy := actor.NewOneForOneStrategy(0, 0, func(reason any) actor.Directive {
		log.Error("session_failed", "reason", fmt.Sprint(reason))
		return actor.StopDirective
	})
	return actor.PropsFromProducer(func() actor.Actor {
		return &supervisor{log: log, live: map[string]*actor.PID{}}
	}, actor.WithSupervisor(strategy))
}

func (s *supervisor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *Spawn:
		props, name := msg.Props, msg.Name
		if props == nil {
			props, name = New(msg.Config), msg.Config.SessionID
		}
		pid, err := ctx.SpawnNamed(props, name)
		if err != nil {
			ctx.Respond(fmt.Errorf("session: spawn: %w", err))
			return
		}
		s.live[pid.Id] = pid
		ctx.Respond(pid)
	case *Count:
		ctx.Respond(len(s.live))
	case *actor.Terminated:
		delete(s.live, msg.Who.Id)
	}
}
