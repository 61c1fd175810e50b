package agent

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/zeebo/xxh3"

	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
)

// Config tunes the agent actors.
type Config struct {
	// IdleTimeout is how long an agent actor lives without messages.
	IdleTimeout time.Duration
	// StoreTimeout bounds one storage operation.
	StoreTimeout time.Duration
}

// manager owns the set of active agent actors.
type manager struct {
	cfg      Config
	store    storage.Store
	log      *slog.Logger
	children map[string]*actor.PID // active agent actors by name (org/id)
}

// NewManager returns the props of the agents manager.
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
		ctx.Forward(m.activate(ctx, msg))
	case *Create:
		// The new agent's actor stores it; the manager only picks the ID,
		// so a slow disk never stalls the manager's mailbox.
		a := newAgent(msg.OrgID, msg.Spec)
		ctx.Forward(m.spawn(ctx, a.OrganizationID, a.ID, a))
	case *List:
		ctx.Respond(m.list(msg))
	case *Provision:
		ctx.Respond(m.provision(msg))
	case *Locate:
		ctx.Respond(m.locate(msg.ID))
	case *passivate:
		// Poison, not Stop: messages already forwarded to the actor are
		// handled before it goes, and none is forwarded after this point.
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

func (m *manager) activate(ctx actor.Context, msg addressed) *actor.PID {
	orgID, id := msg.target()
	return m.spawn(ctx, orgID, id, nil)
}

func (m *manager) spawn(ctx actor.Context, orgID, id string, created *resource.Agent) *actor.PID {
	name := orgID + "/" + id
	if pid, ok := m.children[name]; ok {
		return pid
	}
	props := actor.PropsFromProducer(func() actor.Actor {
		return &agentActor{cfg: m.cfg, store: m.store, log: m.log, name: name, orgID: orgID, id: id, created: created}
	})
	pid, err := ctx.SpawnNamed(props, name)
	if err != nil {
		// The name is still registered by a child that is stopping; an
		// anonymous actor serves this request and then passivates as usual.
		pid = ctx.Spawn(props)
	}
	m.children[name] = pid
	return pid
}

func newAgent(orgID string, spec resource.AgentSpec) *resource.Agent {
	now := time.Now().UTC()
	return &resource.Agent{
		ID:             resource.NewID(resource.PrefixAgent),
		OrganizationID: orgID,
		AgentSpec:      spec,
		CreatedAt:      now,
		UpdatedAt:      now,
	}
}

// list reads storage directly: a listing is a query over many agents that
// no single agent actor owns, and a prefix scan is a fast local read.
func (m *manager) list(msg *List) any {
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.StoreTimeout)
	defer cancel()
	page, err := storage.ListJSON[resource.Agent](ctx, m.store, agentPrefix(msg.OrgID), msg.After, msg.Limit)
	if err != nil {
		m.log.Error("agent_list_failed", "err", err)
		return resource.Internal()
	}
	res := &ListResult{Items: page.Items, HasMore: page.HasMore}
	if page.HasMore {
		res.Next = page.Last
	}
	return res
}

// provision stores an agent, its collection and the collection's documents
// in one atomic batch: all of it exists afterwards, or none of it.
func (m *manager) provision(msg *Provision) any {
	a := newAgent(msg.OrgID, msg.Agent)
	var b storage.Batch
	var col *resource.Collection
	if msg.Collection != nil {
		col = &resource.Collection{
			ID:             resource.NewID(resource.PrefixCollection),
			OrganizationID: msg.OrgID,
			Name:           msg.Collection.Name,
			CreatedAt:      a.CreatedAt,
			UpdatedAt:      a.CreatedAt,
		}
		seen := map[uint64]bool{}
		for _, d := range msg.Collection.Documents {
			// Identical documents are stored once (content-hash dedup).
			h := xxh3.HashString(d.Type + "\x00" + d.Content + "\x00" + d.URL)
			if seen[h] {
				continue
			}
			seen[h] = true
			doc := resource.Document{
				ID:           resource.NewID(resource.PrefixDocument),
				CollectionID: col.ID,
				Title:        d.Title,
				Type:         d.Type,
				Content:      d.Content,
				URL:          d.URL,
				ContentHash:  hashHex(h),
				CreatedAt:    a.CreatedAt,
			}
			if err := b.PutJSON(documentKey(msg.OrgID, col.ID, doc.ID), doc); err != nil {
				return resource.Internal()
			}
			col.DocumentCount++
		}
		if err := b.PutJSON(collectionKey(msg.OrgID, col.ID), col); err != nil {
			return resource.Internal()
		}
		a.CollectionID = col.ID
	}
	if err := b.PutJSON(agentKey(a.OrganizationID, a.ID), a); err != nil {
		return resource.Internal()
	}
	b.Put(locatorKey(a.ID), []byte(a.OrganizationID))
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.StoreTimeout)
	defer cancel()
	if err := m.store.Apply(ctx, &b); err != nil {
		m.log.Error("agent_provision_failed", "err", err)
		return resource.Internal()
	}
	return &Provisioned{Agent: a, Collection: col}
}

func (m *manager) locate(id string) any {
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.StoreTimeout)
	defer cancel()
	org, err := m.store.Get(ctx, locatorKey(id))
	if errors.Is(err, storage.ErrNotFound) {
		return resource.NotFound("agent")
	}
	if err != nil {
		m.log.Error("agent_locate_failed", "err", err)
		return resource.Internal()
	}
	return &Located{OrgID: string(org)}
}

func hashHex(h uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[h&15]
		h >>= 4
	}
	return string(b[:])
}
