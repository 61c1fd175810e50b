package vad

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		ok     bool
	}{
		{"default 8k", func(*Config) {}, true},
		{"rate too low", func(c *Config) { c.SampleRate = 4000 }, false},
		{"stop above start", func(c *Config) { c.StopDB = c.StartDB + 1 }, false},
		{"zero margin", func(c *Config) { c.StartDB = 0 }, false},
		{"negative hangover", func(c *Config) { c.MinSilence = -time.Millisecond }, false},
		{"short floor window", func(c *Config) { c.FloorWindow = 10 * time.Millisecond }, false},
		{"empty band", func(c *Config) { c.HighHz = c.LowHz }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig(8000)
			tt.modify(&cfg)
			_, err := New(cfg)
			if tt.ok && err != nil {
				t.Fatalf("New: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrConfig) {
				t.Fatalf("New: got %v, want an error wrapping ErrConfig", err)
			}
		})
	}
}

// burstSignal is white noise at noiseRMS with a 1 kHz tone of toneRMS in
// [on, off).
func burstSignal(rate int, total, on, off time.Duration, noiseRMS, toneRMS float64) []int16 {
	r := rand.New(rand.NewPCG(7, 7))
	n, a, b := int(samples(total, rate)), int(samples(on, rate)), int(samples(off, rate))
	out := make([]int16, n)
	for i := range out {
		v := noiseRMS * r.NormFloat64()
		if i >= a && i < b {
			v += toneRMS * math.Sqrt2 * math.Sin(2*math.Pi*1000*float64(i)/float64(rate))
		}
		out[i] = clip(v)
	}
	return out
}

func TestEventsMarkTrueEdges(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		for _, frameMS := range []int{10, 20} {
			on, off := 2*time.Second, 3500*time.Millisecond
			pcm := burstSignal(rate, 5*time.Second, on, off, 100, 3000)
			d, err := New(DefaultConfig(rate))
			if err != nil {
				t.Fatal(err)
			}
			frame := time.Duration(frameMS) * time.Millisecond
			n := rate * frameMS / 1000
			var got []Event
			for i := 0; i+n <= len(pcm); i += n {
				if ev := d.Process(pcm[i : i+n]); ev.Kind != None {
					got = append(got, ev)
					// The decision comes MinSpeech/MinSilence after the edge
					// it reports, never before.
					if ev.At > d.Position() {
						t.Errorf("%d Hz %v: event %v at %v reported at %v, in the future", rate, frame, ev.Kind, ev.At, d.Position())
					}
				}
			}
			if len(got) != 2 || got[0].Kind != SpeechStart || got[1].Kind != SpeechEnd {
				t.Fatalf("%d Hz %v: events %v, want one start and one end", rate, frame, got)
			}
			// Edges are known to within the frame holding them.
			if d := got[0].At - on; d < -frame || d > frame {
				t.Errorf("%d Hz %v: start at %v, want %v ± %v", rate, frame, got[0].At, on, frame)
			}
			if d := got[1].At - off; d < -frame || d > frame {
				t.Errorf("%d Hz %v: end at %v, want %v ± %v", rate, frame, got[1].At, off, frame)
			}
		}
	}
}

func TestShortBurstIsNotSpeech(t *testing.T) {
	cfg := DefaultConfig(16000)
	// A burst shorter than MinSpeech must not start speech. It lasts half of
	// MinSpeech because its abrupt end is itself a click that leaves energy
	// in the next frame or two.
	pcm := burstSignal(16000, 3*time.Second, 2*time.Second, 2*time.Second+cfg.MinSpeech/2, 100, 5000)
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sawVoiced := false
	for i := 0; i+320 <= len(pcm); i += 320 {
		if ev := d.Process(pcm[i : i+320]); ev.Kind != None {
			t.Fatalf("event %v at %v for a burst shorter than MinSpeech", ev.Kind, ev.At)
		}
		sawVoiced = sawVoiced || d.Voiced()
	}
	if !sawVoiced {
		t.Fatal("the burst frames were never voiced; the test proves nothing")
	}
}

