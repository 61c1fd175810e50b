package media

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/audio/frame"
	"github.com/switchboard-voice/switchboard/providers/stt"
)

// countSTT is a recogniser that only counts what it is given, so that
// benchmarks time Inbound and not a recogniser.
type countSTT struct{ samples, finals int }

func (c *countSTT) NewStream(context.Context, stt.Config) (stt.Stream, error) { return c, nil }
func (c *countSTT) Write(pcm []int16) error                                   { c.samples += len(pcm); return nil }
func (c *countSTT) Partial() (stt.Result, bool)                               { return stt.Result{}, false }
func (c *countSTT) Finalize() (stt.Result, error)                             { c.finals++; return stt.Result{}, nil }
func (c *countSTT) Close() error                                              { return nil }

// lineNoise is n samples of quiet Gaussian noise (RMS sigma), the idle
// line between utterances.
func lineNoise(rng *rand.Rand, n int, sigma float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(math.Round(sigma * rng.NormFloat64()))
	}
	return out
}

// vowels is n samples of continuous talk-like audio at rate: a 110–140 Hz
// pulse train through two formant resonators, in 200 ms syllables with
// 50 ms dips (shorter than any hangover, so one utterance), about
// -24 dBFS, over the noise of lineNoise.
func vowels(rng *rand.Rand, rate, n int) []int16 {
	type reson struct{ a1, a2, y1, y2 float64 }
	mk := func(f, bw float64) reson {
		r := math.Exp(-math.Pi * bw / float64(rate))
		return reson{a1: 2 * r * math.Cos(2*math.Pi*f/float64(rate)), a2: -r * r}
	}
	f1, f2 := mk(700, 90), mk(1200, 110)
	y := make([]float64, n)
	var phase, sum float64
	for i := range y {
		t := float64(i) / float64(rate)
		phase += (125 + 15*math.Sin(2*math.Pi*1.3*t)) / float64(rate)
		var pulse float64
		if phase >= 1 {
			phase--
			pulse = 1
		}
		env := 0.15
		if c := math.Mod(t, 0.25); c < 0.2 {
			env = 0.15 + 0.85*math.Sin(math.Pi*c/0.2)
		}
		y1 := env*pulse + f1.a1*f1.y1 + f1.a2*f1.y2
		f1.y2, f1.y1 = f1.y1, y1
		y2 := y1 + f2.a1*f2.y1 + f2.a2*f2.y2
		f2.y2, f2.y1 = f2.y1, y2
		y[i] = y2
		sum += y2 * y2
	}
	// The resonators' gain grows with the rate; normalise to RMS 2000.
	g := 2000 / math.Sqrt(sum/float64(n))
	out := make([]int16, n)
	for i, v := range y {
		out[i] = int16(max(-32768, min(32767, math.Round(g*v+8*rng.NormFloat64()))))
	}
	return out
}

// benchInbound returns an Inbound at rate on a counting recogniser, with
// the noise floor settled on 2 s of idle line.
func benchInbound(tb testing.TB, rate int) (*Inbound, *countSTT) {
	tb.Helper()
	rec := &countSTT{}
	var clock time.Duration
	in, err := NewInbound(context.Background(), InboundConfig{
		Rate: rate, STT: rec, Send: func(any) {},
		Clock: func() time.Duration { clock += frame.Duration; return clock },
	})
	if err != nil {
		tb.Fatal(err)
	}
	n := frame.SamplesPerFrame(rate)
	idle := lineNoise(rand.New(rand.NewPCG(1, 2)), 2*rate, 8)
	for i := 0; i+n <= len(idle); i += n {
		in.Frame(idle[i : i+n])
	}
	return in, rec
}

// BenchmarkInboundFrame is one 20 ms caller frame through Inbound: on an
// idle line (the VAD finds nothing, the common case) and in the middle of
// an utterance (the recogniser gets every frame). "speaking" is the share
// of frames the VAD was in speech for, to show each case is what it says.
func BenchmarkInboundFrame(b *testing.B) {
	for _, rate := range []int{8000, 16000, 48000} {
		n := frame.SamplesPerFrame(rate)
		rng := rand.New(rand.NewPCG(3, 4))
		clips := []struct {
			name string
			pcm  []int16
		}{
			{"silence", lineNoise(rng, 3*rate, 8)},
			{"speech", vowels(rng, rate, 3*rate)},
		}
		for _, c := range clips {
			b.Run(fmt.Sprintf("%dk/%s", rate/1000, c.name), func(b *testing.B) {
				in, _ := benchInbound(b, rate)
				// Enter the utterance before timing.
				for i := 0; i+n <= len(c.pcm)/3; i += n {
					in.Frame(c.pcm[i : i+n])
				}
				b.ReportAllocs()
				i, speaking := 0, 0
				for b.Loop() {
					in.Frame(c.pcm[i : i+n])
					if in.vad.Speaking() {
						speaking++
					}
					if i += n; i+n > len(c.pcm) {
						i = 0
					}
				}
				b.ReportMetric(float64(speaking)/float64(b.N), "speaking")
			})
		}
	}
}
