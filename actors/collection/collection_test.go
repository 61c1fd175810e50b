package collection_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/actors"
	"github.com/switchboard-voice/switchboard/actors/collection"
	"github.com/switchboard-voice/switchboard/ingest/ingesttest"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
	"github.com/switchboard-voice/switchboard/storage/memory"
)

type node struct {
	t     *testing.T
	as    *actor.ActorSystem
	pid   *actor.PID
	store storage.Store
	cfg   collection.Config
}

func start(t *testing.T, store storage.Store, cfg collection.Config) *node {
	t.Helper()
	as := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pid, err := as.Root.SpawnNamed(collection.NewManager(cfg, store, log), "collections")
	if err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, as: as, pid: pid, store: store, cfg: cfg}
	t.Cleanup(n.stop)
	return n
}

func (n *node) stop() {
	if n.as == nil {
		return
	}
	_ = n.as.Root.PoisonFuture(n.pid).Wait()
	n.as.Shutdown()
	n.as = nil
}

func ask[T any](n *node, msg any) (T, error) {
	return actors.Ask[T](n.as.Root, n.pid, msg, 20*time.Second)
}

// call asks and fails the test on an error answer.
func call[T any](t *testing.T, n *node, msg any) T {
	t.Helper()
	v, err := ask[T](n, msg)
	if err != nil {
		t.Fatalf("%T: %v", msg, err)
	}
	return v
}

