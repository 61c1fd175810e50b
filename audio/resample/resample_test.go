package resample

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var rates = []int{8000, 16000, 22050, 24000, 44100, 48000}

type pair struct{ in, out int }

func (p pair) String() string { return fmt.Sprintf("%d→%d", p.in, p.out) }

func allPairs() []pair {
	var ps []pair
	for _, a := range rates {
		for _, b := range rates {
			if a != b {
				ps = append(ps, pair{a, b})
			}
		}
	}
	return ps
}

// tone returns n samples of amp·sin(2πf·t) at rate.
func tone(n int, f, amp float64, rate int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(math.Round(amp * math.Sin(2*math.Pi*f*float64(i)/float64(rate))))
	}
	return s
}

// fit finds the least-squares sinusoid at f in y (sampled at rate) and
// returns its amplitude, its phase (of a sine) and the RMS of what remains.
func fit(y []int16, f float64, rate int) (amp, phase, residual float64) {
	w := 2 * math.Pi * f / float64(rate)
	var ss, sc, cc, ys, yc float64
	for j, v := range y {
		s, c := math.Sincos(w * float64(j))
		ss += s * s
		sc += s * c
		cc += c * c
		ys += float64(v) * s
		yc += float64(v) * c
	}
	det := ss*cc - sc*sc
	a := (ys*cc - yc*sc) / det
	b := (yc*ss - ys*sc) / det
	var r float64
	for j, v := range y {
		s, c := math.Sincos(w * float64(j))
		d := float64(v) - a*s - b*c
		r += d * d
	}
	return math.Hypot(a, b), math.Atan2(b, a), math.Sqrt(r / float64(len(y)))
}

func rms(y []int16) float64 {
	var s float64
	for _, v := range y {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(y)))
}

func db(x float64) float64 { return 20 * math.Log10(x) }

const amp = 30000.0

// run resamples 0.25 s of src and returns the output after the filter has
// filled (the first 2×delay plus a margin are dropped).
func run(t *testing.T, p pair, src []int16) []int16 {
	t.Helper()
	r, err := New(p.in, p.out)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]int16, r.MaxOut(len(src)))
	n := r.Process(dst, src)
	skip := int((2*r.Delay().Seconds() + 0.002) * float64(p.out))
	return dst[skip:n]
}

// TestPassband: tones in the passband keep their level within 0.5 dB, and
// everything that is not the tone (aliases, images, rounding) is at least
// 80 dB below it.
func TestPassband(t *testing.T) {
	for _, p := range allPairs() {
		r, _ := New(p.in, p.out)
		d := r.Design()
		for _, f := range []float64{300, 1000, 0.95 * d.Passband} {
			t.Run(fmt.Sprintf("%v/%.0fHz", p, f), func(t *testing.T) {
				y := run(t, p, tone(p.in/4, f, amp, p.in))
				a, _, res := fit(y, f, p.out)
				if g := db(a / amp); math.Abs(g) > 0.5 {
					t.Errorf("gain %.3f dB, want within ±0.5 dB", g)
				}
				if snr := db(a / math.Sqrt2 / res); snr < 80 {
					t.Errorf("tone/rest %.1f dB, want ≥ 80 dB", snr)
				}
			})
		}
	}
}

// TestStopband: going down, tones above the new Nyquist frequency are
// attenuated by at least 80 dB. Going up there is no such tone, so the
// images of a tone just below the input's Nyquist (the hardest case: they
// fall just above it) must be 80 dB below the input level.
func TestStopband(t *testing.T) {
	for _, p := range allPairs() {
		if p.out < p.in {
			lo, hi := float64(p.out)/2, float64(p.in)/2
			for _, f := range []float64{lo + 20, (lo + hi) / 2, hi - 50} {
				t.Run(fmt.Sprintf("%v/%.0fHz", p, f), func(t *testing.T) {
					x := tone(p.in/4, f, amp, p.in)
					y := run(t, p, x)
					if att := db(rms(x) / rms(y)); att < 80 {
						t.Errorf("attenuation %.1f dB, want ≥ 80 dB", att)
					}
				})
			}
			continue
		}
		f := float64(p.in)/2 - 50
		t.Run(fmt.Sprintf("%v/image-of-%.0fHz", p, f), func(t *testing.T) {
			y := run(t, p, tone(p.in/4, f, amp, p.in))
			_, _, res := fit(y, f, p.out)
			if att := db(amp / math.Sqrt2 / res); att < 80 {
				t.Errorf("image level %.1f dB below input, want ≥ 80 dB", att)
			}
		})
	}
}

