package tool

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
	"github.com/switchboard-voice/switchboard/toolrun"
)

// MaxPerAgent caps an agent's tools: every one is offered to the model on
// every turn.
const MaxPerAgent = 64

// Config tunes the tools actors.
type Config struct {
	// IdleTimeout is how long an agent's tools actor lives without messages.
	IdleTimeout time.Duration
	// StoreTimeout bounds one storage operation.
	StoreTimeout time.Duration
}

// manager owns the set of active per-agent actors.
type manager struct {
	cfg      Config
	store    storage.Store
	log      *slog.Logger
	children map[string]*actor.PID // by org/agent
}

// NewManager returns the props of the tools manager.
func NewManager(cfg Config, store storage.Store, log *slog.Logger) *actor.Props {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 5 * time.Minute
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = 5 * time.Second
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &manager{cfg: cfg, store: store, log: log, children: map[string]*actor.PID{}}
	})
}

func (m *manager) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case addressed:
		orgID, agentID := msg.target()
		ctx.Forward(m.activate(ctx, orgID, agentID))
	case *passivate:
		if pid, ok := m.children[msg.name]; ok {
			delete(m.children, msg.name)
			ctx.Poison(pid)
		}
	case *actor.Terminated:
		for name, pid := range m.children {
			if pid.Equal(msg.Who) {
				delete(m.children, name)
			}
		}
	}
}

func (m *manager) activate(ctx actor.Context, orgID, agentID string) *actor.PID {
	name := orgID + "/" + agentID
	if pid, ok := m.children[name]; ok {
		return pid
	}
	props := actor.PropsFromProducer(func() actor.Actor {
		return &agentTools{cfg: m.cfg, store: m.store, log: m.log, name: name, orgID: orgID, agentID: agentID}
	})
	pid, err := ctx.SpawnNamed(props, name)
	if err != nil {
		// The name is still held by a child that is stopping.
		pid = ctx.Spawn(props)
	}
	m.children[name] = pid
	return pid
}

// agentTools owns one agent's tools.
type agentTools struct {
	cfg            Config
	store          storage.Store
	log            *slog.Logger
	name           string
	orgID, agentID string

	tools  []Tool // in ID (creation) order; replaced, never mutated, once handed out
	loaded bool
}

func (a *agentTools) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		ctx.SetReceiveTimeout(a.cfg.IdleTimeout)
	case *actor.ReceiveTimeout:
		ctx.Send(ctx.Parent(), &passivate{name: a.name})
	case addressed:
		if p := a.load(); p != nil {
			ctx.Respond(p)
			return
		}
		ctx.Respond(a.handle(msg))
	}
}

func (a *agentTools) handle(msg addressed) any {
	switch msg := msg.(type) {
	case *Create:
		return a.create(msg)
	case *Get:
		if i := a.index(msg.ID); i >= 0 {
			t := a.tools[i]
			return &t
		}
		return resource.NotFound("tool")
	case *Update:
		return a.update(msg)
	case *Delete:
		return a.delete(msg.ID)
	case *List:
		start, _ := slices.BinarySearchFunc(a.tools, msg.After, func(t Tool, id string) int {
			if t.ID <= id {
				return -1
			}
			return 1
		})
		if msg.After == "" {
			start = 0
		}
		end := min(start+msg.Limit, len(a.tools))
		res := &ListResult{Items: slices.Clone(a.tools[start:end]), HasMore: end < len(a.tools)}
		if res.HasMore {
			res.Next = a.tools[end-1].ID
		}
		return res
	case *All:
		return &AllResult{Items: slices.Clone(a.tools)}
	case *DeleteAll:
		return a.deleteAll()
	}
	return resource.Internal()
}

// load reads the agent's tools on first use; after a restart by the
// supervisor they are read again from storage, the source of truth.
func (a *agentTools) load() *resource.Problem {
	if a.loaded {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.StoreTimeout)
	defer cancel()
	page, err := storage.ListJSON[Tool](ctx, a.store, toolPrefix(a.orgID, a.agentID), "", MaxPerAgent+1)
	if err != nil {
		a.log.Error("tools_load_failed", "agent_id", a.agentID, "err", err)
		return resource.Internal()
	}
	a.tools = page.Items
	for i := range a.tools {
		a.tools[i].OrganizationID = a.orgID
	}
	a.loaded = true
	return nil
}

func (a *agentTools) index(id string) int {
	i, ok := slices.BinarySearchFunc(a.tools, id, func(t Tool, id string) int {
		switch {
		case t.ID < id:
			return -1
		case t.ID > id:
			return 1
		}
		return 0
	})
	if !ok {
		return -1
	}
	return i
}

