package resample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// portable runs the rest of the test on the pure-Go inner loops.
func portable(t testing.TB) {
	t.Helper()
	saved := accel
	accel = false
	t.Cleanup(func() { accel = saved })
}

func needAccel(t *testing.T) {
	t.Helper()
	if !accel {
		t.Skip("no accelerated kernel on this CPU/architecture")
	}
}

// TestPolyKernelMatchesGo: the assembly kernel and the Go loop walk the
// same outputs and agree on every value within float32 rounding, for many
// tap counts and L/M step patterns. The bound is relative to Σ|c·x|, the
// scale of the rounding error of any summation order (relative to the sum
// itself it would be meaningless where the terms cancel).
func TestPolyKernelMatchesGo(t *testing.T) {
	needAccel(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for k := lanes; k <= 40*lanes; k += lanes {
		for _, lm := range [][2]int{{1, 1}, {2, 1}, {1, 2}, {3, 2}, {2, 3}, {1, 6}, {6, 1}, {160, 147}, {147, 160}} {
			l, m := lm[0], lm[1]
			t.Run(fmt.Sprintf("k=%d/L=%d/M=%d", k, l, m), func(t *testing.T) {
				steps := make([]int32, 2*l)
				for p := range l {
					steps[2*p], steps[2*p+1] = int32((p+m)%l), int32((p+m)/l)
				}
				tab := make([]float32, l*k)
				for i := range tab {
					tab[i] = float32(rng.NormFloat64())
				}
				n := 1 + rng.IntN(300)
				x := make([]float32, n+k-1)
				for i := range x {
					x[i] = float32(rng.IntN(65536) - 32768)
				}
				i0, p0 := rng.IntN(n), rng.IntN(l)
				room := 1 + rng.IntN(2*block)
				want, got := make([]float32, room), make([]float32, room)
				wc, wi, wp := polyGo(want, x, tab, steps, k, i0, p0, n)
				gc, gi, gp := poly(got, x, tab, steps, k, i0, p0, n)
				if gc != wc || gi != wi || gp != wp {
					t.Fatalf("kernel walked to (c=%d, i=%d, p=%d), Go to (%d, %d, %d)", gc, gi, gp, wc, wi, wp)
				}
				i, p := i0, p0
				for c := range wc {
					var mag float64
					for j := range k {
						mag += math.Abs(float64(tab[p*k+j]) * float64(x[i+j]))
					}
					if d := math.Abs(float64(got[c]) - float64(want[c])); d > 1e-5*mag+1e-30 {
						t.Fatalf("output %d: kernel %g, Go %g (Σ|c·x| = %g)", c, got[c], want[c], mag)
					}
					i, p = i+int(steps[2*p+1]), int(steps[2*p])
				}
			})
		}
	}
}

// TestWidenQuantizeMatchGo: the conversions are exact, so the kernels must
// agree bit for bit, including saturation and halfway cases.
func TestWidenQuantizeMatchGo(t *testing.T) {
	needAccel(t)
	rng := rand.New(rand.NewPCG(5, 6))
	special := []float32{0, float32(math.Copysign(0, -1)), 0.5, -0.5, 1.5, -1.5, 2.5, -2.5,
		32766.5, 32767, 32767.4, 32767.5, 32768, 1e9, -32767.5, -32768, -32768.5, -32769, -1e9,
		math.Nextafter32(0.5, 0), math.Nextafter32(-0.5, 0)}
	for n := 0; n <= 70; n++ {
		src := make([]int16, n)
		f := make([]float32, n)
		for i := range src {
			src[i] = int16(rng.IntN(65536) - 32768)
			if rng.IntN(4) == 0 {
				f[i] = special[rng.IntN(len(special))]
			} else {
				f[i] = float32(rng.NormFloat64() * 20000)
			}
		}
		if n > 0 {
			src[0], src[n-1] = -32768, 32767
		}
		wantF, gotF := make([]float32, n), make([]float32, n)
		widenGo(wantF, src)
		widen(gotF, src)
		wantS, gotS := make([]int16, n), make([]int16, n)
		quantizeGo(wantS, f)
		quantize(gotS, f)
		for i := range n {
			if gotF[i] != wantF[i] {
				t.Fatalf("n=%d: widen(%d) = %g, want %g", n, src[i], gotF[i], wantF[i])
			}
			if gotS[i] != wantS[i] {
				t.Fatalf("n=%d: quantize(%g) = %d, want %d", n, f[i], gotS[i], wantS[i])
			}
		}
	}
}

// TestKernelsAgreeOnStreams: whole streams through both paths differ by at
// most one step where a value lands within rounding of a halfway point.
func TestKernelsAgreeOnStreams(t *testing.T) {
	needAccel(t)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, p := range allPairs() {
		t.Run(p.String(), func(t *testing.T) {
			src := make([]int16, p.in/5)
			for i := range src {
				src[i] = int16(rng.IntN(65536) - 32768)
			}
			fast, _ := New(p.in, p.out)
			got := make([]int16, fast.MaxOut(len(src)))
			got = got[:fast.Process(got, src)]

			accel = false
			defer func() { accel = true }() // needAccel: it was on
			slow, _ := New(p.in, p.out)
			want := make([]int16, slow.MaxOut(len(src)))
			want = want[:slow.Process(want, src)]
			if len(got) != len(want) {
				t.Fatalf("kernel gave %d samples, Go %d", len(got), len(want))
			}
			differ := 0
			for i := range got {
				if d := int(got[i]) - int(want[i]); d < -1 || d > 1 {
					t.Fatalf("sample %d: kernel %d, Go %d", i, got[i], want[i])
				} else if d != 0 {
					differ++
				}
			}
			t.Logf("%d of %d samples differ by one step", differ, len(got))
		})
	}
}

// TestPortable runs the quality suite through the pure-Go loops, the path
// every CPU without the kernel takes.
func TestPortable(t *testing.T) {
	portable(t)
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"Passband", TestPassband},
		{"Stopband", TestStopband},
		{"Delay", TestDelay},
		{"FramesEqualWhole", TestFramesEqualWhole},
		{"OutputCount", TestOutputCount},
		{"NoAllocs", TestNoAllocs},
		{"ShortDst", TestShortDst},
		{"SameRate", TestSameRate},
		{"Convert", TestConvert},
	} {
		t.Run(tc.name, tc.fn)
	}
}
