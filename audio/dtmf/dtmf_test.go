package dtmf

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/switchboard-voice/switchboard/audio/wav"
)

const digits = "123A456B789C*0#D"

var sampleRates = []int{8000, 16000}

func ms(rate, n int) int { return rate * n / 1000 }

// tones builds a signal from (digit, ms) steps; digit 0 means silence.
func tones(t *testing.T, rate int, amp int16, steps ...any) []int16 {
	t.Helper()
	var out []int16
	for i := 0; i < len(steps); i += 2 {
		d, dur := steps[i].(byte), steps[i+1].(int)
		s := make([]int16, ms(rate, dur))
		if d != 0 {
			if err := Generate(s, d, rate, amp); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, s...)
	}
	return out
}

// addNoise adds white Gaussian noise snrDB below the signal's power.
func addNoise(x []int16, snrDB float64, seed uint64) {
	var p float64
	for _, v := range x {
		p += float64(v) * float64(v)
	}
	p /= float64(len(x))
	sigma := math.Sqrt(p / math.Pow(10, snrDB/10))
	rng := rand.New(rand.NewPCG(seed, 7))
	for i, v := range x {
		x[i] = int16(max(-32768, min(32767, math.Round(float64(v)+sigma*rng.NormFloat64()))))
	}
}

// detect runs a fresh detector over x in frames of the given size and
// returns every digit reported.
func detect(t *testing.T, rate int, x []int16, frame int) string {
	t.Helper()
	d, err := NewDetector(rate)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	for len(x) > 0 {
		n := min(frame, len(x))
		if c, ok := d.Process(x[:n]); ok {
			got = append(got, c)
		}
		x = x[n:]
	}
	// Drain digits completed by a final large frame.
	for {
		c, ok := d.Process(nil)
		if !ok {
			break
		}
		got = append(got, c)
	}
	return string(got)
}

func TestAllDigitsInNoise(t *testing.T) {
	for _, rate := range sampleRates {
		for i := range len(digits) {
			dg := digits[i]
			t.Run(fmt.Sprintf("%d/%c", rate, dg), func(t *testing.T) {
				x := tones(t, rate, 6000, byte(0), 30, dg, 100, byte(0), 60)
				addNoise(x, 20, uint64(i))
				if got := detect(t, rate, x, ms(rate, 20)); got != string(dg) {
					t.Errorf("detected %q, want %q", got, string(dg))
				}
			})
		}
	}
}

func TestSequences(t *testing.T) {
	cases := []struct {
		name          string
		on, gap, fram int // ms, ms, samples at 8 kHz (scaled for 16 kHz)
		amp           int16
	}{
		{"50ms tones 50ms gaps 20ms frames", 50, 50, 160, 8000},
		{"45ms tones 45ms gaps odd frames", 45, 45, 37, 8000},
		{"100ms tones 60ms gaps large frames", 100, 60, 4000, 8000},
		{"quiet -36dBFS", 60, 60, 160, 500},
		{"loud near clipping", 60, 60, 160, 16000},
	}
	for _, rate := range sampleRates {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%d/%s", rate, c.name), func(t *testing.T) {
				var steps []any
				steps = append(steps, byte(0), 20)
				for i := range len(digits) {
					steps = append(steps, digits[i], c.on, byte(0), c.gap)
				}
				x := tones(t, rate, c.amp, steps...)
				if got := detect(t, rate, x, c.fram*rate/8000); got != digits {
					t.Errorf("detected %q, want %q", got, digits)
				}
			})
		}
	}
}

func TestRepeatedDigit(t *testing.T) {
	for _, rate := range sampleRates {
		x := tones(t, rate, 6000, byte('5'), 60, byte(0), 50, byte('5'), 60, byte(0), 50, byte('5'), 60, byte(0), 40)
		if got := detect(t, rate, x, ms(rate, 20)); got != "555" {
			t.Errorf("%d Hz: detected %q, want \"555\"", rate, got)
		}
	}
}

func TestHeldKeyIsOneDigit(t *testing.T) {
	for _, rate := range sampleRates {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			x := tones(t, rate, 6000, byte('#'), 2000, byte(0), 40)
			addNoise(x, 20, 3)
			if got := detect(t, rate, x, ms(rate, 20)); got != "#" {
				t.Errorf("2 s key: detected %q, want \"#\"", got)
			}
			// A 10 ms dropout inside a held key is not a new press.
			y := tones(t, rate, 6000, byte('7'), 300, byte(0), 10, byte('7'), 300, byte(0), 40)
			if got := detect(t, rate, y, ms(rate, 20)); got != "7" {
				t.Errorf("key with dropout: detected %q, want \"7\"", got)
			}
		})
	}
}

func TestRejects(t *testing.T) {
	for _, rate := range sampleRates {
		single := make([]int16, ms(rate, 200))
		for i := range single {
			single[i] = int16(8000 * math.Sin(2*math.Pi*770*float64(i)/float64(rate)))
		}
		twisted := make([]int16, ms(rate, 200))
		offFreq := make([]int16, ms(rate, 200))
		for i := range twisted {
			ti := float64(i) / float64(rate)
			// Digit 5 with the high tone 12 dB down: beyond the twist limit.
			twisted[i] = int16(8000*math.Sin(2*math.Pi*770*ti) + 2000*math.Sin(2*math.Pi*1336*ti))
			// Digit 5 with both tones 6 % off: outside Q.24's ±3.5 %.
			offFreq[i] = int16(6000*math.Sin(2*math.Pi*770*1.06*ti) + 6000*math.Sin(2*math.Pi*1336*1.06*ti))
		}
		cases := []struct {
			name string
			x    []int16
		}{
			{"too short 20ms", tones(t, rate, 6000, byte(0), 30, byte('1'), 20, byte(0), 100)},
			{"single tone", single},
			{"twist 12dB", twisted},
			{"6% off frequency", offFreq},
			{"silence", make([]int16, ms(rate, 200))},
			{"too quiet", tones(t, rate, 100, byte('9'), 200)},
			{"two keys at once", mix(tones(t, rate, 5000, byte('1'), 200), tones(t, rate, 5000, byte('9'), 200))},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%d/%s", rate, c.name), func(t *testing.T) {
				if got := detect(t, rate, c.x, ms(rate, 20)); got != "" {
					t.Errorf("detected %q, want nothing", got)
				}
			})
		}
	}
}

