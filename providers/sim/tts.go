package sim

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-voice/switchboard/providers/tts"
)

// TTSConfig configures a TTS; zero fields take the defaults noted.
type TTSConfig struct {
	SampleRate int           // 16000
	PerChar    time.Duration // audio per character of text: 60 ms
	FirstChunk time.Duration // latency before the first chunk: 0
	Chunk      time.Duration // audio per chunk: 100 ms
	// Pace waits Pace × a chunk's duration before each later chunk; 0
	// produces them back to back, 1 in real time.
	Pace float64
	// Voices offered; default one voice, "sim-default".
	Voices []tts.Voice
	Wait   Wait // RealWait
}

// TTS is a simulated tts.Synthesizer. It is safe for concurrent use.
type TTS struct {
	cfg TTSConfig
}

var _ tts.Synthesizer = (*TTS)(nil)

// NewTTS returns a TTS, filling defaults into cfg.
func NewTTS(cfg TTSConfig) *TTS {
	if cfg.SampleRate <= 0 {
		cfg.SampleRate = 16000
	}
	if cfg.PerChar <= 0 {
		cfg.PerChar = 60 * time.Millisecond
	}
	if cfg.Chunk <= 0 {
		cfg.Chunk = 100 * time.Millisecond
	}
	if len(cfg.Voices) == 0 {
		cfg.Voices = []tts.Voice{{ID: "sim-default", Name: "Simulated", Language: "en-US"}}
	}
	for i := range cfg.Voices {
		cfg.Voices[i].Provider = "sim"
		cfg.Voices[i].SampleRate = cfg.SampleRate
	}
	if cfg.Wait == nil {
		cfg.Wait = RealWait
	}
	return &TTS{cfg: cfg}
}

// Voices implements tts.Synthesizer.
func (s *TTS) Voices() []tts.Voice { return append([]tts.Voice(nil), s.cfg.Voices...) }

// Synthesize implements tts.Synthesizer. The utterance lasts PerChar per
// character of the cleaned text: each word sounds for its characters and
// each gap between words is silent for one.
func (s *TTS) Synthesize(ctx context.Context, req tts.Request, emit func(tts.Chunk) error) error {
	text, err := tts.NormalizeText(req.Text)
	if err != nil {
		return err
	}
	if req.VoiceID != "" && !s.hasVoice(req.VoiceID) {
		return fmt.Errorf("%w: %q", tts.ErrUnknownVoice, req.VoiceID)
	}
	perChar := s.cfg.PerChar
	if req.Speed > 0 {
		if req.Speed < tts.MinSpeed || req.Speed > tts.MaxSpeed {
			return fmt.Errorf("%w: speed %v", tts.ErrInvalidOption, req.Speed)
		}
		perChar = time.Duration(float64(perChar) / req.Speed)
	}
	words := layout(text, perChar)
	total := words[len(words)-1].End + perChar // a closing pause
	rate := s.cfg.SampleRate
	samples := func(d time.Duration) int { return int(int64(d) * int64(rate) / int64(time.Second)) }

	if err := s.cfg.Wait(ctx, s.cfg.FirstChunk); err != nil {
		return err
	}
	pcm := make([]int16, 0, samples(s.cfg.Chunk)+1)
	next := 0 // first word not yet emitted
	for start := time.Duration(0); ; {
		end := min(start+s.cfg.Chunk, total)
		final := end == total
		pcm = synth(pcm[:0], samples(start), samples(end), rate, words)
		first := next
		for next < len(words) && (words[next].End <= end || final) {
			next++
		}
		if err := emit(tts.Chunk{PCM: pcm, SampleRate: rate, Offset: start, Words: words[first:next], Final: final}); err != nil {
			return err
		}
		if final {
			return nil
		}
		start = end
		if s.cfg.Pace > 0 {
			if err := s.cfg.Wait(ctx, time.Duration(s.cfg.Pace*float64(s.cfg.Chunk))); err != nil {
				return err
			}
		} else if err := ctx.Err(); err != nil {
			return err
		}
	}
}

func (s *TTS) hasVoice(id string) bool {
	for _, v := range s.cfg.Voices {
		if v.ID == id {
			return true
		}
	}
	return false
}

// layout times the words of text: each lasts perChar per rune, with one
// perChar of silence before each word after the first.
func layout(text string, perChar time.Duration) []tts.Word {
	fields := strings.Fields(text)
	words := make([]tts.Word, 0, len(fields))
	var at time.Duration
	for i, f := range fields {
		if i > 0 {
			at += perChar
		}
		d := time.Duration(utf8.RuneCountInString(f)) * perChar
		words = append(words, tts.Word{Text: f, Start: at, End: at + d})
		at += d
	}
	return words
}

// synth appends samples [from, to) of the utterance: inside a word, a
// 140 Hz buzz with harmonics and noise under a syllable-rate envelope (so
// level-based VAD sees speech); between words, faint noise.
func synth(dst []int16, from, to, rate int, words []tts.Word) []int16 {
	w := 0
	for n := from; n < to; n++ {
		t := time.Duration(int64(n) * int64(time.Second) / int64(rate))
		for w < len(words) && words[w].End <= t {
			w++
		}
		noise := float64(int32(hash(uint32(n)))) / (1 << 31) // [-1, 1)
		v := 30 * noise
		if w < len(words) && t >= words[w].Start {
			// Phases in cycles; a table keeps the load tests' simulated
			// speech from costing more than the engine they measure.
			c := 140 * float64(n) / float64(rate)
			env := 0.6 + 0.4*sinCycles(4*t.Seconds()) // ~4 syllables/s
			v = env * (6000*sinCycles(c) + 3000*sinCycles(2*c) + 1500*sinCycles(3*c) + 800*noise)
		}
		dst = append(dst, int16(v))
	}
	return dst
}

// hash is a cheap deterministic noise source (a 32-bit integer mix).
func hash(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x7feb352d
	x ^= x >> 15
	x *= 0x846ca68b
	x ^= x >> 16
	return x
}

// sineTable holds one cycle of a sine, for sinCycles.
var sineTable = func() (t [4096]float64) {
	for i := range t {
		t[i] = math.Sin(2 * math.Pi * float64(i) / float64(len(t)))
	}
	return t
}()

// sinCycles is sin(2π·c) from a table: a simulated voice needs no more
// precision than 12 bits of phase.
func sinCycles(c float64) float64 {
	return sineTable[int(c*float64(len(sineTable)))&(len(sineTable)-1)]
}
