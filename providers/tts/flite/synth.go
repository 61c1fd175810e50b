package flite

/*
#include "bridge.h"
#include <cst_audio.h>
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"runtime/cgo"
	"time"
	"unsafe"

	"github.com/switchboard-voice/switchboard/providers/tts"
)

// Options tune a Synthesizer; the zero value gives the defaults.
type Options struct {
	// DefaultVoice answers requests with an empty VoiceID (DefaultVoice if
	// empty).
	DefaultVoice string
	// ChunkDuration is roughly how much audio each emitted chunk carries
	// (default 50 ms). Smaller chunks reach the caller sooner and cost more
	// calls.
	ChunkDuration time.Duration
	// SentencePause is the silence between sentences (default 250 ms).
	SentencePause time.Duration
}

// Trim parameters, see trimmer.
const (
	silenceRMS = 100 // of 32767: above flite's pause noise, below speech onsets
	keepMs     = 15  // lead-in kept before the first loud frame, so onsets are not clipped
	tailMs     = 60  // kept after the last loud frame, so releases and stop bursts ring out
)

// Synthesizer is the flite tts.Synthesizer. It is safe for concurrent use.
type Synthesizer struct {
	voices   []tts.Voice
	byID     map[string]int // voice ID to registry index; read-only after New
	defVoice string
	chunk    time.Duration
	pause    time.Duration
}

var _ tts.Synthesizer = (*Synthesizer)(nil)

// New registers flite's voices (once per process) and returns a Synthesizer.
func New(opts Options) (*Synthesizer, error) {
	if err := register(); err != nil {
		return nil, err
	}
	s := &Synthesizer{
		byID:     make(map[string]int, len(builtin)),
		defVoice: opts.DefaultVoice,
		chunk:    opts.ChunkDuration,
		pause:    opts.SentencePause,
	}
	if s.defVoice == "" {
		s.defVoice = DefaultVoice
	}
	if s.chunk <= 0 {
		s.chunk = 50 * time.Millisecond
	}
	if s.pause <= 0 {
		s.pause = 250 * time.Millisecond
	}
	for i, v := range builtin {
		v.SampleRate = registry.rates[i]
		s.voices = append(s.voices, v)
		s.byID[v.ID] = i
	}
	if _, ok := s.byID[s.defVoice]; !ok {
		return nil, fmt.Errorf("%w: default voice %q", tts.ErrUnknownVoice, s.defVoice)
	}
	return s, nil
}

// Voices lists flite's built-in voices.
func (s *Synthesizer) Voices() []tts.Voice {
	return append([]tts.Voice(nil), s.voices...)
}

// Synthesize implements tts.Synthesizer.
func (s *Synthesizer) Synthesize(ctx context.Context, req tts.Request, emit func(tts.Chunk) error) error {
	id := req.VoiceID
	if id == "" {
		id = s.defVoice
	}
	idx, ok := s.byID[id]
	if !ok {
		return fmt.Errorf("%w: %q", tts.ErrUnknownVoice, req.VoiceID)
	}
	speed := req.Speed
	if speed == 0 {
		speed = 1
	}
	if !(speed >= tts.MinSpeed && speed <= tts.MaxSpeed) { // also refuses NaN
		return fmt.Errorf("%w: speed %v outside [%v, %v]", tts.ErrInvalidOption, req.Speed, tts.MinSpeed, tts.MaxSpeed)
	}
	if !(math.Abs(req.Pitch) <= tts.MaxPitch) {
		return fmt.Errorf("%w: pitch %v outside ±%v semitones", tts.ErrInvalidOption, req.Pitch, tts.MaxPitch)
	}
	text, err := tts.NormalizeText(req.Text)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	rate := s.voices[idx].SampleRate
	r := &sentenceRun{
		ctx:  ctx,
		emit: emit,
		rate: rate,
		trim: newTrimmer(rate, silenceRMS, keepMs, tailMs),
	}
	stretch := 1 / speed
	f0 := math.Exp2(req.Pitch / 12)
	minBuf := int(s.chunk * time.Duration(rate) / time.Second)
	pause := int(s.pause * time.Duration(rate) / time.Second)
	sentences := tts.Sentences(text)
	for i, sentence := range sentences {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.final = i == len(sentences)-1
		r.padTo = pause
		if r.final {
			r.padTo = 0
		}
		if err := r.synth(registry.voices[idx], sentence, stretch, f0, minBuf); err != nil {
			return err
		}
	}
	if !r.sentFinal {
		// Unreachable with a non-empty sentence list, but a caller waiting
		// for Final must always get it.
		return r.send(nil, true)
	}
	return nil
}

// sentenceRun carries one request's state across its sentences and into
// flite's streaming callback (through a cgo.Handle: C never holds a Go
// pointer).
type sentenceRun struct {
	ctx  context.Context
	emit func(tts.Chunk) error
	rate int
	trim *trimmer

	offset    int  // samples emitted so far in the request
	final     bool // this sentence is the request's last
	padTo     int  // silence after this sentence's speech, in samples
	sentFinal bool

	// Per sentence.
	started  bool
	finished bool
	words    []C.sb_word
	nextWord int
	base     int // request offset of the sentence's first kept sample

	wordBuf []tts.Word
	err     error // stops the sentence; returned by synth
	panicV  any   // a panic from emit, re-raised once C has unwound
	panics  bool

	rateOnly *int // probe mode: record the rate and stop
}

// synth speaks one sentence.
func (r *sentenceRun) synth(v *C.cst_voice, text string, stretch, f0 float64, minBuf int) error {
	r.started, r.finished, r.nextWord = false, false, 0
	r.words = r.words[:0]
	if r.trim != nil {
		r.trim.reset()
	}
	h := cgo.NewHandle(r)
	err := synthC(v, text, stretch, f0, minBuf, uintptr(h))
	h.Delete()
	if r.panics {
		panic(r.panicV) // emit's own panic, now that flite's frames are gone
	}
	if r.err != nil {
		return r.err
	}
	if err != nil {
		return err
	}
	if !r.finished && r.rateOnly == nil {
		return r.finishSentence()
	}
	return nil
}

//export sbAudioChunk
func sbAudioChunk(h C.uintptr_t, utt *C.cst_utterance, samples *C.short, start, size, last, rate C.int) C.int {
	r := cgo.Handle(h).Value().(*sentenceRun)
	if r.rateOnly != nil {
		*r.rateOnly = int(rate)
		return C.CST_AUDIO_STREAM_STOP
	}
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return C.CST_AUDIO_STREAM_STOP
	}
	if int(rate) != r.rate {
		r.err = fmt.Errorf("%w: flite produced %d Hz, voice registered at %d Hz", tts.ErrEngine, rate, r.rate)
		return C.CST_AUDIO_STREAM_STOP
	}
	if !r.started {
		// The utterance's segments and their durations are final before
		// waveform generation starts, so the words are known now.
		r.started = true
		r.words = words(utt, r.words)
	}
	var pcm []int16
	if size > 0 {
		all := unsafe.Slice((*int16)(unsafe.Pointer(samples)), int(start)+int(size))
		pcm = all[start:]
	}
	if err := r.safely(func() error {
		if err := r.push(pcm); err != nil {
			return err
		}
		if last != 0 {
			return r.finishSentence()
		}
		return nil
	}); err != nil {
		r.err = err
		return C.CST_AUDIO_STREAM_STOP
	}
	return C.CST_AUDIO_STREAM_CONT
}

// safely runs f, turning a panic (from the caller's emit) into a stop so it
// never unwinds through flite's C frames; synth re-raises it afterwards.
func (r *sentenceRun) safely(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.panicV, r.panics = p, true
			err = fmt.Errorf("%w: emit panicked", tts.ErrEngine)
		}
	}()
	return f()
}

// push feeds flite's samples through the trimmer and emits what it releases.
func (r *sentenceRun) push(pcm []int16) error {
	out, at := r.trim.push(pcm)
	if len(out) == 0 {
		return nil
	}
	return r.sendSentence(out, at, false)
}

// finishSentence emits the sentence's remaining audio (and, on the last
// sentence, the request's final chunk).
func (r *sentenceRun) finishSentence() error {
	r.finished = true
	out, at := r.trim.finish(r.padTo)
	if len(out) == 0 && !r.final {
		return nil
	}
	return r.sendSentence(out, at, true)
}

// sendSentence emits pcm, which starts at sample index at of the current
// sentence, with the words that end inside it. On a sentence's last chunk
// (last) every remaining word goes with it, clamped to the audio.
func (r *sentenceRun) sendSentence(pcm []int16, at int, last bool) error {
	origin := r.trim.start // sentence index of the first kept sample
	if origin < 0 || at == origin {
		// The sentence's first emitted sample (or, for a sentence with no
		// speech, where its words collapse to).
		origin = max(origin, 0)
		r.base = r.offset
	}
	sentenceEnd := at + len(pcm)
	r.wordBuf = r.wordBuf[:0]
	for ; r.nextWord < len(r.words); r.nextWord++ {
		w := r.words[r.nextWord]
		end := r.toSample(float64(w.end))
		if end > sentenceEnd && !last {
			break
		}
		start := r.toSample(float64(w.start))
		end = min(end, sentenceEnd)
		r.wordBuf = append(r.wordBuf, tts.Word{
			Text:  C.GoString(w.name),
			Start: r.toDuration(r.base + max(0, min(start, end)-origin)),
			End:   r.toDuration(r.base + max(0, end-origin)),
		})
	}
	return r.send(pcm, last && r.final)
}

func (r *sentenceRun) toSample(sec float64) int { return int(math.Round(sec * float64(r.rate))) }

func (r *sentenceRun) toDuration(samples int) time.Duration {
	return time.Duration(samples) * time.Second / time.Duration(r.rate)
}

// send emits one chunk and advances the request offset.
func (r *sentenceRun) send(pcm []int16, final bool) error {
	c := tts.Chunk{
		PCM:        pcm,
		SampleRate: r.rate,
		Offset:     r.toDuration(r.offset),
		Final:      final,
	}
	if len(r.wordBuf) > 0 {
		c.Words = r.wordBuf
	}
	r.offset += len(pcm)
	r.sentFinal = r.sentFinal || final
	err := r.emit(c)
	r.wordBuf = r.wordBuf[:0]
	return err
}
