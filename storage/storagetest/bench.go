package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/switchboard-voice/switchboard/storage"
)

// benchKeys is how many records the read benchmarks preload: enough that
// lookups do not all hit one block, few enough to load quickly.
const benchKeys = 10000

// benchValue is a record of a typical size: a few hundred bytes of JSON.
var benchValue = []byte(`{"id":"call_01J8Z6Q4N8Y5V3K2M1P0R9S8T7","org":"org_01","agent":"agt_01",` +
	`"status":"completed","from":"+15555550100","to":"+15555550199","started_at":"2025-01-01T00:00:00Z",` +
	`"ended_at":"2025-01-01T00:03:21Z","duration_ms":201000,"cost_micros":18250,"tags":["support","en"]}`)

// Bench runs the storage benchmarks: Get, Apply of a one-record batch and a
// List page of 20. open must return a new, empty store; Bench closes it.
func Bench(b *testing.B, open func(b *testing.B) storage.Store) {
	b.Run("Get", func(b *testing.B) {
		s := openBench(b, open)
		preload(b, s)
		ctx := context.Background()
		keys := benchKeyList()
		b.SetBytes(int64(len(benchValue)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := s.Get(ctx, keys[i%benchKeys]); err != nil {
				b.Fatalf("Get: %v", err)
			}
			i += 7 // stride through the keys rather than hammer neighbours
		}
	})
	b.Run("Apply1", func(b *testing.B) {
		s := openBench(b, open)
		ctx := context.Background()
		b.SetBytes(int64(len(benchValue)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := s.Apply(ctx, new(storage.Batch).Put(fmt.Sprintf("w/%09d", i), benchValue)); err != nil {
				b.Fatalf("Apply: %v", err)
			}
			i++
		}
	})
	b.Run("List20", func(b *testing.B) {
		s := openBench(b, open)
		preload(b, s)
		ctx := context.Background()
		keys := benchKeyList()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			items, err := s.List(ctx, "r/", keys[i%(benchKeys-20)], 20)
			if err != nil || len(items) != 20 {
				b.Fatalf("List: %d items, %v", len(items), err)
			}
			i += 101
		}
	})
}

func openBench(b *testing.B, open func(b *testing.B) storage.Store) storage.Store {
	s := open(b)
	b.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, storage.ErrClosed) {
			b.Errorf("Close: %v", err)
		}
	})
	return s
}

func benchKeyList() []string {
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("r/%06d", i)
	}
	return keys
}

func preload(b *testing.B, s storage.Store) {
	b.Helper()
	keys := benchKeyList()
	for start := 0; start < len(keys); start += 1000 {
		batch := new(storage.Batch)
		for _, k := range keys[start : start+1000] {
			batch.Put(k, benchValue)
		}
		if err := s.Apply(context.Background(), batch); err != nil {
			b.Fatalf("preload: %v", err)
		}
	}
}
