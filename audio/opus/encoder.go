package opus

import (
	"fmt"
	"time"

	hopus "github.com/hraban/opus"
)

// Defaults chosen for narrowband and wideband speech on a small machine.
const (
	DefaultBitrate       = 24000 // bit/s; transparent for wideband speech
	DefaultComplexity    = 5     // half of libopus's 10; leaves CPU for many calls
	DefaultFrameDuration = 20 * time.Millisecond
	// PreSkip48k is the encoder delay in 48 kHz samples that an Ogg Opus
	// writer puts in OpusHead. libopus's VoIP lookahead is 2.5 ms plus 4 ms
	// of delay compensation, 6.5 ms, at every sampling rate (RFC 7845 §4.2
	// and the 312 that libopus reports through OPUS_GET_LOOKAHEAD at 48 kHz).
	PreSkip48k = 312
	// MaxPacketBytes is enough for any single packet this package encodes.
	MaxPacketBytes = 1500
)

// Config configures an Encoder. The zero value of each field but SampleRate
// selects the default.
type Config struct {
	SampleRate int // 8000, 16000, 24000 or 48000
	Bitrate    int // bit/s, 6000..510000; 0 means DefaultBitrate
	// Complexity trades CPU for quality, 1..10; 0 means DefaultComplexity
	// (libopus's complexity 0 is not selectable, it is rarely worth it).
	Complexity int
	// FrameDuration is 2.5, 5, 10, 20, 40 or 60 ms; 0 means 20 ms.
	FrameDuration time.Duration
	// FEC enables in-band forward error correction, used by DecodeFEC on
	// the receiving side; it needs PacketLossPercent > 0 to have an effect.
	FEC bool
	// PacketLossPercent tells the encoder what loss to expect, 0..100.
	PacketLossPercent int
	// DTX enables discontinuous transmission: in silence the encoder emits
	// 1- or 2-byte packets and a few comfort-noise updates.
	DTX bool
}

func (c Config) withDefaults() Config {
	if c.Bitrate == 0 {
		c.Bitrate = DefaultBitrate
	}
	if c.Complexity == 0 {
		c.Complexity = DefaultComplexity
	}
	if c.FrameDuration == 0 {
		c.FrameDuration = DefaultFrameDuration
	}
	return c
}

// Validate reports the first unsupported setting, after defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := checkRate(c.SampleRate); err != nil {
		return err
	}
	switch c.FrameDuration {
	case 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
		20 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond:
	default:
		return fmt.Errorf("%w: frame duration %v", ErrConfig, c.FrameDuration)
	}
	if c.Bitrate < 6000 || c.Bitrate > 510000 {
		return fmt.Errorf("%w: bitrate %d", ErrConfig, c.Bitrate)
	}
	if c.Complexity < 1 || c.Complexity > 10 {
		return fmt.Errorf("%w: complexity %d", ErrConfig, c.Complexity)
	}
	if c.PacketLossPercent < 0 || c.PacketLossPercent > 100 {
		return fmt.Errorf("%w: packet loss %d%%", ErrConfig, c.PacketLossPercent)
	}
	return nil
}

func checkRate(rate int) error {
	switch rate {
	case 8000, 16000, 24000, 48000:
		return nil
	}
	// libopus also decodes at 12 kHz; nothing in Switchboard runs at it.
	return fmt.Errorf("%w: sample rate %d", ErrConfig, rate)
}

// Encoder encodes mono 16-bit PCM to Opus packets. It is not safe for
// concurrent use.
type Encoder struct {
	enc          *hopus.Encoder
	cfg          Config
	frameSamples int
}

// NewEncoder returns an encoder for the VoIP application configured by cfg.
func NewEncoder(cfg Config) (*Encoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	enc, err := hopus.NewEncoder(cfg.SampleRate, 1, hopus.AppVoIP)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCodec, err)
	}
	e := &Encoder{
		enc:          enc,
		cfg:          cfg,
		frameSamples: int(int64(cfg.SampleRate) * int64(cfg.FrameDuration) / int64(time.Second)),
	}
	if err := e.apply(); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Encoder) apply() error {
	c := e.cfg
	for _, set := range []func() error{
		func() error { return e.enc.SetBitrate(c.Bitrate) },
		func() error { return e.enc.SetComplexity(c.Complexity) },
		func() error { return e.enc.SetInBandFEC(c.FEC) },
		func() error { return e.enc.SetPacketLossPerc(c.PacketLossPercent) },
		func() error { return e.enc.SetDTX(c.DTX) },
	} {
		if err := set(); err != nil {
			return fmt.Errorf("%w: %w", ErrCodec, err)
		}
	}
	return nil
}

// Config returns the encoder's configuration with defaults filled in.
func (e *Encoder) Config() Config { return e.cfg }

// FrameSamples is the number of samples Encode takes per call.
func (e *Encoder) FrameSamples() int { return e.frameSamples }

// Encode compresses exactly one frame of pcm (FrameSamples samples) into dst
// and returns the packet length. MaxPacketBytes is always enough for dst. With
// DTX on, a packet of 1 or 2 bytes means silence and need not be sent.
func (e *Encoder) Encode(dst []byte, pcm []int16) (int, error) {
	if len(pcm) != e.frameSamples {
		return 0, fmt.Errorf("%w: got %d samples, want %d", ErrFrameSize, len(pcm), e.frameSamples)
	}
	if len(dst) == 0 {
		return 0, fmt.Errorf("%w: empty dst", ErrBufferTooSmall)
	}
	// hraban passes cap(dst) to libopus; clip it so libopus never writes
	// past len(dst), which the caller did not offer.
	n, err := e.enc.Encode(pcm, dst[:len(dst):len(dst)])
	if err != nil {
		return 0, codecErr(err)
	}
	return n, nil
}

// Reset returns the encoder to the state of a fresh one with the same
// configuration, so that nothing of the previous stream leaks into the next.
func (e *Encoder) Reset() error {
	if err := e.enc.Reset(); err != nil {
		return fmt.Errorf("%w: %w", ErrCodec, err)
	}
	// OPUS_RESET_STATE keeps the CTL settings, but apply them again so the
	// reset encoder is exactly what NewEncoder returned.
	return e.apply()
}

// codecErr maps a libopus error to the package's sentinels.
func codecErr(err error) error {
	switch err {
	case hopus.ErrInvalidPacket:
		return fmt.Errorf("%w: %w", ErrInvalidPacket, err)
	case hopus.ErrBufferTooSmall:
		return fmt.Errorf("%w: %w", ErrBufferTooSmall, err)
	}
	return fmt.Errorf("%w: %w", ErrCodec, err)
}