// TestDesignResponse evaluates the prototype filter's frequency response on
// a grid: stopband ≤ -80 dB everywhere, not just at the tones above.
func TestDesignResponse(t *testing.T) {
	for _, p := range []pair{{8000, 16000}, {16000, 8000}, {44100, 16000}, {48000, 44100}, {22050, 24000}} {
		t.Run(p.String(), func(t *testing.T) {
			b, err := lookup(p.in, p.out)
			if err != nil {
				t.Fatal(err)
			}
			d, k := b.d, b.d.PhaseTaps
			h := make([]float64, d.Taps)
			for ph := range d.L {
				for j := range k {
					h[ph+(k-1-j)*d.L] = float64(b.table[ph*b.stride+j]) / float64(d.L)
				}
			}
			f := float64(p.in) * float64(d.L)
			worst := math.Inf(-1)
			for i := 0; i <= 300; i++ {
				fr := d.Stopband + (f/2-d.Stopband)*float64(i)/300
				if fr > f/2 {
					break
				}
				var re, im float64
				for j, v := range h {
					s, c := math.Sincos(2 * math.Pi * fr / f * float64(j))
					re += v * c
					im -= v * s
				}
				worst = max(worst, db(math.Hypot(re, im)))
			}
			if worst > -80 {
				t.Errorf("stopband peak %.1f dB, want ≤ -80 dB", worst)
			}
			t.Logf("stopband peak %.1f dB from %.0f Hz", worst, d.Stopband)
		})
	}
}

// TestDelay checks the reported delay against the 3 ms budget and against
// the phase shift actually measured on a 300 Hz tone.
func TestDelay(t *testing.T) {
	const f = 300.0
	for _, p := range allPairs() {
		t.Run(p.String(), func(t *testing.T) {
			r, _ := New(p.in, p.out)
			if r.Delay() > 3*time.Millisecond || r.Delay() <= 0 {
				t.Fatalf("Delay() = %v, want in (0, 3ms]", r.Delay())
			}
			// Fit over the output sample times: a pure delay D turns
			// sin(ωt) into sin(ω(t-D)), a phase of -ωD.
			src := tone(p.in/4, f, amp, p.in)
			dst := make([]int16, r.MaxOut(len(src)))
			n := r.Process(dst, src)
			skip := p.out / 100
			_, ph, _ := fit(dst[skip:n], f, p.out)
			ph -= 2 * math.Pi * f * float64(skip) / float64(p.out)
			got := math.Mod(-ph/(2*math.Pi*f), 1/f)
			if got < 0 {
				got += 1 / f
			}
			if diff := math.Abs(got - r.Delay().Seconds()); diff > 2e-6 {
				t.Errorf("measured %.1f µs, Delay() %v", got*1e6, r.Delay())
			}
		})
	}
}

// TestFramesEqualWhole: the stream does not depend on how it is cut.
func TestFramesEqualWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range allPairs() {
		t.Run(p.String(), func(t *testing.T) {
			src := make([]int16, p.in/2)
			for i := range src {
				src[i] = int16(rng.IntN(65536) - 32768)
			}
			whole, _ := New(p.in, p.out)
			want := make([]int16, whole.MaxOut(len(src)))
			want = want[:whole.Process(want, src)]

			framed, _ := New(p.in, p.out)
			got := make([]int16, 0, len(want))
			buf := make([]int16, framed.MaxOut(3000))
			for rest := src; len(rest) > 0; {
				n := min(len(rest), []int{0, 1, 7, 160, 441, 3000}[rng.IntN(6)])
				m := framed.Process(buf[:framed.MaxOut(n)], rest[:n])
				got = append(got, buf[:m]...)
				rest = rest[n:]
			}
			if len(got) != len(want) {
				t.Fatalf("framed gave %d samples, whole %d", len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("sample %d: framed %d, whole %d", i, got[i], want[i])
				}
			}
			// Reset restarts the stream exactly.
			framed.Reset()
			again := make([]int16, framed.MaxOut(len(src)))
			if n := framed.Process(again, src); n != len(want) || again[len(want)/2] != want[len(want)/2] {
				t.Errorf("after Reset: %d samples, want %d", n, len(want))
			}
		})
	}
}

