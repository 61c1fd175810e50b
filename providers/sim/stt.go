package sim

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-voice/switchboard/providers/stt"
)

// STTConfig configures an STT; zero fields take the defaults noted.
type STTConfig struct {
	// Script holds the utterances each stream "hears", returned by
	// successive Finalize calls and starting over after the last. An
	// empty script transcribes everything as silence.
	Script []string
	// FinalLatency is waited in Finalize before the result: 0.
	FinalLatency time.Duration
	// WordEvery is the audio per word revealed in partials: 300 ms.
	WordEvery time.Duration
	Wait      Wait // RealWait
}

// STT is a simulated stt.Streamer. It is safe for concurrent use.
type STT struct {
	cfg STTConfig
}

var _ stt.Streamer = (*STT)(nil)

// NewSTT returns an STT, filling defaults into cfg.
func NewSTT(cfg STTConfig) *STT {
	if cfg.WordEvery <= 0 {
		cfg.WordEvery = 300 * time.Millisecond
	}
	if cfg.Wait == nil {
		cfg.Wait = RealWait
	}
	cfg.Script = append([]string(nil), cfg.Script...) // the caller's slice may change
	return &STT{cfg: cfg}
}

// NewStream implements stt.Streamer. Each stream starts at the top of the
// script. Closing the stream or cancelling ctx interrupts a Finalize wait.
func (s *STT) NewStream(ctx context.Context, cfg stt.Config) (stt.Stream, error) {
	if cfg.SampleRate <= 0 {
		return nil, fmt.Errorf("%w: %d Hz", stt.ErrUnsupportedRate, cfg.SampleRate)
	}
	ctx, cancel := context.WithCancel(ctx)
	return &sttStream{cfg: &s.cfg, rate: cfg.SampleRate, ctx: ctx, cancel: cancel}, nil
}

type sttStream struct {
	cfg    *STTConfig
	rate   int
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex // guards the fields below
	next     int        // script index of the current utterance
	start    int64      // samples before the current utterance
	samples  int64      // samples in the current utterance
	revealed int        // words last reported by Partial
	closed   bool
}

func (s *sttStream) Write(pcm []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return stt.ErrClosed
	}
	s.samples += int64(len(pcm))
	return nil
}

// words returns the current utterance's words; callers hold mu.
func (s *sttStream) words() []string {
	if len(s.cfg.Script) == 0 {
		return nil
	}
	return strings.Fields(s.cfg.Script[s.next%len(s.cfg.Script)])
}

func (s *sttStream) Partial() (stt.Result, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return stt.Result{}, false
	}
	words := s.words()
	heard := time.Duration(s.samples) * time.Second / time.Duration(s.rate)
	n := min(len(words), int(heard/s.cfg.WordEvery))
	if n <= s.revealed {
		return stt.Result{}, false
	}
	s.revealed = n
	return stt.Result{Text: strings.Join(words[:n], " ")}, true
}

// Finalize returns the current script utterance, its words spread evenly
// over the audio written for it. With no audio written since the last
// Finalize it returns an empty result and does not advance the script.
func (s *sttStream) Finalize() (stt.Result, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return stt.Result{}, stt.ErrClosed
	}
	if s.samples == 0 {
		s.mu.Unlock()
		return stt.Result{Final: true}, nil
	}
	words := s.words()
	start, n := s.start, s.samples
	s.next++
	s.start += n
	s.samples, s.revealed = 0, 0
	s.mu.Unlock()

	if err := s.cfg.Wait(s.ctx, s.cfg.FinalLatency); err != nil {
		if s.isClosed() {
			return stt.Result{}, stt.ErrClosed
		}
		return stt.Result{}, err
	}
	res := stt.Result{Text: strings.Join(words, " "), Final: true}
	if len(words) == 0 {
		return res, nil
	}
	at := time.Duration(start) * time.Second / time.Duration(s.rate)
	each := time.Duration(n) * time.Second / time.Duration(s.rate) / time.Duration(len(words))
	for _, w := range words {
		res.Words = append(res.Words, stt.Word{Text: w, Start: at, End: at + each, Confidence: 1})
		at += each
	}
	return res, nil
}

func (s *sttStream) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *sttStream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.cancel()
	}
	return nil
}
