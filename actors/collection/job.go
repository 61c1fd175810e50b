package collection

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/zeebo/xxh3"

	"github.com/switchboard-voice/switchboard/egress"
	"github.com/switchboard-voice/switchboard/ingest"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
	"github.com/switchboard-voice/switchboard/storage/bleve"
)

// job is one ingest: documents to read, and whom to answer.
type job struct {
	replyTo *actor.PID // nil for background jobs (provisioned documents)
	specs   []resource.DocumentSpec
	// existing holds, for background jobs, the stored documents the specs
	// were read from, in the same order.
	existing         []*storedDocument
	answerCollection bool // answer with the collection (Create) instead of an IngestResult
}

// extracted is what the job's goroutine made of one document.
type extracted struct {
	docID  string
	title  string
	hash   string
	chunks []ingest.Chunk
}

// jobDone carries a job's result back into the actor's mailbox.
type jobDone struct {
	job     *job
	results []extracted
	errs    []resource.FieldError
}

// startJob extracts and chunks the documents in a goroutine owned by the
// actor: fetching a URL or parsing a PDF may take seconds, and searches
// must keep being answered meanwhile. Storing and indexing happen back in
// the actor, which owns the dedup state and the index.
func (a *collectionActor) startJob(ctx actor.Context, j *job) {
	ids := make([]string, len(j.specs))
	for i := range ids {
		if j.existing != nil {
			ids[i] = j.existing[i].ID
		} else {
			ids[i] = resource.NewID(resource.PrefixDocument)
		}
	}
	self, root, jobs := ctx.Self(), ctx.ActorSystem().Root, a.jobs
	fetcher, chunker := a.fetcher, a.cfg.Chunker
	a.pending++
	a.running.Add(1)
	go func() {
		defer a.running.Done()
		done := &jobDone{job: j, results: make([]extracted, len(j.specs))}
		for i, spec := range j.specs {
			if jobs.Err() != nil {
				done.errs = append(done.errs, resource.FieldError{Field: "documents", Message: "ingest was canceled"})
				break
			}
			text, fe := read(jobs, fetcher, spec)
			if fe != nil {
				fe.Field = fmt.Sprintf("documents[%d].%s", i, fe.Field)
				done.errs = append(done.errs, *fe)
				continue
			}
			title := firstNonEmpty(strings.TrimSpace(spec.Title), text.Title, spec.URL, "Untitled")
			done.results[i] = extracted{
				docID:  ids[i],
				title:  title,
				hash:   contentHash(spec),
				chunks: chunker.Chunk(ids[i], title, text),
			}
		}
		root.Send(self, done)
	}()
}

// read extracts one document's text; a failure names the field at fault.
func read(ctx context.Context, f *ingest.Fetcher, spec resource.DocumentSpec) (ingest.Text, *resource.FieldError) {
	var (
		text ingest.Text
		err  error
	)
	switch spec.Type {
	case "url":
		text, err = f.Fetch(ctx, spec.URL)
	case "pdf":
		raw, derr := decodeBase64(spec.Content)
		if derr != nil {
			return text, &resource.FieldError{Field: "content", Message: "must be base64-encoded PDF"}
		}
		text, err = ingest.Extract("pdf", raw)
	default:
		text, err = ingest.Extract(spec.Type, []byte(spec.Content))
	}
	switch {
	case err == nil:
		return text, nil
	case errors.Is(err, egress.ErrForbiddenAddress):
		return text, &resource.FieldError{Field: "url", Message: "resolves to a private, loopback or link-local address; an operator can allow it with SWITCHBOARD_EGRESS_ALLOW"}
	case errors.Is(err, egress.ErrScheme):
		return text, &resource.FieldError{Field: "url", Message: "must be an http or https URL (redirects included)"}
	case errors.Is(err, ingest.ErrFetch):
		return text, &resource.FieldError{Field: "url", Message: "could not be fetched: " + fetchReason(err)}
	case errors.Is(err, ingest.ErrUnsupported):
		return text, &resource.FieldError{Field: "url", Message: "answered with a content type that is not text, Markdown, HTML or PDF"}
	default:
		field := "content"
		if spec.Type == "url" {
			field = "url"
		}
		return text, &resource.FieldError{Field: field, Message: "has no readable " + spec.Type + " text"}
	}
}

