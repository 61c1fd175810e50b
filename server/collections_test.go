package server_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/ingest/ingesttest"
	"github.com/switchboard-voice/switchboard/server/servertest"
)

type collectionBody struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	DocumentCount int    `json:"documentCount"`
	ChunkCount    int    `json:"chunkCount"`
}

type ingestBody struct {
	Collection collectionBody `json:"collection"`
	Documents  []struct {
		ID         string `json:"id"`
		Title      string `json:"title"`
		ChunkCount int    `json:"chunkCount"`
	} `json:"documents"`
}

type hitBody struct {
	ChunkID    string  `json:"chunkId"`
	DocumentID string  `json:"documentId"`
	Title      string  `json:"title"`
	Text       string  `json:"text"`
	Score      float64 `json:"score"`
}

func createCollection(t *testing.T, n *servertest.Node, key, name string) collectionBody {
	t.Helper()
	res := n.Do("POST", "/v1/collections", key, map[string]any{"name": name})
	if res.Status != http.StatusCreated {
		t.Fatalf("create collection: %d %s", res.Status, res.Body)
	}
	var c collectionBody
	res.JSON(t, &c)
	return c
}

func search(t *testing.T, n *servertest.Node, key, colID, q string, topK int) []hitBody {
	t.Helper()
	res := n.Do("POST", "/v1/collections/"+colID+"/search", key, map[string]any{"query": q, "topK": topK})
	if res.Status != http.StatusOK {
		t.Fatalf("search %q: %d %s", q, res.Status, res.Body)
	}
	var body struct {
		Data []hitBody `json:"data"`
	}
	res.JSON(t, &body)
	return body.Data
}

// The knowledge corpus: a company FAQ in Markdown, and a PDF leaflet.
var leaflet = [][]string{
	{
		"Northwind Club: gift cards and loyalty",
		"Gift cards are sold in values from 10 to 500 dollars and never expire.",
		"A lost gift card can be replaced when you still have the purchase receipt.",
	},
	{
		"Members of the Northwind Club earn one loyalty point for every dollar spent.",
		"Every 200 points turn into a 10 dollar voucher at checkout.",
	},
}

func ingestCorpus(t *testing.T, n *servertest.Node, key, colID string) (faqID, pdfID string) {
	t.Helper()
	faq, err := os.ReadFile(filepath.Join("..", "ingest", "testdata", "faq.md"))
	if err != nil {
		t.Fatal(err)
	}
	pdf := base64.StdEncoding.EncodeToString(ingesttest.PDF("Northwind Club leaflet", leaflet))
	res := n.Do("POST", "/v1/collections/"+colID+"/ingest", key, map[string]any{"documents": []map[string]any{
		{"type": "markdown", "content": string(faq)},
		{"type": "pdf", "content": pdf},
	}})
	if res.Status != http.StatusOK {
		t.Fatalf("ingest: %d %s", res.Status, res.Body)
	}
	var body ingestBody
	res.JSON(t, &body)
	if len(body.Documents) != 2 || body.Documents[0].Title != "Northwind Bikes — Customer FAQ" || body.Documents[1].Title != "Northwind Club leaflet" {
		t.Fatalf("ingested documents: %+v", body.Documents)
	}
	// 16 FAQ sections plus the introduction, and the leaflet.
	if body.Documents[0].ChunkCount < 17 || body.Documents[1].ChunkCount < 1 ||
		body.Collection.DocumentCount != 2 || body.Collection.ChunkCount != body.Documents[0].ChunkCount+body.Documents[1].ChunkCount {
		t.Fatalf("ingest counts: %+v", body)
	}
	return body.Documents[0].ID, body.Documents[1].ID
}

