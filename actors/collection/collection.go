package collection

import (
	"context"
	"errors"
	"iter"
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/ingest"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
	"github.com/switchboard-voice/switchboard/storage/bleve"
)

// collectionActor owns one collection's state and index while active.
type collectionActor struct {
	cfg     Config
	store   storage.Store
	log     *slog.Logger
	fetcher *ingest.Fetcher
	name    string
	orgID   string
	id      string
	// created is set when the actor was spawned to create the collection.
	created *resource.Collection

	state  *resource.Collection // nil when the collection does not exist
	ready  bool                 // state has been loaded
	docs   map[string]*storedDocument
	byHash map[string]string // document content hash → document ID
	chunks map[uint64]string // chunk content hash → owning document ID
	index  *bleve.Index

	// Ingest jobs run in goroutines this actor owns: jobs cancels them
	// and running counts them, so Stopping can wait for them to end.
	jobs    context.Context
	cancel  context.CancelFunc
	running sync.WaitGroup
	pending int // jobs whose result has not come back yet
}

func (a *collectionActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.jobs, a.cancel = context.WithCancel(context.Background())
		ctx.SetReceiveTimeout(a.cfg.IdleTimeout)
	case *actor.ReceiveTimeout:
		if a.pending == 0 {
			ctx.Send(ctx.Parent(), &passivate{name: a.name})
		}
	case *actor.Stopping, *actor.Restarting:
		a.release()
	case *Create:
		a.create(ctx, msg)
	case *Get:
		if p := a.load(ctx); p != nil {
			ctx.Respond(p)
			return
		}
		ctx.Respond(clone(a.state))
	case *Ingest:
		if p := a.load(ctx); p != nil {
			ctx.Respond(p)
			return
		}
		a.startJob(ctx, &job{replyTo: ctx.Sender(), specs: msg.Documents})
	case *jobDone:
		a.pending--
		a.finishJob(ctx, msg)
	case *Search:
		ctx.Respond(a.search(ctx, msg))
	case *DeleteDocument:
		ctx.Respond(a.deleteDocument(ctx, msg.DocumentID))
	case *Delete:
		ctx.Respond(a.delete(ctx))
	}
}

// release stops the jobs and closes the index. Waiting is bounded: jobs
// see the cancellation at their next fetch or document.
func (a *collectionActor) release() {
	if a.cancel != nil {
		a.cancel()
	}
	a.running.Wait()
	if a.index != nil {
		if err := a.index.Close(); err != nil {
			a.log.Error("collection_index_close_failed", "collection_id", a.id, "err", err)
		}
		a.index = nil
	}
	a.ready = false
}

func (a *collectionActor) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), a.cfg.StoreTimeout)
}

func (a *collectionActor) create(ctx actor.Context, msg *Create) {
	if a.created == nil {
		ctx.Respond(resource.Internal())
		return
	}
	var b storage.Batch
	if err := b.PutJSON(collectionKey(a.orgID, a.id), a.created); err != nil {
		ctx.Respond(resource.Internal())
		return
	}
	sctx, cancel := a.storeCtx()
	defer cancel()
	if err := a.store.Apply(sctx, &b); err != nil {
		a.log.Error("collection_save_failed", "collection_id", a.id, "err", err)
		ctx.Respond(resource.Internal())
		return
	}
	index, err := bleve.Create(a.cfg.indexPath(a.id))
	if err != nil {
		// The record is stored; the next activation builds the index.
		a.log.Error("collection_index_create_failed", "collection_id", a.id, "err", err)
		ctx.Respond(resource.Internal())
		return
	}
	a.state, a.index, a.ready, a.created = a.created, index, true, nil
	a.docs, a.byHash, a.chunks = map[string]*storedDocument{}, map[string]string{}, map[uint64]string{}
	if len(msg.Spec.Documents) == 0 {
		ctx.Respond(clone(a.state))
		return
	}
	a.startJob(ctx, &job{replyTo: ctx.Sender(), specs: msg.Spec.Documents, answerCollection: true})
}

