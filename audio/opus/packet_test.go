package opus

import (
	"bytes"
	"errors"
	"testing"
)

func TestParsePacket(t *testing.T) {
	tests := []struct {
		name    string
		packet  []byte
		frames  int
		samples int // at 48 kHz
		valid   bool
	}{
		{"empty (R1)", nil, 0, 0, false},
		{"SILK NB 10 ms code 0", []byte{0 << 3, 1, 2}, 1, 480, true},
		{"SILK WB 60 ms code 0", []byte{11 << 3}, 1, 2880, true},
		{"CELT FB 2.5 ms code 0", []byte{28 << 3, 9}, 1, 120, true},
		{"hybrid FB 20 ms stereo", []byte{15<<3 | 4, 1}, 1, 960, true},
		{"code 0 frame over 1275 (R2)", append([]byte{8 << 3}, make([]byte, 1276)...), 0, 0, false},
		{"code 1 even", []byte{9<<3 | 1, 1, 2, 3, 4}, 2, 1920, true},
		{"code 1 odd (R3)", []byte{9<<3 | 1, 1, 2, 3}, 0, 0, false},
		{"code 2 lengths fit", []byte{9<<3 | 2, 2, 1, 2, 3}, 2, 1920, true},
		{"code 2 two-byte length", append([]byte{9<<3 | 2, 252, 1}, make([]byte, 256)...), 2, 1920, true},
		{"code 2 length past end (R4)", []byte{9<<3 | 2, 9, 1}, 0, 0, false},
		{"code 2 missing second length byte", []byte{9<<3 | 2, 253}, 0, 0, false},
		{"code 3 missing count", []byte{9<<3 | 3}, 0, 0, false},
		{"code 3 zero frames (R5)", []byte{9<<3 | 3, 0}, 0, 0, false},
		{"code 3 CBR 3 frames", []byte{1<<3 | 3, 3, 1, 2, 3}, 3, 2880, true},
		{"code 3 over 120 ms (R5)", []byte{3<<3 | 3, 3}, 0, 0, false},
		{"code 3 CBR uneven (R6)", []byte{1<<3 | 3, 3, 1, 2}, 0, 0, false},
		{"code 3 padding", []byte{1<<3 | 3, 0x40 | 2, 2, 7, 8, 0, 0}, 2, 1920, true},
		{"code 3 padding chain 255", append([]byte{1<<3 | 3, 0x40 | 1, 255, 0}, make([]byte, 254)...), 1, 960, true},
		{"code 3 padding past end", []byte{1<<3 | 3, 0x40 | 1, 10}, 0, 0, false},
		{"code 3 padding length runs off", []byte{1<<3 | 3, 0x40 | 1, 255}, 0, 0, false},
		{"code 3 VBR", []byte{1<<3 | 3, 0x80 | 3, 1, 2, 9, 9, 9, 9}, 3, 2880, true},
		{"code 3 VBR overflow (R7)", []byte{1<<3 | 3, 0x80 | 3, 1, 9, 9, 9}, 0, 0, false},
		{"code 3 CELT 2.5 ms x48", append([]byte{16<<3 | 3, 48}, make([]byte, 48)...), 48, 5760, true},
		{"code 3 CELT 2.5 ms x49", append([]byte{16<<3 | 3, 49}, make([]byte, 49)...), 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := ParsePacket(tc.packet)
			if !tc.valid {
				if !errors.Is(err, ErrInvalidPacket) {
					t.Fatalf("got %+v, %v; want ErrInvalidPacket", info, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if info.Frames != tc.frames || info.Samples(48000) != tc.samples {
				t.Fatalf("got %d frames, %d samples; want %d, %d", info.Frames, info.Samples(48000), tc.frames, tc.samples)
			}
		})
	}
}

func TestDecodeRejectsBadPackets(t *testing.T) {
	dec, err := NewDecoder(16000)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]int16, 5760)
	bad := [][]byte{
		{9<<3 | 1, 1, 2, 3},
		{9<<3 | 3, 0},
		append([]byte{8 << 3}, make([]byte, 1276)...),
	}
	for _, p := range bad {
		if _, err := dec.Decode(dst, p); !errors.Is(err, ErrInvalidPacket) {
			t.Errorf("packet % x...: %v, want ErrInvalidPacket", p[:2], err)
		}
	}
	// Well-framed but long: dst must hold the whole packet.
	long := []byte{11 << 3, 0} // one 60 ms SILK frame
	if _, err := dec.Decode(dst[:959], long); !errors.Is(err, ErrBufferTooSmall) {
		t.Errorf("short dst: %v, want ErrBufferTooSmall", err)
	}
	// Garbage that passes framing checks reaches libopus, which must
	// reject it or decode it; either way the process survives and a
	// following valid packet still decodes.
	for i := range 200 {
		p := bytes.Repeat([]byte{byte(i * 13), byte(i * 101), 0xff, 0}, 1+i%20)
		p[0] = byte(i%32) << 3
		_, err := dec.Decode(dst, p)
		if err != nil && !errors.Is(err, ErrInvalidPacket) && !errors.Is(err, ErrCodec) {
			t.Fatalf("unclassified error %v", err)
		}
	}
	enc, _ := NewEncoder(Config{SampleRate: 16000})
	pkt := make([]byte, MaxPacketBytes)
	n, _ := enc.Encode(pkt, make([]int16, 320))
	if m, err := dec.Decode(dst, pkt[:n]); err != nil || m != 320 {
		t.Fatalf("valid packet after garbage: %d, %v", m, err)
	}
}
