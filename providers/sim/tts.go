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
	cfg   TTSConfig
	voice *voice
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
	return &TTS{cfg: cfg, voice: newVoice(cfg.SampleRate)}
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
		pcm = s.voice.synth(pcm[:0], samples(start), samples(end), words)
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

// voice holds one second of the simulated voice at a rate: a 140 Hz buzz
// with harmonics and noise under a 4 Hz syllable envelope (so level-based
// VAD sees speech), and the faint noise of the gaps between words. Both
// repeat exactly every second, so an utterance is copied from the tables
// rather than computed: the load tests' simulated speech must not cost
// more than the engine they measure.
type voice struct {
	rate          int
	voiced, quiet []int16
}

func newVoice(rate int) *voice {
	v := &voice{rate: rate, voiced: make([]int16, rate), quiet: make([]int16, rate)}
	for n := range rate {
		noise := float64(int32(hash(uint32(n)))) / (1 << 31) // [-1, 1)
		ph := 2 * math.Pi * float64(n) / float64(rate)       // one cycle a second
		env := 0.6 + 0.4*math.Sin(4*ph)
		v.voiced[n] = int16(env * (6000*math.Sin(140*ph) + 3000*math.Sin(280*ph) + 1500*math.Sin(420*ph) + 800*noise))
		v.quiet[n] = int16(30 * noise)
	}
	return v
}

// synth appends samples [from, to) of the utterance: the voiced table
// inside words, the quiet one between them.
func (v *voice) synth(dst []int16, from, to int, words []tts.Word) []int16 {
	w := 0
	for n := from; n < to; {
		t := v.time(n)
		for w < len(words) && words[w].End <= t {
			w++
		}
		src, end := v.quiet, to
		if w < len(words) {
			if t >= words[w].Start {
				src, end = v.voiced, min(to, v.sample(words[w].End))
			} else {
				end = min(to, v.sample(words[w].Start))
			}
		}
		i := n % v.rate
		m := min(end-n, v.rate-i)
		dst = append(dst, src[i:i+m]...)
		n += m
	}
	return dst
}

// time is when sample n plays.
func (v *voice) time(n int) time.Duration {
	return time.Duration(int64(n) * int64(time.Second) / int64(v.rate))
}

// sample is the first sample that plays at or after d.
func (v *voice) sample(d time.Duration) int {
	return int((int64(d)*int64(v.rate) + int64(time.Second) - 1) / int64(time.Second))
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
