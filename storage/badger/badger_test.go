package badger_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/switchboard-voice/switchboard/storage"
	"github.com/switchboard-voice/switchboard/storage/badger"
	"github.com/switchboard-voice/switchboard/storage/storagetest"
)

// testLogger sends badger's warnings and errors to the test log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func openTemp(t *testing.T) storage.Store {
	s, err := badger.Open(t.TempDir(), badger.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, openTemp)
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	big := make([]byte, 64<<10) // lands in the value log, not the LSM tree
	for i := range big {
		big[i] = byte(i)
	}
	s, err := badger.Open(dir, badger.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	b := new(storage.Batch).Put("small", []byte("v")).Put("big", big).Put("gone", []byte("x"))
	if err := s.Apply(ctx, b); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if err := storage.Delete(ctx, s, "gone"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = badger.Open(dir, badger.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	items, err := s.List(ctx, "", "", 10)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want := map[string]string{"big": string(big), "small": "v"}
	if len(items) != len(want) {
		t.Fatalf("after reopen: %d items; want %d", len(items), len(want))
	}
	for _, it := range items {
		if want[it.Key] != string(it.Value) {
			t.Fatalf("after reopen %q has %d bytes, not what was written", it.Key, len(it.Value))
		}
	}
}

func TestOpenLocksDirectory(t *testing.T) {
	dir := t.TempDir()
	s, err := badger.Open(dir, badger.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if s2, err := badger.Open(dir, badger.Options{}); err == nil {
		s2.Close()
		t.Fatal("second Open of the same directory succeeded")
	}
}

func TestBatchTooLarge(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	defer s.Close()
	// Many small inline records overflow one transaction long before any
	// single value is large.
	b := new(storage.Batch)
	val := make([]byte, 1<<10)
	for i := range 10000 {
		b.Put(fmt.Sprintf("many/%06d", i), val)
	}
	if err := s.Apply(ctx, b); !errors.Is(err, storage.ErrBatchTooLarge) {
		t.Fatalf("Apply of a 10 MiB inline batch = %v; want ErrBatchTooLarge", err)
	}
	items, err := s.List(ctx, "many/", "", 10)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(items) != 0 {
		t.Fatalf("a refused batch left %d keys behind", len(items))
	}
}

func TestGCRunsAndStops(t *testing.T) {
	ctx := context.Background()
	// A tiny interval makes the collector run during the test; Close must
	// still stop it and return.
	s, err := badger.Open(t.TempDir(), badger.Options{Logger: testLogger(t), GCInterval: 1})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	val := make([]byte, 16<<10)
	for i := range 50 {
		if err := storage.Put(ctx, s, "churn", val); err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func BenchmarkStore(b *testing.B) {
	storagetest.Bench(b, func(b *testing.B) storage.Store {
		s, err := badger.Open(b.TempDir(), badger.Options{Logger: testLogger(b)})
		if err != nil {
			b.Fatalf("Open: %v", err)
		}
		return s
	})
}
