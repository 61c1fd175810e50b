package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/switchboard-voice/switchboard/storage"
)

// Store is an ordered in-memory storage.Store. The zero value is not usable;
// call New.
type Store struct {
	// mu guards items and closed. Readers hold it shared for the whole of
	// one Get or List, which is what makes each List page a consistent
	// snapshot; Apply holds it exclusively so a batch lands all at once.
	mu     sync.RWMutex
	items  []storage.Item // sorted by Key, no duplicates; values owned here
	closed bool
}

var _ storage.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{}
}

// search returns the index of the first item whose key is >= key, and
// whether that item's key equals key.
func (s *Store) search(key string) (int, bool) {
	i := sort.Search(len(s.items), func(i int) bool { return s.items[i].Key >= key })
	return i, i < len(s.items) && s.items[i].Key == key
}

// Get returns a copy of the value under key, or storage.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, storage.ErrClosed
	}
	i, ok := s.search(key)
	if !ok {
		return nil, fmt.Errorf("get %q: %w", key, storage.ErrNotFound)
	}
	return slices.Clone(s.items[i].Value), nil
}

// List returns up to limit items under prefix with keys strictly after
// `after`, in ascending key order. A limit of zero or less returns none.
func (s *Store) List(ctx context.Context, prefix, after string, limit int) ([]storage.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, storage.ErrClosed
	}
	if limit <= 0 {
		return nil, nil
	}
	start, _ := s.search(prefix)
	if after != "" {
		i, found := s.search(after)
		if found {
			i++
		}
		start = max(start, i)
	}
	var out []storage.Item
	for _, it := range s.items[start:] {
		if len(out) == limit || !strings.HasPrefix(it.Key, prefix) {
			break
		}
		out = append(out, storage.Item{Key: it.Key, Value: slices.Clone(it.Value)})
	}
	return out, nil
}

// Apply commits the batch under one exclusive lock. Every key is checked
// before anything changes, so a rejected batch leaves the store untouched.
func (s *Store) Apply(ctx context.Context, b *storage.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, op := range b.Ops {
		if op.Key == "" {
			return fmt.Errorf("apply: empty key: %w", storage.ErrInvalidKey)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return storage.ErrClosed
	}
	for _, op := range b.Ops {
		i, found := s.search(op.Key)
		switch {
		case op.Delete && found:
			s.items = slices.Delete(s.items, i, i+1)
		case op.Delete:
		case found:
			s.items[i].Value = clone(op.Value)
		default:
			s.items = slices.Insert(s.items, i, storage.Item{Key: op.Key, Value: clone(op.Value)})
		}
	}
	return nil
}

// Close releases the data; later calls, including Close, return
// storage.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return storage.ErrClosed
	}
	s.closed = true
	s.items = nil
	return nil
}

// clone copies v so the caller may reuse its slice; a nil or empty value is
// stored as an empty, non-nil slice so Get never confuses it with absence.
func clone(v []byte) []byte {
	return append(make([]byte, 0, len(v)), v...)
}
