package opus

import (
	"errors"
	"testing"

	"github.com/switchboard-voice/switchboard/audio/ogg"
)

// FuzzDecode hands arbitrary packets to the decoder. The process must never
// crash, errors must wrap the package sentinels, a decoded packet must have
// the duration its header announces, and the decoder must stay usable.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x08, 0x0b, 0xe4, 0xc1, 0x36})
	f.Add([]byte{0xfc, 0xff, 0xfe})
	f.Add([]byte{0x4b, 0x83, 0x01, 0x02, 0x03, 0x04})
	f.Add([]byte{0x7b})
	dec, err := NewDecoder(48000)
	if err != nil {
		f.Fatal(err)
	}
	dst := make([]int16, 5760)
	f.Fuzz(func(t *testing.T, packet []byte) {
		n, err := dec.Decode(dst, packet)
		if err != nil {
			if !errors.Is(err, ErrInvalidPacket) && !errors.Is(err, ErrCodec) && !errors.Is(err, ErrBufferTooSmall) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if len(packet) == 0 {
			return
		}
		info, perr := ParsePacket(packet)
		if perr != nil {
			t.Fatalf("decoded a packet ParsePacket rejects: %v", perr)
		}
		if n != info.Samples(48000) {
			t.Fatalf("decoded %d samples, header says %d", n, info.Samples(48000))
		}
		if _, err := dec.Conceal(dst); err != nil {
			t.Fatalf("conceal after decode: %v", err)
		}
	})
}

// FuzzOggOpus feeds arbitrary bytes to the Ogg Opus reader and the header
// parsers; none may crash or return an unclassified error.
func FuzzOggOpus(f *testing.F) {
	head, _ := Head{Version: 1, Channels: 1, PreSkip: 312, InputSampleRate: 16000}.AppendBinary(nil)
	tags, _ := Tags{Vendor: "x", Comments: []string{"A=b"}}.AppendBinary(nil)
	f.Add(head)
	f.Add(tags)
	known := func(err error) bool {
		for _, s := range []error{ErrHeader, ErrInvalidPacket, ogg.ErrCapturePattern, ogg.ErrVersion,
			ogg.ErrChecksum, ogg.ErrTruncated, ogg.ErrLacing, ogg.ErrStream, ogg.ErrPacketTooLarge} {
			if errors.Is(err, s) {
				return true
			}
		}
		return false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if h, err := ParseHead(data); err == nil {
			b, _ := h.AppendBinary(nil)
			if _, err := ParseHead(b); err != nil {
				t.Fatalf("re-encoded head does not parse: %v", err)
			}
		} else if !known(err) {
			t.Fatalf("ParseHead: %v", err)
		}
		if _, err := ParseTags(data); err != nil && !known(err) {
			t.Fatalf("ParseTags: %v", err)
		}
		if _, _, err := ReadOggFile(data); err != nil && !known(err) {
			t.Fatalf("ReadOggFile: %v", err)
		}
	})
}
