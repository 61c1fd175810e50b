// Package engines holds the speech and language engines a node runs, keyed
// by the provider names agents and requests use ("local", "sim", "openai",
// …). The embedded engines are always present; cloud engines join when
// their keys are configured.
package engines

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/switchboard-voice/switchboard/providers/llm"
	"github.com/switchboard-voice/switchboard/providers/stt"
	"github.com/switchboard-voice/switchboard/providers/stt/pocketsphinx"
	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/providers/tts/flite"
)

// ErrUnknownProvider is returned for a provider name with no engine here.
var ErrUnknownProvider = errors.New("engines: provider not configured")

// Set is the engines of one node. Its maps are filled once by Open and only
// read afterwards.
type Set struct {
	TTS map[string]tts.Synthesizer
	STT map[string]stt.Streamer
	LLM map[string]llm.Model

	closers []func() error
}

// Options configures which engines start.
type Options struct {
	Log *slog.Logger
	// MaxSTTStreams caps concurrent embedded recognisers (0: engine default).
	MaxSTTStreams int
}

// Open starts the embedded engines.
func Open(opts Options) (*Set, error) {
	s := &Set{TTS: map[string]tts.Synthesizer{}, STT: map[string]stt.Streamer{}, LLM: map[string]llm.Model{}}
	synth, err := flite.New(flite.Options{})
	if err != nil {
		return nil, fmt.Errorf("engines: flite: %w", err)
	}
	s.TTS["local"] = synth
	rec, err := pocketsphinx.New(pocketsphinx.Options{MaxStreams: opts.MaxSTTStreams})
	if err != nil {
		return nil, fmt.Errorf("engines: pocketsphinx: %w", err)
	}
	s.STT["local"] = rec
	s.closers = append(s.closers, rec.Close)
	return s, nil
}

// Synthesizer returns the TTS engine of a provider.
func (s *Set) Synthesizer(provider string) (tts.Synthesizer, error) {
	if e, ok := s.TTS[orLocal(provider)]; ok {
		return e, nil
	}
	return nil, fmt.Errorf("%w: tts %q", ErrUnknownProvider, provider)
}

// Recognizer returns the STT engine of a provider.
func (s *Set) Recognizer(provider string) (stt.Streamer, error) {
	if e, ok := s.STT[orLocal(provider)]; ok {
		return e, nil
	}
	return nil, fmt.Errorf("%w: stt %q", ErrUnknownProvider, provider)
}

// Model returns the language model of a provider.
func (s *Set) Model(provider string) (llm.Model, error) {
	if e, ok := s.LLM[orLocal(provider)]; ok {
		return e, nil
	}
	return nil, fmt.Errorf("%w: llm %q", ErrUnknownProvider, provider)
}

// Close stops the engines that hold resources.
func (s *Set) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

func orLocal(p string) string {
	if p == "" {
		return "local"
	}
	return p
}
