package opus

import (
	"fmt"

	hopus "github.com/hraban/opus"
)

// Decoder decodes Opus packets to mono 16-bit PCM. It decodes packets of any
// mode, bandwidth or channel count (stereo is downmixed by libopus). It is not
// safe for concurrent use.
//
// There is no decoder pool: hraban/opus exposes no decoder reset, and reusing
// a decoder without one would let concealment and the CELT overlap replay the
// previous caller's audio into the next call. A decoder is one allocation of
// libopus state (about 18 KB mono) per stream.
type Decoder struct {
	dec  *hopus.Decoder
	rate int
	// last is the duration of the last decoded packet in samples: the size
	// of a concealed frame, since a lost packet most likely matched it.
	last int
}

// NewDecoder returns a mono decoder producing PCM at sampleRate.
func NewDecoder(sampleRate int) (*Decoder, error) {
	if err := checkRate(sampleRate); err != nil {
		return nil, err
	}
	dec, err := hopus.NewDecoder(sampleRate, 1)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCodec, err)
	}
	return &Decoder{dec: dec, rate: sampleRate, last: sampleRate / 50}, nil
}

// SampleRate is the rate of the PCM the decoder produces.
func (d *Decoder) SampleRate() int { return d.rate }

// Decode decodes packet into dst and returns the number of samples written.
// An empty packet means the packet was lost and is concealed as by Conceal.
// The packet is checked with ParsePacket first, so malformed input is reported
// as ErrInvalidPacket without reaching libopus; dst must hold the whole packet
// (5760 samples at 48 kHz always suffice) or ErrBufferTooSmall is returned.
func (d *Decoder) Decode(dst []int16, packet []byte) (int, error) {
	if len(packet) == 0 {
		return d.Conceal(dst)
	}
	info, err := ParsePacket(packet)
	if err != nil {
		return 0, err
	}
	n := info.Samples(d.rate)
	if len(dst) < n {
		return 0, fmt.Errorf("%w: packet has %d samples, dst %d", ErrBufferTooSmall, n, len(dst))
	}
	// hraban hands cap(dst) to libopus as the frame size; clip to the
	// packet so libopus writes only what the caller will read.
	got, err := d.dec.Decode(packet, dst[:n:n])
	if err != nil {
		return 0, codecErr(err)
	}
	d.last = got
	return got, nil
}

// Conceal synthesizes one lost packet's worth of audio (the duration of the
// last packet decoded, 20 ms before the first) into dst using libopus
// packet-loss concealment, and returns the number of samples written.
func (d *Decoder) Conceal(dst []int16) (int, error) {
	n := d.last
	if len(dst) < n {
		return 0, fmt.Errorf("%w: concealment needs %d samples, dst %d", ErrBufferTooSmall, n, len(dst))
	}
	if err := d.dec.DecodePLC(dst[:n:n]); err != nil {
		return 0, codecErr(err)
	}
	return n, nil
}

// DecodeFEC recovers the packet lost just before next from the in-band FEC
// data that next carries (Config.FEC on the sending side), writing one lost
// packet's duration into dst. If next carries no FEC, libopus conceals
// instead. Call Decode(next) afterwards to decode next itself.
func (d *Decoder) DecodeFEC(dst []int16, next []byte) (int, error) {
	if len(next) == 0 {
		return d.Conceal(dst)
	}
	if _, err := ParsePacket(next); err != nil {
		return 0, err
	}
	n := d.last
	if len(dst) < n {
		return 0, fmt.Errorf("%w: FEC needs %d samples, dst %d", ErrBufferTooSmall, n, len(dst))
	}
	if err := d.dec.DecodeFEC(next, dst[:n:n]); err != nil {
		return 0, codecErr(err)
	}
	return n, nil
}
