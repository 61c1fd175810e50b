// Package engines holds the speech and language engines a node runs, keyed
// by the provider names agents and requests use ("local", "sim", "openai",
// …). The embedded engines are always present; cloud engines join when
// their keys are configured.
package engines

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchboard-voice/switchboard/providers/llm"
	"github.com/switchboard-voice/switchboard/providers/llm/anthropic"
	"github.com/switchboard-voice/switchboard/providers/llm/local"
	llmopenai "github.com/switchboard-voice/switchboard/providers/llm/openai"
	"github.com/switchboard-voice/switchboard/providers/sim"
	"github.com/switchboard-voice/switchboard/providers/stt"
	"github.com/switchboard-voice/switchboard/providers/stt/deepgram"
	sttopenai "github.com/switchboard-voice/switchboard/providers/stt/openai"
	"github.com/switchboard-voice/switchboard/providers/stt/pocketsphinx"
	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/providers/tts/elevenlabs"
	"github.com/switchboard-voice/switchboard/providers/tts/flite"
	ttsopenai "github.com/switchboard-voice/switchboard/providers/tts/openai"
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
	// Cloud credentials; an engine is added when its key is set.
	OpenAI, Anthropic, Deepgram, ElevenLabs Cloud
	// Sim configures the simulated set for load tests.
	Sim SimOptions
}

// Cloud is one provider's credentials and endpoint.
type Cloud struct{ APIKey, BaseURL, Model string }

// SimOptions are the latencies and script of the simulated providers.
type SimOptions struct {
	TTSFirstChunk, STTFinal, LLMFirstToken time.Duration
	Script                                 []string
	Reply                                  string
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
	// The built-in dialog engine: rule-based, no model weights. Knowledge
	// reaches it as passages in the system prompt.
	s.LLM["local"] = local.New(local.Options{Logger: opts.Log})

	// The simulated set fabricates audio and text with set latencies, so
	// load tests measure the engine rather than the speech engines.
	s.TTS["sim"] = sim.NewTTS(sim.TTSConfig{FirstChunk: opts.Sim.TTSFirstChunk})
	s.STT["sim"] = sim.NewSTT(sim.STTConfig{Script: opts.Sim.Script, FinalLatency: opts.Sim.STTFinal})
	s.LLM["sim"] = sim.NewLLM(sim.LLMConfig{Reply: opts.Sim.Reply, FirstToken: opts.Sim.LLMFirstToken})

	if c := opts.OpenAI; c.APIKey != "" {
		s.LLM["openai"] = llmopenai.New(llmopenai.Config{APIKey: c.APIKey, BaseURL: c.BaseURL, Model: c.Model, Logger: opts.Log})
		s.TTS["openai"] = ttsopenai.New(ttsopenai.Config{APIKey: c.APIKey, BaseURL: c.BaseURL, Logger: opts.Log})
		s.STT["openai"] = sttopenai.New(sttopenai.Config{APIKey: c.APIKey, BaseURL: c.BaseURL, Logger: opts.Log})
	}
	if c := opts.Anthropic; c.APIKey != "" {
		s.LLM["anthropic"] = anthropic.New(anthropic.Config{APIKey: c.APIKey, BaseURL: c.BaseURL, Model: c.Model, Logger: opts.Log})
	}
	if c := opts.Deepgram; c.APIKey != "" {
		s.STT["deepgram"] = deepgram.New(deepgram.Config{APIKey: c.APIKey, BaseURL: c.BaseURL, Model: c.Model, Logger: opts.Log})
	}
	if c := opts.ElevenLabs; c.APIKey != "" {
		el, err := elevenlabs.New(elevenlabs.Config{APIKey: c.APIKey, BaseURL: c.BaseURL, ModelID: c.Model, Logger: opts.Log})
		if err != nil {
			return nil, fmt.Errorf("engines: elevenlabs: %w", err)
		}
		s.TTS["elevenlabs"] = el
	}
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
