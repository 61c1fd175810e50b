package ogg

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReader feeds arbitrary bytes to ParsePage and to the packet reader.
// Neither may panic, every error must wrap a package sentinel, and a page
// that parses must re-encode to the same bytes.
func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	w := NewWriter(&buf, 5)
	for i, n := range []int{19, 0, 300, 600} {
		_ = w.WritePacket(packetOf(n, byte(i)), int64(i))
		if i == 0 {
			_ = w.Flush()
		}
	}
	_ = w.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("OggS"))
	f.Add([]byte{})

	sentinels := []error{ErrCapturePattern, ErrVersion, ErrChecksum, ErrTruncated, ErrLacing, ErrStream, ErrPacketTooLarge}
	known := func(err error) bool {
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return true
			}
		}
		return false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, n, err := ParsePage(data); err == nil {
			again, err := AppendPage(nil, p)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			if !bytes.Equal(again, data[:n]) {
				t.Fatalf("re-encoded page differs")
			}
		} else if !known(err) {
			t.Fatalf("ParsePage: unclassified error %v", err)
		}

		r := NewReader(bytes.NewReader(data))
		r.MaxPacketSize = 1 << 16
		for {
			p, err := r.ReadPacket()
			if err == io.EOF {
				return
			}
			if err != nil {
				if !known(err) {
					t.Fatalf("ReadPacket: unclassified error %v", err)
				}
				return
			}
			if len(p.Data) > r.MaxPacketSize {
				t.Fatalf("packet of %d bytes exceeds limit", len(p.Data))
			}
		}
	})
}
