package frame

import (
	"fmt"
	"time"
)

// Pacer schedules frame n at start + n·interval. Computing every due time
// from the start, rather than adding the interval to the time of the last
// tick, keeps rounding and oversleeping from accumulating into drift: a frame
// that goes out late makes the next one due sooner, not later.
type Pacer struct {
	start    time.Duration
	interval time.Duration
	n        int64 // frames sent
}

// NewPacer returns a pacer whose first frame is due at start.
func NewPacer(start, interval time.Duration) (*Pacer, error) {
	if interval <= 0 {
		return nil, fmt.Errorf("%w: pacing interval %v", ErrInvalid, interval)
	}
	return &Pacer{start: start, interval: interval}, nil
}

// Due returns when the next frame is due.
func (p *Pacer) Due() time.Duration { return p.start + time.Duration(p.n)*p.interval }

// Wait returns how long to wait from now until the next frame is due; zero
// or less means it is due already.
func (p *Pacer) Wait(now time.Duration) time.Duration { return p.Due() - now }

// Sent records that the next frame went out at now and returns how late it
// was (zero if it was on time or early).
func (p *Pacer) Sent(now time.Duration) (late time.Duration) {
	late = max(now-p.Due(), 0)
	p.n++
	return late
}

// Behind returns how many frames were due by now and not sent yet,
// counting the next one if it is due. A write loop that wakes up with
// several frames due sends them back to back; one that falls further behind
// than its peer can absorb drops some and calls Skip.
func (p *Pacer) Behind(now time.Duration) int64 {
	if now < p.Due() {
		return 0
	}
	return int64((now-p.Due())/p.interval) + 1
}

// Skip gives up on the next k frames, keeping the schedule.
func (p *Pacer) Skip(k int64) {
	if k > 0 {
		p.n += k
	}
}

// Frames returns how many frames have been sent or skipped.
func (p *Pacer) Frames() int64 { return p.n }
