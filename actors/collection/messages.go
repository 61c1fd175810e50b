package collection

import (
	"github.com/switchboard-voice/switchboard/resource"
)

// Create makes a collection and ingests the spec's documents.
// Answer: *resource.Collection.
type Create struct {
	OrgID string
	Spec  resource.CollectionSpec
}

// Get reads one collection. Answer: *resource.Collection.
type Get struct{ OrgID, ID string }

// List pages through an organization's collections in creation order.
// Answer: *ListResult.
type List struct {
	OrgID string
	After string
	Limit int
}

// ListResult is one page of collections.
type ListResult struct {
	Items   []resource.Collection
	Next    string
	HasMore bool
}

// Delete removes a collection, its documents, chunks and index.
// Answer: *Deleted.
type Delete struct{ OrgID, ID string }

// Deleted confirms a Delete or a DeleteDocument.
type Deleted struct{ ID string }

// Ingest adds documents to a collection. The specs must have been
// validated (resource.CollectionSpec.Validate). Answer: *IngestResult.
type Ingest struct {
	OrgID, ID string
	Documents []resource.DocumentSpec
}

// IngestResult answers Ingest.
type IngestResult struct {
	Collection *resource.Collection
	Documents  []IngestedDocument
}

// IngestedDocument reports one document of an Ingest. A document already
// in the collection (same content hash) is reported with its existing ID.
type IngestedDocument struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	ChunkCount int    `json:"chunkCount"`
}

// Search finds the chunks that best answer a query. Answer: *SearchResult.
type Search struct {
	OrgID, ID string
	Query     string
	TopK      int
}

// SearchResult answers Search, best hit first.
type SearchResult struct {
	Hits []Hit
}

// Hit is one ranked chunk.
type Hit struct {
	ChunkID    string  `json:"chunkId"`
	DocumentID string  `json:"documentId"`
	Title      string  `json:"title"`
	Text       string  `json:"text"`
	Score      float64 `json:"score"`
}

// DeleteDocument removes one document and its chunks. Answer: *Deleted.
type DeleteDocument struct {
	OrgID, ID  string
	DocumentID string
}

// addressed is implemented by the messages the manager forwards to the
// actor of one collection.
type addressed interface{ target() (orgID, id string) }

func (m *Get) target() (string, string)            { return m.OrgID, m.ID }
func (m *Delete) target() (string, string)         { return m.OrgID, m.ID }
func (m *Ingest) target() (string, string)         { return m.OrgID, m.ID }
func (m *Search) target() (string, string)         { return m.OrgID, m.ID }
func (m *DeleteDocument) target() (string, string) { return m.OrgID, m.ID }

// passivate is a collection actor's request to be stopped for idleness.
type passivate struct{ name string }
