package stt

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors; engines wrap them with %w so callers can map them to API
// codes with errors.Is.
var (
	// ErrUnsupportedRate reports a Config.SampleRate the engine cannot take.
	ErrUnsupportedRate = errors.New("stt: unsupported sample rate")
	// ErrUnsupportedLanguage reports a Config.Language the engine has no model for.
	ErrUnsupportedLanguage = errors.New("stt: unsupported language")
	// ErrClosed is returned by every Stream method after Close.
	ErrClosed = errors.New("stt: stream closed")
	// ErrEngine reports a failure inside the recognition engine itself.
	ErrEngine = errors.New("stt: engine failure")
)

// Word is one recognised word. Start and End are offsets from the first
// sample written to the stream, so they stay meaningful across utterances.
type Word struct {
	Text       string
	Start, End time.Duration
	// Confidence is the engine's posterior-like score in [0,1]; engines that
	// have none report 1.
	Confidence float64
}

// Result is a transcript of the current utterance.
type Result struct {
	Text  string
	Words []Word // may be empty for interim results
	Final bool
}

// Config selects how a stream decodes.
type Config struct {
	// SampleRate of the PCM16 mono audio passed to Write. Engines may
	// resample internally; they return ErrUnsupportedRate for rates they
	// cannot take.
	SampleRate int
	// Language is a BCP 47 tag ("en-US"); empty means the engine default.
	Language string
	// Phrases are domain phrases (agent prompt, tool parameter values,
	// knowledge titles, test scripts). Engines that can adapt build a domain
	// model from them; an empty list means the generic model.
	Phrases []string
}

// Streamer opens recognition streams. Implementations are safe for
// concurrent use.
type Streamer interface {
	NewStream(ctx context.Context, cfg Config) (Stream, error)
}

// Stream recognises one caller's audio, utterance after utterance.
//
// Partials are pulled (Partial) rather than pushed on a channel: the audio
// read loop that calls Write can ask for the latest hypothesis right after
// each frame, so no goroutine or queue is needed per stream and nothing can
// pile up when the consumer is slow; a stale interim hypothesis is simply
// replaced by a newer one.
//
// A Stream has one owner (the connection's read loop); its methods are safe
// to call from other goroutines, but interleaving Write calls from several
// goroutines makes no sense for audio.
type Stream interface {
	// Write feeds mono PCM16 at Config.SampleRate. It decodes on the
	// caller's goroutine and costs a fraction of the audio's duration.
	Write(pcm []int16) error
	// Partial returns the latest interim hypothesis of the current
	// utterance and true if it changed since the last call.
	Partial() (Result, bool)
	// Finalize ends the current utterance and returns its final result.
	// The stream stays usable: the next Write starts a new utterance.
	Finalize() (Result, error)
	// Close releases the stream; calling it again is a no-op.
	Close() error
}
