package resample

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrUnsupportedRate is returned for rates New cannot serve.
var ErrUnsupportedRate = errors.New("resample: unsupported sample rate")

// MinRate and MaxRate bound the accepted sample rates.
const (
	MinRate = 1000
	MaxRate = 192000
)

// chunk is how many input samples are converted to float32 per inner pass;
// it bounds the scratch buffer so that any len(src) works without
// allocating.
const chunk = 1024

// bank is the immutable, shareable part of a resampler.
type bank struct {
	d      Design
	stride int       // K rounded up to the vector width
	table  []float32 // L phases × stride taps, each phase reversed, zero-padded
	// steps[2p], steps[2p+1]: the phase of the output after one of phase
	// p, and how many input samples its window is further on ((p+M)%L,
	// (p+M)/L), so that the kernel needs no division.
	steps []int32
}

// cache shares banks per rate pair. mu guards banks; a bank never changes
// once stored.
var cache struct {
	mu    sync.Mutex
	banks map[[2]int]*bank
}

func lookup(inRate, outRate int) (*bank, error) {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	key := [2]int{inRate, outRate}
	if b, ok := cache.banks[key]; ok {
		return b, nil
	}
	g := gcd(inRate, outRate)
	l, m := outRate/g, inRate/g
	d, table := design(inRate, outRate, l, m)
	if d.L*d.PhaseTaps > maxTableTaps {
		return nil, fmt.Errorf("%w: %d→%d Hz needs %d phases", ErrUnsupportedRate, inRate, outRate, l)
	}
	b := &bank{d: d, stride: padded(d.PhaseTaps), table: table, steps: make([]int32, 2*l)}
	for p := range l {
		b.steps[2*p], b.steps[2*p+1] = int32((p+m)%l), int32((p+m)/l)
	}
	if cache.banks == nil {
		cache.banks = make(map[[2]int]*bank)
	}
	cache.banks[key] = b
	return b, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Resampler converts one stream. Create it with New.
type Resampler struct {
	b     *bank
	l, m  int
	k     int
	pass  bool // equal rates: copy
	phase int  // of the next output, 0 ≤ phase < L
	next  int  // input index (relative to the current chunk) of the next output
	// buf holds K-1 samples of history followed by the current chunk and
	// stride-K more samples that only ever meet zero coefficients (their
	// values are stale but finite).
	buf []float32
	// y is the block kernel's output before rounding.
	y [block]float32
}

// New returns a Resampler from inRate to outRate (Hz).
func New(inRate, outRate int) (*Resampler, error) {
	for _, r := range [2]int{inRate, outRate} {
		if r < MinRate || r > MaxRate {
			return nil, fmt.Errorf("%w: %d Hz", ErrUnsupportedRate, r)
		}
	}
	if inRate == outRate {
		return &Resampler{l: 1, m: 1, pass: true}, nil
	}
	b, err := lookup(inRate, outRate)
	if err != nil {
		return nil, err
	}
	r := &Resampler{b: b, l: b.d.L, m: b.d.M, k: b.d.PhaseTaps}
	r.buf = make([]float32, r.k-1+chunk+b.stride-r.k)
	return r, nil
}

// Design reports the filter in use (the zero Design for equal rates).
func (r *Resampler) Design() Design {
	if r.pass {
		return Design{L: 1, M: 1, Taps: 1, PhaseTaps: 1}
	}
	return r.b.d
}

// Delay is the group delay the resampler adds.
func (r *Resampler) Delay() time.Duration {
	if r.pass {
		return 0
	}
	return r.b.d.GroupDelay
}

// MaxOut is the most output samples Process can write for n input samples.
func (r *Resampler) MaxOut(n int) int {
	if n <= 0 {
		return 0
	}
	return (n*r.l + r.m - 1) / r.m
}

// Reset forgets the stream: history is cleared and timing restarts, as if
// the Resampler were new.
func (r *Resampler) Reset() {
	r.phase, r.next = 0, 0
	clear(r.buf)
}

// Process consumes all of src and writes the output samples it completes
// to dst, returning how many. dst must have room for r.MaxOut(len(src));
// if it has less, Process writes only what fits and the rest of that
// output is lost (a caller bug, but never a panic).
func (r *Resampler) Process(dst, src []int16) int {
	if r.pass {
		return copy(dst, src)
	}
	hist := r.k - 1
	out := 0
	fast := accel
	for len(src) > 0 {
		n := min(len(src), chunk)
		in := r.buf[hist : hist+n]
		switch {
		case fast:
			widen(in, src[:n])
			out += r.blocked(dst[out:], n)
		case r.m == 1:
			widenGo(in, src[:n])
			out += r.interpolate(dst[out:], n)
		default:
			widenGo(in, src[:n])
			out += r.general(dst[out:], n)
		}
		src = src[n:]
		// Keep the last K-1 samples as history for the next chunk.
		copy(r.buf[:hist], r.buf[n:n+hist])
		r.next -= n
	}
	return out
}

// blocked handles any L/M with the block kernel, up to block outputs per
// call, and rounds them in bulk. It produces the output sequence of
// general.
func (r *Resampler) blocked(dst []int16, n int) int {
	b := r.b
	out := 0
	i, p := r.next, r.phase
	for i < n && out < len(dst) {
		var c int
		c, i, p = poly(r.y[:min(block, len(dst)-out)], r.buf, b.table, b.steps, b.stride, i, p, n)
		quantize(dst[out:out+c], r.y[:c])
		out += c
	}
	r.next, r.phase = i, p
	return out
}

// general handles any L/M: one dot product per output, phase advancing by
// M each time.
func (r *Resampler) general(dst []int16, n int) int {
	t, k, l, m, s := r.b.table, r.k, r.l, r.m, r.b.stride
	out := 0
	i, p := r.next, r.phase
	for i < n && out < len(dst) {
		dst[out] = toInt16(dot(t[p*s:p*s+k], r.buf[i:i+k]))
		out++
		p += m
		i += p / l
		p %= l
	}
	r.next, r.phase = i, p
	return out
}

// interpolate is the integer-upsampling case (M = 1): every input position
// yields L outputs from the same window, phases 0…L-1 in order.
func (r *Resampler) interpolate(dst []int16, n int) int {
	t, k, l, s := r.b.table, r.k, r.l, r.b.stride
	out := 0
	i, p := r.next, r.phase
	for i < n && out < len(dst) {
		w := r.buf[i : i+k]
		if p == 0 && l == 2 && len(dst)-out >= 2 {
			a, b := dot2(t[:k], t[s:s+k], w)
			dst[out], dst[out+1] = toInt16(a), toInt16(b)
			out += 2
			i++
			continue
		}
		dst[out] = toInt16(dot(t[p*s:p*s+k], w))
		out++
		if p++; p == l {
			p = 0
			i++
		}
	}
	r.next, r.phase = i, p
	return out
}

// dot is the FIR inner product. Eight accumulators hide the add latency:
// with one chain the loop would run at one multiply-add per 4 cycles.
func dot(c, x []float32) float32 {
	x = x[:len(c)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(c); i += 8 {
		cc := c[i : i+8 : i+8]
		xx := x[i : i+8 : i+8]
		s0 += cc[0] * xx[0]
		s1 += cc[1] * xx[1]
		s2 += cc[2] * xx[2]
		s3 += cc[3] * xx[3]
		s4 += cc[4] * xx[4]
		s5 += cc[5] * xx[5]
		s6 += cc[6] * xx[6]
		s7 += cc[7] * xx[7]
	}
	for ; i < len(c); i++ {
		s0 += c[i] * x[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// dot2 evaluates two phases over the same window, loading each input
// sample once.
func dot2(c0, c1, x []float32) (float32, float32) {
	c1 = c1[:len(c0)]
	x = x[:len(c0)]
	var a0, a1, a2, a3, b0, b1, b2, b3 float32
	i := 0
	for ; i+4 <= len(c0); i += 4 {
		xx := x[i : i+4 : i+4]
		p := c0[i : i+4 : i+4]
		q := c1[i : i+4 : i+4]
		a0 += p[0] * xx[0]
		b0 += q[0] * xx[0]
		a1 += p[1] * xx[1]
		b1 += q[1] * xx[1]
		a2 += p[2] * xx[2]
		b2 += q[2] * xx[2]
		a3 += p[3] * xx[3]
		b3 += q[3] * xx[3]
	}
	for ; i < len(c0); i++ {
		a0 += c0[i] * x[i]
		b0 += c1[i] * x[i]
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
}

// toInt16 rounds to nearest and saturates: filter overshoot on full-scale
// input must clip, not wrap.
func toInt16(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v >= 0:
		return int16(v + 0.5)
	default:
		return int16(v - 0.5)
	}
}

// Convert resamples a whole buffer, allocating the result. The output is
// flushed: the filter's delay is compensated by feeding trailing silence
// and dropping the leading delay, so out[j] lines up with src at time
// j/outRate.
func Convert(src []int16, inRate, outRate int) ([]int16, error) {
	r, err := New(inRate, outRate)
	if err != nil {
		return nil, err
	}
	if r.pass {
		return append([]int16(nil), src...), nil
	}
	// Input samples needed to push the delayed tail out.
	tail := int(r.Delay().Seconds()*float64(inRate)) + 2
	want := int((int64(len(src))*int64(outRate) + int64(inRate) - 1) / int64(inRate))
	out := make([]int16, r.MaxOut(len(src)+tail))
	n := r.Process(out, src)
	n += r.Process(out[n:], make([]int16, tail))
	skip := int(r.Delay().Seconds()*float64(outRate) + 0.5)
	out = out[min(skip, n):n]
	return out[:min(want, len(out))], nil
}
