package instance

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
)

// Config tunes the instances actor.
type Config struct {
	// StoreTimeout bounds one storage operation.
	StoreTimeout time.Duration
}

// deletePage is how many instances DeleteAll removes per batch.
const deletePage = 500

// manager owns every instance write of the node (see the package doc).
type manager struct {
	cfg   Config
	store storage.Store
	log   *slog.Logger
}

// NewManager returns the props of the instances actor.
func NewManager(cfg Config, store storage.Store, log *slog.Logger) *actor.Props {
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = 5 * time.Second
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &manager{cfg: cfg, store: store, log: log}
	})
}

func (m *manager) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *Create:
		ctx.Respond(m.create(msg))
	case *Get:
		inst, p := m.get(msg.OrgID, msg.AgentID, msg.ID)
		if p != nil {
			ctx.Respond(p)
			return
		}
		ctx.Respond(inst)
	case *Update:
		ctx.Respond(m.update(msg))
	case *Delete:
		ctx.Respond(m.delete(msg))
	case *List:
		ctx.Respond(m.list(msg))
	case *DeleteAll:
		ctx.Respond(m.deleteAll(msg))
	case *Lookup:
		ctx.Respond(m.lookup(msg))
	}
}

func (m *manager) context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), m.cfg.StoreTimeout)
}

func (m *manager) create(msg *Create) any {
	now := time.Now().UTC()
	inst := &Instance{ID: resource.NewID(resource.PrefixInstance), AgentID: msg.AgentID, OrganizationID: msg.OrgID,
		Spec: msg.Spec, CreatedAt: now, UpdatedAt: now}
	if p := m.checkNumber(inst, ""); p != nil {
		return p
	}
	var b storage.Batch
	if err := b.PutJSON(instanceKey(msg.OrgID, msg.AgentID, inst.ID), inst); err != nil {
		return resource.Internal()
	}
	b.Put(numberKey(inst.PhoneNumber), []byte(owner(msg.OrgID, msg.AgentID, inst.ID)))
	b.Put(locatorKey(inst.ID), []byte(msg.OrgID+"/"+msg.AgentID))
	if p := m.apply(&b); p != nil {
		return p
	}
	return inst
}

// checkNumber refuses a number held by another instance. old is the
// instance's current number ("" for a new one).
func (m *manager) checkNumber(inst *Instance, old string) *resource.Problem {
	if inst.PhoneNumber == old {
		return nil
	}
	ctx, cancel := m.context()
	defer cancel()
	held, err := m.store.Get(ctx, numberKey(inst.PhoneNumber))
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil
	case err != nil:
		m.log.Error("instance_number_check_failed", "err", err)
		return resource.Internal()
	case string(held) == owner(inst.OrganizationID, inst.AgentID, inst.ID):
		return nil
	}
	// Which instance holds it is not said: it may be another organization's.
	return resource.Invalid(resource.FieldError{Field: "phoneNumber", Message: "is already the number of another instance"})
}

func (m *manager) get(orgID, agentID, id string) (*Instance, *resource.Problem) {
	ctx, cancel := m.context()
	defer cancel()
	inst, err := storage.GetJSON[Instance](ctx, m.store, instanceKey(orgID, agentID, id))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, resource.NotFound("instance")
	}
	if err != nil {
		m.log.Error("instance_load_failed", "instance_id", id, "err", err)
		return nil, resource.Internal()
	}
	inst.OrganizationID = orgID
	return &inst, nil
}

func (m *manager) update(msg *Update) any {
	old, p := m.get(msg.OrgID, msg.AgentID, msg.ID)
	if p != nil {
		return p
	}
	spec := old.Spec.clone()
	if p := resource.DecodeValid(msg.Patch, &spec); p != nil {
		return p
	}
	next := *old
	next.Spec = spec
	next.UpdatedAt = time.Now().UTC()
	if p := m.checkNumber(&next, old.PhoneNumber); p != nil {
		return p
	}
	var b storage.Batch
	if err := b.PutJSON(instanceKey(msg.OrgID, msg.AgentID, next.ID), next); err != nil {
		return resource.Internal()
	}
	if next.PhoneNumber != old.PhoneNumber {
		b.Delete(numberKey(old.PhoneNumber))
		b.Put(numberKey(next.PhoneNumber), []byte(owner(msg.OrgID, msg.AgentID, next.ID)))
	}
	if p := m.apply(&b); p != nil {
		return p
	}
	return &next
}

func (m *manager) delete(msg *Delete) any {
	inst, p := m.get(msg.OrgID, msg.AgentID, msg.ID)
	if p != nil {
		return p
	}
	if p := m.apply(remove(new(storage.Batch), inst)); p != nil {
		return p
	}
	return &Deleted{ID: inst.ID}
}

// remove adds the deletion of an instance and its index entries to b.
func remove(b *storage.Batch, inst *Instance) *storage.Batch {
	return b.Delete(instanceKey(inst.OrganizationID, inst.AgentID, inst.ID)).
		Delete(numberKey(inst.PhoneNumber)).
		Delete(locatorKey(inst.ID))
}

func (m *manager) deleteAll(msg *DeleteAll) any {
	// Each page is removed in one batch; a failure leaves whole instances,
	// never an instance without its index entries.
	for {
		ctx, cancel := m.context()
		page, err := storage.ListJSON[Instance](ctx, m.store, instancePrefix(msg.OrgID, msg.AgentID), "", deletePage)
		cancel()
		if err != nil {
			m.log.Error("instance_list_failed", "err", err)
			return resource.Internal()
		}
		if len(page.Items) == 0 {
			return &Deleted{ID: msg.AgentID}
		}
		var b storage.Batch
		for i := range page.Items {
			inst := &page.Items[i]
			inst.OrganizationID = msg.OrgID
			remove(&b, inst)
		}
		if p := m.apply(&b); p != nil {
			return p
		}
	}
}

func (m *manager) list(msg *List) any {
	ctx, cancel := m.context()
	defer cancel()
	page, err := storage.ListJSON[Instance](ctx, m.store, instancePrefix(msg.OrgID, msg.AgentID), msg.After, msg.Limit)
	if err != nil {
		m.log.Error("instance_list_failed", "err", err)
		return resource.Internal()
	}
	res := &ListResult{Items: page.Items, HasMore: page.HasMore}
	for i := range res.Items {
		res.Items[i].OrganizationID = msg.OrgID
	}
	if page.HasMore {
		res.Next = page.Last
	}
	return res
}

func (m *manager) lookup(msg *Lookup) any {
	key := numberKey(msg.Number)
	if msg.ID != "" {
		key = locatorKey(msg.ID)
	}
	ctx, cancel := m.context()
	raw, err := m.store.Get(ctx, key)
	cancel()
	if errors.Is(err, storage.ErrNotFound) {
		return resource.NotFound("instance")
	}
	if err != nil {
		m.log.Error("instance_lookup_failed", "err", err)
		return resource.Internal()
	}
	orgID, agentID, id, ok := parseOwner(string(raw))
	if msg.ID != "" {
		id = msg.ID
	}
	if !ok || id == "" {
		m.log.Error("instance_index_corrupt", "key", key)
		return resource.Internal()
	}
	inst, p := m.get(orgID, agentID, id)
	if p != nil {
		return p
	}
	return inst
}

func (m *manager) apply(b *storage.Batch) *resource.Problem {
	ctx, cancel := m.context()
	defer cancel()
	if err := m.store.Apply(ctx, b); err != nil {
		m.log.Error("instance_save_failed", "err", err)
		return resource.Internal()
	}
	return nil
}
