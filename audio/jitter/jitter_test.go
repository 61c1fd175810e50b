package jitter

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// frameFor makes a recognisable frame for sequence number seq.
func frameFor(seq uint64) []int16 {
	return []int16{int16(seq), int16(seq) + 1000, int16(seq) + 2000}
}

type step struct {
	push uint64
	err  error
}

// out renders a release the way the tests spell them: "a5" for audio of
// frame 5, "g5+2" for a gap of two frames from 5.
func out(r Release, dst []int16) string {
	switch r.Kind {
	case Audio:
		if !reflect.DeepEqual(dst[:r.N], frameFor(r.Seq)) {
			return fmt.Sprintf("a%d(wrong payload %v)", r.Seq, dst[:r.N])
		}
		return fmt.Sprintf("a%d", r.Seq)
	case Gap:
		return fmt.Sprintf("g%d+%d", r.Seq, r.N)
	}
	return "empty"
}

func TestBufferOrdering(t *testing.T) {
	tests := []struct {
		name  string
		depth int
		steps []step
		want  []string // everything Pop released, in order, then Drain
		drain []string
		stats Stats
	}{
		{
			name:  "in order",
			depth: 2,
			steps: []step{{push: 1}, {push: 2}, {push: 3}},
			want:  []string{"a1", "a2", "a3"},
			stats: Stats{Accepted: 3},
		},
		{
			name:  "reordered within depth",
			depth: 2,
			steps: []step{{push: 1}, {push: 3}, {push: 2}, {push: 5}, {push: 4}},
			want:  []string{"a1", "a2", "a3", "a4", "a5"},
			stats: Stats{Accepted: 5},
		},
		{
			name:  "first frames swapped",
			depth: 2,
			steps: []step{{push: 2}, {push: 1, err: ErrLate}, {push: 3}},
			// 2 is released at once (its predecessor is unknown), so 1 is
			// late; see "start moves back" for the case where it is not.
			want:  []string{"a2", "a3"},
			stats: Stats{Accepted: 2, Late: 1},
		},
		{
			name:  "duplicate",
			depth: 2,
			steps: []step{{push: 1}, {push: 3}, {push: 3, err: ErrDuplicate}, {push: 2}, {push: 2, err: ErrLate}},
			want:  []string{"a1", "a2", "a3"},
			stats: Stats{Accepted: 3, Duplicates: 1, Late: 1},
		},
		{
			name:  "late after gap was declared",
			depth: 1,
			steps: []step{{push: 1}, {push: 3}, {push: 2, err: ErrLate}, {push: 4}},
			want:  []string{"a1", "g2+1", "a3", "a4"},
			stats: Stats{Accepted: 3, Late: 1, Lost: 1},
		},
		{
			name:  "gap waits for depth",
			depth: 3,
			steps: []step{{push: 1}, {push: 4}},
			want:  []string{"a1"},
			drain: []string{"g2+2", "a4"},
			stats: Stats{Accepted: 2, Lost: 2},
		},
		{
			name:  "gap declared at depth",
			depth: 3,
			steps: []step{{push: 1}, {push: 4}, {push: 5}, {push: 6}, {push: 3, err: ErrLate}},
			// 5 is three after the missing 2, so 2 and 3 are given up.
			want:  []string{"a1", "g2+2", "a4", "a5", "a6"},
			stats: Stats{Accepted: 4, Late: 1, Lost: 2},
		},
		{
			name:  "jump beyond capacity skips",
			depth: 3,
			steps: []step{{push: 10}, {push: 12}, {push: 100}},
			// 12 is waiting for 11 when 100 arrives, too far ahead for a
			// ring of 4: both are given up and the stream resumes at 100.
			want:  []string{"a10", "g11+89", "a100"},
			stats: Stats{Accepted: 3, Skipped: 1, Lost: 89},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New[int16](Config{FrameLen: 3, Capacity: 4, Depth: tt.depth})
			if err != nil {
				t.Fatal(err)
			}
			dst := make([]int16, 3)
			var got []string
			for _, s := range tt.steps {
				if err := b.Push(s.push, frameFor(s.push)); err != s.err {
					t.Fatalf("Push(%d) = %v, want %v", s.push, err, s.err)
				}
				for r := b.Pop(dst); r.Kind != Empty; r = b.Pop(dst) {
					got = append(got, out(r, dst))
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("released %v, want %v", got, tt.want)
			}
			got = nil
			for r := b.Drain(dst); r.Kind != Empty; r = b.Drain(dst) {
				got = append(got, out(r, dst))
			}
			if !reflect.DeepEqual(got, tt.drain) {
				t.Fatalf("drained %v, want %v", got, tt.drain)
			}
			if b.Stats() != tt.stats {
				t.Fatalf("stats %+v, want %+v", b.Stats(), tt.stats)
			}
			if b.Len() != 0 {
				t.Fatalf("%d frames still held after Drain", b.Len())
			}
		})
	}
}

