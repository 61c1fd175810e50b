package tts

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors; engines wrap them with %w so callers can map them to API
// codes with errors.Is.
var (
	// ErrUnknownVoice reports a Request.VoiceID the engine does not have.
	ErrUnknownVoice = errors.New("tts: unknown voice")
	// ErrEmptyText reports a request with nothing speakable after cleaning.
	ErrEmptyText = errors.New("tts: empty text")
	// ErrTextTooLong reports text longer than MaxTextLen characters.
	ErrTextTooLong = errors.New("tts: text too long")
	// ErrInvalidOption reports a Speed or Pitch outside the accepted range.
	ErrInvalidOption = errors.New("tts: invalid option")
	// ErrEngine reports a failure inside the synthesis engine itself.
	ErrEngine = errors.New("tts: engine failure")
)

// Limits every engine enforces, so the same request is accepted or refused
// the same way whichever engine serves it.
const (
	// MaxTextLen is the longest accepted text, in characters (runes). A
	// voice reply is a few sentences; anything longer is a bug upstream or
	// an attempt to pin a synthesis thread.
	MaxTextLen = 5000
	// MinSpeed and MaxSpeed bound Request.Speed; beyond them speech stops
	// being intelligible.
	MinSpeed, MaxSpeed = 0.25, 4.0
	// MaxPitch bounds |Request.Pitch| in semitones (one octave).
	MaxPitch = 12.0
)

// Voice describes one voice an engine offers.
type Voice struct {
	ID       string // unique across engines, e.g. "flite-slt"
	Name     string // human-readable
	Provider string // engine name, e.g. "flite"
	Language string // BCP 47 tag, e.g. "en-US"
	// SampleRate is the rate of the PCM the voice produces natively; callers
	// resample to the session or transport rate.
	SampleRate int
	// Custom marks a voice created through the API rather than built in.
	Custom bool
}

// Request is one text to speak.
type Request struct {
	Text string
	// VoiceID selects the voice; empty selects the engine's default voice.
	VoiceID string
	// Speed is a speaking-rate factor: 1 (or 0) is normal, 2 is twice as
	// fast. Accepted range is [MinSpeed, MaxSpeed].
	Speed float64
	// Pitch shifts the voice's mean pitch in semitones; 0 is the voice's
	// own. Accepted range is [-MaxPitch, MaxPitch].
	Pitch float64
}

// Word is a spoken word with its position in the utterance. A session uses
// these to cut an interrupted reply down to the words the caller heard.
type Word struct {
	Text       string
	Start, End time.Duration // offsets from the start of the utterance
}

// Chunk is a piece of synthesized audio.
type Chunk struct {
	PCM        []int16 // mono PCM16
	SampleRate int
	// Offset is where this chunk starts in the utterance; chunks are
	// contiguous, so Offset plus the chunk's duration is the next Offset.
	Offset time.Duration
	// Words are the words whose End falls inside this chunk (the last chunk
	// of a sentence also carries any word that ended in trimmed silence).
	Words []Word
	// Final marks the last chunk of the request. It may carry no PCM.
	Final bool
}

// Duration is the length of the chunk's audio.
func (c Chunk) Duration() time.Duration {
	if c.SampleRate <= 0 {
		return 0
	}
	return time.Duration(len(c.PCM)) * time.Second / time.Duration(c.SampleRate)
}

// Synthesizer turns text into audio. Implementations are safe for concurrent
// use.
type Synthesizer interface {
	// Voices lists the available voices. The slice is the caller's.
	Voices() []Voice
	// Synthesize streams audio for req to emit as soon as each piece exists.
	// emit's chunk (its PCM and Words) is only valid during the call: copy
	// what must outlive it. emit runs on the caller's goroutine; if it
	// returns an error, synthesis stops and Synthesize returns that error.
	// Cancelling ctx stops synthesis early and Synthesize returns ctx.Err().
	Synthesize(ctx context.Context, req Request, emit func(Chunk) error) error
}
