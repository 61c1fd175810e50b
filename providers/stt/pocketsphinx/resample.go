package pocketsphinx

import "github.com/switchboard-voice/switchboard/audio/resample"

// newUpsampler converts a stream's input rate (8 kHz phone audio, 48 kHz
// browser audio) to DecodeRate.
func newUpsampler(in, out int) (upsampler, error) {
	return resample.New(in, out)
}