// TestOutputCount: over a long stream the count is exact, and MaxOut holds
// for every frame.
func TestOutputCount(t *testing.T) {
	for _, p := range allPairs() {
		r, _ := New(p.in, p.out)
		frame := p.in / 50
		dst := make([]int16, r.MaxOut(frame))
		total := 0
		for range 50 {
			n := r.Process(dst, make([]int16, frame))
			if n > r.MaxOut(frame) {
				t.Fatalf("%v: %d outputs > MaxOut %d", p, n, r.MaxOut(frame))
			}
			total += n
		}
		if total != p.out {
			t.Errorf("%v: 1 s gave %d samples, want %d", p, total, p.out)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	for _, p := range allPairs() {
		r, _ := New(p.in, p.out)
		src := tone(p.in/50, 440, 10000, p.in)
		dst := make([]int16, r.MaxOut(len(src)))
		if a := testing.AllocsPerRun(50, func() { r.Process(dst, src) }); a != 0 {
			t.Errorf("%v: %v allocs per frame, want 0", p, a)
		}
	}
}

func TestShortDst(t *testing.T) {
	r, _ := New(8000, 16000)
	if n := r.Process(make([]int16, 5), make([]int16, 160)); n != 5 {
		t.Errorf("wrote %d into a 5-sample dst", n)
	}
}

func TestNewRejects(t *testing.T) {
	for _, c := range []pair{{0, 8000}, {8000, -1}, {8000, 999}, {500000, 8000}, {8000, 191999}} {
		if _, err := New(c.in, c.out); !errors.Is(err, ErrUnsupportedRate) {
			t.Errorf("New(%v) err = %v, want ErrUnsupportedRate", c, err)
		}
	}
}

func TestSameRate(t *testing.T) {
	r, err := New(16000, 16000)
	if err != nil {
		t.Fatal(err)
	}
	src := []int16{1, -2, 3}
	dst := make([]int16, r.MaxOut(3))
	if n := r.Process(dst, src); n != 3 || dst[1] != -2 || r.Delay() != 0 {
		t.Errorf("pass-through: n=%d dst=%v delay=%v", n, dst, r.Delay())
	}
}

// TestConvert: whole-buffer conversion has the right length and no delay.
func TestConvert(t *testing.T) {
	const f = 500.0
	for _, p := range []pair{{8000, 16000}, {48000, 8000}, {22050, 16000}, {16000, 16000}} {
		t.Run(p.String(), func(t *testing.T) {
			src := tone(p.in/5, f, amp, p.in)
			y, err := Convert(src, p.in, p.out)
			if err != nil {
				t.Fatal(err)
			}
			if len(y) != p.out/5 {
				t.Fatalf("%d samples, want %d", len(y), p.out/5)
			}
			a, ph, _ := fit(y[p.out/100:len(y)-p.out/100], f, p.out)
			ph -= 2 * math.Pi * f * float64(p.out/100) / float64(p.out)
			ph = math.Remainder(ph, 2*math.Pi)
			// Delay compensation is to the nearest output sample.
			if lag := math.Abs(ph) / (2 * math.Pi * f); lag > 0.5/float64(p.out)+1e-6 {
				t.Errorf("residual lag %.1f µs", lag*1e6)
			}
			if math.Abs(db(a/amp)) > 0.5 {
				t.Errorf("gain %.2f dB", db(a/amp))
			}
		})
	}
	if _, err := Convert(nil, 8000, 7); !errors.Is(err, ErrUnsupportedRate) {
		t.Errorf("bad rate: %v", err)
	}
}

// BenchmarkProcess times one 20 ms frame per pair, through the kernel the
// CPU selects ("kernel") and through the portable Go loops ("go"), so the
// ratio comes from one run.
func BenchmarkProcess(b *testing.B) {
	for _, p := range []pair{
		{8000, 16000}, {16000, 8000}, {8000, 48000}, {48000, 8000}, {16000, 48000}, {48000, 16000},
		{24000, 16000}, {16000, 24000}, {22050, 16000}, {44100, 16000}, {44100, 48000}, {8000, 22050},
	} {
		for _, path := range []string{"kernel", "go"} {
			b.Run(p.String()+"/"+path, func(b *testing.B) {
				if path == "go" {
					portable(b)
				}
				r, err := New(p.in, p.out)
				if err != nil {
					b.Fatal(err)
				}
				src := tone(p.in/50, 440, 10000, p.in) // one 20 ms frame
				dst := make([]int16, r.MaxOut(len(src)))
				b.SetBytes(int64(2 * len(src)))
				for b.Loop() {
					r.Process(dst, src)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
			})
		}
	}
}

func BenchmarkNewCached(b *testing.B) {
	if _, err := New(44100, 16000); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := New(44100, 16000); err != nil {
			b.Fatal(err)
		}
	}
}
