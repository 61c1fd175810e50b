package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-voice/switchboard/audio/g711"
)

// Sentinel errors; returned errors wrap one of them (test with errors.Is).
var (
	// ErrNotWAV means the input is not a RIFF/WAVE file at all.
	ErrNotWAV = errors.New("wav: not a RIFF/WAVE file")
	// ErrUnsupportedFormat means a well-formed file whose encoding, bit
	// depth or channel count this package does not handle.
	ErrUnsupportedFormat = errors.New("wav: unsupported format")
	// ErrTruncated means the input ends inside a header or chunk.
	ErrTruncated = errors.New("wav: truncated")
	// ErrMalformed means the header is internally inconsistent or a
	// required chunk is missing.
	ErrMalformed = errors.New("wav: malformed")
)

// Format is a WAVE format tag restricted to the encodings this package
// supports.
type Format uint16

const (
	// PCM16 is 16-bit signed little-endian linear PCM (WAVE_FORMAT_PCM).
	PCM16 Format = 1
	// ALaw is G.711 A-law, 8 bits per sample (WAVE_FORMAT_ALAW).
	ALaw Format = 6
	// ULaw is G.711 μ-law, 8 bits per sample (WAVE_FORMAT_MULAW).
	ULaw Format = 7
)

const formatExtensible = 0xFFFE

// String returns the format's conventional name.
func (f Format) String() string {
	switch f {
	case PCM16:
		return "pcm16"
	case ALaw:
		return "alaw"
	case ULaw:
		return "mulaw"
	}
	return fmt.Sprintf("format(%d)", uint16(f))
}

// BytesPerSample is the size of one sample of one channel, or 0 for an
// unknown format.
func (f Format) BytesPerSample() int {
	switch f {
	case PCM16:
		return 2
	case ALaw, ULaw:
		return 1
	}
	return 0
}

// MaxChannels is the largest channel count accepted: the engine handles
// mono and stereo only.
const MaxChannels = 2

// MaxSampleRate bounds the sample rate so that derived byte rates fit in the
// header's 32-bit fields with room to spare.
const MaxSampleRate = 1_000_000

// Audio is a decoded WAVE file.
type Audio struct {
	Format     Format
	SampleRate int
	Channels   int
	// Data is the raw sample data, interleaved, a whole number of frames
	// long. After Decode it aliases the input buffer.
	Data []byte
}

// Frames returns the number of sample frames (one sample per channel).
func (a *Audio) Frames() int {
	bs := a.Format.BytesPerSample() * a.Channels
	if bs == 0 {
		return 0
	}
	return len(a.Data) / bs
}

// Duration returns the playing time of the audio.
func (a *Audio) Duration() time.Duration {
	if a.SampleRate <= 0 {
		return 0
	}
	return time.Duration(a.Frames()) * time.Second / time.Duration(a.SampleRate)
}

// AppendInt16 appends the audio's interleaved samples as 16-bit linear PCM
// to dst, expanding G.711 data, and returns the extended slice.
func (a *Audio) AppendInt16(dst []int16) []int16 {
	n := a.Frames() * a.Channels
	start := len(dst)
	dst = append(dst, make([]int16, n)...)
	out := dst[start:]
	switch a.Format {
	case PCM16:
		for i := range out {
			out[i] = int16(binary.LittleEndian.Uint16(a.Data[2*i:]))
		}
	case ULaw:
		g711.DecodeULaw(out, a.Data)
	case ALaw:
		g711.DecodeALaw(out, a.Data)
	}
	return dst
}

// Int16 returns the audio's interleaved samples as 16-bit linear PCM.
func (a *Audio) Int16() []int16 { return a.AppendInt16(nil) }

// validate checks a format description; both reader and writer use it.
func validate(format Format, sampleRate, channels int) error {
	if format.BytesPerSample() == 0 {
		return fmt.Errorf("%w: %v", ErrUnsupportedFormat, format)
	}
	if channels < 1 || channels > MaxChannels {
		return fmt.Errorf("%w: %d channels", ErrUnsupportedFormat, channels)
	}
	if sampleRate < 1 || sampleRate > MaxSampleRate {
		return fmt.Errorf("%w: sample rate %d", ErrUnsupportedFormat, sampleRate)
	}
	return nil
}