func (a *agentTools) create(msg *Create) any {
	field := func(i int, name string) string {
		if len(msg.Specs) == 1 && msg.Field == "" {
			return name
		}
		return msg.Field + "[" + strconv.Itoa(i) + "]." + name
	}
	var errs []resource.FieldError
	if len(a.tools)+len(msg.Specs) > MaxPerAgent {
		errs = append(errs, resource.FieldError{Field: fieldOr(msg.Field, "name"),
			Message: fmt.Sprintf("an agent has at most %d tools; it has %d", MaxPerAgent, len(a.tools))})
	}
	taken := map[string]string{}
	for _, t := range a.tools {
		taken[t.Name] = t.ID
	}
	now := time.Now().UTC()
	items := make([]Tool, len(msg.Specs))
	for i, s := range msg.Specs {
		if id, dup := taken[s.Name]; dup {
			errs = append(errs, resource.FieldError{Field: field(i, "name"), Message: "is already the name of tool " + id + " of this agent"})
		}
		taken[s.Name] = "in this request"
		items[i] = Tool{ID: resource.NewID(resource.PrefixTool), AgentID: a.agentID, OrganizationID: a.orgID, Spec: s, CreatedAt: now, UpdatedAt: now}
	}
	if len(errs) > 0 {
		return resource.Invalid(errs...)
	}
	var b storage.Batch
	for _, t := range items {
		if err := b.PutJSON(toolKey(a.orgID, a.agentID, t.ID), t); err != nil {
			return resource.Internal()
		}
	}
	if p := a.apply(&b); p != nil {
		return p
	}
	// New IDs are larger than every stored one, so appending keeps order.
	a.tools = append(slices.Clip(a.tools), items...)
	return &Created{Items: items}
}

func fieldOr(f, def string) string {
	if f != "" {
		return f
	}
	return def
}

func (a *agentTools) update(msg *Update) any {
	i := a.index(msg.ID)
	if i < 0 {
		return resource.NotFound("tool")
	}
	old := a.tools[i]
	spec := SpecInput(cloneSpec(old.Spec))
	if p := resource.DecodeValid(msg.Patch, &spec); p != nil {
		return p
	}
	next := old
	next.Spec = toolrun.Spec(spec)
	next.Spec.KeepMaskedHeaders(old.Spec)
	for _, t := range a.tools {
		if t.ID != old.ID && t.Name == next.Name {
			return resource.Invalid(resource.FieldError{Field: "name", Message: "is already the name of tool " + t.ID + " of this agent"})
		}
	}
	next.UpdatedAt = time.Now().UTC()
	var b storage.Batch
	if err := b.PutJSON(toolKey(a.orgID, a.agentID, next.ID), next); err != nil {
		return resource.Internal()
	}
	if p := a.apply(&b); p != nil {
		return p
	}
	tools := slices.Clone(a.tools)
	tools[i] = next
	a.tools = tools
	return &next
}

// cloneSpec copies the parts a patch decodes into, so a failed update
// leaves the stored tool untouched.
func cloneSpec(s toolrun.Spec) toolrun.Spec {
	if s.Webhook != nil {
		w := *s.Webhook
		s.Webhook = &w
	}
	if s.MCP != nil {
		m := *s.MCP
		s.MCP = &m
	}
	if s.Transfer != nil {
		t := *s.Transfer
		s.Transfer = &t
	}
	return s
}

func (a *agentTools) delete(id string) any {
	i := a.index(id)
	if i < 0 {
		return resource.NotFound("tool")
	}
	if p := a.apply(new(storage.Batch).Delete(toolKey(a.orgID, a.agentID, id))); p != nil {
		return p
	}
	a.tools = slices.Delete(slices.Clone(a.tools), i, i+1)
	return &Deleted{ID: id}
}

func (a *agentTools) deleteAll() any {
	var b storage.Batch
	for _, t := range a.tools {
		b.Delete(toolKey(a.orgID, a.agentID, t.ID))
	}
	if p := a.apply(&b); p != nil {
		return p
	}
	a.tools = nil
	return &Deleted{ID: a.agentID}
}

func (a *agentTools) apply(b *storage.Batch) *resource.Problem {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.StoreTimeout)
	defer cancel()
	if err := a.store.Apply(ctx, b); err != nil {
		a.log.Error("tools_save_failed", "agent_id", a.agentID, "err", err)
		return resource.Internal()
	}
	return nil
}
