package media

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/audio/dtmf"
	"github.com/switchboard-voice/switchboard/audio/frame"
	"github.com/switchboard-voice/switchboard/audio/vad"
	"github.com/switchboard-voice/switchboard/providers/stt"
)

// InboundConfig configures the read side of a connection.
type InboundConfig struct {
	// Rate is the caller audio's sample rate.
	Rate int
	// STT recognises the caller; Phrases build its domain model.
	STT     stt.Streamer
	Phrases []string
	// Send delivers an event to the session actor.
	Send func(msg any)
	// Clock is the session's media clock.
	Clock func() time.Duration
	// EndOfSpeech is the silence that ends an utterance (VAD hangover).
	EndOfSpeech time.Duration
	// Recorder, when set, records the caller.
	Recorder *Recorder
	// DTMFEvents says the transport reports key presses itself (Twilio's
	// dtmf messages). In-band detection is then skipped: it would report
	// each digit a second time, and costs more than the rest of a frame.
	DTMFEvents bool
}

// preRoll is how much audio before the VAD onset the recogniser gets: the
// detector confirms speech a little after it began, and the first phoneme
// must not be lost.
const preRoll = 300 * time.Millisecond

// partialEvery is how often (in frames) interim transcripts are polled:
// every 100 ms, so a barge-in can be judged on words soon after onset.
const partialEvery = 5

// Inbound is the read side of one connection. It is used by one goroutine.
//
// The VAD runs on every frame and the recogniser gets the line audio as it
// is: an engine that needs another rate converts it, and only during
// speech. Most of a call is the caller listening, and on a phone line that
// silence would otherwise all be resampled for nothing; a cloud
// recogniser takes 8 kHz audio as it comes.
type Inbound struct {
	cfg    InboundConfig
	vad    *vad.Detector  // at the line rate
	dtmf   *dtmf.Detector // nil without in-band detection
	stream stt.Stream

	ring   [][]int16 // pre-roll frames at the line rate, oldest first from ring0
	ringN  int
	ring0  int
	frames int64
}

// NewInbound prepares the read side; Close releases the recogniser.
func NewInbound(ctx context.Context, cfg InboundConfig) (*Inbound, error) {
	if err := frame.CheckRate(cfg.Rate); err != nil {
		return nil, err
	}
	in := &Inbound{cfg: cfg}
	var err error
	vc := vad.DefaultConfig(cfg.Rate)
	if cfg.EndOfSpeech > 0 {
		vc.MinSilence = cfg.EndOfSpeech
	}
	if in.vad, err = vad.New(vc); err != nil {
		return nil, err
	}
	if !cfg.DTMFEvents && (cfg.Rate == 8000 || cfg.Rate == 16000) {
		if in.dtmf, err = dtmf.NewDetector(cfg.Rate); err != nil {
			return nil, err
		}
	}
	in.stream, err = cfg.STT.NewStream(ctx, stt.Config{SampleRate: cfg.Rate, Language: "en-US", Phrases: cfg.Phrases})
	if err != nil {
		return nil, fmt.Errorf("media: recogniser: %w", err)
	}
	n := frame.SamplesPerFrame(cfg.Rate)
	in.ring = make([][]int16, int(preRoll/frame.Duration))
	for i := range in.ring {
		in.ring[i] = make([]int16, 0, 2*n)
	}
	return in, nil
}

// Frame processes one frame of caller audio at the configured rate.
func (in *Inbound) Frame(pcm []int16) {
	now := in.cfg.Clock()
	if in.cfg.Recorder != nil {
		in.cfg.Recorder.Caller(now, pcm, in.cfg.Rate)
	}
	if in.dtmf != nil {
		if d, ok := in.dtmf.Process(pcm); ok {
			in.cfg.Send(&session.DTMF{Digit: d, At: now})
		}
	}
	in.frames++

	ev := in.vad.Process(pcm)
	// Event times are stream times; the session wants the media clock time
	// at which that audio arrived. The detector's position is the end of
	// this frame, counted in the same line-rate samples as ev.At.
	at := now - (in.vad.Position() - ev.At)
	switch ev.Kind {
	case vad.SpeechStart:
		in.cfg.Send(&session.SpeechStarted{At: at})
		in.flushPreRoll()
	case vad.SpeechEnd:
		in.write(pcm)
		in.cfg.Send(&session.SpeechEnded{At: at})
		res, err := in.stream.Finalize()
		if err != nil {
			res = stt.Result{}
		}
		in.cfg.Send(&session.Transcript{Text: res.Text, Final: true, Words: res.Words, At: in.cfg.Clock()})
		return
	}
	if in.vad.Speaking() {
		in.write(pcm)
		if in.frames%partialEvery == 0 {
			if res, ok := in.stream.Partial(); ok && res.Text != "" {
				in.cfg.Send(&session.Transcript{Text: res.Text, At: now})
			}
		}
		return
	}
	in.keep(pcm)
}

// write gives the recogniser a frame.
func (in *Inbound) write(pcm []int16) {
	_ = in.stream.Write(pcm) // a failing recogniser yields empty transcripts
}

// keep stores a frame in the pre-roll ring.
func (in *Inbound) keep(pcm []int16) {
	slot := (in.ring0 + in.ringN) % len(in.ring)
	if in.ringN == len(in.ring) {
		slot = in.ring0
		in.ring0 = (in.ring0 + 1) % len(in.ring)
	} else {
		in.ringN++
	}
	in.ring[slot] = append(in.ring[slot][:0], pcm...)
}

// flushPreRoll starts an utterance: the recogniser gets the pre-roll, then
// (from the caller) the frame that confirmed speech and the rest. The ring
// holds every frame since the last utterance ended, up to preRoll, so the
// utterance is one contiguous run of line audio.
func (in *Inbound) flushPreRoll() {
	for i := 0; i < in.ringN; i++ {
		in.write(in.ring[(in.ring0+i)%len(in.ring)])
	}
	in.ringN, in.ring0 = 0, 0
}

// Close releases the recogniser.
func (in *Inbound) Close() error { return in.stream.Close() }
