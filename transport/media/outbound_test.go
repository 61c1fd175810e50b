package media

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/audio/playout"
)

// countingEncoder records the messages written to it.
type countingEncoder struct {
	mu     sync.Mutex
	frames int
	msgs   []message
}

// message is one write: how many frames it carried, the items it
// finished, and whether the queue was empty behind it.
type message struct {
	frames  int
	done    []uint64
	drained bool
}

func (e *countingEncoder) WriteFrame(pcm []int16, done []playout.Played, drained bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := message{frames: len(pcm) / samplesPerFrame, drained: drained}
	for _, d := range done {
		m.done = append(m.done, uint64(d.ID))
	}
	e.frames += m.frames
	e.msgs = append(e.msgs, m)
	return nil
}

func (e *countingEncoder) WriteControl(any) error { return nil }

func (e *countingEncoder) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.frames
}

func (e *countingEncoder) messages() []message {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.msgs)
}

// leadOutbound runs an Outbound whose media clock stands still at the
// value in clock, so exactly the frames within Lead of it leave.
func leadOutbound(t *testing.T, lead time.Duration) (*Outbound, *countingEncoder, *atomic.Int64) {
	return batchOutbound(t, lead, 1)
}

// batchOutbound is leadOutbound writing up to batch frames a message.
func batchOutbound(t *testing.T, lead time.Duration, batch int) (*Outbound, *countingEncoder, *atomic.Int64) {
	t.Helper()
	enc := &countingEncoder{}
	var clock atomic.Int64
	o, err := NewOutbound(OutboundConfig{
		Encoder: enc, Lead: lead, Batch: batch, Send: func(any) {},
		Clock: func() time.Duration { return time.Duration(clock.Load()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); <-o.Done() })
	go func() { _ = o.Run(ctx) }() // owned by the test: stops with ctx
	return o, enc, &clock
}

func waitFrames(t *testing.T, enc *countingEncoder, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for enc.count() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d frames sent, want %d", enc.count(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

const samplesPerFrame = session.SampleRate / 50

// TestLeadSendsAheadAndClearCountsOnlyPlayed: with the clock standing at
// 0, a 60 ms lead lets frames due at 0, 20, 40 and 60 ms leave and no more;
// a clear at 0 reports none of them played, one at 30 ms a frame and a half.
func TestLeadSendsAheadAndClearCountsOnlyPlayed(t *testing.T) {
	for _, tc := range []struct {
		clearAt time.Duration
		played  int
	}{{0, 0}, {30 * time.Millisecond, 3 * samplesPerFrame / 2}} {
		o, enc, clock := leadOutbound(t, 60*time.Millisecond)
		if err := o.Play(1, make([]int16, session.SampleRate)); err != nil {
			t.Fatal(err)
		}
		waitFrames(t, enc, 4)
		time.Sleep(60 * time.Millisecond) // the loop's own timers fire meanwhile
		if n := enc.count(); n != 4 {
			t.Fatalf("%d frames left with the clock at 0 and a 60 ms lead, want 4", n)
		}
		clock.Store(int64(tc.clearAt))
		got := o.Clear(nil)
		if len(got) != 1 || got[0].Samples != tc.played {
			t.Errorf("clear at %v: played %+v, want %d samples of item 1", tc.clearAt, got, tc.played)
		}
	}
}

// TestLeadContinuesSchedule: audio queued while earlier audio is still
// held by the far end is scheduled after it, not on top of it.
func TestLeadContinuesSchedule(t *testing.T) {
	o, enc, _ := leadOutbound(t, 60*time.Millisecond)
	if err := o.Play(1, make([]int16, 2*samplesPerFrame)); err != nil {
		t.Fatal(err)
	}
	waitFrames(t, enc, 2)
	if err := o.Play(2, make([]int16, 4*samplesPerFrame)); err != nil {
		t.Fatal(err)
	}
	// Item 2 starts at 40 ms: its frames due at 40 and 60 ms are within the
	// lead, the ones at 80 and 100 ms are not.
	waitFrames(t, enc, 4)
	time.Sleep(60 * time.Millisecond)
	if n := enc.count(); n != 4 {
		t.Fatalf("%d frames sent, want 4", n)
	}
	got := o.Clear(nil)
	if len(got) != 1 || got[0].ID != 2 || got[0].Samples != 0 {
		t.Errorf("clear at 0: %+v, want item 2 with nothing played", got)
	}
}

// TestLeadHangupWaitsForPlayout: a hangup is carried out only once what
// was sent ahead has played.
func TestLeadHangupWaitsForPlayout(t *testing.T) {
	o, enc, _ := leadOutbound(t, 60*time.Millisecond)
	if err := o.Play(1, make([]int16, 3*samplesPerFrame)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	o.Hangup()
	waitFrames(t, enc, 3)
	select {
	case <-o.HungUp():
	case <-time.After(5 * time.Second):
		t.Fatal("hangup never carried out")
	}
	if held := time.Since(start); held < 60*time.Millisecond {
		t.Errorf("hung up %v after 60 ms of audio was sent", held)
	}
}

// TestBatchWritesFramesAheadInPairs: with a 60 ms lead and two frames a
// message, each frame leaves no earlier than the lead plus the frame
// before it in its message. With the clock at 0, the frames due at 0–60 ms
// leave in two messages; at 20 ms, the frames due at 80 and 100 ms follow
// in a third. A clear still counts only what has played.
func TestBatchWritesFramesAheadInPairs(t *testing.T) {
	o, enc, clock := batchOutbound(t, 60*time.Millisecond, 2)
	if err := o.Play(1, make([]int16, session.SampleRate)); err != nil {
		t.Fatal(err)
	}
	waitFrames(t, enc, 4)
	time.Sleep(60 * time.Millisecond)
	if got := fmt.Sprint(enc.messages()); got != "[{2 [] false} {2 [] false}]" {
		t.Fatalf("messages with the clock at 0: %s, want two of two frames", got)
	}
	clock.Store(int64(20 * time.Millisecond))
	waitFrames(t, enc, 6)
	time.Sleep(60 * time.Millisecond)
	if got := fmt.Sprint(enc.messages()); got != "[{2 [] false} {2 [] false} {2 [] false}]" {
		t.Fatalf("messages with the clock at 20 ms: %s, want three of two frames", got)
	}
	clock.Store(int64(30 * time.Millisecond))
	if got := o.Clear(nil); len(got) != 1 || got[0].Samples != 3*samplesPerFrame/2 {
		t.Errorf("clear at 30 ms: played %+v, want a frame and a half of item 1", got)
	}
}

// TestBatchSpansItems: a message carries frames of consecutive items, and
// says when the queue ran dry behind it.
func TestBatchSpansItems(t *testing.T) {
	o, enc, clock := batchOutbound(t, 0, 2)
	if err := o.Play(1, make([]int16, 3*samplesPerFrame)); err != nil {
		t.Fatal(err)
	}
	// With the clock at 0 and no lead, the frames due at 0 and 20 ms
	// leave; item 2 is queued before the rest can.
	waitFrames(t, enc, 2)
	if err := o.Play(2, make([]int16, 4*samplesPerFrame)); err != nil {
		t.Fatal(err)
	}
	clock.Store(int64(time.Second))
	waitFrames(t, enc, 7)
	want := "[{2 [] false} {2 [1] false} {2 [] false} {1 [2] true}]"
	if got := fmt.Sprint(enc.messages()); got != want {
		t.Errorf("messages %s, want %s", got, want)
	}
}
