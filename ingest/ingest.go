package ingest

import (
	"errors"
	"strings"
)

// ErrUnreadable is returned when content cannot be read as its declared
// type (a PDF that does not parse, say). It is wrapped with the reason.
var ErrUnreadable = errors.New("ingest: unreadable content")

// ErrUnsupported is returned for a document type or fetched Content-Type
// that ingest does not handle.
var ErrUnsupported = errors.New("ingest: unsupported content type")

// Section is a run of text under one heading. Paragraphs in Text are
// separated by blank lines.
type Section struct {
	Heading string
	Text    string
}

// Text is what an extractor found in a document.
type Text struct {
	// Title is the document's own title, when it names one.
	Title    string
	Sections []Section
}

// empty reports whether no section holds any text.
func (t Text) empty() bool {
	for _, s := range t.Sections {
		if strings.TrimSpace(s.Text) != "" {
			return false
		}
	}
	return true
}

// FromPlain treats s as plain text: one untitled section whose paragraphs
// are separated by blank lines.
func FromPlain(s string) Text {
	return Text{Sections: []Section{{Text: normalizeParagraphs(s)}}}
}

// normalizeParagraphs collapses runs of spaces within lines, and runs of
// blank lines into one, so that chunk sizes count text and not layout.
func normalizeParagraphs(s string) string {
	var b strings.Builder
	blank := 0
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			blank++
			continue
		}
		if b.Len() > 0 {
			if blank > 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteByte('\n')
			}
		}
		blank = 0
		b.WriteString(line)
	}
	return b.String()
}
