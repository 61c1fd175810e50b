package resample

import (
	"math"
	"time"
)

const (
	// stopbandDB is the design attenuation; the promise is 80 dB, the
	// margin absorbs float32 coefficient rounding and the Kaiser formula's
	// approximation.
	stopbandDB = 85.0
	// maxDelay bounds the filter's group delay (half its length).
	maxDelay = 2950 * time.Microsecond
	// passFraction is the widest passband we ask for, as a fraction of the
	// lower Nyquist frequency, when the delay budget allows it.
	passFraction = 0.9
	// maxTableTaps bounds one phase table (L·K coefficients) so that an
	// awkward rate pair cannot make New allocate without limit.
	maxTableTaps = 1 << 20
)

// Design describes the filter a Resampler uses.
type Design struct {
	L, M       int           // interpolation and decimation factors
	Taps       int           // prototype length at rate L·inRate
	PhaseTaps  int           // taps evaluated per output sample
	Passband   float64       // Hz: edge of the flat band
	Stopband   float64       // Hz: start of the ≥ 80 dB band
	GroupDelay time.Duration // of the linear-phase prototype
}

// design computes the prototype for inRate→outRate (already reduced to
// L/M) and returns its polyphase table.
func design(inRate, outRate, l, m int) (Design, []float32) {
	f := float64(inRate) * float64(l) // prototype sample rate
	nyq := float64(min(inRate, outRate)) / 2
	// Kaiser's estimate: N-1 = (A-7.95) / (2.285·Δω).
	width := nyq * (1 - passFraction)
	n := int(math.Ceil((stopbandDB-7.95)/(2.285*2*math.Pi*width/f))) + 1
	k := (n + l - 1) / l
	// The delay budget caps the length; the transition widens instead.
	maxN := int(2*maxDelay.Seconds()*f) + 1
	for k*l > maxN {
		k--
	}
	k = max(k, 1)
	n = k * l
	width = (stopbandDB - 7.95) / (2.285 * 2 * math.Pi * float64(n-1) / f)
	d := Design{
		L: l, M: m, Taps: n, PhaseTaps: k,
		Passband:   nyq - width,
		Stopband:   nyq,
		GroupDelay: time.Duration(float64(n-1) / 2 / f * float64(time.Second)),
	}

	cutoff := (nyq - width/2) / f // normalised to the prototype rate
	beta := 0.1102 * (stopbandDB - 8.7)
	centre := float64(n-1) / 2
	h := make([]float64, n)
	var sum float64
	for j := range h {
		t := float64(j) - centre
		x := 2 * cutoff * t
		s := 2 * cutoff
		if x != 0 {
			s = math.Sin(math.Pi*x) / (math.Pi * t)
		}
		r := 2*float64(j)/float64(n-1) - 1
		if n == 1 {
			r = 0
		}
		w := bessel0(beta*math.Sqrt(max(0, 1-r*r))) / bessel0(beta)
		h[j] = s * w
		sum += h[j]
	}
	// Each of the L phases must have unit DC gain, so the prototype sums to L.
	scale := float64(l) / sum

	// Phase p, tap j multiplies x[i-(K-1)+j]: store each phase reversed so
	// the inner loop is a forward dot product over the input window. The
	// phases lie back to back, each padded with zeros to a multiple of the
	// vector width so that the kernel needs no tail.
	s := padded(k)
	table := make([]float32, l*s)
	for p := range l {
		for j := range k {
			table[p*s+j] = float32(h[p+(k-1-j)*l] * scale)
		}
	}
	return d, table
}

// bessel0 is the zeroth-order modified Bessel function of the first kind,
// by its power series (converges quickly for the β used here).
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 64; k++ {
		term *= (x / 2) / float64(k)
		sum += term * term
		if term*term < sum*1e-17 {
			break
		}
	}
	return sum
}
