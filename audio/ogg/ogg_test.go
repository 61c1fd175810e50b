package ogg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

func TestCRCCheckValue(t *testing.T) {
	// The catalogued CRC-32/CKSUM (poly 0x04c11db7, init 0, not reflected)
	// has check value 0x765e7680 with a final xor of 0xffffffff; Ogg uses
	// no final xor.
	if got, want := crcUpdate(0, []byte("123456789")), ^uint32(0x765e7680); got != want {
		t.Fatalf("crc = %#08x, want %#08x", got, want)
	}
}

// packetOf returns n bytes that differ from packet to packet.
func packetOf(n int, seed byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = seed + byte(i*7)
	}
	return p
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int
		flush []bool // Flush after packet i
	}{
		{name: "single small", sizes: []int{10}},
		{name: "empty packet", sizes: []int{0, 3, 0}},
		{name: "lacing boundaries", sizes: []int{254, 255, 256, 510, 511}},
		{name: "spans pages", sizes: []int{70000, 5, 255 * 255, 1}},
		{name: "many small fill pages", sizes: repeat(20, 300)},
		{name: "flushed headers", sizes: []int{19, 30, 40, 40}, flush: []bool{true, true, false, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf, 0xabcdef01)
			for i, n := range tc.sizes {
				if err := w.WritePacket(packetOf(n, byte(i)), int64(1000*(i+1))); err != nil {
					t.Fatal(err)
				}
				if i < len(tc.flush) && tc.flush[i] {
					if err := w.Flush(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.WritePacket([]byte{1}, 0); !errors.Is(err, ErrClosed) {
				t.Fatalf("write after close: %v, want ErrClosed", err)
			}

			r := NewReader(bytes.NewReader(buf.Bytes()))
			lastGranule := int64(-1)
			for i, n := range tc.sizes {
				p, err := r.ReadPacket()
				if err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				if !bytes.Equal(p.Data, packetOf(n, byte(i))) {
					t.Fatalf("packet %d: %d bytes differ from the %d written", i, len(p.Data), n)
				}
				if p.Granule != -1 {
					if p.Granule != int64(1000*(i+1)) {
						t.Fatalf("packet %d: granule %d, want %d", i, p.Granule, 1000*(i+1))
					}
					lastGranule = p.Granule
				}
				if i == len(tc.sizes)-1 && !p.EOS {
					t.Fatalf("last packet lacks EOS")
				}
			}
			if lastGranule != int64(1000*len(tc.sizes)) {
				t.Fatalf("last granule seen %d, want %d", lastGranule, 1000*len(tc.sizes))
			}
			if _, err := r.ReadPacket(); err != io.EOF {
				t.Fatalf("after last packet: %v, want io.EOF", err)
			}
			checkPages(t, buf.Bytes(), tc.flush)
		})
	}
}

func repeat(n, times int) []int {
	s := make([]int, times)
	for i := range s {
		s[i] = n
	}
	return s
}

// checkPages walks the raw pages: BOS only on the first, EOS only on the last,
// consecutive sequence numbers, and a page per Flush.
func checkPages(t *testing.T, b []byte, flush []bool) {
	t.Helper()
	var pages []Page
	for len(b) > 0 {
		p, n, err := ParsePage(b)
		if err != nil {
			t.Fatalf("page %d: %v", len(pages), err)
		}
		pages = append(pages, p)
		b = b[n:]
	}
	for i, p := range pages {
		if (p.Flags&FlagBOS != 0) != (i == 0) {
			t.Errorf("page %d: BOS=%t", i, p.Flags&FlagBOS != 0)
		}
		if (p.Flags&FlagEOS != 0) != (i == len(pages)-1) {
			t.Errorf("page %d: EOS=%t", i, p.Flags&FlagEOS != 0)
		}
		if p.Sequence != uint32(i) {
			t.Errorf("page %d: sequence %d", i, p.Sequence)
		}
		if p.Serial != 0xabcdef01 {
			t.Errorf("page %d: serial %#x", i, p.Serial)
		}
	}
	for i, f := range flush {
		// Each flushed packet sits alone on its own page.
		if f && (i >= len(pages) || len(pages[i].Segments) != 1+len(pages[i].Body)/255) {
			t.Errorf("flushed packet %d is not alone on page %d", i, i)
		}
	}
}

func TestContinuedPageGranule(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, 1)
	if err := w.WritePacket(packetOf(255*300, 1), 42); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	p1, n, err := ParsePage(b)
	if err != nil {
		t.Fatal(err)
	}
	p2, _, err := ParsePage(b[n:])
	if err != nil {
		t.Fatal(err)
	}
	if p1.Granule != -1 || p1.Flags&FlagContinued != 0 {
		t.Errorf("first page: granule %d flags %#x, want -1 and not continued", p1.Granule, p1.Flags)
	}
	if p2.Granule != 42 || p2.Flags&FlagContinued == 0 {
		t.Errorf("second page: granule %d flags %#x, want 42 and continued", p2.Granule, p2.Flags)
	}
}

