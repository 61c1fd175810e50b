package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-voice/switchboard/storage"
)

// Run runs the conformance suite. open must return a new, empty store each
// time it is called; the suite closes it.
func Run(t *testing.T, open func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"GetMissing", testGetMissing},
		{"PutGetOverwriteDelete", testPutGetOverwriteDelete},
		{"EmptyValue", testEmptyValue},
		{"InvalidKey", testInvalidKey},
		{"BatchAppliesAll", testBatchAppliesAll},
		{"BatchRejectedWritesNothing", testBatchRejectedWritesNothing},
		{"BatchVisibleAtomically", testBatchVisibleAtomically},
		{"ValuesAreCopies", testValuesAreCopies},
		{"ListCases", testListCases},
		{"ListPagingUnderChurn", testListPagingUnderChurn},
		{"ConcurrentApply", testConcurrentApply},
		{"CanceledContext", testCanceledContext},
		{"LargeValue", testLargeValue},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil && !errors.Is(err, storage.ErrClosed) {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

func mustPut(t testing.TB, s storage.Store, key string, value []byte) {
	t.Helper()
	if err := storage.Put(context.Background(), s, key, value); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustApply(t testing.TB, s storage.Store, b *storage.Batch) {
	t.Helper()
	if err := s.Apply(context.Background(), b); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func mustGet(t testing.TB, s storage.Store, key string) []byte {
	t.Helper()
	v, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v
}

func wantMissing(t testing.TB, s storage.Store, key string) {
	t.Helper()
	v, err := s.Get(context.Background(), key)
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get(%q) = %q, %v; want ErrNotFound", key, v, err)
	}
}

func mustList(t testing.TB, s storage.Store, prefix, after string, limit int) []storage.Item {
	t.Helper()
	items, err := s.List(context.Background(), prefix, after, limit)
	if err != nil {
		t.Fatalf("List(%q, %q, %d): %v", prefix, after, limit, err)
	}
	return items
}

func keysOf(items []storage.Item) []string {
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Key
	}
	return keys
}

func testGetMissing(t *testing.T, s storage.Store) {
	wantMissing(t, s, "never/written")
	wantMissing(t, s, "")
	mustPut(t, s, "a/1", []byte("x"))
	// A key that is a prefix of, or extends, a stored key is still missing.
	wantMissing(t, s, "a/")
	wantMissing(t, s, "a/10")
}

func testPutGetOverwriteDelete(t *testing.T, s storage.Store) {
	ctx := context.Background()
	mustPut(t, s, "org/1/agent/1", []byte(`{"v":1}`))
	if got := mustGet(t, s, "org/1/agent/1"); string(got) != `{"v":1}` {
		t.Fatalf("after put: got %q", got)
	}
	mustPut(t, s, "org/1/agent/1", []byte(`{"v":2}`))
	if got := mustGet(t, s, "org/1/agent/1"); string(got) != `{"v":2}` {
		t.Fatalf("after overwrite: got %q", got)
	}
	if err := storage.Delete(ctx, s, "org/1/agent/1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantMissing(t, s, "org/1/agent/1")
	if err := storage.Delete(ctx, s, "org/1/agent/1"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	if items := mustList(t, s, "", "", 10); len(items) != 0 {
		t.Fatalf("List after delete = %v; want empty", keysOf(items))
	}
	// A deleted key can be written again.
	mustPut(t, s, "org/1/agent/1", []byte(`{"v":3}`))
	if got := mustGet(t, s, "org/1/agent/1"); string(got) != `{"v":3}` {
		t.Fatalf("after re-put: got %q", got)
	}
}

func testEmptyValue(t *testing.T, s storage.Store) {
	mustPut(t, s, "empty", nil)
	mustPut(t, s, "empty2", []byte{})
	for _, k := range []string{"empty", "empty2"} {
		if got := mustGet(t, s, k); len(got) != 0 {
			t.Fatalf("Get(%q) = %q; want empty", k, got)
		}
	}
	if items := mustList(t, s, "empty", "", 10); len(items) != 2 {
		t.Fatalf("List = %v; want both empty values", keysOf(items))
	}
}

func testInvalidKey(t *testing.T, s storage.Store) {
	err := storage.Put(context.Background(), s, "", []byte("x"))
	if !errors.Is(err, storage.ErrInvalidKey) {
		t.Fatalf("Put(\"\") = %v; want ErrInvalidKey", err)
	}
	err = storage.Delete(context.Background(), s, "")
	if !errors.Is(err, storage.ErrInvalidKey) {
		t.Fatalf("Delete(\"\") = %v; want ErrInvalidKey", err)
	}
}

func testBatchAppliesAll(t *testing.T, s storage.Store) {
	mustPut(t, s, "k/gone", []byte("old"))
	mustPut(t, s, "k/kept", []byte("old"))
	b := new(storage.Batch).
		Put("k/new1", []byte("1")).
		Delete("k/gone").
		Put("k/kept", []byte("new")).
		Put("k/new2", []byte("2")).
		Delete("k/never")
	mustApply(t, s, b)
	want := []storage.Item{
		{Key: "k/kept", Value: []byte("new")},
		{Key: "k/new1", Value: []byte("1")},
		{Key: "k/new2", Value: []byte("2")},
	}
	if got := mustList(t, s, "k/", "", 10); !itemsEqual(got, want) {
		t.Fatalf("List = %s; want %s", fmtItems(got), fmtItems(want))
	}

	// Within one batch the last write to a key wins.
	mustApply(t, s, new(storage.Batch).Put("k/x", []byte("a")).Delete("k/x").Put("k/x", []byte("b")))
	if got := mustGet(t, s, "k/x"); string(got) != "b" {
		t.Fatalf("put, delete, put: got %q; want b", got)
	}
	mustApply(t, s, new(storage.Batch).Put("k/y", []byte("a")).Delete("k/y"))
	wantMissing(t, s, "k/y")

	// An empty batch is a no-op.
	mustApply(t, s, new(storage.Batch))
}

func testBatchRejectedWritesNothing(t *testing.T, s storage.Store) {
	mustPut(t, s, "r/1", []byte("before"))
	b := new(storage.Batch).
		Put("r/1", []byte("after")).
		Put("r/2", []byte("new")).
		Delete("r/1").
		Put("", []byte("bad")) // makes the whole batch invalid
	if err := s.Apply(context.Background(), b); !errors.Is(err, storage.ErrInvalidKey) {
		t.Fatalf("Apply = %v; want ErrInvalidKey", err)
	}
	if got := mustGet(t, s, "r/1"); string(got) != "before" {
		t.Fatalf("r/1 = %q after a rejected batch; want before", got)
	}
	wantMissing(t, s, "r/2")
}

// testBatchVisibleAtomically has a writer move a set of keys from one
// generation to the next in single batches while a reader checks that every
// List snapshot shows exactly one complete generation.
func testBatchVisibleAtomically(t *testing.T, s storage.Store) {
	const (
		generations = 100
		width       = 5
	)
	batchFor := func(gen int) *storage.Batch {
		b := new(storage.Batch)
		val := []byte(fmt.Sprint(gen))
		for i := range width {
			// Fixed keys overwritten in place ...
			b.Put(fmt.Sprintf("g/fixed/%d", i), val)
			// ... and keys that move: the old generation's go, the new ones come.
			if gen > 0 {
				b.Delete(fmt.Sprintf("g/moving/%04d/%d", gen-1, i))
			}
			b.Put(fmt.Sprintf("g/moving/%04d/%d", gen, i), val)
		}
		return b
	}
	mustApply(t, s, batchFor(0))

	ctx := context.Background()
	done := make(chan struct{})
	var wg sync.WaitGroup
	var readerErr error
	var reads int
	wg.Go(func() {
		for {
			items, err := s.List(ctx, "g/", "", 4*width)
			if err != nil {
				readerErr = err
				return
			}
			reads++
			if err := checkGeneration(items, width); err != nil {
				readerErr = err
				return
			}
			select {
			case <-done:
				return
			default:
			}
		}
	})
	for gen := 1; gen < generations; gen++ {
		if err := s.Apply(ctx, batchFor(gen)); err != nil {
			close(done)
			wg.Wait()
			t.Fatalf("Apply generation %d: %v", gen, err)
		}
	}
	close(done)
	wg.Wait()
	if readerErr != nil {
		t.Fatalf("reader saw a partial batch after %d reads: %v", reads, readerErr)
	}
	items := mustList(t, s, "g/", "", 4*width)
	if err := checkGeneration(items, width); err != nil {
		t.Fatal(err)
	}
	if v := string(items[0].Value); v != fmt.Sprint(generations-1) {
		t.Fatalf("final generation %s; want %d", v, generations-1)
	}
}

func checkGeneration(items []storage.Item, width int) error {
	if len(items) != 2*width {
		return fmt.Errorf("%d items %v; want %d", len(items), keysOf(items), 2*width)
	}
	gen := string(items[0].Value)
	for _, it := range items {
		if string(it.Value) != gen {
			return fmt.Errorf("mixed generations: %s", fmtItems(items))
		}
		if strings.HasPrefix(it.Key, "g/moving/") {
			var g, i int
			if _, err := fmt.Sscanf(it.Key, "g/moving/%04d/%d", &g, &i); err != nil || fmt.Sprint(g) != gen {
				return fmt.Errorf("moving key %s in generation %s", it.Key, gen)
			}
		}
	}
	return nil
}

func testValuesAreCopies(t *testing.T, s storage.Store) {
	in := []byte("original")
	mustPut(t, s, "c/1", in)
	copy(in, "XXXXXXXX")
	if got := mustGet(t, s, "c/1"); string(got) != "original" {
		t.Fatalf("mutating the slice given to Put changed the stored value to %q", got)
	}

	// The same through an overwrite, which may take a different path.
	over := []byte("replaced")
	mustPut(t, s, "c/1", over)
	copy(over, "XXXXXXXX")
	if got := mustGet(t, s, "c/1"); string(got) != "replaced" {
		t.Fatalf("mutating the slice given to an overwriting Put changed the stored value to %q", got)
	}
	mustPut(t, s, "c/1", []byte("original"))

	got := mustGet(t, s, "c/1")
	copy(got, "YYYYYYYY")
	if got := mustGet(t, s, "c/1"); string(got) != "original" {
		t.Fatalf("mutating a slice returned by Get changed the stored value to %q", got)
	}

	items := mustList(t, s, "c/", "", 10)
	copy(items[0].Value, "ZZZZZZZZ")
	if got := mustGet(t, s, "c/1"); string(got) != "original" {
		t.Fatalf("mutating a slice returned by List changed the stored value to %q", got)
	}

	// A slice reused across batches must not alias earlier writes.
	buf := []byte("first")
	b := new(storage.Batch).Put("c/2", buf)
	mustApply(t, s, b)
	copy(buf, "secnd")
	mustApply(t, s, new(storage.Batch).Put("c/3", buf))
	if got := mustGet(t, s, "c/2"); string(got) != "first" {
		t.Fatalf("c/2 = %q; want first", got)
	}
	if got := mustGet(t, s, "c/3"); string(got) != "secnd" {
		t.Fatalf("c/3 = %q; want secnd", got)
	}
}

func testListCases(t *testing.T, s storage.Store) {
	// Bytewise order: uppercase before lowercase, "a/" before "a0" before
	// "ab", a NUL byte sorts first and 0xff last.
	stored := []string{
		"B", "a", "a/1", "a/2", "a/3", "a/3\x00", "a/30", "a0", "ab",
		"b/1", "b/2", "\xff", "\xff\xff",
	}
	for _, k := range stored {
		mustPut(t, s, k, []byte("v:"+k))
	}
	all := slices.Clone(stored)
	slices.Sort(all) // Go string order is bytewise
	tests := []struct {
		name          string
		prefix, after string
		limit         int
		want          []string
	}{
		{"everything", "", "", 100, all},
		{"limit cuts", "", "", 3, all[:3]},
		{"limit one", "a/", "", 1, []string{"a/1"}},
		{"limit zero returns none", "", "", 0, nil},
		{"negative limit returns none", "", "", -1, nil},
		{"prefix", "a/", "", 100, []string{"a/1", "a/2", "a/3", "a/3\x00", "a/30"}},
		{"prefix is a stored key", "a", "", 100, []string{"a", "a/1", "a/2", "a/3", "a/3\x00", "a/30", "a0", "ab"}},
		{"prefix exact key only", "ab", "", 100, []string{"ab"}},
		{"prefix matches nothing", "c/", "", 100, nil},
		{"prefix sorts after everything", "\xff\xff\xff", "", 100, nil},
		{"after a stored key", "a/", "a/2", 100, []string{"a/3", "a/3\x00", "a/30"}},
		{"after between keys", "a/", "a/25", 100, []string{"a/3", "a/3\x00", "a/30"}},
		{"after just before NUL child", "a/", "a/3", 100, []string{"a/3\x00", "a/30"}},
		{"after the last key under prefix", "a/", "a/30", 100, nil},
		{"after beyond the end", "", "\xff\xff\xff", 100, nil},
		{"after the last key", "", "\xff\xff", 100, nil},
		{"after sorts before prefix", "b/", "a", 100, []string{"b/1", "b/2"}},
		{"after sorts after prefix", "a/", "b", 100, nil},
		{"after equals prefix", "a", "a", 100, []string{"a/1", "a/2", "a/3", "a/3\x00", "a/30", "a0", "ab"}},
		{"after without prefix", "", "a/30", 3, []string{"a0", "ab", "b/1"}},
		{"after and limit", "a/", "a/1", 2, []string{"a/2", "a/3"}},
		{"high bytes", "\xff", "", 100, []string{"\xff", "\xff\xff"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustList(t, s, tc.prefix, tc.after, tc.limit)
			if !slices.Equal(keysOf(got), tc.want) {
				t.Fatalf("List(%q, %q, %d) = %q; want %q", tc.prefix, tc.after, tc.limit, keysOf(got), tc.want)
			}
			for _, it := range got {
				if string(it.Value) != "v:"+it.Key {
					t.Fatalf("value of %q = %q", it.Key, it.Value)
				}
			}
		})
	}
}

// testListPagingUnderChurn pages through 1,000 keys while another goroutine
// inserts and deletes keys interleaved with them. Every key that exists for
// the whole walk must be seen exactly once, and nothing is seen twice.
func testListPagingUnderChurn(t *testing.T, s storage.Store) {
	const (
		stable = 1000
		page   = 37
	)
	ctx := context.Background()
	value := func(i int) []byte { return []byte(fmt.Sprintf(`{"n":%d}`, i)) }
	key := func(i int) string { return fmt.Sprintf("p/%06d", i) }
	for start := 0; start < stable; start += 100 {
		b := new(storage.Batch)
		for i := start; i < start+100; i++ {
			b.Put(key(2*i), value(2*i)) // even keys are stable
		}
		mustApply(t, s, b)
	}
	// A key outside the prefix on either side must never leak into a page.
	mustPut(t, s, "o/outside", nil)
	mustPut(t, s, "q/outside", nil)

	// progress lets the pager wait for at least one churn write between
	// pages, so the walk really is interleaved with writes.
	progress := make(chan struct{}, 1)
	done := make(chan struct{})
	churnExited := make(chan struct{})
	var churnErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(churnExited)
		for n := 0; ; n++ {
			select {
			case <-done:
				return
			default:
			}
			// Odd keys come and go all over the range, ahead of and behind
			// the pager.
			i := (n*7919)%stable*2 + 1
			b := new(storage.Batch).Put(key(i), value(i))
			if n >= 3 {
				j := ((n-3)*7919)%stable*2 + 1
				b.Delete(key(j))
			}
			if err := s.Apply(ctx, b); err != nil {
				churnErr = err
				return
			}
			select {
			case progress <- struct{}{}:
			default:
			}
		}
	})
	stop := func() {
		close(done)
		wg.Wait()
	}

	var seen []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 2*stable {
			stop()
			t.Fatalf("paging did not finish after %d pages", pages)
		}
		items, err := s.List(ctx, "p/", after, page)
		if err != nil {
			stop()
			t.Fatalf("List after %q: %v", after, err)
		}
		if len(items) > page {
			stop()
			t.Fatalf("page of %d items; limit %d", len(items), page)
		}
		for _, it := range items {
			var n int
			if _, err := fmt.Sscanf(it.Key, "p/%06d", &n); err != nil || !bytes.Equal(it.Value, value(n)) {
				stop()
				t.Fatalf("item %q = %q", it.Key, it.Value)
			}
			seen = append(seen, it.Key)
		}
		if len(items) < page {
			break
		}
		after = items[len(items)-1].Key
		select {
		case <-progress:
		case <-churnExited: // failed; reported below
		}
	}
	stop()
	if churnErr != nil {
		t.Fatalf("churn writer: %v", churnErr)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("keys out of order or repeated: %q then %q", seen[i-1], seen[i])
		}
	}
	for i := 0; i < stable; i++ {
		if _, ok := slices.BinarySearch(seen, key(2*i)); !ok {
			t.Fatalf("stable key %q missing from the walk", key(2*i))
		}
	}
}

