package twiliotest

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/switchboard-voice/switchboard/audio/g711"
	"github.com/switchboard-voice/switchboard/audio/resample"
	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/providers/tts/flite"
)

// The stream's audio: 8 kHz μ-law in 20 ms frames.
const (
	sampleRate   = 8000
	FrameSamples = 160
	FrameDur     = 20 * time.Millisecond
)

// ulawSilence is μ-law's code for a zero sample: what a quiet phone line
// carries.
const ulawSilence = 0xFF

// maxLag is how far the line clock may fall behind its schedule (a stalled
// machine) before it restarts the schedule instead of sending a burst.
const maxLag = 200 * time.Millisecond

var silenceFrame = func() []byte {
	b := make([]byte, FrameSamples)
	for i := range b {
		b[i] = ulawSilence
	}
	return b
}()

var silenceBase64 = base64.StdEncoding.EncodeToString(silenceFrame)

// speech is one queued run of caller audio.
type speech struct {
	mulaw    []byte // whole frames; may be a Clip's, shared and read-only
	voiced   []bool // per frame: above VoicedRMS
	canceled atomic.Bool
	done     chan struct{} // closed after the last frame is sent or the call ends
	err      error         // set before done is closed

	// onset and lastVoiced are when its first and last voiced frames were
	// sent; Call.mu guards them.
	onset, lastVoiced time.Time
}

// Say speaks text in voice (a flite voice ID such as "flite-kal16"; empty
// for the engine's default) on the line and returns once the last frame
// has been sent, after any speech queued before it. If ctx ends first, the
// rest of the text is not sent.
func (c *Call) Say(ctx context.Context, text, voice string) error {
	syn, err := c.synthesizer()
	if err != nil {
		return err
	}
	pcm, err := synthesize(ctx, syn, text, voice)
	if err != nil {
		return err
	}
	return c.SayPCM(ctx, pcm)
}

