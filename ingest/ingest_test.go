package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard/egress"
	"github.com/switchboard-voice/switchboard/ingest"
	"github.com/switchboard-voice/switchboard/ingest/ingesttest"
)

func TestMarkdownKeepsHeadingsAndStripsMarkup(t *testing.T) {
	md := "# Acme Help\n\nIntro with **bold**, _em_ and `code`.\n\n## Refunds\n\n" +
		"- Refunds take [five days](https://x.example/r).\n- ![logo](l.png) Call us.\n\n" +
		"Opening hours\n-------------\n\n> We open at *nine*.\n\n```\nraw code line\n```\n\n---\n\nLast <b>line</b>.\n"
	got := ingest.FromMarkdown(md)
	if got.Title != "Acme Help" {
		t.Errorf("title = %q", got.Title)
	}
	var headings []string
	for _, s := range got.Sections {
		headings = append(headings, s.Heading)
	}
	if want := "Acme Help|Refunds|Opening hours"; strings.Join(headings, "|") != want {
		t.Fatalf("headings = %q, want %q", headings, want)
	}
	tests := []struct {
		section int
		want    string
	}{
		{0, "Intro with bold, em and code."},
		{1, "Refunds take five days."},
		{1, "logo Call us."},
		{2, "We open at nine."},
		{2, "raw code line"},
		{2, "Last line."},
	}
	for _, tt := range tests {
		if !strings.Contains(got.Sections[tt.section].Text, tt.want) {
			t.Errorf("section %d = %q, want it to contain %q", tt.section, got.Sections[tt.section].Text, tt.want)
		}
	}
	for _, s := range got.Sections {
		for _, mark := range []string{"**", "](", "```", "<b>", "> ", "- "} {
			if strings.Contains(s.Text, mark) {
				t.Errorf("section %q keeps markup %q: %q", s.Heading, mark, s.Text)
			}
		}
	}
}

func TestHTMLDropsChromeAndKeepsStructure(t *testing.T) {
	page := `<!doctype html><html><head><title>Acme — Shipping</title><style>p{color:red}</style>
<script>var secret = "do not index";</script></head><body>
<nav><a href="/">Home</a> <a href="/about">About us menu</a></nav>
<h1>Shipping</h1><p>We ship  worldwide.</p><p>Orders leave in <em>two</em> days.</p>
<h2>Returns</h2><ul><li>Keep the receipt.</li><li>Use the label.</li></ul>
<noscript>enable js</noscript></body></html>`
	got, err := ingest.FromHTML(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Acme — Shipping" {
		t.Errorf("title = %q", got.Title)
	}
	all := fmt.Sprint(got.Sections)
	for _, gone := range []string{"secret", "color", "About us menu", "enable js"} {
		if strings.Contains(all, gone) {
			t.Errorf("extracted text keeps %q: %s", gone, all)
		}
	}
	if len(got.Sections) != 2 || got.Sections[0].Heading != "Shipping" || got.Sections[1].Heading != "Returns" {
		t.Fatalf("sections = %+v", got.Sections)
	}
	if got.Sections[0].Text != "We ship worldwide.\n\nOrders leave in two days." {
		t.Errorf("paragraphs = %q", got.Sections[0].Text)
	}
	if got.Sections[1].Text != "Keep the receipt.\n\nUse the label." {
		t.Errorf("list = %q", got.Sections[1].Text)
	}
}

func TestHTMLTitleFallsBackToH1(t *testing.T) {
	got, err := ingest.FromHTML(strings.NewReader("<h1>Only heading</h1><p>text</p>"))
	if err != nil || got.Title != "Only heading" {
		t.Fatalf("title = %q, %v", got.Title, err)
	}
}

func TestPDFText(t *testing.T) {
	raw := ingesttest.PDF("Warranty (2025)", [][]string{
		{"Every blender has a two-year warranty.", "Keep the receipt."},
		{"Page two mentions the spare parts shop."},
	})
	got, err := ingest.FromPDF(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Warranty (2025)" {
		t.Errorf("title = %q", got.Title)
	}
	text := got.Sections[0].Text
	for _, want := range []string{"Every blender has a two-year warranty.", "Keep the receipt.", "Page two mentions the spare parts shop."} {
		if !strings.Contains(text, want) {
			t.Errorf("text %q lacks %q", text, want)
		}
	}
}

func TestPDFGarbageIsUnreadable(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("not a pdf"), []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF")} {
		if _, err := ingest.FromPDF(in); !errors.Is(err, ingest.ErrUnreadable) {
			t.Errorf("FromPDF(%q) err = %v, want ErrUnreadable", in, err)
		}
	}
}

