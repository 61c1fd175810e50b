package ingest_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard-voice/switchboard/ingest"
	"github.com/switchboard-voice/switchboard/ingest/ingesttest"
)

// Every extractor must survive arbitrary input: an error is fine, a panic
// or a hang is not. The chunker runs on whatever comes out.

func FuzzMarkdown(f *testing.F) {
	seedFile(f, "faq.md")
	for _, s := range []string{"", "#", "# \n===\n---", "```\nunterminated", "[a](b) ![c](d) **e** _f_ `g`", "> > - [x] item\n|a|b|\n|-|-|"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		_ = (ingest.Chunker{Size: 64}).Chunk("d", "t", ingest.FromMarkdown(string(in)))
	})
}

func FuzzHTML(f *testing.F) {
	for _, s := range []string{"", "<", "<h1>a<h2>b</h1>", "<script>x", "<title></title><nav><p>n</nav><p>p", "<table><tr><td>a<td>b</table>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := ingest.FromHTML(bytes.NewReader(in))
		if err == nil {
			_ = (ingest.Chunker{Size: 64}).Chunk("d", "t", got)
		}
	})
}

func FuzzPDF(f *testing.F) {
	f.Add(ingesttest.PDF("Title", [][]string{{"Hello (world)", "second line"}, {"page two"}}))
	f.Add([]byte("%PDF-1.4\ntrailer << /Root 1 0 R >>\n%%EOF"))
	f.Add([]byte("%PDF-1.7\n1 0 obj << /Type /Pages /Kids [1 0 R] /Count 99999999 >> endobj\ntrailer << /Root << /Pages 1 0 R >> >>\nstartxref\n9\n%%EOF"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := ingest.FromPDF(in)
		if err == nil {
			_ = (ingest.Chunker{Size: 64}).Chunk("d", "t", got)
		}
	})
}

func seedFile(f *testing.F, name string) {
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err == nil {
		f.Add(raw)
	}
}
