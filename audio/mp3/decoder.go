package mp3

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	gomp3 "github.com/hajimehoshi/go-mp3"
)

// Decode decodes a whole MPEG-1 or MPEG-2 (not 2.5) MP3 stream held in data to mono PCM16 (stereo is
// averaged) at the stream's own sample rate. maxSamples bounds the output,
// so a small file that claims hours of audio cannot exhaust memory; 0
// means no bound.
//
// go-mp3 indexes its tables with values read from the stream and panics on
// some corrupt frames (found by FuzzDecode); Decode turns such a panic into
// ErrInvalid, since an upload must never crash the server.
func Decode(data []byte, maxSamples int) (pcm []int16, sampleRate int, err error) {
	defer func() {
		if v := recover(); v != nil {
			pcm, sampleRate, err = nil, 0, fmt.Errorf("%w: corrupt frame (%v)", ErrInvalid, v)
		}
	}()
	d, err := gomp3.NewDecoder(bytes.NewReader(data))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	// go-mp3 always yields 16-bit little-endian stereo.
	buf := make([]byte, 4608)
	for {
		n, rerr := d.Read(buf)
		for i := 0; i+4 <= n; i += 4 {
			l := int32(int16(binary.LittleEndian.Uint16(buf[i:])))
			r := int32(int16(binary.LittleEndian.Uint16(buf[i+2:])))
			pcm = append(pcm, int16((l+r)/2))
		}
		if maxSamples > 0 && len(pcm) > maxSamples {
			return nil, 0, fmt.Errorf("%w: longer than %d samples", ErrInvalid, maxSamples)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if len(pcm) > 0 && rerr == io.ErrUnexpectedEOF {
				break // a truncated last frame: keep what decoded
			}
			return nil, 0, fmt.Errorf("%w: %v", ErrInvalid, rerr)
		}
	}
	if len(pcm) == 0 {
		return nil, 0, fmt.Errorf("%w: no audio frames", ErrInvalid)
	}
	return pcm, d.SampleRate(), nil
}

// Sniff reports whether data starts like an MP3 stream: an ID3v2 tag or
// an MPEG audio frame sync with Layer III.
func Sniff(data []byte) bool {
	if len(data) >= 3 && string(data[:3]) == "ID3" {
		return true
	}
	// 11 sync bits, then version (not the reserved 01) and layer 01 (III).
	return len(data) >= 2 && data[0] == 0xFF && data[1]&0xE0 == 0xE0 && data[1]&0x18 != 0x08 && data[1]&0x06 == 0x02
}