// relevance lists questions worded unlike their answers, and where the
// answer is: the FAQ section's heading, or a phrase of the PDF.
var relevance = []struct{ q, title, phrase string }{
	{q: "What time does the shop close on Saturday?", title: "What are your store opening hours?"},
	{q: "How many days until my parcel arrives?", title: "How long does delivery take?"},
	{q: "Is shipping free for big orders?", title: "How much does shipping cost?"},
	{q: "Can I send back a bike I ordered on the website?", title: "Can I return a bike I bought online?"},
	{q: "When is my money refunded?", title: "When will I get my refund?"},
	{q: "Is the frame covered for life?", title: "What does the warranty cover?"},
	{q: "How much is a tune-up for a bike from another shop?", title: "Do you repair bikes bought elsewhere?"},
	{q: "How do I measure my inseam for the right frame?", title: "How do I choose the right frame size?"},
	{q: "How should I store my e-bike battery over winter?", title: "How do I look after an e-bike battery?"},
	{q: "Do you take PayPal?", title: "Which payment methods do you accept?"},
	{q: "Can I spread the cost over monthly payments?", title: "Can I pay in instalments?"},
	{q: "Is there a student discount?", title: "Do you offer discounts for students?"},
	{q: "How much does it cost to rent an electric bike for a day?", title: "Do you rent bikes?"},
	{q: "Do gift cards expire?", phrase: "never expire"},
	{q: "How many loyalty points do I earn per dollar?", phrase: "loyalty point for every dollar"},
}