func TestStartMovesBackUntilRelease(t *testing.T) {
	b, err := New[byte](Config{FrameLen: 2, Capacity: 8, Depth: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing is popped between pushes, as when a read loop has several
	// messages waiting at once.
	for _, seq := range []uint64{3, 1, 2} {
		if err := b.Push(seq, []byte{byte(seq), 0}); err != nil {
			t.Fatalf("Push(%d): %v", seq, err)
		}
	}
	dst := make([]byte, 2)
	for want := uint64(1); want <= 3; want++ {
		if r := b.Pop(dst); r.Kind != Audio || r.Seq != want || dst[0] != byte(want) {
			t.Fatalf("Pop = %+v (%v), want audio %d", r, dst, want)
		}
	}
}

func TestPushRejectsLongFrame(t *testing.T) {
	b, _ := New[int16](Config{FrameLen: 2, Capacity: 4, Depth: 1})
	if err := b.Push(1, make([]int16, 3)); err != ErrFrameSize {
		t.Fatalf("Push of 3 samples into FrameLen 2: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{FrameLen: 0, Capacity: 4}, {FrameLen: 1, Capacity: 2, Depth: 2}, {FrameLen: 1, Capacity: 2, Depth: -1}} {
		if _, err := New[int16](c); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", c, err)
		}
	}
}

func TestResetStartsANewStream(t *testing.T) {
	b, _ := New[int16](Config{FrameLen: 3, Capacity: 4, Depth: 1})
	dst := make([]int16, 3)
	b.Push(50, frameFor(50))
	b.Pop(dst)
	b.Reset()
	if err := b.Push(1, frameFor(1)); err != nil {
		t.Fatalf("Push after Reset: %v", err)
	}
	if r := b.Pop(dst); r.Kind != Audio || r.Seq != 1 {
		t.Fatalf("Pop after Reset = %+v", r)
	}
}

func TestPushPopAllocatesNothing(t *testing.T) {
	b, _ := New[int16](Config{FrameLen: 320, Capacity: 16, Depth: 3})
	frame := make([]int16, 320)
	dst := make([]int16, 320)
	seq := uint64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		// Swap pairs to exercise reordering, and lose every 50th frame.
		s := seq ^ 1
		if s%50 != 0 {
			b.Push(s, frame)
		}
		for r := b.Pop(dst); r.Kind != Empty; r = b.Pop(dst) {
		}
		seq++
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per frame, want 0", allocs)
	}
	if b.Stats().Lost == 0 || b.Stats().Accepted == 0 {
		t.Fatalf("stats %+v: the loop did not exercise gaps", b.Stats())
	}
}

func BenchmarkPushPop(b *testing.B) {
	buf, _ := New[int16](Config{FrameLen: 320, Capacity: 16, Depth: 3})
	frame := make([]int16, 320)
	dst := make([]int16, 320)
	b.ReportAllocs()
	b.SetBytes(2 * 320)
	var seq uint64
	for b.Loop() {
		buf.Push(seq^1, frame) // adjacent pairs swapped
		for r := buf.Pop(dst); r.Kind != Empty; r = buf.Pop(dst) {
		}
		seq++
	}
}