func testConcurrentApply(t *testing.T, s storage.Store) {
	const (
		writers = 16
		batches = 20
	)
	ctx := context.Background()
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range batches {
				b := new(storage.Batch).
					Put(fmt.Sprintf("w/%02d/%03d", w, i), []byte(fmt.Sprint(w, i))).
					Put(fmt.Sprintf("shared/%02d", w), []byte(fmt.Sprint(i)))
				if i > 0 {
					// Each writer keeps only its latest marker.
					b.Delete(fmt.Sprintf("marker/%02d/%03d", w, i-1))
				}
				b.Put(fmt.Sprintf("marker/%02d/%03d", w, i), nil)
				if err := s.Apply(ctx, b); err != nil {
					errs <- fmt.Errorf("writer %d batch %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	items := mustList(t, s, "w/", "", writers*batches+1)
	if len(items) != writers*batches {
		t.Fatalf("%d records; want %d", len(items), writers*batches)
	}
	for w := range writers {
		for i := range batches {
			k := fmt.Sprintf("w/%02d/%03d", w, i)
			if got := mustGet(t, s, k); string(got) != fmt.Sprint(w, i) {
				t.Fatalf("%s = %q", k, got)
			}
		}
		if got := mustGet(t, s, fmt.Sprintf("shared/%02d", w)); string(got) != fmt.Sprint(batches-1) {
			t.Fatalf("shared/%02d = %q; want the last batch", w, got)
		}
	}
	markers := mustList(t, s, "marker/", "", 10*writers)
	if len(markers) != writers {
		t.Fatalf("markers %q; want one per writer", keysOf(markers))
	}
}

func testCanceledContext(t *testing.T, s storage.Store) {
	mustPut(t, s, "x", []byte("1"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Get(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get = %v; want context.Canceled", err)
	}
	if _, err := s.List(ctx, "", "", 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("List = %v; want context.Canceled", err)
	}
	if err := s.Apply(ctx, new(storage.Batch).Put("y", []byte("2"))); !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply = %v; want context.Canceled", err)
	}
	wantMissing(t, s, "y")
}

func testLargeValue(t *testing.T, s storage.Store) {
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i*31 + i>>8)
	}
	mustApply(t, s, new(storage.Batch).Put("big/1", big).Put("big/2", big[:len(big)/2]).Put("big/idx", []byte("1")))
	if got := mustGet(t, s, "big/1"); !bytes.Equal(got, big) {
		t.Fatalf("1 MiB value came back as %d bytes, different", len(got))
	}
	items := mustList(t, s, "big/", "", 10)
	if len(items) != 3 || !bytes.Equal(items[0].Value, big) || !bytes.Equal(items[1].Value, big[:len(big)/2]) {
		t.Fatalf("List of large values: %d items", len(items))
	}
	// Overwriting a large value with a small one, and back.
	mustPut(t, s, "big/1", []byte("small"))
	if got := mustGet(t, s, "big/1"); string(got) != "small" {
		t.Fatalf("after shrinking: %d bytes", len(got))
	}
}

func testClosed(t *testing.T, s storage.Store) {
	mustPut(t, s, "x", []byte("1"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := context.Background()
	if _, err := s.Get(ctx, "x"); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Get after Close = %v; want ErrClosed", err)
	}
	if _, err := s.List(ctx, "", "", 10); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("List after Close = %v; want ErrClosed", err)
	}
	if err := storage.Put(ctx, s, "y", []byte("2")); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Apply after Close = %v; want ErrClosed", err)
	}
	if err := s.Close(); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("second Close = %v; want ErrClosed", err)
	}
}

func itemsEqual(a, b []storage.Item) bool {
	return slices.EqualFunc(a, b, func(x, y storage.Item) bool {
		return x.Key == y.Key && bytes.Equal(x.Value, y.Value)
	})
}

func fmtItems(items []storage.Item) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = fmt.Sprintf("%q=%q", it.Key, it.Value)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