func TestNoiseFloorFollowsRisingNoise(t *testing.T) {
	cfg := DefaultConfig(16000)
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 3))
	frame := make([]int16, 320)
	feed := func(rms float64, dur time.Duration) (starts int, lastSpeaking time.Duration) {
		for range int(dur / (20 * time.Millisecond)) {
			for i := range frame {
				frame[i] = clip(rms * r.NormFloat64())
			}
			if d.Process(frame).Kind == SpeechStart {
				starts++
			}
			if d.Speaking() {
				lastSpeaking = d.Position()
			}
		}
		return starts, lastSpeaking
	}
	feed(100, 3*time.Second)
	// Noise 20 dB louder for good: the detector may take it for speech at
	// first, but must give up once the floor window has seen only noise.
	stepAt := d.Position()
	_, last := feed(1000, 10*time.Second)
	if limit := stepAt + cfg.FloorWindow + cfg.MinSilence + 100*time.Millisecond; last > limit {
		t.Fatalf("still speaking at %v after a noise step at %v; want silence by %v", last, stepAt, limit)
	}
	if d.NoiseFloorDB() < -40 {
		t.Fatalf("noise floor %.1f dBFS, want it near the new noise level", d.NoiseFloorDB())
	}
}

func TestResetRestartsStreamTime(t *testing.T) {
	d, err := New(DefaultConfig(8000))
	if err != nil {
		t.Fatal(err)
	}
	pcm := burstSignal(8000, 2*time.Second, 500*time.Millisecond, 2*time.Second, 100, 3000)
	run := func() []Event {
		var evs []Event
		for i := 0; i+160 <= len(pcm); i += 160 {
			if ev := d.Process(pcm[i : i+160]); ev.Kind != None {
				evs = append(evs, ev)
			}
		}
		return evs
	}
	first := run()
	d.Reset()
	if d.Speaking() || d.Position() != 0 {
		t.Fatalf("after Reset: speaking %v, position %v", d.Speaking(), d.Position())
	}
	second := run()
	if len(first) != 1 || len(second) != 1 || first[0] != second[0] {
		t.Fatalf("events before Reset %v, after %v; want the same single start", first, second)
	}
}

func TestProcessAllocatesNothing(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		d, err := New(DefaultConfig(rate))
		if err != nil {
			t.Fatal(err)
		}
		pcm := burstSignal(rate, time.Second, 200*time.Millisecond, 800*time.Millisecond, 100, 3000)
		n := rate / 50
		i := 0
		allocs := testing.AllocsPerRun(200, func() {
			d.Process(pcm[i : i+n])
			i = (i + n) % (len(pcm) - n)
		})
		if allocs != 0 {
			t.Errorf("%d Hz: %v allocations per frame, want 0", rate, allocs)
		}
	}
}

func benchmarkProcess(b *testing.B, rate int) {
	d, err := New(DefaultConfig(rate))
	if err != nil {
		b.Fatal(err)
	}
	pcm := burstSignal(rate, 2*time.Second, 500*time.Millisecond, 1500*time.Millisecond, 300, 3000)
	n := rate / 50
	b.SetBytes(int64(2 * n))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Process(pcm[i : i+n])
		if i += n; i+n > len(pcm) {
			i = 0
		}
	}
}

func BenchmarkProcess20ms8k(b *testing.B)  { benchmarkProcess(b, 8000) }
func BenchmarkProcess20ms16k(b *testing.B) { benchmarkProcess(b, 16000) }

// After speech, digital silence must bring the filter state to exact zero
// rather than letting it decay through subnormal numbers (which are slow).
func TestSilenceFlushesFilterState(t *testing.T) {
	d, err := New(DefaultConfig(16000))
	if err != nil {
		t.Fatal(err)
	}
	loud := make([]int16, 320)
	for i := range loud {
		loud[i] = int16(8000 * math.Sin(float64(i)*0.3))
	}
	d.Process(loud)
	silent := make([]int16, 320)
	for i := 0; i < 50; i++ {
		d.Process(silent)
	}
	for _, f := range []biquad{d.hp, d.lp} {
		if f.x1 != 0 || f.x2 != 0 || f.y1 != 0 || f.y2 != 0 {
			t.Fatalf("filter state after 1 s of silence: %+v", f)
		}
	}
}

func BenchmarkProcessDigitalSilence(b *testing.B) {
	d, _ := New(DefaultConfig(16000))
	loud := make([]int16, 320)
	for i := range loud {
		loud[i] = int16(8000 * math.Sin(float64(i)*0.3))
	}
	d.Process(loud)
	silent := make([]int16, 320)
	b.ReportAllocs()
	for b.Loop() {
		d.Process(silent)
	}
}
