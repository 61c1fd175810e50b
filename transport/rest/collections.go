package rest

import (
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/switchboard-voice/switchboard/actors/collection"
	"github.com/switchboard-voice/switchboard/resource"
)

func collectionRoutes() []route {
	return []route{
		{Method: "POST", Path: "/v1/collections", Summary: "Create collection (and ingest its documents)", Tag: "Collections",
			Request: "CollectionInput", Responses: map[int]string{201: "Collection"}, Handle: (*Server).createCollection},
		{Method: "GET", Path: "/v1/collections", Summary: "List collections", Tag: "Collections",
			ListOf: "Collection", Handle: (*Server).listCollections},
		{Method: "GET", Path: "/v1/collections/{id}", Summary: "Get collection", Tag: "Collections",
			Responses: map[int]string{200: "Collection"}, Handle: (*Server).getCollection},
		{Method: "DELETE", Path: "/v1/collections/{id}", Summary: "Delete collection, its documents and index", Tag: "Collections",
			Responses: map[int]string{204: ""}, Handle: (*Server).deleteCollection},
		{Method: "POST", Path: "/v1/collections/{id}/ingest", Summary: "Ingest documents (text, markdown, html, pdf, url)", Tag: "Collections",
			Request: "IngestInput", Responses: map[int]string{200: "IngestResult"}, Handle: (*Server).ingestCollection},
		{Method: "POST", Path: "/v1/collections/{id}/search", Summary: "Search a collection (BM25)", Tag: "Collections",
			Request: "SearchInput", Responses: map[int]string{200: "SearchResult"}, Handle: (*Server).searchCollection},
		{Method: "DELETE", Path: "/v1/collections/{id}/documents/{docId}", Summary: "Delete a document and its chunks", Tag: "Collections",
			Responses: map[int]string{204: ""}, Handle: (*Server).deleteCollectionDocument},
	}
}

func (s *Server) createCollection(c *call) (int, any, error) {
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	var in collectionInput
	if p := resource.DecodeValid(body, &in); p != nil {
		return 0, nil, p
	}
	col, err := ask[*resource.Collection](s, s.sys.Collections, &collection.Create{OrgID: c.who.OrgID, Spec: resource.CollectionSpec(in)})
	return fasthttp.StatusCreated, col, err
}

func (s *Server) listCollections(c *call) (int, any, error) {
	pg, p := pageParams(c.ctx, resource.PrefixCollection)
	if p != nil {
		return 0, nil, p
	}
	res, err := ask[*collection.ListResult](s, s.sys.Collections, &collection.List{OrgID: c.who.OrgID, After: pg.After, Limit: pg.Limit})
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, newList(res.Items, res.Next, res.HasMore), nil
}

func (s *Server) getCollection(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixCollection, "collection")
	if p != nil {
		return 0, nil, p
	}
	col, err := ask[*resource.Collection](s, s.sys.Collections, &collection.Get{OrgID: c.who.OrgID, ID: id})
	return fasthttp.StatusOK, col, err
}

func (s *Server) deleteCollection(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixCollection, "collection")
	if p != nil {
		return 0, nil, p
	}
	_, err := ask[*collection.Deleted](s, s.sys.Collections, &collection.Delete{OrgID: c.who.OrgID, ID: id})
	return fasthttp.StatusNoContent, nil, err
}

// collectionInput is the body of POST /v1/collections: a CollectionSpec
// that satisfies resource.Validator.
type collectionInput resource.CollectionSpec

// Validate checks the name and the documents.
func (in *collectionInput) Validate() *resource.Problem {
	spec := (*resource.CollectionSpec)(in)
	if errs := spec.Validate(""); len(errs) > 0 {
		return resource.Invalid(errs...)
	}
	return nil
}

// ingestInput is the body of POST /v1/collections/{id}/ingest.
type ingestInput struct {
	Documents []resource.DocumentSpec `json:"documents"`
}

// Validate checks the documents with the same rules as a collection's.
func (in *ingestInput) Validate() *resource.Problem {
	if len(in.Documents) == 0 {
		return resource.Invalid(resource.FieldError{Field: "documents", Message: "must have at least one entry"})
	}
	// The name is not part of this request; a placeholder satisfies the
	// collection rules so that only the documents are judged.
	spec := resource.CollectionSpec{Name: "-", Documents: in.Documents}
	if errs := spec.Validate(""); len(errs) > 0 {
		return resource.Invalid(errs...)
	}
	in.Documents = spec.Documents // with the types Validate defaulted
	return nil
}

type ingestResultBody struct {
	Collection *resource.Collection          `json:"collection"`
	Documents  []collection.IngestedDocument `json:"documents"`
}

func (s *Server) ingestCollection(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixCollection, "collection")
	if p != nil {
		return 0, nil, p
	}
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	var in ingestInput
	if p := resource.DecodeValid(body, &in); p != nil {
		return 0, nil, p
	}
	res, err := ask[*collection.IngestResult](s, s.sys.Collections, &collection.Ingest{OrgID: c.who.OrgID, ID: id, Documents: in.Documents})
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, ingestResultBody{Collection: res.Collection, Documents: res.Documents}, nil
}

// searchInput is the body of POST /v1/collections/{id}/search.
type searchInput struct {
	Query string `json:"query"`
	TopK  int    `json:"topK"`
}

const (
	defaultTopK    = 5
	maxTopK        = 50
	maxQueryLength = 1000
)

// Validate checks the query and defaults topK.
func (in *searchInput) Validate() *resource.Problem {
	var errs []resource.FieldError
	in.Query = strings.TrimSpace(in.Query)
	switch {
	case in.Query == "":
		errs = append(errs, resource.FieldError{Field: "query", Message: "is required"})
	case len(in.Query) > maxQueryLength:
		errs = append(errs, resource.FieldError{Field: "query", Message: "must be at most 1000 characters"})
	}
	if in.TopK == 0 {
		in.TopK = defaultTopK
	} else if in.TopK < 1 || in.TopK > maxTopK {
		errs = append(errs, resource.FieldError{Field: "topK", Message: "must be from 1 to 50"})
	}
	if len(errs) > 0 {
		return resource.Invalid(errs...)
	}
	return nil
}

type searchResultBody struct {
	Data []collection.Hit `json:"data"`
}

func (s *Server) searchCollection(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixCollection, "collection")
	if p != nil {
		return 0, nil, p
	}
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	var in searchInput
	if p := resource.DecodeValid(body, &in); p != nil {
		return 0, nil, p
	}
	res, err := ask[*collection.SearchResult](s, s.sys.Collections, &collection.Search{OrgID: c.who.OrgID, ID: id, Query: in.Query, TopK: in.TopK})
	if err != nil {
		return 0, nil, err
	}
	hits := res.Hits
	if hits == nil {
		hits = []collection.Hit{}
	}
	return fasthttp.StatusOK, searchResultBody{Data: hits}, nil
}

func (s *Server) deleteCollectionDocument(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixCollection, "collection")
	if p != nil {
		return 0, nil, p
	}
	docID, p := pathID(c.ctx, "docId", resource.PrefixDocument, "document")
	if p != nil {
		return 0, nil, p
	}
	_, err := ask[*collection.Deleted](s, s.sys.Collections, &collection.DeleteDocument{OrgID: c.who.OrgID, ID: id, DocumentID: docID})
	return fasthttp.StatusNoContent, nil, err
}
