package bench

import (
	"encoding/base64"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/switchboard-voice/switchboard/audio/g711"
	"github.com/switchboard-voice/switchboard/audio/resample"
	"github.com/switchboard-voice/switchboard/audio/vad"
)

// A Twilio Media Streams "media" message carries 20 ms of 8 kHz μ-law as
// base64 (https://www.twilio.com/docs/voice/media-streams/websocket-messages):
// 160 bytes, 216 characters.
const (
	telRate     = 8000
	sessionRate = 16000
	frameLen    = telRate / 50
	payloadLen  = 216
)

// speechLike returns n samples at 8 kHz that look like talk to a VAD and a
// resampler: a 110–140 Hz glottal pulse train through two formant
// resonators, in syllables of about 200 ms with pauses, over low noise.
func speechLike(n int) []int16 {
	rng := rand.New(rand.NewPCG(11, 12))
	type reson struct{ a1, a2, y1, y2 float64 }
	mk := func(f, bw float64) reson {
		r := math.Exp(-math.Pi * bw / telRate)
		return reson{a1: 2 * r * math.Cos(2*math.Pi*f/telRate), a2: -r * r}
	}
	f1, f2 := mk(700, 90), mk(1200, 110)
	out := make([]int16, n)
	var phase float64
	for i := range out {
		t := float64(i) / telRate
		pitch := 125 + 15*math.Sin(2*math.Pi*1.3*t)
		phase += pitch / telRate
		var pulse float64
		if phase >= 1 {
			phase--
			pulse = 1
		}
		// Syllables: 0.25 s cycles, voiced for the first 0.18 s.
		env := 0.0
		if c := math.Mod(t, 0.25); c < 0.18 {
			env = math.Sin(math.Pi * c / 0.18)
		}
		// Half a second of pause after every second of talk, so the VAD
		// sees speech start and end.
		if math.Mod(t, 1.5) > 1.0 {
			env = 0
		}
		e := env * pulse * 6000
		y1 := e + f1.a1*f1.y1 + f1.a2*f1.y2
		f1.y2, f1.y1 = f1.y1, y1
		y2 := y1 + f2.a1*f2.y1 + f2.a2*f2.y2
		f2.y2, f2.y1 = f2.y1, y2
		v := 0.4*y2 + 30*rng.NormFloat64() // about -24 dBFS while voiced
		out[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return out
}

// payloads returns 3 s of speech as Twilio would send it: one base64
// string per 20 ms frame.
func payloads(tb testing.TB) [][]byte {
	tb.Helper()
	pcm := speechLike(3 * telRate)
	var ps [][]byte
	mu := make([]byte, frameLen)
	for i := 0; i+frameLen <= len(pcm); i += frameLen {
		g711.EncodeULaw(mu, pcm[i:i+frameLen])
		p := []byte(base64.StdEncoding.EncodeToString(mu))
		if len(p) != payloadLen {
			tb.Fatalf("payload is %d characters, want %d", len(p), payloadLen)
		}
		ps = append(ps, p)
	}
	return ps
}

// inbound is one connection's read-loop state, with every buffer owned by
// the caller as on the real hot path.
type inbound struct {
	rs           *resample.Resampler
	vad8, vad16  *vad.Detector
	mu           []byte
	pcm8, pcm16  []int16
	starts, ends int
}

func newInbound(tb testing.TB) *inbound {
	tb.Helper()
	rs, err := resample.New(telRate, sessionRate)
	if err != nil {
		tb.Fatal(err)
	}
	v8, err := vad.New(vad.DefaultConfig(telRate))
	if err != nil {
		tb.Fatal(err)
	}
	v16, err := vad.New(vad.DefaultConfig(sessionRate))
	if err != nil {
		tb.Fatal(err)
	}
	return &inbound{
		rs: rs, vad8: v8, vad16: v16,
		mu:    make([]byte, base64.StdEncoding.DecodedLen(payloadLen)),
		pcm8:  make([]int16, frameLen),
		pcm16: make([]int16, rs.MaxOut(frameLen)),
	}
}

func (in *inbound) count(ev vad.Event) {
	switch ev.Kind {
	case vad.SpeechStart:
		in.starts++
	case vad.SpeechEnd:
		in.ends++
	}
}

// frame16 is the session path: decode, resample to 16 kHz, VAD at 16 kHz.
// It returns the number of 16 kHz samples produced.
func (in *inbound) frame16(payload []byte) int {
	n, err := base64.StdEncoding.Decode(in.mu, payload)
	if err != nil {
		return 0
	}
	n = g711.DecodeULaw(in.pcm8, in.mu[:n])
	m := in.rs.Process(in.pcm16, in.pcm8[:n])
	in.count(in.vad16.Process(in.pcm16[:m]))
	return m
}

// frame8 runs the VAD on the 8 kHz frame before resampling.
func (in *inbound) frame8(payload []byte) int {
	n, err := base64.StdEncoding.Decode(in.mu, payload)
	if err != nil {
		return 0
	}
	n = g711.DecodeULaw(in.pcm8, in.mu[:n])
	in.count(in.vad8.Process(in.pcm8[:n]))
	return in.rs.Process(in.pcm16, in.pcm8[:n])
}

// TestInbound: the benchmarked path does the work it claims — every frame
// yields 20 ms at 16 kHz, both VAD placements hear the talk spurts start
// and end — and allocates nothing.
func TestInbound(t *testing.T) {
	ps := payloads(t)
	for _, tc := range []struct {
		name string
		run  func(*inbound, []byte) int
	}{
		{"vad16k", (*inbound).frame16},
		{"vad8k", (*inbound).frame8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := newInbound(t)
			total := 0
			for _, p := range ps {
				total += tc.run(in, p)
			}
			if want := len(ps) * 2 * frameLen; total != want {
				t.Errorf("%d samples at 16 kHz from %d frames, want %d", total, len(ps), want)
			}
			// Two spurts in 3 s (at 0 s and 1.5 s).
			if in.starts != 2 || in.ends < 1 {
				t.Errorf("VAD reported %d starts and %d ends, want 2 and ≥ 1", in.starts, in.ends)
			}
			t.Logf("%d speech starts, %d ends", in.starts, in.ends)
			i := 0
			if a := testing.AllocsPerRun(100, func() { tc.run(in, ps[i%len(ps)]); i++ }); a != 0 {
				t.Errorf("%v allocs per frame, want 0", a)
			}
		})
	}
}

func perFrame(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
}

// BenchmarkInboundFrame is one Twilio inbound media frame from base64
// payload to VAD decision, cycling through 3 s of speech.
func BenchmarkInboundFrame(b *testing.B) {
	ps := payloads(b)
	b.Run("vad16k", func(b *testing.B) {
		in := newInbound(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			in.frame16(ps[i])
			if i++; i == len(ps) {
				i = 0
			}
		}
		perFrame(b)
	})
	b.Run("vad8k", func(b *testing.B) {
		in := newInbound(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			in.frame8(ps[i])
			if i++; i == len(ps) {
				i = 0
			}
		}
		perFrame(b)
	})
}

// BenchmarkInboundStage times each stage of the frame alone, on the same
// data, for the split.
func BenchmarkInboundStage(b *testing.B) {
	ps := payloads(b)
	// Stage inputs for every frame, precomputed.
	in := newInbound(b)
	mus := make([][]byte, len(ps))
	pcm8 := make([][]int16, len(ps))
	pcm16 := make([][]int16, len(ps))
	for i, p := range ps {
		n, err := base64.StdEncoding.Decode(in.mu, p)
		if err != nil {
			b.Fatal(err)
		}
		mus[i] = append([]byte(nil), in.mu[:n]...)
		pcm8[i] = make([]int16, n)
		g711.DecodeULaw(pcm8[i], mus[i])
		pcm16[i] = make([]int16, in.rs.MaxOut(n))
		pcm16[i] = pcm16[i][:in.rs.Process(pcm16[i], pcm8[i])]
	}
	stage := func(name string, fn func(i int)) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				fn(i)
				if i++; i == len(ps) {
					i = 0
				}
			}
			perFrame(b)
		})
	}
	stage("base64", func(i int) { base64.StdEncoding.Decode(in.mu, ps[i]) })
	stage("ulaw", func(i int) { g711.DecodeULaw(in.pcm8, mus[i]) })
	in.rs.Reset()
	stage("resample8to16", func(i int) { in.rs.Process(in.pcm16, pcm8[i]) })
	stage("vad8k", func(i int) { in.vad8.Process(pcm8[i]) })
	stage("vad16k", func(i int) { in.vad16.Process(pcm16[i]) })
}
