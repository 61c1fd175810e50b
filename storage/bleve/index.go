package bleve

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// ErrNotExist is returned by Open when there is no index at the path.
var ErrNotExist = errors.New("bleve: index does not exist")

// ErrCorrupt is returned by Open when the directory holds no readable
// index; the caller rebuilds it.
var ErrCorrupt = errors.New("bleve: index is unreadable")

// Entry is one chunk to index.
type Entry struct {
	ChunkID    string
	DocumentID string
	Title      string
	Text       string
}

// Hit is one search result.
type Hit struct {
	ChunkID    string
	DocumentID string
	Title      string
	Text       string
	Score      float64
}

// Index is an open collection index. Its methods are safe for concurrent
// use (bleve serializes writers and snapshots readers).
type Index struct {
	path string
	idx  bv.Index
}

// batchSize bounds one bleve batch: large enough to amortize segment
// creation, small enough to keep memory flat on big ingests.
const batchSize = 500

const (
	fieldText     = "text"
	fieldTitle    = "title"
	fieldDocument = "documentId"
)

// titleBoost weighs a match in a chunk's heading over one in its body: a
// heading says what the chunk is about.
const titleBoost = 1.5

func newMapping() mapping.IndexMapping {
	text := bv.NewTextFieldMapping()
	text.Analyzer = en.AnalyzerName
	text.Store = true
	text.IncludeInAll = false
	text.IncludeTermVectors = false
	text.DocValues = false

	title := bv.NewTextFieldMapping()
	title.Analyzer = en.AnalyzerName
	title.Store = true
	title.IncludeInAll = false
	title.IncludeTermVectors = false
	title.DocValues = false

	doc := bv.NewKeywordFieldMapping()
	doc.Analyzer = keyword.Name
	doc.Store = true
	doc.IncludeInAll = false
	doc.DocValues = false

	dm := bv.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt(fieldText, text)
	dm.AddFieldMappingsAt(fieldTitle, title)
	dm.AddFieldMappingsAt(fieldDocument, doc)

	im := bv.NewIndexMapping()
	im.DefaultMapping = dm
	im.DefaultAnalyzer = en.AnalyzerName
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false
	im.ScoringModel = index.BM25Scoring
	return im
}

// Create makes a new, empty index at path, which must not exist.
func Create(path string) (*Index, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("bleve: create %s: %w", path, err)
	}
	idx, err := bv.New(path, newMapping())
	if err != nil {
		return nil, fmt.Errorf("bleve: create %s: %w", path, err)
	}
	return &Index{path: path, idx: idx}, nil
}

// Open opens the index at path: ErrNotExist when there is none, ErrCorrupt
// when what is there cannot be read.
func Open(path string) (*Index, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotExist
	}
	idx, err := bv.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	return &Index{path: path, idx: idx}, nil
}

// Rebuild replaces whatever is at path with a new index of the entries
// src yields, and returns it open.
func Rebuild(ctx context.Context, path string, src iter.Seq2[Entry, error]) (*Index, error) {
	if err := Remove(path); err != nil {
		return nil, err
	}
	x, err := Create(path)
	if err != nil {
		return nil, err
	}
	batch := make([]Entry, 0, batchSize)
	for e, err := range src {
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			_ = x.Close()
			return nil, fmt.Errorf("bleve: rebuild %s: %w", path, err)
		}
		batch = append(batch, e)
		if len(batch) == batchSize {
			if err := x.Index(batch); err != nil {
				_ = x.Close()
				return nil, err
			}
			batch = batch[:0]
		}
	}
	if err := x.Index(batch); err != nil {
		_ = x.Close()
		return nil, err
	}
	return x, nil
}

// Remove deletes the index directory at path; a missing one is not an error.
func Remove(path string) error {
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("bleve: remove %s: %w", path, err)
	}
	return nil
}

// Path is where the index lives.
func (x *Index) Path() string { return x.path }

// Index adds or replaces entries, in batches.
func (x *Index) Index(entries []Entry) error {
	for len(entries) > 0 {
		n := min(len(entries), batchSize)
		b := x.idx.NewBatch()
		for _, e := range entries[:n] {
			err := b.Index(e.ChunkID, map[string]any{fieldText: e.Text, fieldTitle: e.Title, fieldDocument: e.DocumentID})
			if err != nil {
				return fmt.Errorf("bleve: index %s: %w", e.ChunkID, err)
			}
		}
		if err := x.idx.Batch(b); err != nil {
			return fmt.Errorf("bleve: index batch: %w", err)
		}
		entries = entries[n:]
	}
	return nil
}

// Delete removes every chunk of a document.
func (x *Index) Delete(documentID string) error {
	q := bv.NewTermQuery(documentID)
	q.SetField(fieldDocument)
	for {
		req := bv.NewSearchRequestOptions(q, batchSize, 0, false)
		res, err := x.idx.Search(req)
		if err != nil {
			return fmt.Errorf("bleve: find chunks of %s: %w", documentID, err)
		}
		if len(res.Hits) == 0 {
			return nil
		}
		b := x.idx.NewBatch()
		for _, h := range res.Hits {
			b.Delete(h.ID)
		}
		if err := x.idx.Batch(b); err != nil {
			return fmt.Errorf("bleve: delete chunks of %s: %w", documentID, err)
		}
	}
}

// ScoringModel names how the open index scores matches, as recorded in
// its mapping ("bm25" for every index this package creates).
func (x *Index) ScoringModel() string {
	if m, ok := x.idx.Mapping().(*mapping.IndexMappingImpl); ok && m.ScoringModel != "" {
		return m.ScoringModel
	}
	return index.DefaultScoringModel
}

// Count is the number of indexed chunks.
func (x *Index) Count() (uint64, error) { return x.idx.DocCount() }

// Search returns the topK chunks that best match a natural-language query,
// best first, scored by BM25 over text and (boosted) title. Any query word
// may match; chunks matching more and rarer words rank higher.
func (x *Index) Search(ctx context.Context, q string, topK int) ([]Hit, error) {
	if topK <= 0 {
		return nil, nil
	}
	text := bv.NewMatchQuery(q)
	text.SetField(fieldText)
	title := bv.NewMatchQuery(q)
	title.SetField(fieldTitle)
	title.SetBoost(titleBoost)
	req := bv.NewSearchRequestOptions(query.NewDisjunctionQuery([]query.Query{text, title}), topK, 0, false)
	req.Fields = []string{fieldText, fieldTitle, fieldDocument}
	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("bleve: search: %w", err)
	}
	hits := make([]Hit, 0, len(res.Hits))
	for _, h := range res.Hits {
		str := func(f string) string { s, _ := h.Fields[f].(string); return s }
		hits = append(hits, Hit{ChunkID: h.ID, DocumentID: str(fieldDocument), Title: str(fieldTitle), Text: str(fieldText), Score: h.Score})
	}
	return hits, nil
}

// Close releases the index.
func (x *Index) Close() error {
	if err := x.idx.Close(); err != nil {
		return fmt.Errorf("bleve: close %s: %w", x.path, err)
	}
	return nil
}
