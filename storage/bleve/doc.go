// Package bleve keeps the full-text index of one knowledge collection: a
// bleve index (scorch segments, English analysis of chunk text and titles,
// BM25 scoring) in a directory of its own.
//
// The index is derived data. The collection's chunks are stored through
// storage.Store; an index that is missing or unreadable is rebuilt from them
// with Rebuild, so losing an index directory loses nothing.
//
// This is the only package that imports bleve.
package bleve