// fetchReason says why a fetch failed without echoing internals such as
// resolver addresses.
func fetchReason(err error) string {
	var to interface{ Timeout() bool }
	switch {
	case errors.Is(err, egress.ErrTooManyRedirects):
		return "too many redirects"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &to) && to.Timeout():
		return "timed out"
	}
	msg := err.Error()
	if i := strings.Index(msg, "status "); i >= 0 {
		return msg[i:]
	}
	if strings.Contains(msg, "limit") {
		return "the document is over the size limit"
	}
	return "the server could not be reached"
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	if raw, err := base64.StdEncoding.DecodeString(s); err == nil {
		return raw, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// contentHash identifies a document by what it holds, the same way
// provisioning does, so a document is stored once per collection.
func contentHash(d resource.DocumentSpec) string {
	return fmt.Sprintf("%016x", xxh3.HashString(d.Type+"\x00"+d.Content+"\x00"+d.URL))
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// finishJob stores and indexes what a job extracted. Each document is one
// atomic batch: the document, its chunks and the collection's new counts.
// If any document of a client's request failed to read, nothing is stored
// and the answer lists every failure.
func (a *collectionActor) finishJob(ctx actor.Context, d *jobDone) {
	j := d.job
	answer := func(v any) {
		if j.replyTo != nil {
			ctx.Send(j.replyTo, v)
		}
	}
	if a.state == nil || !a.ready {
		answer(resource.NotFound("collection"))
		return
	}
	if len(d.errs) > 0 && j.existing == nil {
		answer(resource.Invalid(d.errs...))
		return
	}
	res := &IngestResult{}
	for i, ex := range d.results {
		var prior *storedDocument
		if j.existing != nil {
			prior = j.existing[i]
			if ex.docID == "" {
				// Unreadable provisioned document: mark it so that it is
				// not retried on every activation.
				a.log.Warn("collection_document_unreadable", "collection_id", a.id, "document_id", prior.ID)
				ex = extracted{docID: prior.ID, title: prior.Title, hash: prior.ContentHash}
			}
		} else if id, dup := a.byHash[ex.hash]; dup {
			old := a.docs[id]
			res.Documents = append(res.Documents, IngestedDocument{ID: old.ID, Title: old.Title, ChunkCount: old.ChunkCount})
			continue
		}
		doc, p := a.commit(j.specs[i], ex, prior)
		if p != nil {
			// Documents before this one are stored; retrying the request
			// is safe because they are recognized by content hash.
			answer(p)
			return
		}
		res.Documents = append(res.Documents, IngestedDocument{ID: doc.ID, Title: doc.Title, ChunkCount: doc.ChunkCount})
	}
	if j.answerCollection {
		answer(clone(a.state))
		return
	}
	res.Collection = clone(a.state)
	answer(res)
}

// commit stores one document with its new chunks, then indexes them.
func (a *collectionActor) commit(spec resource.DocumentSpec, ex extracted, prior *storedDocument) (*storedDocument, *resource.Problem) {
	now := time.Now().UTC()
	doc := &storedDocument{Document: resource.Document{
		ID: ex.docID, CollectionID: a.id, Title: ex.title, Type: spec.Type, URL: spec.URL,
		ContentHash: ex.hash, CreatedAt: now,
	}, Ingested: true}
	if prior != nil {
		doc.Document = prior.Document
		if doc.Title == "" {
			doc.Title = ex.title
		}
	} else if spec.Type != "pdf" && spec.Type != "url" {
		// Text stays with its document; PDF bytes and fetched pages are
		// represented by their chunks only, which keeps batches small.
		doc.Content = spec.Content
	}
	var chunks []ingest.Chunk
	for _, c := range ex.chunks {
		if _, dup := a.chunks[c.Hash]; dup {
			continue
		}
		c.Ordinal = len(chunks)
		c.ID = ingest.ChunkID(doc.ID, c.Ordinal)
		chunks = append(chunks, c)
	}
	doc.ChunkCount = len(chunks)

	next := *a.state
	if prior == nil {
		next.DocumentCount++
	}
	next.ChunkCount += len(chunks)
	next.UpdatedAt = now
	var b storage.Batch
	if err := b.PutJSON(documentKey(a.orgID, a.id, doc.ID), doc); err != nil {
		return nil, resource.Internal()
	}
	for _, c := range chunks {
		if err := b.PutJSON(chunkKey(a.orgID, a.id, doc.ID, c.Ordinal), c); err != nil {
			return nil, resource.Internal()
		}
	}
	if err := b.PutJSON(collectionKey(a.orgID, a.id), &next); err != nil {
		return nil, resource.Internal()
	}
	sctx, cancel := a.storeCtx()
	defer cancel()
	if err := a.store.Apply(sctx, &b); err != nil {
		if errors.Is(err, storage.ErrBatchTooLarge) {
			return nil, resource.Invalid(resource.FieldError{Field: "documents", Message: fmt.Sprintf("document %q is too large to store", doc.Title)})
		}
		a.log.Error("collection_ingest_store_failed", "collection_id", a.id, "err", err)
		return nil, resource.Internal()
	}
	a.state = &next
	a.docs[doc.ID] = doc
	a.byHash[doc.ContentHash] = doc.ID
	entries := make([]bleve.Entry, len(chunks))
	for i, c := range chunks {
		a.chunks[c.Hash] = doc.ID
		entries[i] = bleve.Entry{ChunkID: c.ID, DocumentID: c.DocumentID, Title: c.Title, Text: c.Text}
	}
	if err := a.index.Index(entries); err != nil {
		// Stored but not indexed: the next activation sees the count
		// mismatch and rebuilds the index from storage.
		a.log.Error("collection_index_failed", "collection_id", a.id, "err", err)
	}
	return doc, nil
}
