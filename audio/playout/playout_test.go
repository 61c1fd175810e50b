package playout

import (
	"errors"
	"reflect"
	"runtime"
	"sync"
	"testing"

	"github.com/switchboard-voice/switchboard/audio/frame"
)

// ramp returns n samples counting up from start, so that order is checkable.
func ramp(start, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(start + i)
	}
	return s
}

func newQueue(t testing.TB, capacity, items int) *Queue {
	t.Helper()
	q, err := New(Config{Capacity: capacity, MaxItems: items})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestPullAcrossItems(t *testing.T) {
	q := newQueue(t, 64, 4)
	// Items of 5, 3 and 6 samples pulled in frames of 4: the first ends
	// mid-frame and the second continues in the same frame.
	for i, n := range []int{5, 3, 6} {
		if err := q.Enqueue(ItemID(i+1), ramp(100*(i+1), n)); err != nil {
			t.Fatal(err)
		}
	}
	frm := make([]int16, 4)
	done := make([]Played, 0, 4)
	type pulled struct {
		audio   int
		samples []int16
		done    []Played
	}
	want := []pulled{
		{4, []int16{100, 101, 102, 103}, nil},
		{4, []int16{104, 200, 201, 202}, []Played{{1, 5, 5}, {2, 3, 3}}},
		{4, []int16{300, 301, 302, 303}, nil},
		{2, []int16{304, 305, 0, 0}, []Played{{3, 6, 6}}}, // padded with silence
		{0, []int16{0, 0, 0, 0}, nil},
	}
	for i, w := range want {
		for j := range frm {
			frm[j] = -1 // so that unwritten samples show
		}
		var audio int
		audio, done = q.Pull(frm, done[:0])
		if audio != w.audio || !reflect.DeepEqual(frm, w.samples) || !reflect.DeepEqual(append([]Played(nil), done...), w.done) {
			t.Fatalf("pull %d: audio %d %v done %v; want %d %v %v", i, audio, frm, done, w.audio, w.samples, w.done)
		}
	}
}

func TestClearMidItem(t *testing.T) {
	q := newQueue(t, 1000, 8)
	q.Enqueue(1, ramp(0, 300))
	q.Enqueue(2, ramp(0, 200))
	q.Enqueue(3, ramp(0, 100))
	frm := make([]int16, 160)
	var done []Played
	_, done = q.Pull(frm, done) // 160 of item 1
	_, done = q.Pull(frm, done) // the rest of 1 (140) and 20 of item 2
	if len(done) != 1 || done[0] != (Played{1, 300, 300}) {
		t.Fatalf("done = %v, want item 1 complete", done)
	}
	if cur, ok := q.Current(); !ok || cur != (Played{2, 20, 200}) {
		t.Fatalf("Current = %v, %v; want item 2 at 20 of 200", cur, ok)
	}
	got := q.Clear(nil)
	want := []Played{{2, 20, 200}, {3, 0, 100}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Clear = %v, want %v", got, want)
	}
	if q.Len() != 0 || q.Items() != 0 {
		t.Fatalf("after Clear: %d samples, %d items", q.Len(), q.Items())
	}
	// The queue works again after a clear, from the start of the ring.
	q.Enqueue(4, ramp(7, 3))
	if audio, done := q.Pull(frm[:4], nil); audio != 3 || frm[0] != 7 || len(done) != 1 || !done[0].Done() {
		t.Fatalf("after Clear: audio %d, frame %v, done %v", audio, frm[:4], done)
	}
}

func TestEnqueueBounds(t *testing.T) {
	q := newQueue(t, 10, 2)
	if err := q.Enqueue(1, ramp(0, 6)); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(2, ramp(0, 5)); err != ErrFull {
		t.Fatalf("Enqueue past capacity: %v, want ErrFull", err)
	}
	if q.Len() != 6 || q.Items() != 1 {
		t.Fatalf("a refused Enqueue changed the queue: %d samples, %d items", q.Len(), q.Items())
	}
	if err := q.Enqueue(2, ramp(0, 4)); err != nil {
		t.Fatalf("Enqueue filling the queue exactly: %v", err)
	}
	if err := q.Enqueue(3, nil); err != ErrTooManyItems {
		t.Fatalf("Enqueue past MaxItems: %v, want ErrTooManyItems", err)
	}
	// Pulling frees room, and the ring wraps around.
	frm := make([]int16, 8)
	q.Pull(frm, nil)
	if err := q.Enqueue(3, ramp(50, 7)); err != nil {
		t.Fatalf("Enqueue after pull: %v", err)
	}
	audio, done := q.Pull(frm, nil)
	wantFrame := []int16{2, 3, 50, 51, 52, 53, 54, 55}
	if audio != 8 || !reflect.DeepEqual(frm, wantFrame) || len(done) != 1 || done[0].ID != 2 {
		t.Fatalf("wrapped pull: audio %d %v done %v; want %v", audio, frm, done, wantFrame)
	}
	if _, err := New(Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("New(Config{}) = %v, want ErrConfig", err)
	}
}

func TestPullAllocatesNothing(t *testing.T) {
	q := newQueue(t, 16000, 64)
	item := ramp(0, 500) // items end mid-frame, so completions are reported
	frm := make([]int16, 160)
	done := make([]Played, 0, 8)
	id := ItemID(0)
	allocs := testing.AllocsPerRun(1000, func() {
		if q.Len() < 1000 {
			id++
			q.Enqueue(id, item)
		}
		_, done = q.Pull(frm, done[:0])
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per frame, want 0", allocs)
	}
}

// TestProducerConsumer runs the session side and the write loop side at
// once, as they run in a connection, and checks that every sample comes out
// once, in order, and is accounted to its item.
func TestProducerConsumer(t *testing.T) {
	const items = 300
	q := newQueue(t, 4000, 16)
	rate := 8000
	n := frame.SamplesPerFrame(rate)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the producer; the test owns it and waits for it below
		defer wg.Done()
		next := 0
		for i := range items {
			pcm := ramp(next, 50+i%400)
			for q.Enqueue(ItemID(i), pcm) != nil {
				runtime.Gosched() // full: a real session would drop or wait for a mark
			}
			next += len(pcm)
		}
	}()

	frm := make([]int16, n)
	done := make([]Played, 0, 16)
	var finished []Played
	var got []int16
	for len(finished) < items {
		var audio int
		audio, done = q.Pull(frm, done[:0])
		got = append(got, frm[:audio]...)
		finished = append(finished, done...)
		if audio == 0 {
			runtime.Gosched()
		}
	}
	wg.Wait()

	for i, v := range got {
		if v != int16(i) {
			t.Fatalf("sample %d is %d: lost, repeated or reordered", i, v)
		}
	}
	total := 0
	for i, p := range finished {
		if p.ID != ItemID(i) || !p.Done() {
			t.Fatalf("completion %d is %+v", i, p)
		}
		total += p.Total
	}
	if total != len(got) {
		t.Fatalf("items total %d samples, %d were pulled", total, len(got))
	}
}

func BenchmarkEnqueuePull(b *testing.B) {
	q := newQueue(b, 16000, 64)
	item := ramp(0, 1600) // 200 ms at 8 kHz, pulled in 10 frames
	frm := make([]int16, 160)
	done := make([]Played, 0, 8)
	b.ReportAllocs()
	b.SetBytes(2 * 160)
	var id ItemID
	for b.Loop() {
		if q.Len() < len(frm) {
			id++
			q.Enqueue(id, item)
		}
		_, done = q.Pull(frm, done[:0])
	}
}
