// Package ingest turns documents into searchable text chunks: it extracts
// text and headings from plain text, Markdown, HTML and PDF (and from URLs,
// fetched through the egress guard), then cuts the text into overlapping
// chunks on paragraph and sentence boundaries, each titled with its nearest
// heading. Extraction never panics on malformed input: every extractor has a
// fuzz target.
package ingest