// synthesize returns text spoken by syn in voice, at 8 kHz.
func synthesize(ctx context.Context, syn tts.Synthesizer, text, voice string) ([]int16, error) {
	var pcm []int16
	rate := 0
	err := syn.Synthesize(ctx, tts.Request{Text: text, VoiceID: voice}, func(ch tts.Chunk) error {
		if len(ch.PCM) == 0 {
			return nil
		}
		if rate == 0 {
			rate = ch.SampleRate
		} else if ch.SampleRate != rate {
			return fmt.Errorf("twiliotest: TTS changed rate mid-utterance (%d, %d Hz)", rate, ch.SampleRate)
		}
		pcm = append(pcm, ch.PCM...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("twiliotest: synthesizing %q: %w", text, err)
	}
	if rate != sampleRate && len(pcm) > 0 {
		return resample.Convert(pcm, rate, sampleRate)
	}
	return pcm, nil
}

func (c *Call) synthesizer() (tts.Synthesizer, error) {
	c.ttsMu.Lock()
	defer c.ttsMu.Unlock()
	if c.tts == nil {
		s, err := flite.New(flite.Options{})
		if err != nil {
			return nil, err
		}
		c.tts = s
	}
	return c.tts, nil
}

// SayPCM sends pcm8k (8 kHz mono, any content: speech, noise, a cough) on
// the line, padded with silence to whole 20 ms frames, and returns once its
// last frame has been sent. Its frames above Options.VoicedRMS count as the
// caller's speech for the latency measurement.
func (c *Call) SayPCM(ctx context.Context, pcm8k []int16) error {
	frames := (len(pcm8k) + FrameSamples - 1) / FrameSamples
	s := &speech{
		mulaw:  make([]byte, frames*FrameSamples),
		voiced: make([]bool, frames),
		done:   make(chan struct{}),
	}
	copy(s.mulaw, silenceFrame) // pads the tail of the last frame
	n := g711.EncodeULaw(s.mulaw, pcm8k)
	for i := n; i < len(s.mulaw); i++ {
		s.mulaw[i] = ulawSilence
	}
	for f := range frames {
		s.voiced[f] = rms(pcm8k[f*FrameSamples:min((f+1)*FrameSamples, len(pcm8k))]) > c.voicedRMS
	}
	return c.enqueue(ctx, s)
}

// Silence holds the line quiet for d (rounded up to whole frames) after any
// speech queued before it, and returns when that silence has been sent.
// The line is silent between utterances anyway; Silence is for scripts
// that need a pause of a known length in a queue of speech.
func (c *Call) Silence(ctx context.Context, d time.Duration) error {
	frames := int((d + FrameDur - 1) / FrameDur)
	s := &speech{
		mulaw:  make([]byte, frames*FrameSamples),
		voiced: make([]bool, frames),
		done:   make(chan struct{}),
	}
	for i := range s.mulaw {
		s.mulaw[i] = ulawSilence
	}
	return c.enqueue(ctx, s)
}

// enqueue hands s to the line and waits until it has been sent.
func (c *Call) enqueue(ctx context.Context, s *speech) error {
	if len(s.voiced) == 0 {
		return nil
	}
	select {
	case <-c.senderDone:
		return ErrCallEnded
	default:
	}
	select {
	case c.queue <- s:
		c.queued.Add(1)
	case <-c.done:
		return ErrCallEnded
	case <-c.quit:
		return ErrCallEnded
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-s.done:
		return s.err
	case <-c.senderDone:
		// The line drains the queue as it stops, but s may have been
		// queued after that.
		select {
		case <-s.done:
			return s.err
		default:
			return ErrCallEnded
		}
	case <-ctx.Done():
		s.canceled.Store(true)
		return ctx.Err()
	}
}

// tick is one 20 ms period of the phone line, run by the call's line clock
// shard (see lineClock, which keeps the schedule): it echoes the marks whose
// audio has played, then sends the next frame of queued speech, or
// silence. It reports whether the call is still on the line; once it
// reports false the shard drops the call.
func (c *Call) tick() bool {
	c.smu.Lock()
	defer c.smu.Unlock()
	if c.offLine {
		return false
	}
	if !c.stopping.Load() {
		err := c.sendFrameLocked(time.Now())
		if err == nil {
			return true
		}
		c.closeDone(fmt.Errorf("%w: %w", ErrCallEnded, err))
	}
	c.leaveLineLocked()
	return false
}

// sendFrameLocked does tick's work; smu must be held.
func (c *Call) sendFrameLocked(now time.Time) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	if names := c.rx.takeMarks(now, false); len(names) > 0 {
		c.mu.Unlock()
		if err := c.echoMarksLocked(names); err != nil {
			return err
		}
		c.mu.Lock()
	}
	cur := c.cur
	if cur != nil && cur.canceled.Load() {
		close(cur.done) // its waiter has gone
		cur = nil
	}
next:
	for cur == nil && c.queued.Load() > 0 { // the count spares touching the channel
		select {
		case s := <-c.queue:
			c.queued.Add(-1)
			if s.canceled.Load() {
				close(s.done)
				continue
			}
			cur, c.pos = s, 0
		default:
			break next
		}
	}
	c.cur = cur
	frame, voiced := silenceFrame, false
	if cur != nil {
		frame, voiced = cur.mulaw[c.pos*FrameSamples:(c.pos+1)*FrameSamples], cur.voiced[c.pos]
		c.pos++
	}
	if voiced {
		// Taken before the write: the frame leaves no earlier than this.
		c.rx.lastVoiced = now
		if cur.onset.IsZero() {
			cur.onset = now
		}
		cur.lastVoiced = now
	}
	if !c.noRecord {
		sf := sentFrame{at: now}
		if cur != nil {
			sf.mulaw = frame
		}
		c.rx.sent = append(c.rx.sent, sf)
	}
	c.mu.Unlock()
	if err := c.sendMediaLocked(frame); err != nil {
		return err
	}
	if cur != nil && c.pos == len(cur.voiced) {
		close(cur.done)
		c.cur = nil
	}
	return nil
}

// stopLine takes the call off the line, once the tick in progress, if any,
// has returned.
func (c *Call) stopLine() {
	c.smu.Lock()
	defer c.smu.Unlock()
	c.leaveLineLocked()
}

// leaveLineLocked takes the call off the line for good: whatever was queued
// will never be sent and fails with ErrCallEnded, and senderDone closes.
// smu must be held.
func (c *Call) leaveLineLocked() {
	if c.offLine {
		return
	}
	c.offLine = true
	if c.cur != nil {
		c.cur.err = ErrCallEnded
		close(c.cur.done)
		c.cur = nil
	}
	for drained := false; !drained; {
		select {
		case s := <-c.queue:
			s.err = ErrCallEnded
			close(s.done)
		default:
			drained = true
		}
	}
	close(c.senderDone)
	c.shard.leave()
}

// sendMediaLocked sends one inbound media message; wmu must be held.
func (c *Call) sendMediaLocked(mulaw []byte) error {
	if c.stopSent {
		return nil
	}
	c.seq++
	c.chunk++
	c.wbuf = appendMedia(c.wbuf[:0], c.sidJSON, c.seq, c.chunk, c.chunk*uint64(FrameDur/time.Millisecond), mulaw)
	return c.writeLocked(c.wbuf)
}

// appendMedia appends Twilio's inbound media message:
//
//	{"event":"media","sequenceNumber":"2","streamSid":"MZ…","media":{"track":"inbound","chunk":"1","timestamp":"20","payload":"…"}}
//
// sidJSON is the stream SID already quoted as a JSON string.
func appendMedia(dst, sidJSON []byte, seq, chunk, timestamp uint64, mulaw []byte) []byte {
	dst = append(dst, `{"event":"media","sequenceNumber":"`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `","streamSid":`...)
	dst = append(dst, sidJSON...)
	dst = append(dst, `,"media":{"track":"inbound","chunk":"`...)
	dst = strconv.AppendUint(dst, chunk, 10)
	dst = append(dst, `","timestamp":"`...)
	dst = strconv.AppendUint(dst, timestamp, 10)
	dst = append(dst, `","payload":"`...)
	if len(mulaw) == len(silenceFrame) && &mulaw[0] == &silenceFrame[0] {
		dst = append(dst, silenceBase64...) // most frames: encoded once
	} else {
		dst = base64.StdEncoding.AppendEncode(dst, mulaw)
	}
	return append(dst, `"}}`...)
}

// rms is the root mean square of pcm; 0 for none.
func rms(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, s := range pcm {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(len(pcm)))
}