func TestCollectionSearchRelevanceAndRebuild(t *testing.T) {
	n := servertest.Start(t, nil)
	key := n.AdminKey
	col := createCollection(t, n, key, "Northwind support")
	_, pdfID := ingestCorpus(t, n, key, col.ID)

	answered := 0
	for _, r := range relevance {
		hits := search(t, n, key, col.ID, r.q, 3)
		found := false
		for _, h := range hits {
			if (r.title != "" && h.Title == r.title) || (r.phrase != "" && h.DocumentID == pdfID && strings.Contains(h.Text, r.phrase)) {
				found = true
			}
		}
		if found {
			answered++
		} else {
			var got []string
			for _, h := range hits {
				got = append(got, h.Title)
			}
			t.Logf("miss: %q → %q", r.q, got)
		}
	}
	rate := float64(answered) / float64(len(relevance))
	fmt.Printf("collection search: top-3 hit rate %.2f (%d/%d questions)\n", rate, answered, len(relevance))
	if rate < 0.8 {
		t.Fatalf("top-3 hit rate %.2f is under 0.8", rate)
	}

	// The index is derived data: without it, a restarted node rebuilds it
	// from storage and answers exactly as before.
	before := search(t, n, key, col.ID, "Do you take PayPal?", 3)
	n.Stop()
	dir := filepath.Join(n.Config.DataDir, "indexes", col.ID)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("index dir %s: %v", dir, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	n.Restart()
	after := search(t, n, key, col.ID, "Do you take PayPal?", 3)
	if len(after) == 0 || after[0].ChunkID != before[0].ChunkID || after[0].Text != before[0].Text {
		t.Fatalf("after rebuild top hit %+v, before %+v", after, before)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("index was not rebuilt at %s: %v", dir, err)
	}
}

func TestCollectionEndpoints(t *testing.T) {
	n := servertest.Start(t, nil)
	key := n.AdminKey
	col := createCollection(t, n, key, "Docs")
	if !strings.HasPrefix(col.ID, "col_") || col.Name != "Docs" || col.DocumentCount != 0 {
		t.Fatalf("created: %+v", col)
	}

	// Create with documents ingests them.
	res := n.Do("POST", "/v1/collections", key, map[string]any{"name": "With docs", "documents": []map[string]any{
		{"type": "html", "content": "<title>Menu</title><h1>Menu</h1><p>Soup of the day is tomato.</p>"},
		{"content": "Plain text defaults to the text type."},
	}})
	var withDocs collectionBody
	res.JSON(t, &withDocs)
	if res.Status != http.StatusCreated || withDocs.DocumentCount != 2 || withDocs.ChunkCount != 2 {
		t.Fatalf("create with documents: %d %s", res.Status, res.Body)
	}

	res = n.Do("GET", "/v1/collections/"+withDocs.ID, key, nil)
	var got collectionBody
	res.JSON(t, &got)
	if res.Status != http.StatusOK || got != withDocs {
		t.Fatalf("get: %d %s", res.Status, res.Body)
	}

	// Pagination walks both collections in creation order.
	res = n.Do("GET", "/v1/collections?limit=1", key, nil)
	var page listBody[collectionBody]
	res.JSON(t, &page)
	if res.Status != http.StatusOK || len(page.Data) != 1 || !page.HasMore || page.NextCursor == nil || page.Data[0].ID != col.ID {
		t.Fatalf("first page: %d %s", res.Status, res.Body)
	}
	res = n.Do("GET", "/v1/collections?limit=1&cursor="+*page.NextCursor, key, nil)
	res.JSON(t, &page)
	if len(page.Data) != 1 || page.HasMore || page.Data[0].ID != withDocs.ID {
		t.Fatalf("second page: %s", res.Body)
	}

	// Validation.
	for _, tt := range []struct {
		name, path, field string
		body              any
	}{
		{"empty query", "/search", "query", map[string]any{"query": " "}},
		{"topK too large", "/search", "topK", map[string]any{"query": "x", "topK": 51}},
		{"unknown field", "/search", "limit", map[string]any{"query": "x", "limit": 3}},
		{"no documents", "/ingest", "documents", map[string]any{"documents": []any{}}},
		{"bad type", "/ingest", "documents[0].type", map[string]any{"documents": []any{map[string]any{"type": "docx", "content": "x"}}}},
		{"bad base64", "/ingest", "documents[0].content", map[string]any{"documents": []any{map[string]any{"type": "pdf", "content": "%%%"}}}},
		{"not a pdf", "/ingest", "documents[0].content", map[string]any{"documents": []any{map[string]any{"type": "pdf", "content": base64.StdEncoding.EncodeToString([]byte("hello"))}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := n.With(t).Do("POST", "/v1/collections/"+col.ID+tt.path, key, tt.body)
			e := res.Err(t)
			if res.Status != http.StatusBadRequest || e.Code != "VALIDATION_ERROR" || len(e.Details) == 0 || e.Details[0].Field != tt.field {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
		})
	}

	// Deleting a document removes its chunks from search.
	res = n.Do("POST", "/v1/collections/"+col.ID+"/ingest", key, map[string]any{"documents": []map[string]any{
		{"title": "Soup", "content": "Soup of the day is lentil."}}})
	var ing ingestBody
	res.JSON(t, &ing)
	if res.Status != http.StatusOK || len(ing.Documents) != 1 {
		t.Fatalf("ingest: %d %s", res.Status, res.Body)
	}
	if hits := search(t, n, key, col.ID, "lentil soup", 5); len(hits) != 1 || hits[0].DocumentID != ing.Documents[0].ID || hits[0].Score <= 0 {
		t.Fatalf("search before delete: %+v", hits)
	}
	if res = n.Do("DELETE", "/v1/collections/"+col.ID+"/documents/"+ing.Documents[0].ID, key, nil); res.Status != http.StatusNoContent {
		t.Fatalf("delete document: %d %s", res.Status, res.Body)
	}
	if hits := search(t, n, key, col.ID, "lentil soup", 5); len(hits) != 0 {
		t.Fatalf("search after delete: %+v", hits)
	}
	if res = n.Do("DELETE", "/v1/collections/"+col.ID+"/documents/"+ing.Documents[0].ID, key, nil); res.Status != http.StatusNotFound {
		t.Fatalf("second delete of the document: %d", res.Status)
	}

	// Deleting the collection removes it and its index.
	if res = n.Do("DELETE", "/v1/collections/"+withDocs.ID, key, nil); res.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	if res = n.Do("GET", "/v1/collections/"+withDocs.ID, key, nil); res.Status != http.StatusNotFound {
		t.Fatalf("get after delete: %d", res.Status)
	}
	if _, err := os.Stat(filepath.Join(n.Config.DataDir, "indexes", withDocs.ID)); !os.IsNotExist(err) {
		t.Fatalf("index survives its collection: %v", err)
	}
}

// Without SWITCHBOARD_EGRESS_ALLOW, URL ingest cannot reach loopback.
func TestCollectionURLIngestRefusesLoopback(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "internal admin notes")
	}))
	t.Cleanup(page.Close)
	n := servertest.Start(t, nil)
	col := createCollection(t, n, n.AdminKey, "Web")
	for _, u := range []string{page.URL, strings.Replace(page.URL, "127.0.0.1", "localhost", 1), "http://169.254.169.254/latest/meta-data/"} {
		res := n.Do("POST", "/v1/collections/"+col.ID+"/ingest", n.AdminKey, map[string]any{"documents": []map[string]any{{"type": "url", "url": u}}})
		e := res.Err(t)
		if res.Status != http.StatusBadRequest || e.Code != "VALIDATION_ERROR" || len(e.Details) != 1 ||
			e.Details[0].Field != "documents[0].url" || !strings.Contains(e.Details[0].Message, "SWITCHBOARD_EGRESS_ALLOW") {
			t.Fatalf("%s: %d %s", u, res.Status, res.Body)
		}
	}
}