func TestEmptyStreamClose(t *testing.T) {
	var buf bytes.Buffer
	if err := NewWriter(&buf, 7).Close(); err != nil {
		t.Fatal(err)
	}
	p, _, err := ParsePage(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if p.Flags != FlagBOS|FlagEOS || len(p.Segments) != 0 {
		t.Fatalf("flags %#x, %d segments; want BOS|EOS and none", p.Flags, len(p.Segments))
	}
}

// validStream returns a two-page stream for the malformed-input tests.
func validStream(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, 9)
	for i := range 3 {
		if err := w.WritePacket(packetOf(100, byte(i)), int64(i)); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// resign recomputes the CRC of the page at the start of b after a test has
// edited a header field, so that only the intended defect remains.
func resign(b []byte) {
	nseg := int(b[26])
	n := HeaderSize + nseg
	for _, s := range b[HeaderSize:n] {
		n += int(s)
	}
	binary.LittleEndian.PutUint32(b[crcOffset:], 0)
	binary.LittleEndian.PutUint32(b[crcOffset:], crcUpdate(0, b[:n]))
}

func TestMalformed(t *testing.T) {
	const pageLen = HeaderSize + 1 + 100
	tests := []struct {
		name   string
		mutate func([]byte) []byte
		want   error
	}{
		{"capture pattern", func(b []byte) []byte { b[0] = 'X'; return b }, ErrCapturePattern},
		{"second page capture", func(b []byte) []byte { b[pageLen+1] = 'x'; return b }, ErrCapturePattern},
		{"checksum", func(b []byte) []byte { b[HeaderSize+5] ^= 1; return b }, ErrChecksum},
		{"version", func(b []byte) []byte { b[4] = 1; resign(b); return b }, ErrVersion},
		{"reserved flag", func(b []byte) []byte { b[5] |= 0x80; resign(b); return b }, ErrVersion},
		{"truncated header", func(b []byte) []byte { return b[:10] }, ErrTruncated},
		{"truncated body", func(b []byte) []byte { return b[:pageLen-1] }, ErrTruncated},
		{"lacing beyond data", func(b []byte) []byte { b[HeaderSize] = 255; resign(b); return b[:pageLen] }, ErrTruncated},
		{"missing BOS", func(b []byte) []byte { b[5] = 0; resign(b); return b }, ErrStream},
		{"sequence gap", func(b []byte) []byte { b[pageLen+18] = 5; resign(b[pageLen:]); return b }, ErrStream},
		{"second serial", func(b []byte) []byte { b[pageLen+14] = 1; resign(b[pageLen:]); return b }, ErrStream},
		{"stray continuation", func(b []byte) []byte { b[pageLen+5] |= FlagContinued; resign(b[pageLen:]); return b }, ErrStream},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mutate(validStream(t))
			r := NewReader(bytes.NewReader(b))
			var err error
			for err == nil {
				_, err = r.ReadPacket()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestPacketTooLarge(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, 1)
	if err := w.WritePacket(packetOf(5000, 0), 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf)
	r.MaxPacketSize = 4096
	if _, err := r.ReadPacket(); !errors.Is(err, ErrPacketTooLarge) {
		t.Fatalf("got %v, want ErrPacketTooLarge", err)
	}
}

func TestTruncatedInsidePacketAcrossPages(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, 1)
	if err := w.WritePacket(packetOf(255*300, 0), 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, n, err := ParsePage(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(bytes.NewReader(buf.Bytes()[:n])) // only the first page
	if _, err := r.ReadPacket(); !errors.Is(err, ErrTruncated) {
		t.Fatalf("got %v, want ErrTruncated", err)
	}
}

func TestAppendPageRejectsBadLacing(t *testing.T) {
	if _, err := AppendPage(nil, Page{Segments: []byte{3}, Body: []byte{1}}); !errors.Is(err, ErrLacing) {
		t.Fatalf("got %v, want ErrLacing", err)
	}
}

func TestSteadyStateAllocations(t *testing.T) {
	pkt := packetOf(80, 3)
	w := NewWriter(io.Discard, 1)
	var g int64
	if n := testing.AllocsPerRun(200, func() {
		g += 960
		if err := w.WritePacket(pkt, g); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("write: %v allocations per packet, want 0", n)
	}

	var buf bytes.Buffer
	w = NewWriter(&buf, 1)
	for i := range 2000 {
		if err := w.WritePacket(pkt, int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := NewReader(bytes.NewReader(buf.Bytes()))
	if _, err := r.ReadPacket(); err != nil { // warm the packet buffer
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := r.ReadPacket(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("read: %v allocations per packet, want 0", n)
	}
}
