package opus

import (
	"fmt"
	"io"
	"testing"
)

// benchFrame is 20 ms of a speech-like signal: two harmonics and some noise,
// so the encoder does real work without needing flite in benchmarks.
func benchFrame(rate int) []int16 {
	pcm := make([]int16, rate/50)
	seed := uint32(1)
	for i := range pcm {
		seed = seed*1664525 + 1013904223
		ph := float64(i) / float64(rate)
		v := 6000*sinApprox(2*3.14159*180*ph) + 3000*sinApprox(2*3.14159*720*ph) + float64(int32(seed)>>20)
		pcm[i] = int16(v)
	}
	return pcm
}

// sinApprox avoids importing math just for the fixture.
func sinApprox(x float64) float64 {
	for x > 3.14159 {
		x -= 2 * 3.14159
	}
	return x - x*x*x/6 + x*x*x*x*x/120 - x*x*x*x*x*x*x/5040
}

func BenchmarkEncode20ms(b *testing.B) {
	for _, rate := range []int{16000, 48000} {
		b.Run(fmt.Sprintf("%dHz", rate), func(b *testing.B) {
			enc, err := NewEncoder(Config{SampleRate: rate})
			if err != nil {
				b.Fatal(err)
			}
			pcm := benchFrame(rate)
			pkt := make([]byte, MaxPacketBytes)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := enc.Encode(pkt, pcm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode20ms(b *testing.B) {
	for _, rate := range []int{16000, 48000} {
		b.Run(fmt.Sprintf("%dHz", rate), func(b *testing.B) {
			enc, _ := NewEncoder(Config{SampleRate: rate})
			dec, err := NewDecoder(rate)
			if err != nil {
				b.Fatal(err)
			}
			pkt := make([]byte, MaxPacketBytes)
			n, err := enc.Encode(pkt, benchFrame(rate))
			if err != nil {
				b.Fatal(err)
			}
			out := make([]int16, 5760)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := dec.Decode(out, pkt[:n]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkConceal20ms(b *testing.B) {
	dec, _ := NewDecoder(16000)
	enc, _ := NewEncoder(Config{SampleRate: 16000})
	pkt := make([]byte, MaxPacketBytes)
	n, _ := enc.Encode(pkt, benchFrame(16000))
	out := make([]int16, 5760)
	_, _ = dec.Decode(out, pkt[:n])
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dec.Conceal(out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePacket(b *testing.B) {
	p := []byte{1<<3 | 3, 0x80 | 3, 1, 2, 9, 9, 9, 9}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePacket(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOggWritePacket(b *testing.B) {
	enc, _ := NewEncoder(Config{SampleRate: 16000})
	pkt := make([]byte, MaxPacketBytes)
	n, _ := enc.Encode(pkt, benchFrame(16000))
	w, err := NewOggWriter(io.Discard, 16000, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WritePacket(pkt[:n]); err != nil {
			b.Fatal(err)
		}
	}
}
