package bleve_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/storage/bleve"
)

var corpus = []bleve.Entry{
	{ChunkID: "doc_a#0", DocumentID: "doc_a", Title: "Opening hours", Text: "The store opens at nine in the morning and closes at seven."},
	{ChunkID: "doc_a#1", DocumentID: "doc_a", Title: "Refunds", Text: "Refunds are paid to the original card within five working days."},
	{ChunkID: "doc_b#0", DocumentID: "doc_b", Title: "Warranty", Text: "Frames carry a lifetime warranty; components are covered for two years."},
	{ChunkID: "doc_b#1", DocumentID: "doc_b", Title: "Batteries", Text: "Store batteries indoors and keep them partly charged."},
}

func seq(entries []bleve.Entry) iter.Seq2[bleve.Entry, error] {
	return func(yield func(bleve.Entry, error) bool) {
		for _, e := range entries {
			if !yield(e, nil) {
				return
			}
		}
	}
}

func top(t *testing.T, x *bleve.Index, q string) bleve.Hit {
	t.Helper()
	hits, err := x.Search(context.Background(), q, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 {
		t.Fatalf("no hit for %q", q)
	}
	return hits[0]
}

func TestIndexSearchDeleteReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "indexes", "col_1")
	if _, err := bleve.Open(path); !errors.Is(err, bleve.ErrNotExist) {
		t.Fatalf("Open of a missing index: %v", err)
	}
	x, err := bleve.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Index(corpus); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ q, want string }{
		{"when does the store open?", "doc_a#0"},
		{"how long until I get my refund", "doc_a#1"},
		{"is my frame under warranty", "doc_b#0"},
		{"charging batteries", "doc_b#1"}, // stemming: charging ~ charged
	}
	for _, tt := range tests {
		h := top(t, x, tt.q)
		if h.ChunkID != tt.want {
			t.Errorf("%q: top hit %s, want %s", tt.q, h.ChunkID, tt.want)
		}
		if h.Score <= 0 || h.Text == "" || h.Title == "" || h.DocumentID == "" {
			t.Errorf("%q: hit lacks fields: %+v", tt.q, h)
		}
	}
	if err := x.Delete("doc_a"); err != nil {
		t.Fatal(err)
	}
	if n, _ := x.Count(); n != 2 {
		t.Fatalf("count after delete = %d, want 2", n)
	}
	hits, err := x.Search(context.Background(), "refund store opens", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.DocumentID == "doc_a" {
			t.Fatalf("deleted document still found: %+v", h)
		}
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	// The index persists, with BM25 recorded in its mapping.
	x, err = bleve.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if m := x.ScoringModel(); m != "bm25" {
		t.Fatalf("reopened index scores with %q, want bm25", m)
	}
	if h := top(t, x, "lifetime warranty"); h.ChunkID != "doc_b#0" {
		t.Fatalf("after reopen top hit %s", h.ChunkID)
	}
}

func TestOpenCorruptAndRebuild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "col_2")
	if err := os.MkdirAll(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "index_meta.json"), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := bleve.Open(path); !errors.Is(err, bleve.ErrCorrupt) {
		t.Fatalf("Open of a corrupt index: %v, want ErrCorrupt", err)
	}
	x, err := bleve.Rebuild(context.Background(), path, seq(corpus))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if n, _ := x.Count(); n != uint64(len(corpus)) {
		t.Fatalf("rebuilt count = %d, want %d", n, len(corpus))
	}
	if h := top(t, x, "refund card"); h.ChunkID != "doc_a#1" {
		t.Fatalf("rebuilt top hit %s", h.ChunkID)
	}
}

func TestRebuildStopsOnSourceError(t *testing.T) {
	boom := errors.New("store down")
	src := func(yield func(bleve.Entry, error) bool) {
		if yield(corpus[0], nil) {
			yield(bleve.Entry{}, boom)
		}
	}
	if _, err := bleve.Rebuild(context.Background(), filepath.Join(t.TempDir(), "x"), src); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the source's error", err)
	}
}

// words is a synthetic vocabulary with a Zipf-like spread, so that some
// terms are common and some rare, as in real text.
func synthetic(n int) []bleve.Entry {
	r := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 5000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%dx", i)
	}
	z := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	out := make([]bleve.Entry, n)
	for i := range out {
		words := make([]string, 120)
		for j := range words {
			words[j] = vocab[z.Uint64()]
		}
		out[i] = bleve.Entry{
			ChunkID: fmt.Sprintf("doc_%d#%d", i/20, i%20), DocumentID: fmt.Sprintf("doc_%d", i/20),
			Title: vocab[z.Uint64()] + " " + vocab[z.Uint64()], Text: strings.Join(words, " "),
		}
	}
	return out
}

// BenchmarkSearch10k measures query latency on a 10,000-chunk collection
// (~120 words per chunk) and reports p50 and p99.
func BenchmarkSearch10k(b *testing.B) {
	x, err := bleve.Rebuild(context.Background(), filepath.Join(b.TempDir(), "col"), seq(synthetic(10000)))
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	queries := []string{"w3x w150x w2000x", "w10x w11x", "w4000x", "w1x w2x w3x w4x w5x", "w77x w901x w12x w333x"}
	lat := make([]time.Duration, 0, b.N)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := x.Search(ctx, queries[i%len(queries)], 5); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