func TestIngestSearchDelete(t *testing.T) {
	dir := t.TempDir()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<title>Parking</title><h1>Parking</h1><p>Customers park free in the basement garage for two hours.</p>")
	}))
	t.Cleanup(srv.Close)
	n := start(t, memory.New(), collection.Config{DataDir: dir, EgressAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	col := call[*resource.Collection](t, n, &collection.Create{OrgID: "org_a", Spec: resource.CollectionSpec{Name: "Help"}})
	pdf := base64.StdEncoding.EncodeToString(ingesttest.PDF("Warranty", [][]string{{"Blenders carry a two-year warranty on the motor."}}))
	res := call[*collection.IngestResult](t, n, &collection.Ingest{OrgID: "org_a", ID: col.ID, Documents: []resource.DocumentSpec{
		{Title: "Hours", Type: "markdown", Content: "# Hours\n\nWe open at **nine** every weekday."},
		{Type: "pdf", Content: pdf},
		{Type: "url", URL: srv.URL + "/parking"},
	}})
	if len(res.Documents) != 3 || res.Collection.DocumentCount != 3 || res.Collection.ChunkCount != 3 {
		t.Fatalf("ingest result: %+v / %+v", res.Documents, res.Collection)
	}
	if res.Documents[1].Title != "Warranty" || res.Documents[2].Title != "Parking" {
		t.Errorf("titles from the PDF and the page: %+v", res.Documents)
	}
	for q, want := range map[string]string{"when do you open": res.Documents[0].ID, "motor warranty": res.Documents[1].ID, "where can I park": res.Documents[2].ID} {
		got := call[*collection.SearchResult](t, n, &collection.Search{OrgID: "org_a", ID: col.ID, Query: q, TopK: 3})
		if len(got.Hits) == 0 || got.Hits[0].DocumentID != want {
			t.Errorf("%q: hits %+v, want document %s first", q, got.Hits, want)
		}
	}

	// The same document again is recognized, not stored twice.
	again := call[*collection.IngestResult](t, n, &collection.Ingest{OrgID: "org_a", ID: col.ID, Documents: []resource.DocumentSpec{
		{Title: "Hours", Type: "markdown", Content: "# Hours\n\nWe open at **nine** every weekday."}}})
	if again.Documents[0].ID != res.Documents[0].ID || again.Collection.DocumentCount != 3 {
		t.Fatalf("duplicate ingest: %+v %+v", again.Documents, again.Collection)
	}

	call[*collection.Deleted](t, n, &collection.DeleteDocument{OrgID: "org_a", ID: col.ID, DocumentID: res.Documents[2].ID})
	got := call[*collection.SearchResult](t, n, &collection.Search{OrgID: "org_a", ID: col.ID, Query: "park garage basement", TopK: 5})
	for _, h := range got.Hits {
		if h.DocumentID == res.Documents[2].ID {
			t.Fatalf("deleted document still found: %+v", h)
		}
	}
	c := call[*resource.Collection](t, n, &collection.Get{OrgID: "org_a", ID: col.ID})
	if c.DocumentCount != 2 || c.ChunkCount != 2 {
		t.Fatalf("counts after document delete: %+v", c)
	}

	// Another organization sees nothing.
	if _, err := ask[*resource.Collection](n, &collection.Get{OrgID: "org_b", ID: col.ID}); resource.AsProblem(err) == nil || resource.AsProblem(err).Code != resource.CodeNotFound {
		t.Fatalf("cross-org get: %v", err)
	}

	call[*collection.Deleted](t, n, &collection.Delete{OrgID: "org_a", ID: col.ID})
	if _, err := os.Stat(filepath.Join(dir, "indexes", col.ID)); !os.IsNotExist(err) {
		t.Fatalf("index dir survives the collection: %v", err)
	}
	left, err := n.store.List(context.Background(), "o/org_a/", "", 100)
	if err != nil || len(left) != 0 {
		t.Fatalf("records left after delete: %d %v", len(left), err)
	}
}

func TestURLIngestRefusedWithoutAllowList(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") }))
	t.Cleanup(srv.Close)
	n := start(t, memory.New(), collection.Config{DataDir: t.TempDir()})
	col := call[*resource.Collection](t, n, &collection.Create{OrgID: "org_a", Spec: resource.CollectionSpec{Name: "Help"}})
	_, err := ask[*collection.IngestResult](n, &collection.Ingest{OrgID: "org_a", ID: col.ID, Documents: []resource.DocumentSpec{
		{Type: "text", Content: "fine text"}, {Type: "url", URL: srv.URL}}})
	p := resource.AsProblem(err)
	if p == nil || p.Code != resource.CodeValidation || len(p.Details) != 1 || p.Details[0].Field != "documents[1].url" ||
		!strings.Contains(p.Details[0].Message, "SWITCHBOARD_EGRESS_ALLOW") {
		t.Fatalf("err = %#v", err)
	}
	// A refused request stores nothing, not even its readable documents.
	c := call[*resource.Collection](t, n, &collection.Get{OrgID: "org_a", ID: col.ID})
	if c.DocumentCount != 0 {
		t.Fatalf("documents stored by a refused ingest: %+v", c)
	}
}

// While a slow URL is being fetched, the collection keeps answering.
func TestSearchAnswersDuringIngest(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		fmt.Fprint(w, "Slow page about tides and harbours.")
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close if the test fails early
	n := start(t, memory.New(), collection.Config{DataDir: t.TempDir(), EgressAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	col := call[*resource.Collection](t, n, &collection.Create{OrgID: "o", Spec: resource.CollectionSpec{Name: "c",
		Documents: []resource.DocumentSpec{{Type: "text", Content: "Lighthouses guide ships at night."}}}})
	pending := n.as.Root.RequestFuture(n.pid, &collection.Ingest{OrgID: "o", ID: col.ID, Documents: []resource.DocumentSpec{{Type: "url", URL: srv.URL}}}, 20*time.Second)
	got := call[*collection.SearchResult](t, n, &collection.Search{OrgID: "o", ID: col.ID, Query: "lighthouse ships", TopK: 1})
	if len(got.Hits) != 1 {
		t.Fatalf("search during ingest: %+v", got)
	}
	release <- struct{}{}
	res, err := pending.Result()
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := res.(*collection.IngestResult); !ok || r.Documents[0].ChunkCount != 1 {
		t.Fatalf("ingest result %#v", res)
	}
}

// Collections stored by provisioning have documents and no chunks; the
// first activation ingests them.
func TestProvisionedDocumentsGetIndexed(t *testing.T) {
	store := memory.New()
	now := time.Now().UTC()
	colID, docID := resource.NewID(resource.PrefixCollection), resource.NewID(resource.PrefixDocument)
	var b storage.Batch
	_ = b.PutJSON("o/org_p/collection/"+colID, resource.Collection{ID: colID, Name: "kb", DocumentCount: 1, CreatedAt: now, UpdatedAt: now})
	_ = b.PutJSON("o/org_p/doc/"+colID+"/"+docID, resource.Document{ID: docID, CollectionID: colID, Type: "markdown",
		Content: "## Pets\n\nDogs are welcome on the terrace.", ContentHash: "0123456789abcdef", CreatedAt: now})
	if err := store.Apply(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	n := start(t, store, collection.Config{DataDir: t.TempDir()})
	var hits []collection.Hit
	for range 200 {
		res := call[*collection.SearchResult](t, n, &collection.Search{OrgID: "org_p", ID: colID, Query: "can I bring my dog", TopK: 3})
		if hits = res.Hits; len(hits) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond) // polling for the background job
	}
	if len(hits) == 0 || hits[0].DocumentID != docID || hits[0].Title != "Pets" {
		t.Fatalf("provisioned document not searchable: %+v", hits)
	}
	c := call[*resource.Collection](t, n, &collection.Get{OrgID: "org_p", ID: colID})
	if c.DocumentCount != 1 || c.ChunkCount != 1 {
		t.Fatalf("counts after provisioned ingest: %+v", c)
	}
}

func TestIndexRebuiltWhenMissingOrStale(t *testing.T) {
	store, dir := memory.New(), t.TempDir()
	cfg := collection.Config{DataDir: dir}
	n := start(t, store, cfg)
	col := call[*resource.Collection](t, n, &collection.Create{OrgID: "o", Spec: resource.CollectionSpec{Name: "c", Documents: []resource.DocumentSpec{
		{Type: "markdown", Content: "## Parking\n\nFree parking in the garage.\n\n## Pets\n\nDogs are welcome."}}}})
	search := func(n *node) string {
		res := call[*collection.SearchResult](t, n, &collection.Search{OrgID: "o", ID: col.ID, Query: "dogs welcome", TopK: 1})
		if len(res.Hits) == 0 {
			t.Fatal("no hit")
		}
		return res.Hits[0].ChunkID
	}
	want := search(n)
	n.stop()

	if err := os.RemoveAll(filepath.Join(dir, "indexes", col.ID)); err != nil {
		t.Fatal(err)
	}
	n = start(t, store, cfg)
	if got := search(n); got != want {
		t.Fatalf("after rebuild top hit %s, want %s", got, want)
	}
	n.stop()

	// A stale index (chunks stored that it lacks) is rebuilt too.
	var b storage.Batch
	_ = b.PutJSON("o/o/chunk/"+col.ID+"/doc_x/000000", map[string]any{"id": "doc_x#0", "documentId": "doc_x", "title": "Bikes", "text": "Bicycles are parked in the courtyard rack.", "hash": 7})
	if err := store.Apply(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	n = start(t, store, cfg)
	res := call[*collection.SearchResult](t, n, &collection.Search{OrgID: "o", ID: col.ID, Query: "bicycles courtyard", TopK: 1})
	if len(res.Hits) == 0 || res.Hits[0].ChunkID != "doc_x#0" {
		t.Fatalf("stale index not rebuilt: %+v", res.Hits)
	}
}

// With a tiny idle timeout the actor passivates between requests all the
// time; requests that arrive while it stops wait for its successor, which
// reopens the index. Every one must be answered.
func TestPassivationKeepsAnswering(t *testing.T) {
	n := start(t, memory.New(), collection.Config{DataDir: t.TempDir(), IdleTimeout: time.Millisecond})
	col := call[*resource.Collection](t, n, &collection.Create{OrgID: "o", Spec: resource.CollectionSpec{Name: "c",
		Documents: []resource.DocumentSpec{{Type: "text", Content: "Ferries leave the pier every hour."}}}})
	for i := range 100 {
		res, err := ask[*collection.SearchResult](n, &collection.Search{OrgID: "o", ID: col.ID, Query: "ferry pier", TopK: 1})
		if err != nil || len(res.Hits) != 1 {
			t.Fatalf("search %d: %+v %v", i, res, err)
		}
	}
}

func TestListPages(t *testing.T) {
	n := start(t, memory.New(), collection.Config{DataDir: t.TempDir()})
	var ids []string
	for i := range 5 {
		c := call[*resource.Collection](t, n, &collection.Create{OrgID: "o", Spec: resource.CollectionSpec{Name: fmt.Sprint(i)}})
		ids = append(ids, c.ID)
	}
	var seen []string
	after := ""
	for {
		page := call[*collection.ListResult](t, n, &collection.List{OrgID: "o", After: after, Limit: 2})
		for _, c := range page.Items {
			seen = append(seen, c.ID)
		}
		if !page.HasMore {
			break
		}
		after = page.Next
	}
	if strings.Join(seen, ",") != strings.Join(ids, ",") {
		t.Fatalf("listed %v, want %v", seen, ids)
	}
}
