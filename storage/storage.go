// Package storage defines the small, context-first key-value contract that
// Switchboard's actors persist through, and the errors every backend shares.
//
// Keys are opaque strings ordered bytewise; callers lay them out so that a
// prefix scan lists one kind of record for one organization in ID order
// (IDs are time-ordered, so that order is creation order). Values are the
// caller's encoded records. A backend makes a batch visible atomically and
// durably before Apply returns: nothing acknowledged is lost, nothing
// half-written is seen.
package storage

import (
	"context"
	"errors"
)

// ErrNotFound is returned by Get when the key holds no value.
var ErrNotFound = errors.New("storage: not found")

// ErrClosed is returned by every call after Close.
var ErrClosed = errors.New("storage: closed")

// ErrInvalidKey is returned by Apply when a key cannot be stored: it is empty,
// or longer than the backend allows. Nothing of the batch is written.
var ErrInvalidKey = errors.New("storage: invalid key")

// ErrBatchTooLarge is returned by Apply when a batch exceeds what the backend
// can commit in one atomic step. Nothing of the batch is written; backends
// never split a batch, because that would make half of it visible.
var ErrBatchTooLarge = errors.New("storage: batch too large")

// Store is what every backend implements.
type Store interface {
	// Get returns a copy of the value stored under key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// List returns up to limit items whose keys start with prefix and sort
	// strictly after `after` ("" means from the start), in ascending key order.
	// Values are copies the caller may keep. A limit of zero or less returns
	// no items: a caller that forgot to choose a page size gets an obviously
	// empty page rather than an unbounded scan. Each call reads one consistent
	// snapshot; paging with the last key of a page as `after` sees every key
	// that exists for the whole walk exactly once.
	List(ctx context.Context, prefix, after string, limit int) ([]Item, error)
	// Apply commits every operation of the batch atomically and durably.
	Apply(ctx context.Context, b *Batch) error
	// Close flushes and releases the backend.
	Close() error
}

// Item is one stored key and its value.
type Item struct {
	Key   string
	Value []byte
}

// Op is one write of a batch: a put, or a delete when Delete is set.
type Op struct {
	Key    string
	Value  []byte
	Delete bool
}

// Batch collects writes that commit together.
type Batch struct {
	Ops []Op
}

// Put adds a write of value under key.
func (b *Batch) Put(key string, value []byte) *Batch {
	b.Ops = append(b.Ops, Op{Key: key, Value: value})
	return b
}

// Delete adds a removal of key; deleting a missing key is not an error.
func (b *Batch) Delete(key string) *Batch {
	b.Ops = append(b.Ops, Op{Key: key, Delete: true})
	return b
}

// Put stores one value durably.
func Put(ctx context.Context, s Store, key string, value []byte) error {
	return s.Apply(ctx, new(Batch).Put(key, value))
}

// Delete removes one key durably.
func Delete(ctx context.Context, s Store, key string) error {
	return s.Apply(ctx, new(Batch).Delete(key))
}
