package collection

import (
	"context"
	"log/slog"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/egress"
	"github.com/switchboard-voice/switchboard/ingest"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
)

// Config tunes the collection actors.
type Config struct {
	// DataDir holds the indexes, under DataDir/indexes/<collection ID>.
	DataDir string
	// IdleTimeout is how long a collection actor lives without messages.
	IdleTimeout time.Duration
	// StoreTimeout bounds one storage operation.
	StoreTimeout time.Duration
	// EgressAllow lists the CIDRs that URL ingest may reach although they
	// are private, loopback or link-local (SWITCHBOARD_EGRESS_ALLOW).
	EgressAllow []netip.Prefix
	// FetchTimeout bounds fetching one URL; FetchMaxBytes caps its body.
	FetchTimeout  time.Duration
	FetchMaxBytes int64
	// Chunker sets the chunk size and overlap.
	Chunker ingest.Chunker
}

func (c Config) withDefaults() Config {
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 5 * time.Minute
	}
	if c.StoreTimeout <= 0 {
		c.StoreTimeout = 5 * time.Second
	}
	if c.FetchTimeout <= 0 {
		c.FetchTimeout = 8 * time.Second
	}
	if c.FetchMaxBytes <= 0 {
		c.FetchMaxBytes = 10 << 20
	}
	return c
}

// indexPath is where a collection's index lives.
func (c Config) indexPath(id string) string { return filepath.Join(c.DataDir, "indexes", id) }

// manager owns the set of active collection actors.
type manager struct {
	cfg      Config
	store    storage.Store
	log      *slog.Logger
	fetcher  *ingest.Fetcher
	children map[string]*actor.PID // active collection actors by name (org/id)
	// stopping holds, per collection whose actor is passivating, the
	// messages that arrived meanwhile. A collection's index can be open
	// in one actor only, so its next actor starts after the old one is
	// gone, and then receives these in order.
	stopping map[string]*stopping
}

type stopping struct {
	pid  *actor.PID
	held []stashed
}

type stashed struct {
	msg    any
	sender *actor.PID
}

// NewManager returns the props of the collections manager.
func NewManager(cfg Config, store storage.Store, log *slog.Logger) *actor.Props {
	cfg = cfg.withDefaults()
	client := egress.New(cfg.EgressAllow).Client(egress.Options{Timeout: cfg.FetchTimeout})
	fetcher := &ingest.Fetcher{Client: client, MaxBytes: cfg.FetchMaxBytes, Timeout: cfg.FetchTimeout}
	return actor.PropsFromProducer(func() actor.Actor {
		return &manager{cfg: cfg, store: store, log: log, fetcher: fetcher,
			children: map[string]*actor.PID{}, stopping: map[string]*stopping{}}
	})
}

func (m *manager) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case addressed:
		orgID, id := msg.target()
		m.route(ctx, orgID+"/"+id, msg, nil)
	case *Create:
		// The new collection's actor stores it; the manager only picks
		// the ID, so a slow disk never stalls the manager's mailbox.
		now := time.Now().UTC()
		col := &resource.Collection{ID: resource.NewID(resource.PrefixCollection), OrganizationID: msg.OrgID,
			Name: msg.Spec.Name, CreatedAt: now, UpdatedAt: now}
		m.route(ctx, msg.OrgID+"/"+col.ID, msg, col)
	case *List:
		ctx.Respond(m.list(msg))
	case *passivate:
		// Poison, not Stop: messages already forwarded to the actor are
		// handled before it goes, and none is forwarded after this point.
		if pid, ok := m.children[msg.name]; ok {
			delete(m.children, msg.name)
			m.stopping[msg.name] = &stopping{pid: pid}
			ctx.Poison(pid)
		}
	case *actor.Terminated:
		for name, pid := range m.children {
			if pid.Equal(msg.Who) {
				delete(m.children, name)
			}
		}
		m.restartStopped(ctx, msg.Who)
	}
}

// route forwards msg to the collection's actor, spawning it if needed, or
// holds it while the previous actor of that collection is stopping.
func (m *manager) route(ctx actor.Context, name string, msg any, created *resource.Collection) {
	if st, ok := m.stopping[name]; ok {
		st.held = append(st.held, stashed{msg: msg, sender: ctx.Sender()})
		return
	}
	ctx.Forward(m.spawn(ctx, name, created))
}

// restartStopped starts a passivated collection's next actor once the old
// one has terminated, if messages for it arrived meanwhile.
func (m *manager) restartStopped(ctx actor.Context, who *actor.PID) {
	for name, st := range m.stopping {
		if !st.pid.Equal(who) {
			continue
		}
		delete(m.stopping, name)
		for _, h := range st.held {
			// A Create is never held: its ID is new, so no old actor of
			// that collection can be stopping.
			ctx.RequestWithCustomSender(m.spawn(ctx, name, nil), h.msg, h.sender)
		}
		return
	}
}

func (m *manager) spawn(ctx actor.Context, name string, created *resource.Collection) *actor.PID {
	if pid, ok := m.children[name]; ok {
		return pid
	}
	orgID, id := splitName(name)
	props := actor.PropsFromProducer(func() actor.Actor {
		return &collectionActor{cfg: m.cfg, store: m.store, log: m.log, fetcher: m.fetcher,
			name: name, orgID: orgID, id: id, created: created}
	})
	pid, err := ctx.SpawnNamed(props, name)
	if err != nil {
		// Only one actor per collection may hold its index, so there is no
		// anonymous fallback here: the name is free unless the manager's
		// own bookkeeping is wrong, which the error log reports.
		m.log.Error("collection_spawn_failed", "collection_id", id, "err", err)
		pid = ctx.Spawn(props)
	}
	m.children[name] = pid
	return pid
}

func splitName(name string) (orgID, id string) {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			return name[:i], name[i+1:]
		}
	}
	return "", name
}

// list reads storage directly: a listing spans collections that no single
// actor owns, and a prefix scan is a fast local read.
func (m *manager) list(msg *List) any {
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.StoreTimeout)
	defer cancel()
	page, err := storage.ListJSON[resource.Collection](ctx, m.store, collectionPrefix(msg.OrgID), msg.After, msg.Limit)
	if err != nil {
		m.log.Error("collection_list_failed", "err", err)
		return resource.Internal()
	}
	res := &ListResult{Items: page.Items, HasMore: page.HasMore}
	if page.HasMore {
		res.Next = page.Last
	}
	return res
}
