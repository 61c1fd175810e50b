package agent

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
)

// agentActor owns one agent's state while it is active.
type agentActor struct {
	cfg   Config
	store storage.Store
	log   *slog.Logger
	name  string
	orgID string
	id    string
	// created is set when the actor was spawned to create the agent.
	created *resource.Agent

	state *resource.Agent // nil when the agent does not exist (or was deleted)
	ready bool            // state has been loaded
}

func (a *agentActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		ctx.SetReceiveTimeout(a.cfg.IdleTimeout)
	case *actor.ReceiveTimeout:
		ctx.Send(ctx.Parent(), &passivate{name: a.name})
	case *Create:
		if err := a.save(msg.OrgID, a.created, true); err != nil {
			ctx.Respond(err)
			return
		}
		a.state, a.ready, a.created = a.created, true, nil
		ctx.Respond(clone(a.state))
	case *Get:
		if p := a.load(); p != nil {
			ctx.Respond(p)
			return
		}
		ctx.Respond(clone(a.state))
	case *Update:
		ctx.Respond(a.update(msg))
	case *Delete:
		ctx.Respond(a.delete())
	}
}

// load reads the agent on first use. After a restart by the supervisor the
// state is read again from storage, the source of truth.
func (a *agentActor) load() *resource.Problem {
	if !a.ready {
		ctx, cancel := context.WithTimeout(context.Background(), a.cfg.StoreTimeout)
		defer cancel()
		ag, err := storage.GetJSON[resource.Agent](ctx, a.store, agentKey(a.orgID, a.id))
		switch {
		case errors.Is(err, storage.ErrNotFound):
			a.state = nil
		case err != nil:
			a.log.Error("agent_load_failed", "agent_id", a.id, "err", err)
			return resource.Internal()
		default:
			ag.OrganizationID = a.orgID
			a.state = &ag
		}
		a.ready = true
	}
	if a.state == nil {
		return resource.NotFound("agent")
	}
	return nil
}

func (a *agentActor) update(msg *Update) any {
	if p := a.load(); p != nil {
		return p
	}
	spec := a.state.AgentSpec
	if p := resource.DecodeValid(msg.Patch, &spec); p != nil {
		return p
	}
	next := *a.state
	next.AgentSpec = spec
	next.UpdatedAt = time.Now().UTC()
	if p := a.save(a.orgID, &next, false); p != nil {
		return p
	}
	a.state = &next
	return clone(a.state)
}

func (a *agentActor) delete() any {
	if p := a.load(); p != nil {
		return p
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.StoreTimeout)
	defer cancel()
	if err := a.store.Apply(ctx, new(storage.Batch).Delete(agentKey(a.orgID, a.id)).Delete(locatorKey(a.id))); err != nil {
		a.log.Error("agent_delete_failed", "agent_id", a.id, "err", err)
		return resource.Internal()
	}
	// The actor stays as a tombstone answering NOT_FOUND until it passivates,
	// so requests already on their way get the right answer.
	a.state = nil
	return &Deleted{ID: a.id}
}

func (a *agentActor) save(orgID string, ag *resource.Agent, created bool) *resource.Problem {
	var b storage.Batch
	if err := b.PutJSON(agentKey(orgID, ag.ID), ag); err != nil {
		return resource.Internal()
	}
	if created {
		b.Put(locatorKey(ag.ID), []byte(orgID))
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.StoreTimeout)
	defer cancel()
	if err := a.store.Apply(ctx, &b); err != nil {
		a.log.Error("agent_save_failed", "agent_id", ag.ID, "err", err)
		return resource.Internal()
	}
	return nil
}

// clone returns a copy the caller may read while the actor moves on. Maps
// and slices are shared: the actor replaces them on update, never mutates.
func clone(a *resource.Agent) *resource.Agent {
	c := *a
	return &c
}
