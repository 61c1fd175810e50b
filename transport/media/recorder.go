package media

import (
	"sync"
	"time"

	"github.com/switchboard-voice/switchboard/audio/resample"
	"github.com/switchboard-voice/switchboard/audio/wav"
)

// Recorder keeps a call's two sides aligned in time: each frame is placed
// at the sample index of the media time it was heard or sent, so pauses
// are silence and overlaps stay overlaps. Caller is left, agent right.
type Recorder struct {
	rate int
	max  int // samples per track

	mu     sync.Mutex // guards the tracks and resamplers
	tracks [2][]int16
	rs     [2]*resample.Resampler
	rsFrom [2]int
	tmp    []int16
}

// NewRecorder records at rate for at most maxDur.
func NewRecorder(rate int, maxDur time.Duration) *Recorder {
	return &Recorder{rate: rate, max: int(maxDur.Seconds() * float64(rate))}
}

// Caller records caller audio heard at media time at.
func (r *Recorder) Caller(at time.Duration, pcm []int16, rate int) { r.put(0, at, pcm, rate) }

// Agent records agent audio sent at media time at.
func (r *Recorder) Agent(at time.Duration, pcm []int16, rate int) { r.put(1, at, pcm, rate) }

func (r *Recorder) put(ch int, at time.Duration, pcm []int16, rate int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rate != r.rate {
		if r.rs[ch] == nil || r.rsFrom[ch] != rate {
			rs, err := resample.New(rate, r.rate)
			if err != nil {
				return
			}
			r.rs[ch], r.rsFrom[ch] = rs, rate
		}
		rs := r.rs[ch]
		if cap(r.tmp) < rs.MaxOut(len(pcm)) {
			r.tmp = make([]int16, rs.MaxOut(len(pcm)))
		}
		pcm = r.tmp[:rs.Process(r.tmp[:rs.MaxOut(len(pcm))], pcm)]
	}
	start := int(at.Seconds() * float64(r.rate))
	t := r.tracks[ch]
	// A frame that arrives a little early or late overwrites or pads; the
	// track never runs backwards by more than one frame.
	if start < len(t)-len(pcm) || start > r.max {
		start = len(t)
	}
	end := min(start+len(pcm), r.max)
	if end <= start {
		return
	}
	if end > len(t) {
		t = append(t, make([]int16, end-len(t))...)
	}
	copy(t[start:end], pcm)
	r.tracks[ch] = t
}

// WAV returns the stereo recording.
func (r *Recorder) WAV() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := max(len(r.tracks[0]), len(r.tracks[1]))
	inter := make([]int16, 2*n)
	for i := 0; i < n; i++ {
		if i < len(r.tracks[0]) {
			inter[2*i] = r.tracks[0][i]
		}
		if i < len(r.tracks[1]) {
			inter[2*i+1] = r.tracks[1][i]
		}
	}
	return wav.EncodePCM16(inter, r.rate, 2)
}

// Duration is the length of the recording.
func (r *Recorder) Duration() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := max(len(r.tracks[0]), len(r.tracks[1]))
	return time.Duration(n) * time.Second / time.Duration(r.rate)
}