// load reads the collection on first use: its record, documents and chunk
// hashes from storage, and its index from disk (rebuilt when needed). After
// a restart by the supervisor everything is read again: storage is the
// source of truth.
func (a *collectionActor) load(ctx actor.Context) *resource.Problem {
	if a.ready {
		if a.state == nil {
			return resource.NotFound("collection")
		}
		return nil
	}
	sctx, cancel := context.WithTimeout(context.Background(), 4*a.cfg.StoreTimeout)
	defer cancel()
	col, err := storage.GetJSON[resource.Collection](sctx, a.store, collectionKey(a.orgID, a.id))
	if errors.Is(err, storage.ErrNotFound) {
		a.state, a.ready = nil, true
		return resource.NotFound("collection")
	}
	if err != nil {
		a.log.Error("collection_load_failed", "collection_id", a.id, "err", err)
		return resource.Internal()
	}
	col.OrganizationID = a.orgID
	a.docs, a.byHash, a.chunks = map[string]*storedDocument{}, map[string]string{}, map[uint64]string{}
	for d, err := range scan[storedDocument](sctx, a.store, documentPrefix(a.orgID, a.id)) {
		if err != nil {
			a.log.Error("collection_load_failed", "collection_id", a.id, "err", err)
			return resource.Internal()
		}
		a.docs[d.ID] = &d
		a.byHash[d.ContentHash] = d.ID
	}
	stored := 0
	for c, err := range scan[ingest.Chunk](sctx, a.store, chunkPrefix(a.orgID, a.id)) {
		if err != nil {
			a.log.Error("collection_load_failed", "collection_id", a.id, "err", err)
			return resource.Internal()
		}
		a.chunks[c.Hash] = c.DocumentID
		stored++
	}
	index, err := a.openIndex(sctx, stored)
	if err != nil {
		a.log.Error("collection_index_rebuild_failed", "collection_id", a.id, "err", err)
		return resource.Internal()
	}
	a.state, a.index, a.ready = &col, index, true

	// Documents stored without chunks (by provisioning) are ingested now.
	var todo job
	for _, d := range a.docs {
		if !d.Ingested {
			todo.existing = append(todo.existing, d)
			todo.specs = append(todo.specs, resource.DocumentSpec{Title: d.Title, Type: d.Type, Content: d.Content, URL: d.URL})
		}
	}
	if len(todo.specs) > 0 {
		a.log.Info("collection_ingest_provisioned", "collection_id", a.id, "documents", len(todo.specs))
		a.startJob(ctx, &todo)
	}
	return nil
}

// openIndex opens the collection's index, or rebuilds it from the stored
// chunks when it is missing, unreadable, or holds a different number of
// chunks than storage (a crash between commit and indexing).
func (a *collectionActor) openIndex(ctx context.Context, stored int) (*bleve.Index, error) {
	path := a.cfg.indexPath(a.id)
	index, err := bleve.Open(path)
	if err == nil {
		n, cerr := index.Count()
		if cerr == nil && n == uint64(stored) {
			return index, nil
		}
		_ = index.Close()
		a.log.Warn("collection_index_stale", "collection_id", a.id, "indexed", n, "stored", stored)
	} else if !errors.Is(err, bleve.ErrNotExist) {
		a.log.Warn("collection_index_unreadable", "collection_id", a.id, "err", err)
	}
	entries := func(yield func(bleve.Entry, error) bool) {
		for c, err := range scan[ingest.Chunk](ctx, a.store, chunkPrefix(a.orgID, a.id)) {
			if !yield(bleve.Entry{ChunkID: c.ID, DocumentID: c.DocumentID, Title: c.Title, Text: c.Text}, err) || err != nil {
				return
			}
		}
	}
	start := time.Now()
	index, err = bleve.Rebuild(ctx, path, entries)
	if err == nil {
		a.log.Info("collection_index_rebuilt", "collection_id", a.id, "chunks", stored, "duration_ms", time.Since(start).Milliseconds())
	}
	return index, err
}

// scanPage is how many records one storage read returns while scanning.
const scanPage = 500

// scan yields every JSON record under prefix, reading page by page.
func scan[T any](ctx context.Context, s storage.Store, prefix string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		after := ""
		for {
			page, err := storage.ListJSON[T](ctx, s, prefix, after, scanPage)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, v := range page.Items {
				if !yield(v, nil) {
					return
				}
			}
			if !page.HasMore {
				return
			}
			after = page.Last
		}
	}
}

