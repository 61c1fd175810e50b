package keyring

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"math"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
)

// Limit is a token bucket: Rate requests per second on average, bursts of
// up to Burst. A zero Rate disables limiting.
type Limit struct {
	Rate  float64
	Burst int
}

// Config tunes the keyring.
type Config struct {
	Limit        Limit
	StoreTimeout time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

type keyring struct {
	cfg     Config
	store   storage.Store
	log     *slog.Logger
	byHash  map[string]*resource.Key // authenticated keys seen so far
	buckets map[string]*bucket       // by key ID
}

// New returns the props of the keyring actor.
func New(cfg Config, store storage.Store, log *slog.Logger) *actor.Props {
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &keyring{cfg: cfg, store: store, log: log, byHash: map[string]*resource.Key{}, buckets: map[string]*bucket{}}
	})
}

func (k *keyring) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *Authenticate:
		ctx.Respond(k.authenticate(msg.Secret))
	case *CreateKey:
		ctx.Respond(k.create(msg))
	case *ListKeys:
		ctx.Respond(k.list(msg))
	case *RevokeKey:
		ctx.Respond(k.revoke(msg))
	case *RotateKey:
		ctx.Respond(k.rotate(msg))
	}
}

func unauthorized() *resource.Problem {
	return &resource.Problem{Code: resource.CodeUnauthorized, Message: "a valid API key is required"}
}

func (k *keyring) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), k.cfg.StoreTimeout)
}

func (k *keyring) authenticate(secret string) any {
	if len(secret) > 256 {
		return unauthorized()
	}
	hash := resource.HashSecret(secret)
	key, ok := k.byHash[hash]
	if !ok {
		ctx, cancel := k.storeCtx()
		stored, err := storage.GetJSON[resource.Key](ctx, k.store, hashPrefix+hash)
		cancel()
		if errors.Is(err, storage.ErrNotFound) {
			return unauthorized()
		}
		if err != nil {
			k.log.Error("key_lookup_failed", "err", err)
			return resource.Internal()
		}
		key = &stored
		k.byHash[hash] = key
	}
	// The map lookup found the entry by hash; comparing the full hashes in
	// constant time keeps the final check free of timing differences.
	if subtle.ConstantTimeCompare([]byte(key.Hash), []byte(hash)) != 1 {
		return unauthorized()
	}
	return &Principal{OrgID: key.OrganizationID, KeyID: key.ID, RetryAfter: k.take(key.ID)}
}

// take removes one token from the key's bucket, or says how long until one
// is available.
func (k *keyring) take(keyID string) time.Duration {
	lim := k.cfg.Limit
	if lim.Rate <= 0 {
		return 0
	}
	burst := math.Max(float64(lim.Burst), 1)
	now := k.cfg.Now()
	b, ok := k.buckets[keyID]
	if !ok {
		b = &bucket{tokens: burst, last: now}
		k.buckets[keyID] = b
	}
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*lim.Rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	wait := time.Duration((1 - b.tokens) / lim.Rate * float64(time.Second))
	return max(wait, time.Millisecond)
}

func (k *keyring) create(msg *CreateKey) any {
	secret, hash := resource.NewSecret()
	key := &resource.Key{
		ID: resource.NewID(resource.PrefixKey), OrganizationID: msg.OrgID, Name: msg.Spec.Name,
		Hint: resource.SecretHint(secret), Hash: hash, CreatedAt: k.cfg.Now().UTC(),
	}
	var b storage.Batch
	if err := putKey(&b, key); err != nil {
		return resource.Internal()
	}
	if p := k.apply(&b); p != nil {
		return p
	}
	return &resource.KeyWithSecret{PublicKey: key.Public(), Secret: secret}
}

func (k *keyring) list(msg *ListKeys) any {
	ctx, cancel := k.storeCtx()
	defer cancel()
	page, err := storage.ListJSON[resource.Key](ctx, k.store, keyPrefix(msg.OrgID), msg.After, msg.Limit)
	if err != nil {
		k.log.Error("key_list_failed", "err", err)
		return resource.Internal()
	}
	res := &KeyList{HasMore: page.HasMore, Items: make([]resource.PublicKey, len(page.Items))}
	for i := range page.Items {
		res.Items[i] = page.Items[i].Public()
	}
	if page.HasMore {
		res.Next = page.Last
	}
	return res
}

func (k *keyring) load(orgID, id string) (*resource.Key, *resource.Problem) {
	ctx, cancel := k.storeCtx()
	defer cancel()
	key, err := storage.GetJSON[resource.Key](ctx, k.store, keyKey(orgID, id))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, resource.NotFound("key")
	}
	if err != nil {
		k.log.Error("key_load_failed", "err", err)
		return nil, resource.Internal()
	}
	return &key, nil
}

func (k *keyring) revoke(msg *RevokeKey) any {
	key, p := k.load(msg.OrgID, msg.ID)
	if p != nil {
		return p
	}
	var b storage.Batch
	b.Delete(keyKey(key.OrganizationID, key.ID)).Delete(hashPrefix + key.Hash)
	if p := k.apply(&b); p != nil {
		return p
	}
	delete(k.byHash, key.Hash)
	delete(k.buckets, key.ID)
	return &Revoked{ID: key.ID}
}

func (k *keyring) rotate(msg *RotateKey) any {
	key, p := k.load(msg.OrgID, msg.ID)
	if p != nil {
		return p
	}
	oldHash := key.Hash
	secret, hash := resource.NewSecret()
	now := k.cfg.Now().UTC()
	key.Hash, key.Hint, key.RotatedAt = hash, resource.SecretHint(secret), &now
	var b storage.Batch
	b.Delete(hashPrefix + oldHash)
	if err := putKey(&b, key); err != nil {
		return resource.Internal()
	}
	if p := k.apply(&b); p != nil {
		return p
	}
	delete(k.byHash, oldHash)
	return &resource.KeyWithSecret{PublicKey: key.Public(), Secret: secret}
}

func (k *keyring) apply(b *storage.Batch) *resource.Problem {
	ctx, cancel := k.storeCtx()
	defer cancel()
	if err := k.store.Apply(ctx, b); err != nil {
		k.log.Error("key_store_failed", "err", err)
		return resource.Internal()
	}
	return nil
}
