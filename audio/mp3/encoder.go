package mp3

/*
#cgo LDFLAGS: -lmp3lame
#include <lame/lame.h>
#include <stdlib.h>

static lame_global_flags *sb_lame_open(int rate, int kbps) {
	lame_global_flags *g = lame_init();
	if (g == NULL) return NULL;
	lame_set_num_channels(g, 1);
	lame_set_in_samplerate(g, rate);
	lame_set_out_samplerate(g, rate);
	lame_set_mode(g, MONO);
	lame_set_brate(g, kbps);
	lame_set_quality(g, 5);
	lame_set_bWriteVbrTag(g, 0);
	if (lame_init_params(g) < 0) {
		lame_close(g);
		return NULL;
	}
	return g;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Sentinel errors; every error of this package wraps one of them.
var (
	// ErrConfig reports a sample rate or bitrate MP3 cannot carry.
	ErrConfig = errors.New("mp3: unsupported configuration")
	// ErrBufferTooSmall reports a dst too small for the encoded output.
	ErrBufferTooSmall = errors.New("mp3: buffer too small")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("mp3: encoder closed")
	// ErrCodec wraps any other failure of the encoder.
	ErrCodec = errors.New("mp3: codec error")
	// ErrInvalid reports input that is not a decodable MP3 stream.
	ErrInvalid = errors.New("mp3: invalid stream")
)

// SampleRates are the rates MPEG-1, -2 and -2.5 Layer III can carry.
var SampleRates = []int{8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000}

// DefaultBitrate (kbit/s) is transparent for mono speech.
const DefaultBitrate = 64

// Encoder encodes mono 16-bit PCM to an MP3 stream. It is not safe for
// concurrent use. Close releases its LAME state.
type Encoder struct {
	g    *C.lame_global_flags
	rate int
}

// NewEncoder returns a constant-bitrate mono encoder; kbps 0 means
// DefaultBitrate.
func NewEncoder(sampleRate, kbps int) (*Encoder, error) {
	ok := false
	for _, r := range SampleRates {
		ok = ok || r == sampleRate
	}
	if !ok {
		return nil, fmt.Errorf("%w: sample rate %d", ErrConfig, sampleRate)
	}
	if kbps == 0 {
		kbps = DefaultBitrate
	}
	if kbps < 8 || kbps > 320 {
		return nil, fmt.Errorf("%w: bitrate %d kbit/s", ErrConfig, kbps)
	}
	g := C.sb_lame_open(C.int(sampleRate), C.int(kbps))
	if g == nil {
		return nil, fmt.Errorf("%w: lame refused %d Hz at %d kbit/s", ErrConfig, sampleRate, kbps)
	}
	return &Encoder{g: g, rate: sampleRate}, nil
}

// SampleRate is the rate of the PCM the encoder takes.
func (e *Encoder) SampleRate() int { return e.rate }

// MaxOut is the most bytes Encode can write for n samples, LAME's own
// worst-case bound (1.25·n + 7200).
func MaxOut(n int) int { return n + n/4 + 7200 }

// Encode compresses pcm into dst and returns the bytes written; LAME
// buffers a frame or so, so a call may write nothing. dst must hold
// MaxOut(len(pcm)) bytes.
func (e *Encoder) Encode(dst []byte, pcm []int16) (int, error) {
	if e.g == nil {
		return 0, ErrClosed
	}
	if len(pcm) == 0 {
		return 0, nil
	}
	if len(dst) < MaxOut(len(pcm)) {
		return 0, ErrBufferTooSmall
	}
	n := C.lame_encode_buffer(e.g, (*C.short)(unsafe.Pointer(&pcm[0])), nil, C.int(len(pcm)),
		(*C.uchar)(unsafe.Pointer(&dst[0])), C.int(len(dst)))
	if n < 0 {
		return 0, fmt.Errorf("%w: lame_encode_buffer returned %d", ErrCodec, int(n))
	}
	return int(n), nil
}

// Flush writes the frames LAME still holds (7200 bytes always suffice).
func (e *Encoder) Flush(dst []byte) (int, error) {
	if e.g == nil {
		return 0, ErrClosed
	}
	if len(dst) < 7200 {
		return 0, ErrBufferTooSmall
	}
	n := C.lame_encode_flush(e.g, (*C.uchar)(unsafe.Pointer(&dst[0])), C.int(len(dst)))
	if n < 0 {
		return 0, fmt.Errorf("%w: lame_encode_flush returned %d", ErrCodec, int(n))
	}
	return int(n), nil
}

// Close releases the encoder; calling it again is a no-op.
func (e *Encoder) Close() error {
	if e.g != nil {
		C.lame_close(e.g)
		e.g = nil
	}
	return nil
}