func (a *collectionActor) search(ctx actor.Context, msg *Search) any {
	if p := a.load(ctx); p != nil {
		return p
	}
	sctx, cancel := a.storeCtx()
	defer cancel()
	hits, err := a.index.Search(sctx, msg.Query, msg.TopK)
	if err != nil {
		a.log.Error("collection_search_failed", "collection_id", a.id, "err", err)
		return resource.Internal()
	}
	out := make([]Hit, len(hits))
	for i, h := range hits {
		out[i] = Hit{ChunkID: h.ChunkID, DocumentID: h.DocumentID, Title: h.Title, Text: h.Text, Score: h.Score}
	}
	return &SearchResult{Hits: out}
}

func (a *collectionActor) deleteDocument(ctx actor.Context, docID string) any {
	if p := a.load(ctx); p != nil {
		return p
	}
	d, ok := a.docs[docID]
	if !ok {
		return resource.NotFound("document")
	}
	sctx, cancel := a.storeCtx()
	defer cancel()
	var b storage.Batch
	var hashes []uint64
	for c, err := range scan[ingest.Chunk](sctx, a.store, chunkDocPrefix(a.orgID, a.id, docID)) {
		if err != nil {
			a.log.Error("collection_document_delete_failed", "collection_id", a.id, "err", err)
			return resource.Internal()
		}
		b.Delete(chunkKey(a.orgID, a.id, docID, c.Ordinal))
		hashes = append(hashes, c.Hash)
	}
	b.Delete(documentKey(a.orgID, a.id, docID))
	next := *a.state
	next.DocumentCount--
	next.ChunkCount -= len(hashes)
	next.UpdatedAt = time.Now().UTC()
	if err := b.PutJSON(collectionKey(a.orgID, a.id), &next); err != nil {
		return resource.Internal()
	}
	if err := a.store.Apply(sctx, &b); err != nil {
		a.log.Error("collection_document_delete_failed", "collection_id", a.id, "err", err)
		return resource.Internal()
	}
	a.state = &next
	delete(a.docs, docID)
	delete(a.byHash, d.ContentHash)
	for _, h := range hashes {
		if a.chunks[h] == docID {
			delete(a.chunks, h)
		}
	}
	if err := a.index.Delete(docID); err != nil {
		// Storage no longer has the chunks; the count check on the next
		// activation finds the index stale and rebuilds it.
		a.log.Error("collection_index_delete_failed", "collection_id", a.id, "err", err)
	}
	return &Deleted{ID: docID}
}

// delete removes the collection record first, in its own batch, so the
// collection is gone for every reader at once; documents and chunks follow
// in bounded batches (a crash meanwhile leaves only unreachable records).
func (a *collectionActor) delete(ctx actor.Context) any {
	if p := a.load(ctx); p != nil {
		return p
	}
	sctx, cancel := context.WithTimeout(context.Background(), 4*a.cfg.StoreTimeout)
	defer cancel()
	if err := storage.Delete(sctx, a.store, collectionKey(a.orgID, a.id)); err != nil {
		a.log.Error("collection_delete_failed", "collection_id", a.id, "err", err)
		return resource.Internal()
	}
	for _, prefix := range []string{chunkPrefix(a.orgID, a.id), documentPrefix(a.orgID, a.id)} {
		if err := deleteAll(sctx, a.store, prefix); err != nil {
			a.log.Error("collection_delete_records_failed", "collection_id", a.id, "err", err)
		}
	}
	a.cancel() // a running ingest has nothing to add to anymore
	if a.index != nil {
		_ = a.index.Close()
		a.index = nil
	}
	if err := bleve.Remove(a.cfg.indexPath(a.id)); err != nil {
		a.log.Error("collection_index_remove_failed", "collection_id", a.id, "err", err)
	}
	// The actor stays as a tombstone answering NOT_FOUND until it passivates.
	a.state, a.docs, a.byHash, a.chunks = nil, nil, nil, nil
	return &Deleted{ID: a.id}
}

func deleteAll(ctx context.Context, s storage.Store, prefix string) error {
	for {
		items, err := s.List(ctx, prefix, "", scanPage)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		var b storage.Batch
		for _, it := range items {
			b.Delete(it.Key)
		}
		if err := s.Apply(ctx, &b); err != nil {
			return err
		}
	}
}

// clone returns a copy the caller may read while the actor moves on.
func clone(c *resource.Collection) *resource.Collection {
	cp := *c
	return &cp
}
