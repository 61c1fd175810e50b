// Package call holds the call actor: one per phone call. It owns the
// telephony leg (the carrier's call and stream IDs, the numbers, status and
// duration) and supervises the call's session: media events pass through
// it to the session, and when the session ends — normally or by a panic —
// the call records how it ended and stops.
package call

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
)

// Config describes a new call.
type Config struct {
	Call    resource.Call
	Session session.Config
	Store   storage.Store
	Log     *slog.Logger
}

// Key is where a call is stored.
func Key(orgID, callID string) string { return "o/" + orgID + "/call/" + callID }

type callActor struct {
	cfg     Config
	call    resource.Call
	session *actor.PID
	failure string
}

// New returns the props of a call actor. Its supervisor strategy stops a
// failed session (a call's media state cannot be rebuilt) and the call
// records the failure.
func New(cfg Config) *actor.Props {
	c := &callActor{cfg: cfg, call: cfg.Call}
	strategy := actor.NewOneForOneStrategy(0, 0, func(reason any) actor.Directive {
		c.failure = fmt.Sprint(reason)
		cfg.Log.Error("session_failed", "call_id", cfg.Call.ID, "reason", c.failure)
		return actor.StopDirective
	})
	return actor.PropsFromProducer(func() actor.Actor { return c }, actor.WithSupervisor(strategy))
}

func (c *callActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		c.call.Status, c.call.StartedAt = "in_progress", time.Now().UTC()
		c.call.SessionID = c.cfg.Session.SessionID
		c.call.Recording = c.cfg.Session.Recording != nil
		c.save()
		pid, err := ctx.SpawnNamed(session.New(c.cfg.Session), "session")
		if err != nil {
			c.failure = err.Error()
			ctx.Stop(ctx.Self())
			return
		}
		c.session = pid
	case *actor.Terminated:
		if c.session != nil && msg.Who.Equal(c.session) {
			c.end(ctx)
		}
	case *session.Hangup:
		c.call.EndReason = msg.Reason
		ctx.Forward(c.session)
	case *actor.Stopping, *actor.Stopped, *actor.Restarting:
	default:
		// Media events and requests belong to the session.
		if c.session != nil {
			ctx.Forward(c.session)
		}
	}
}

// end records how the call ended and stops the actor.
func (c *callActor) end(ctx actor.Context) {
	now := time.Now().UTC()
	c.call.EndedAt = &now
	c.call.DurationMs = now.Sub(c.call.StartedAt).Milliseconds()
	c.call.Status = "completed"
	if c.failure != "" {
		c.call.Status, c.call.EndReason = "failed", "session_failed"
	}
	c.save()
	ctx.Stop(ctx.Self())
}

func (c *callActor) save() {
	var b storage.Batch
	if err := b.PutJSON(Key(c.call.OrganizationID, c.call.ID), c.call); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.cfg.Store.Apply(ctx, &b); err != nil {
		c.cfg.Log.Error("call_save_failed", "call_id", c.call.ID, "err", err)
	}
}
