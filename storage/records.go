package storage

import (
	"context"
	"encoding/json"
	"fmt"
)

// GetJSON loads the JSON record stored under key into a T.
func GetJSON[T any](ctx context.Context, s Store, key string) (T, error) {
	var v T
	raw, err := s.Get(ctx, key)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("storage: decode %q: %w", key, err)
	}
	return v, nil
}

// PutJSON adds the JSON encoding of v under key to the batch.
func (b *Batch) PutJSON(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("storage: encode %q: %w", key, err)
	}
	b.Put(key, raw)
	return nil
}

// Page is one page of a prefix listing.
type Page[T any] struct {
	Items []T
	// Last is the key of the last item, the cursor of the next page.
	Last    string
	HasMore bool
}

// ListJSON lists up to limit JSON records under prefix after the key
// prefix+after, and reports whether more follow.
func ListJSON[T any](ctx context.Context, s Store, prefix, after string, limit int) (Page[T], error) {
	var page Page[T]
	start := ""
	if after != "" {
		start = prefix + after
	}
	// One extra item tells whether another page exists without a second scan.
	items, err := s.List(ctx, prefix, start, limit+1)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		page.HasMore = true
	}
	page.Items = make([]T, 0, len(items))
	for _, it := range items {
		var v T
		if err := json.Unmarshal(it.Value, &v); err != nil {
			return page, fmt.Errorf("storage: decode %q: %w", it.Key, err)
		}
		page.Items = append(page.Items, v)
		page.Last = it.Key[len(prefix):]
	}
	return page, nil
}
