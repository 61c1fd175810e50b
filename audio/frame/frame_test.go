package frame

import (
	"errors"
	"testing"
	"time"
)

func TestSamples(t *testing.T) {
	tests := []struct {
		rate int
		want int
	}{{8000, 160}, {16000, 320}, {24000, 480}, {48000, 960}}
	for _, tt := range tests {
		if got := SamplesPerFrame(tt.rate); got != tt.want {
			t.Errorf("SamplesPerFrame(%d) = %d, want %d", tt.rate, got, tt.want)
		}
		if got := DurationOf(tt.want, tt.rate); got != Duration {
			t.Errorf("DurationOf(%d, %d) = %v, want %v", tt.want, tt.rate, got, Duration)
		}
	}
	if got := Samples(8000, 10*time.Millisecond); got != 80 {
		t.Errorf("Samples(8000, 10ms) = %d, want 80", got)
	}
	if err := CheckRate(8000); err != nil {
		t.Errorf("CheckRate(8000): %v", err)
	}
	for _, bad := range []int{0, -8000, 11025} {
		if err := CheckRate(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckRate(%d) = %v, want ErrInvalid", bad, err)
		}
	}
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ now time.Duration }

func (c *fakeClock) Now() time.Duration { return c.now }

func TestPacerDoesNotDrift(t *testing.T) {
	clk := &fakeClock{now: 5 * time.Second}
	p, err := NewPacer(clk.Now(), Duration)
	if err != nil {
		t.Fatal(err)
	}
	const frames = 10000
	var lateFrames int
	for i := range frames {
		// The loop oversleeps by a varying 0–3 ms every time, as a real
		// timer does; once every 1000 frames it stalls for 45 ms.
		clk.now += max(p.Wait(clk.Now()), 0) + time.Duration(i%4)*time.Millisecond
		if i%1000 == 500 {
			clk.now += 45 * time.Millisecond
		}
		if late := p.Sent(clk.Now()); late > 10*time.Millisecond {
			lateFrames++
		}
	}
	want := 5*time.Second + frames*Duration
	if p.Due() != want {
		t.Fatalf("after %d frames the next is due at %v, want %v: the schedule drifted", frames, p.Due(), want)
	}
	// A stall makes its frame 48 ms late and the next one 28 ms; the one
	// after that is on time again (9 ms), because frames are due on the
	// schedule, not an interval after the last one went out.
	if want := 2 * frames / 1000; lateFrames != want {
		t.Fatalf("%d late frames, want %d", lateFrames, want)
	}
	// Scheduling each tick from the last one would have added 15 s of
	// oversleep and 450 ms of stalls; the clock is within one frame of the
	// schedule.
	if d := clk.now - (want - Duration); d < 0 || d > Duration {
		t.Fatalf("clock at %v, last frame due at %v", clk.now, want-Duration)
	}
}

func TestPacerBehindAndSkip(t *testing.T) {
	p, err := NewPacer(0, Duration)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Behind(19 * time.Millisecond); got != 1 {
		t.Fatalf("Behind before first due = %d, want 1 (frame 0 is due at 0)", got)
	}
	p.Sent(0)
	if got := p.Behind(19 * time.Millisecond); got != 0 {
		t.Fatalf("Behind(19ms) = %d, want 0", got)
	}
	if got := p.Behind(100 * time.Millisecond); got != 5 {
		t.Fatalf("Behind(100ms) = %d, want 5 (frames due at 20..100 ms)", got)
	}
	p.Skip(4)
	if p.Due() != 100*time.Millisecond || p.Frames() != 5 {
		t.Fatalf("after Skip(4): due %v, frames %d", p.Due(), p.Frames())
	}
	if late := p.Sent(103 * time.Millisecond); late != 3*time.Millisecond {
		t.Fatalf("late = %v, want 3ms", late)
	}
	if _, err := NewPacer(0, 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("NewPacer with zero interval: %v", err)
	}
}

func TestPacerAllocatesNothing(t *testing.T) {
	clk := &fakeClock{}
	p, _ := NewPacer(0, Duration)
	allocs := testing.AllocsPerRun(1000, func() {
		clk.now += p.Wait(clk.Now())
		p.Sent(clk.Now())
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per frame, want 0", allocs)
	}
}
