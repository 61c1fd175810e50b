package frame

import (
	"errors"
	"fmt"
	"time"
)

// Duration is the length of one frame on the media path: what Twilio Media
// Streams send, what Opus and G.711 over RTP usually carry, and the cadence
// of the write loop.
const Duration = 20 * time.Millisecond

// ErrInvalid is wrapped by errors for invalid rates, durations and intervals.
var ErrInvalid = errors.New("frame: invalid argument")

// Samples returns how many samples d holds at rate, rounded down.
func Samples(rate int, d time.Duration) int {
	return int(int64(d) * int64(rate) / int64(time.Second))
}

// SamplesPerFrame returns the number of samples in one 20 ms frame at rate
// (160 at 8 kHz, 320 at 16 kHz).
func SamplesPerFrame(rate int) int { return Samples(rate, Duration) }

// DurationOf returns the duration of n samples at rate, rounded down to the
// nanosecond.
func DurationOf(n, rate int) time.Duration {
	if rate <= 0 {
		return 0
	}
	return time.Duration(int64(n) * int64(time.Second) / int64(rate))
}

// CheckRate reports whether rate can be framed: positive and giving a whole
// number of samples per 10 ms, so that 10 and 20 ms frames line up with
// sample counts exactly.
func CheckRate(rate int) error {
	if rate <= 0 || rate%100 != 0 {
		return fmt.Errorf("%w: sample rate %d Hz is not a positive multiple of 100", ErrInvalid, rate)
	}
	return nil
}
