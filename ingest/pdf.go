package ingest

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/ledongthuc/pdf"
)

// Limits on what a PDF may make the extractor do. The parser follows
// whatever the file says (page counts, page trees, object references), so a
// hostile file could otherwise make it loop or allocate without end.
const (
	maxPDFPages     = 2000
	maxPDFTreeNodes = 10000
	maxPDFDepth     = 32
	maxPDFText      = 16 << 20
)

// FromPDF extracts the text of a PDF, page by page; each page becomes a
// paragraph block of its text lines. The title is the document
// information's Title, when set.
//
// It uses github.com/ledongthuc/pdf, a pure-Go reader (no cgo, no external
// tools) that is still maintained and decodes font encodings and ToUnicode
// maps. That library reports some malformed input by panicking; the panic
// is recovered here and returned as ErrUnreadable, so a bad upload is a
// validation error and never takes the process down.
func FromPDF(data []byte) (t Text, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = Text{}, fmt.Errorf("%w: malformed PDF: %v", ErrUnreadable, r)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Text{}, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	if info := r.Trailer().Key("Info"); info.Kind() == pdf.Dict {
		t.Title = strings.TrimSpace(info.Key("Title").Text())
	}
	pages := pdfPages(r.Trailer().Key("Root").Key("Pages"))
	if len(pages) == 0 {
		return Text{}, fmt.Errorf("%w: no pages", ErrUnreadable)
	}
	var b strings.Builder
	for _, p := range pages {
		// Fonts are per page: "F1" on one page may be another font on the
		// next, so no cache is shared across pages.
		text, err := p.GetPlainText(nil)
		if err != nil {
			// One unreadable page should not lose the others.
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(text)
		if b.Len() > maxPDFText {
			break
		}
	}
	t.Sections = []Section{{Text: normalizeParagraphs(b.String())}}
	if t.empty() {
		return Text{}, fmt.Errorf("%w: no text (a scanned PDF needs OCR, which ingest does not do)", ErrUnreadable)
	}
	return t, nil
}

// pdfPages walks the page tree with bounds on depth and size instead of
// trusting the file's page counts: a cyclic or lying tree ends the walk.
func pdfPages(root pdf.Value) []pdf.Page {
	var pages []pdf.Page
	visited := 0
	var walk func(v pdf.Value, depth int)
	walk = func(v pdf.Value, depth int) {
		if depth > maxPDFDepth || len(pages) >= maxPDFPages || visited >= maxPDFTreeNodes {
			return
		}
		visited++
		switch v.Key("Type").Name() {
		case "Page":
			pages = append(pages, pdf.Page{V: v})
		case "Pages":
			kids := v.Key("Kids")
			for i := 0; i < kids.Len() && i < maxPDFTreeNodes; i++ {
				walk(kids.Index(i), depth+1)
			}
		}
	}
	walk(root, 0)
	return pages
}
