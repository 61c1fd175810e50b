package ogg

import (
	"bytes"
	"io"
	"testing"
)

// A 20 ms Opus packet at 24 kbit/s is about 60 bytes; a page per packet is
// what a low-latency stream writes.
func BenchmarkWritePacketPagePerPacket(b *testing.B) {
	pkt := packetOf(60, 1)
	w := NewWriter(io.Discard, 1)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	var g int64
	for b.Loop() {
		g += 960
		if err := w.WritePacket(pkt, g); err != nil {
			b.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadPacket(b *testing.B) {
	pkt := packetOf(60, 1)
	var buf bytes.Buffer
	w := NewWriter(&buf, 1)
	const n = 1000
	for i := range n {
		_ = w.WritePacket(pkt, int64(i))
		_ = w.Flush()
	}
	_ = w.Close()
	data := buf.Bytes()
	br := bytes.NewReader(data)
	r := NewReader(br)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == n {
			br.Reset(data)
			r.Reset(br)
			i = 0
		}
		if _, err := r.ReadPacket(); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
