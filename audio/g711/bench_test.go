package g711

import (
	"encoding/binary"
	"math"
	"testing"

	zaf "github.com/zaf/g711"
)

// frame is one 20 ms telephone frame.
const frame = 160

// speechLike returns samples spread over the whole amplitude range, so the
// encode tables are hit all over rather than in one cache line.
func speechLike(n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(20000 * math.Sin(float64(i)*0.37) * math.Sin(float64(i)*0.013))
	}
	return s
}

func reportRate(b *testing.B, samples int) {
	b.ReportMetric(float64(samples)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Msamples/s")
}

func BenchmarkEncodeULaw(b *testing.B) {
	src, dst := speechLike(frame), make([]byte, frame)
	b.SetBytes(frame * 2)
	for b.Loop() {
		EncodeULaw(dst, src)
	}
	reportRate(b, frame)
}

func BenchmarkDecodeULaw(b *testing.B) {
	src, dst := make([]byte, frame), make([]int16, frame)
	EncodeULaw(src, speechLike(frame))
	b.SetBytes(frame)
	for b.Loop() {
		DecodeULaw(dst, src)
	}
	reportRate(b, frame)
}

func BenchmarkEncodeALaw(b *testing.B) {
	src, dst := speechLike(frame), make([]byte, frame)
	b.SetBytes(frame * 2)
	for b.Loop() {
		EncodeALaw(dst, src)
	}
	reportRate(b, frame)
}

func BenchmarkDecodeALaw(b *testing.B) {
	src, dst := make([]byte, frame), make([]int16, frame)
	EncodeALaw(src, speechLike(frame))
	b.SetBytes(frame)
	for b.Loop() {
		DecodeALaw(dst, src)
	}
	reportRate(b, frame)
}

// The zaf/g711 benchmarks run the same frames through github.com/zaf/g711,
// whose API takes and returns little-endian byte slices (allocating), so the
// ratio to ours can be read off one run.

func zafInput(b *testing.B) []byte {
	b.Helper()
	s := speechLike(frame)
	raw := make([]byte, 2*frame)
	for i, v := range s {
		binary.LittleEndian.PutUint16(raw[2*i:], uint16(v))
	}
	return raw
}

func BenchmarkZafEncodeULaw(b *testing.B) {
	raw := zafInput(b)
	b.SetBytes(frame * 2)
	for b.Loop() {
		zaf.EncodeUlaw(raw)
	}
	reportRate(b, frame)
}

func BenchmarkZafDecodeULaw(b *testing.B) {
	codes := zaf.EncodeUlaw(zafInput(b))
	b.SetBytes(frame)
	for b.Loop() {
		zaf.DecodeUlaw(codes)
	}
	reportRate(b, frame)
}

func BenchmarkZafEncodeALaw(b *testing.B) {
	raw := zafInput(b)
	b.SetBytes(frame * 2)
	for b.Loop() {
		zaf.EncodeAlaw(raw)
	}
	reportRate(b, frame)
}

func BenchmarkZafDecodeALaw(b *testing.B) {
	codes := zaf.EncodeAlaw(zafInput(b))
	b.SetBytes(frame)
	for b.Loop() {
		zaf.DecodeAlaw(codes)
	}
	reportRate(b, frame)
}

// BenchmarkZafEncodeULawFrame uses zaf's allocation-free per-sample call,
// the fairest comparison with our caller-owned-buffer API.
func BenchmarkZafEncodeULawFrame(b *testing.B) {
	src, dst := speechLike(frame), make([]byte, frame)
	b.SetBytes(frame * 2)
	for b.Loop() {
		for i, s := range src {
			dst[i] = zaf.EncodeUlawFrame(s)
		}
	}
	reportRate(b, frame)
}

func BenchmarkZafDecodeULawFrame(b *testing.B) {
	src, dst := make([]byte, frame), make([]int16, frame)
	EncodeULaw(src, speechLike(frame))
	b.SetBytes(frame)
	for b.Loop() {
		for i, c := range src {
			dst[i] = zaf.DecodeUlawFrame(c)
		}
	}
	reportRate(b, frame)
}
