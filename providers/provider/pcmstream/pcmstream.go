package pcmstream

import (
	"encoding/binary"
	"io"
	"time"

	"github.com/switchboard-voice/switchboard/providers/tts"
)

// ReadSize is the most bytes read (and so the most audio emitted) at a time:
// 4 KiB is 128 ms at 16 kHz, small enough for a prompt first chunk.
const ReadSize = 4096

// Stream reads body to its end and emits a chunk of sampleRate audio for each
// read that completes at least one sample, then a Final chunk with no PCM.
// The chunk's PCM is reused between calls, as tts.Synthesizer documents. It
// returns the audio's total duration, an error from emit as it is, or the
// read error (never io.EOF). A trailing odd byte at the end is dropped: half
// a sample cannot be played.
func Stream(body io.Reader, sampleRate int, emit func(tts.Chunk) error) (time.Duration, error) {
	var (
		buf     = make([]byte, ReadSize+1)
		pcm     = make([]int16, 0, ReadSize/2+1)
		carry   = 0 // bytes of buf[0:carry] left from the previous read
		samples int64
	)
	offset := func() time.Duration {
		return time.Duration(samples) * time.Second / time.Duration(sampleRate)
	}
	for {
		n, err := body.Read(buf[carry : carry+ReadSize])
		n += carry
		if whole := n &^ 1; whole > 0 {
			pcm = pcm[:0]
			for i := 0; i < whole; i += 2 {
				pcm = append(pcm, int16(binary.LittleEndian.Uint16(buf[i:])))
			}
			c := tts.Chunk{PCM: pcm, SampleRate: sampleRate, Offset: offset()}
			if eerr := emit(c); eerr != nil {
				return offset(), eerr
			}
			samples += int64(len(pcm))
			carry = n - whole
			buf[0] = buf[whole] // harmless when carry is 0
		} else {
			carry = n
		}
		if err == io.EOF {
			d := offset()
			return d, emit(tts.Chunk{SampleRate: sampleRate, Offset: d, Final: true})
		}
		if err != nil {
			return offset(), err
		}
	}
}
