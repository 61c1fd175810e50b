package twiliotest

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard/audio/g711"
	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/providers/tts/flite"
)

// What benchmarks need beyond a test's script: caller audio prepared once
// and shared by many calls, speech queued without waiting for it to be
// sent, and the times at which the caller's speech began and the agent
// reacted (its audio resuming or being cleared).

// Synthesize returns text spoken by syn in voice (nil syn: the embedded
// flite engine), at 8 kHz, ready for SayPCM or NewClip.
func Synthesize(ctx context.Context, syn tts.Synthesizer, text, voice string) ([]int16, error) {
	if syn == nil {
		s, err := flite.New(flite.Options{})
		if err != nil {
			return nil, err
		}
		syn = s
	}
	return synthesize(ctx, syn, text, voice)
}

// A Clip is caller audio encoded once, as the line carries it, for any
// number of calls to send: its storage is shared and never written.
type Clip struct {
	mulaw  []byte // whole frames
	voiced []bool // per frame: above the RMS it was made with
}

// NewClip encodes pcm8k (8 kHz mono) into whole 20 ms μ-law frames, padding
// the last with silence. Frames with an RMS above voicedRMS (0 means
// DefaultVoicedRMS) count as speech.
func NewClip(pcm8k []int16, voicedRMS float64) *Clip {
	if voicedRMS <= 0 {
		voicedRMS = DefaultVoicedRMS
	}
	frames := (len(pcm8k) + FrameSamples - 1) / FrameSamples
	cl := &Clip{mulaw: make([]byte, frames*FrameSamples), voiced: make([]bool, frames)}
	n := g711.EncodeULaw(cl.mulaw, pcm8k)
	for i := n; i < len(cl.mulaw); i++ {
		cl.mulaw[i] = ulawSilence
	}
	for f := range frames {
		cl.voiced[f] = rms(pcm8k[f*FrameSamples:min((f+1)*FrameSamples, len(pcm8k))]) > voicedRMS
	}
	return cl
}

// Duration is the clip's length on the line.
func (cl *Clip) Duration() time.Duration { return time.Duration(len(cl.voiced)) * FrameDur }

// SayClip sends cl like SayPCM and returns once its last frame has been
// sent.
func (c *Call) SayClip(ctx context.Context, cl *Clip) error {
	return c.enqueue(ctx, c.newSpeech(cl))
}

func (c *Call) newSpeech(cl *Clip) *speech {
	return &speech{mulaw: cl.mulaw, voiced: cl.voiced, done: make(chan struct{})}
}

// Speech is caller audio queued with Queue: it goes out behind what was
// queued before it while the caller goes on listening.
type Speech struct {
	c *Call
	s *speech
}

// Queue hands cl to the line without waiting for it to be sent, as a caller
// who starts talking over the agent does; it fails only when the call has
// ended. An empty clip is sent at once.
func (c *Call) Queue(cl *Clip) (*Speech, error) {
	s := c.newSpeech(cl)
	if len(s.voiced) == 0 {
		close(s.done)
		return &Speech{c: c, s: s}, nil
	}
	select {
	case c.queue <- s:
		c.queued.Add(1)
		return &Speech{c: c, s: s}, nil
	case <-c.done:
	case <-c.quit:
	case <-c.senderDone:
	}
	return nil, ErrCallEnded
}

// Wait returns once the speech has been sent, or the call has ended (an
// error wrapping ErrCallEnded), or ctx has ended.
func (sp *Speech) Wait(ctx context.Context) error {
	select {
	case <-sp.s.done:
		return sp.s.err
	case <-sp.c.senderDone:
		select {
		case <-sp.s.done:
			return sp.s.err
		default:
			return ErrCallEnded
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Onset is when the speech's first voiced frame was sent: zero until then,
// and for speech with no voiced frame.
func (sp *Speech) Onset() time.Time {
	sp.c.mu.Lock()
	defer sp.c.mu.Unlock()
	return sp.s.onset
}

// LastVoiced is when the speech's latest voiced frame was sent.
func (sp *Speech) LastVoiced() time.Time {
	sp.c.mu.Lock()
	defer sp.c.mu.Unlock()
	return sp.s.lastVoiced
}

// Clears returns the arrival time of every clear the server has sent.
func (c *Call) Clears() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.rx.clears...)
}

// WaitAudible returns the arrival time of the first audible agent frame
// that arrived after t, waiting for one until ctx ends or the call does.
func (c *Call) WaitAudible(ctx context.Context, t time.Time) (time.Time, error) {
	for {
		ended := c.ended()
		c.mu.Lock()
		var at time.Time
		for i := len(c.rx.frames) - 1; i >= 0 && c.rx.frames[i].arrived.After(t); i-- {
			if c.rx.frames[i].audible {
				at = c.rx.frames[i].arrived
			}
		}
		changed := c.rx.watch()
		c.mu.Unlock()
		if !at.IsZero() {
			return at, nil
		}
		if ended {
			return time.Time{}, c.Err()
		}
		select {
		case <-changed:
		case <-c.done:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// WaitQuiet waits until no audible agent audio has arrived or played for
// quiet, then skips all agent audio received so far: the next WaitForAgent
// returns only what the agent says after it. Scripts use it to start each
// trial of a benchmark on a quiet line.
func (c *Call) WaitQuiet(ctx context.Context, quiet time.Duration) error {
	timer := time.NewTimer(quiet)
	defer timer.Stop()
	for {
		now := time.Now()
		c.mu.Lock()
		r := &c.rx
		var last time.Time // when the latest audible audio arrived or stops playing
		for i := len(r.frames) - 1; i >= 0; i-- {
			f := &r.frames[i]
			if f.audible && !f.cleared {
				last = f.end
				if f.arrived.After(last) {
					last = f.arrived
				}
				break
			}
		}
		quietAt := last.Add(quiet)
		if !now.Before(quietAt) {
			r.cursor = len(r.frames)
			r.prevStart = now
			r.trim()
			c.mu.Unlock()
			return nil
		}
		changed := r.watch()
		c.mu.Unlock()
		if c.ended() {
			return c.Err()
		}
		timer.Reset(quietAt.Sub(now))
		select {
		case <-changed:
		case <-timer.C:
		case <-c.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
