// Package collection holds the knowledge-collection actors. The manager
// ("collections") creates and lists collections and activates one actor per
// collection on demand; that actor owns the collection's state and its
// full-text index (storage/bleve), persists every change through
// storage.Store before answering, and passivates when idle.
//
// Ingest reads documents (text, Markdown, HTML, base64 PDF, or URLs fetched
// through the egress guard), cuts them into chunks and stores each document
// with its chunks and the collection's new counts in one atomic batch, then
// indexes the chunks. Extraction and fetching run in a goroutine owned by
// the actor, whose result comes back as a message, so searches keep being
// answered meanwhile. Documents are deduplicated by an xxh3 hash of their
// content (the same hash provisioning stores), which also makes retrying a
// partly failed ingest safe; chunks are deduplicated by content hash across
// the collection, so a paragraph shared by two documents is indexed once,
// under the first.
//
// The index is derived data. On activation the actor opens it and checks
// that it holds as many chunks as storage does; when it is missing,
// unreadable or behind (a crash between the store commit and the index
// write), it is rebuilt from the stored chunks.
//
// Collections created by POST /v1/agents/provision are stored with their
// documents but without chunks. Each stored document carries an "ingested"
// flag that provisioning does not set; on activation the actor ingests every
// document without it, in the background, exactly like a client's ingest.
// So a provisioned collection becomes searchable the first time anything
// touches it (a search may see a partial index until that job ends).
package collection
