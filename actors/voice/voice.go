package voice

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
)

// Voice is a custom voice of an organization.
type Voice struct {
	ID             string `json:"id"`
	OrganizationID string `json:"-"`
	Name           string `json:"name"`
	// Provider is the engine that speaks the voice ("local").
	Provider   string `json:"provider"`
	Language   string `json:"language"`
	SampleRate int    `json:"sampleRate"`
	// BaseVoice is the built-in voice the recipe modifies.
	BaseVoice string `json:"baseVoice"`
	// Pitch is the offset from the base voice in semitones.
	Pitch float64 `json:"pitch"`
	// Speed is the speaking-rate factor applied to the base voice.
	Speed float64 `json:"speed"`
	// Method is "fitted" when pitch and rate were fitted to a sample.
	Method string `json:"method"`
	Note   string `json:"note"`
	// SampleF0 and SampleRateSyl are the sample's measured median pitch
	// (Hz) and speaking rate (syllables per second).
	SampleF0       float64   `json:"sampleF0"`
	SampleSyllRate float64   `json:"sampleSyllablesPerSecond"`
	Custom         bool      `json:"custom"`
	CreatedAt      time.Time `json:"createdAt"`
}

// Create stores a new custom voice; the actor assigns ID and CreatedAt.
// Answer: *Voice.
type Create struct {
	OrgID string
	Voice Voice
}

// Get reads one custom voice. Answer: *Voice.
type Get struct{ OrgID, ID string }

// Delete removes a custom voice. Answer: *Deleted.
type Delete struct{ OrgID, ID string }

// Deleted confirms a Delete.
type Deleted struct{ ID string }

// List pages through an organization's custom voices in creation order.
// Answer: *ListResult.
type List struct {
	OrgID string
	After string
	Limit int
}

// ListResult is one page of custom voices.
type ListResult struct {
	Items   []Voice
	Next    string
	HasMore bool
}

// Config tunes the voices actor.
type Config struct {
	// StoreTimeout bounds one storage operation.
	StoreTimeout time.Duration
}

// voices owns the custom voices of every organization. They change rarely
// and each request is one small storage operation, so one actor serves
// them all; storage is the source of truth and nothing is cached.
type voices struct {
	cfg   Config
	store storage.Store
	log   *slog.Logger
}

// New returns the props of the voices actor.
func New(cfg Config, store storage.Store, log *slog.Logger) *actor.Props {
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = 5 * time.Second
	}
	return actor.PropsFromProducer(func() actor.Actor { return &voices{cfg: cfg, store: store, log: log} })
}

func voiceKey(orgID, id string) string { return voicePrefix(orgID) + id }
func voicePrefix(orgID string) string  { return "o/" + orgID + "/voice/" }

func (v *voices) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *Create:
		ctx.Respond(v.create(msg))
	case *Get:
		ctx.Respond(v.get(msg))
	case *Delete:
		ctx.Respond(v.delete(msg))
	case *List:
		ctx.Respond(v.list(msg))
	}
}

func (v *voices) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), v.cfg.StoreTimeout)
}

func (v *voices) create(msg *Create) any {
	rec := msg.Voice
	rec.ID = resource.NewID(resource.PrefixVoice)
	rec.OrganizationID = msg.OrgID
	rec.Custom = true
	rec.CreatedAt = time.Now().UTC()
	var b storage.Batch
	if err := b.PutJSON(voiceKey(msg.OrgID, rec.ID), rec); err != nil {
		return resource.Internal()
	}
	ctx, cancel := v.ctx()
	defer cancel()
	if err := v.store.Apply(ctx, &b); err != nil {
		v.log.Error("voice_store_failed", "err", err)
		return resource.Internal()
	}
	return &rec
}

func (v *voices) get(msg *Get) any {
	ctx, cancel := v.ctx()
	defer cancel()
	rec, err := storage.GetJSON[Voice](ctx, v.store, voiceKey(msg.OrgID, msg.ID))
	if errors.Is(err, storage.ErrNotFound) {
		return resource.NotFound("voice")
	}
	if err != nil {
		v.log.Error("voice_load_failed", "err", err)
		return resource.Internal()
	}
	rec.OrganizationID = msg.OrgID
	return &rec
}

func (v *voices) delete(msg *Delete) any {
	if p, ok := v.get(&Get{OrgID: msg.OrgID, ID: msg.ID}).(*resource.Problem); ok {
		return p
	}
	ctx, cancel := v.ctx()
	defer cancel()
	if err := storage.Delete(ctx, v.store, voiceKey(msg.OrgID, msg.ID)); err != nil {
		v.log.Error("voice_delete_failed", "err", err)
		return resource.Internal()
	}
	return &Deleted{ID: msg.ID}
}

func (v *voices) list(msg *List) any {
	ctx, cancel := v.ctx()
	defer cancel()
	page, err := storage.ListJSON[Voice](ctx, v.store, voicePrefix(msg.OrgID), msg.After, msg.Limit)
	if err != nil {
		v.log.Error("voice_list_failed", "err", err)
		return resource.Internal()
	}
	res := &ListResult{Items: page.Items, HasMore: page.HasMore}
	if page.HasMore {
		res.Next = page.Last
	}
	return res
}