func mix(a, b []int16) []int16 {
	out := make([]int16, len(a))
	for i := range a {
		out[i] = a[i] + b[i]
	}
	return out
}

// TestSpeechDoesNotTrigger synthesises speech with flite (8 kHz "kal" and
// 16 kHz "slt" voices) and requires zero detections.
func TestSpeechDoesNotTrigger(t *testing.T) {
	if _, err := exec.LookPath("flite"); err != nil {
		t.Skip("flite not installed")
	}
	sentences := []string{
		"Thank you for calling. Please hold while I transfer you to the next available agent.",
		"My account number is four seven two nine, and my zip code is nine four one zero five.",
		"Oh, I see! Well, that is really quite amazing, isn't it? Yes, yes, absolutely.",
		"Please press one for sales, two for support, or stay on the line for an operator.",
		"The quick brown fox jumps over the lazy dog while humming a high pitched melody.",
		"Eeeee. Ooooo. Aaaah. Mmmmm. Hmmmm.",
	}
	dir := t.TempDir()
	for _, voice := range []struct {
		name string
		rate int
	}{{"kal", 8000}, {"slt", 16000}} {
		for i, s := range sentences {
			t.Run(fmt.Sprintf("%s/%d", voice.name, i), func(t *testing.T) {
				path := filepath.Join(dir, fmt.Sprintf("%s%d.wav", voice.name, i))
				if out, err := exec.Command("flite", "-voice", voice.name, "-t", s, "-o", path).CombinedOutput(); err != nil {
					t.Fatalf("flite: %v: %s", err, out)
				}
				raw, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				a, err := wav.Decode(raw)
				if err != nil {
					t.Fatal(err)
				}
				if a.SampleRate != voice.rate || a.Channels != 1 {
					t.Fatalf("flite gave %d Hz × %d, want %d Hz mono", a.SampleRate, a.Channels, voice.rate)
				}
				x := a.Int16()
				if len(x) < voice.rate {
					t.Fatalf("only %d samples of speech", len(x))
				}
				// Also louder: speech peaking near full scale.
				loud := make([]int16, len(x))
				for i, v := range x {
					loud[i] = int16(max(-32768, min(32767, 3*int32(v))))
				}
				for _, sig := range [][]int16{x, loud} {
					if got := detect(t, voice.rate, sig, ms(voice.rate, 20)); got != "" {
						t.Errorf("speech %q detected as %q", s, got)
					}
				}
				// The detector still works right after speech.
				y := append(append([]int16(nil), x...), tones(t, voice.rate, 4000, byte('8'), 80, byte(0), 40)...)
				if got := detect(t, voice.rate, y, ms(voice.rate, 20)); got != "8" {
					t.Errorf("digit after speech: %q, want \"8\"", got)
				}
			})
		}
	}
}

func TestErrors(t *testing.T) {
	if _, err := NewDetector(44100); !errors.Is(err, ErrSampleRate) {
		t.Errorf("NewDetector(44100) err = %v", err)
	}
	if err := Generate(make([]int16, 10), 'X', 8000, 100); !errors.Is(err, ErrUnknownDigit) {
		t.Errorf("Generate('X') err = %v", err)
	}
	if err := Generate(make([]int16, 10), '1', 0, 100); !errors.Is(err, ErrSampleRate) {
		t.Errorf("Generate(rate 0) err = %v", err)
	}
}

func TestReset(t *testing.T) {
	d, _ := NewDetector(8000)
	x := tones(t, 8000, 6000, byte('4'), 25)
	d.Process(x)
	d.Reset()
	// 25 ms before the reset and 25 ms after must not add up to a digit.
	if c, ok := d.Process(x); ok {
		t.Errorf("detected %q across Reset", c)
	}
}

func TestNoAllocs(t *testing.T) {
	for _, rate := range sampleRates {
		d, _ := NewDetector(rate)
		x := tones(t, rate, 6000, byte('6'), 20)
		if a := testing.AllocsPerRun(100, func() { d.Process(x) }); a != 0 {
			t.Errorf("%d Hz: %v allocs per frame, want 0", rate, a)
		}
	}
}

func BenchmarkProcess(b *testing.B) {
	for _, rate := range sampleRates {
		b.Run(fmt.Sprint(rate), func(b *testing.B) {
			d, _ := NewDetector(rate)
			x := make([]int16, ms(rate, 20))
			if err := Generate(x, '5', rate, 6000); err != nil {
				b.Fatal(err)
			}
			addNoise(x, 20, 1)
			b.SetBytes(int64(2 * len(x)))
			for b.Loop() {
				d.Process(x)
			}
		})
	}
}

// Most of a call is near-silence; it should cost little.
func BenchmarkProcessQuiet(b *testing.B) {
	d, _ := NewDetector(8000)
	frame := make([]int16, 160)
	for i := range frame {
		frame[i] = int16(i%7) - 3 // line noise around −80 dBFS
	}
	b.ReportAllocs()
	for b.Loop() {
		d.Process(frame)
	}
}