func TestChunkerSizesOverlapAndTitles(t *testing.T) {
	var sentences []string
	for i := range 60 {
		sentences = append(sentences, fmt.Sprintf("Sentence number %d talks about topic %d at some length.", i, i%7))
	}
	text := ingest.Text{Title: "Doc", Sections: []ingest.Section{
		{Heading: "", Text: strings.Join(sentences[:30], " ")},
		{Heading: "Second part", Text: strings.Join(sentences[30:40], " ") + "\n\n" + strings.Join(sentences[40:], " ")},
	}}
	c := ingest.Chunker{Size: 300}
	chunks := c.Chunk("doc_1", "fallback", text)
	if len(chunks) < 8 {
		t.Fatalf("got %d chunks, want at least 8", len(chunks))
	}
	for i, ch := range chunks {
		if ch.Ordinal != i || ch.ID != ingest.ChunkID("doc_1", i) || ch.DocumentID != "doc_1" {
			t.Errorf("chunk %d has ID %q ordinal %d", i, ch.ID, ch.Ordinal)
		}
		if len(ch.Text) > 300 {
			t.Errorf("chunk %d is %d bytes, over the size", i, len(ch.Text))
		}
		if !strings.HasSuffix(ch.Text, ".") {
			t.Errorf("chunk %d does not end on a sentence boundary: %q", i, ch.Text)
		}
		if ch.Hash != ingest.Hash(ch.Text) {
			t.Errorf("chunk %d hash does not match its text", i)
		}
	}
	// Every sentence appears in some chunk, and consecutive chunks of one
	// section share their boundary sentence (the overlap).
	all := ""
	for _, ch := range chunks {
		all += ch.Text + "\n"
	}
	for _, s := range sentences {
		if !strings.Contains(all, s) {
			t.Fatalf("sentence %q was lost", s)
		}
	}
	for i := 1; i < len(chunks); i++ {
		if chunks[i].Title != chunks[i-1].Title {
			continue
		}
		// The head of a chunk up to its first sentence end is the tail
		// of the previous one: about 15 % of the size, never more.
		head := chunks[i].Text[:strings.Index(chunks[i].Text, ".")+1]
		if !strings.HasSuffix(chunks[i-1].Text, head) || len(head) > 45 || len(head) < 10 {
			t.Errorf("chunk %d starts with %q, which is not a short tail of chunk %d %q", i, head, i-1, chunks[i-1].Text)
		}
	}
	if chunks[0].Title != "Doc" || chunks[len(chunks)-1].Title != "Second part" {
		t.Errorf("titles: first %q, last %q", chunks[0].Title, chunks[len(chunks)-1].Title)
	}
}

func TestChunkerDeduplicatesWithinDocument(t *testing.T) {
	text := ingest.Text{Sections: []ingest.Section{{Heading: "A", Text: "Same words here."}, {Heading: "A", Text: "same   words HERE."}}}
	if got := (ingest.Chunker{}).Chunk("d", "", text); len(got) != 1 {
		t.Fatalf("got %d chunks, want 1 after dedup", len(got))
	}
}

func TestChunkerCutsOverlongWords(t *testing.T) {
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, "%d", i)
	}
	long := b.String() + " tail"
	chunks := (ingest.Chunker{Size: 100}).Chunk("d", "", ingest.FromPlain(long))
	for _, ch := range chunks {
		if len(ch.Text) > 100 {
			t.Fatalf("chunk of %d bytes", len(ch.Text))
		}
	}
	if len(chunks) < len(long)/100 {
		t.Fatalf("got %d chunks for %d bytes", len(chunks), len(long))
	}
}

func TestFetchDispatchesOnContentType(t *testing.T) {
	pdf := ingesttest.PDF("", [][]string{{"Fetched PDF text."}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/page":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<title>T</title><h1>H</h1><p>Fetched HTML text.</p>")
		case "/notes.md":
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "# Notes\n\nFetched *markdown* text.")
		case "/doc":
			w.Header().Set("Content-Type", "application/pdf")
			_, _ = w.Write(pdf)
		case "/big":
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, strings.Repeat("a", 2048))
		case "/image":
			w.Header().Set("Content-Type", "image/png")
			fmt.Fprint(w, "\x89PNG")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	allowed := egress.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}).Client(egress.Options{})
	f := &ingest.Fetcher{Client: allowed, MaxBytes: 1024}
	ctx := context.Background()
	for path, want := range map[string]string{"/page": "Fetched HTML text.", "/notes.md": "Fetched markdown text.", "/doc": "Fetched PDF text."} {
		got, err := f.Fetch(ctx, srv.URL+path)
		if err != nil || !strings.Contains(fmt.Sprint(got.Sections), want) {
			t.Errorf("fetch %s = %+v, %v; want %q", path, got, err, want)
		}
	}
	if _, err := f.Fetch(ctx, srv.URL+"/big"); !errors.Is(err, ingest.ErrFetch) {
		t.Errorf("over-size body: err = %v", err)
	}
	if _, err := f.Fetch(ctx, srv.URL+"/missing"); !errors.Is(err, ingest.ErrFetch) || !strings.Contains(err.Error(), "404") {
		t.Errorf("404: err = %v", err)
	}
	if _, err := f.Fetch(ctx, srv.URL+"/image"); !errors.Is(err, ingest.ErrUnsupported) {
		t.Errorf("image: err = %v", err)
	}
	guarded := &ingest.Fetcher{Client: egress.New(nil).Client(egress.Options{})}
	if _, err := guarded.Fetch(ctx, srv.URL+"/page"); !errors.Is(err, egress.ErrForbiddenAddress) {
		t.Errorf("loopback without allow-list: err = %v, want ErrForbiddenAddress", err)
	}
}