func TestCollectionsAreIsolatedByOrganization(t *testing.T) {
	n := servertest.Start(t, nil)
	other := n.CreateOrg("Other")
	col := createCollection(t, n, n.AdminKey, "Mine")
	res := n.Do("POST", "/v1/collections/"+col.ID+"/ingest", n.AdminKey, map[string]any{"documents": []map[string]any{{"content": "Private pricing notes."}}})
	var ing ingestBody
	res.JSON(t, &ing)
	if res.Status != http.StatusOK {
		t.Fatalf("ingest: %d %s", res.Status, res.Body)
	}
	docID := ing.Documents[0].ID
	for _, tt := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/collections/" + col.ID, nil},
		{"POST", "/v1/collections/" + col.ID + "/search", map[string]any{"query": "pricing"}},
		{"POST", "/v1/collections/" + col.ID + "/ingest", map[string]any{"documents": []map[string]any{{"content": "x"}}}},
		{"DELETE", "/v1/collections/" + col.ID + "/documents/" + docID, nil},
		{"DELETE", "/v1/collections/" + col.ID, nil},
	} {
		res := n.Do(tt.method, tt.path, other, tt.body)
		if e := res.Err(t); res.Status != http.StatusNotFound || e.Code != "NOT_FOUND" {
			t.Fatalf("%s %s as another org: %d %s", tt.method, tt.path, res.Status, res.Body)
		}
	}
	res = n.Do("GET", "/v1/collections", other, nil)
	var page listBody[collectionBody]
	res.JSON(t, &page)
	if len(page.Data) != 0 {
		t.Fatalf("another org lists %s", res.Body)
	}
	// Nothing the other org tried changed the collection.
	if hits := search(t, n, n.AdminKey, col.ID, "pricing", 3); len(hits) != 1 || hits[0].DocumentID != docID {
		t.Fatalf("owner's search after the other org's attempts: %+v", hits)
	}
}

// A collection stored by provisioning has documents but no chunks; the
// first request that activates it starts their ingest.
func TestProvisionedCollectionBecomesSearchable(t *testing.T) {
	n := servertest.Start(t, nil)
	res := n.Do("POST", "/v1/agents/provision", n.AdminKey, map[string]any{
		"agent": map[string]any{"name": "Concierge"},
		"collection": map[string]any{"name": "Hotel", "documents": []map[string]any{
			{"type": "markdown", "content": "## Breakfast\n\nBreakfast is served from 7 to 10 in the garden room."},
			{"type": "text", "content": "Checkout is at noon; late checkout costs 20 euros."},
		}},
	})
	var prov struct {
		Collection collectionBody `json:"collection"`
	}
	res.JSON(t, &prov)
	if res.Status != http.StatusCreated || prov.Collection.ID == "" {
		t.Fatalf("provision: %d %s", res.Status, res.Body)
	}
	var hits []hitBody
	for range 300 {
		if hits = search(t, n, n.AdminKey, prov.Collection.ID, "when is breakfast served", 3); len(hits) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond) // polling for the background ingest
	}
	if len(hits) == 0 || hits[0].Title != "Breakfast" {
		t.Fatalf("provisioned collection not searchable: %+v", hits)
	}
	var col collectionBody
	for range 300 {
		n.Do("GET", "/v1/collections/"+prov.Collection.ID, n.AdminKey, nil).JSON(t, &col)
		if col.ChunkCount == 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if col.DocumentCount != 2 || col.ChunkCount != 2 {
		t.Fatalf("provisioned collection counts: %+v", col)
	}
}
