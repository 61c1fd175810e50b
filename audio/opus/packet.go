package opus

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps one of them.
var (
	// ErrInvalidPacket means a packet breaks RFC 6716 §3 framing rules or
	// libopus rejected it as corrupt.
	ErrInvalidPacket = errors.New("opus: invalid packet")
	// ErrBufferTooSmall means a caller-supplied buffer cannot hold the result.
	ErrBufferTooSmall = errors.New("opus: buffer too small")
	// ErrFrameSize means the PCM slice handed to Encode is not one frame.
	ErrFrameSize = errors.New("opus: pcm length is not the frame size")
	// ErrConfig means an Encoder or Decoder configuration is not supported.
	ErrConfig = errors.New("opus: unsupported configuration")
	// ErrCodec wraps any other failure reported by libopus.
	ErrCodec = errors.New("opus: codec error")
	// ErrHeader means an OpusHead or OpusTags packet is malformed.
	ErrHeader = errors.New("opus: bad Ogg Opus header")
)

const (
	// maxFrameBytes is the largest compressed frame (RFC 6716 §3.4 R2).
	maxFrameBytes = 1275
	// maxPacketSamples48k is the longest packet, 120 ms at 48 kHz (§3.2.5).
	maxPacketSamples48k = 5760
)

// PacketInfo describes a packet from its TOC byte and framing (RFC 6716 §3.1).
type PacketInfo struct {
	Config int  // 0..31: mode, bandwidth and frame duration
	Stereo bool // the s bit
	Frames int  // number of frames in the packet
	// FrameSamples48k is the duration of one frame in 48 kHz samples
	// (120 for 2.5 ms up to 2880 for 60 ms).
	FrameSamples48k int
}

// Samples returns the packet's duration in samples at sampleRate.
func (p PacketInfo) Samples(sampleRate int) int {
	return p.Frames * p.FrameSamples48k * sampleRate / 48000
}

// frameSamples48k maps a TOC configuration number to its frame duration
// (RFC 6716 Table 2): SILK 10/20/40/60 ms, hybrid 10/20 ms, CELT
// 2.5/5/10/20 ms.
func frameSamples48k(config int) int {
	switch {
	case config < 12:
		return [4]int{480, 960, 1920, 2880}[config&3]
	case config < 16:
		return [2]int{480, 960}[config&1]
	default:
		return [4]int{120, 240, 480, 960}[config&3]
	}
}

// ParsePacket validates packet against RFC 6716 §3.4 (R1–R7) and returns what
// its header says. It reads the packet only; nothing is decoded or allocated.
func ParsePacket(packet []byte) (PacketInfo, error) {
	if len(packet) < 1 { // R1
		return PacketInfo{}, fmt.Errorf("%w: empty", ErrInvalidPacket)
	}
	toc := packet[0]
	info := PacketInfo{
		Config:          int(toc >> 3),
		Stereo:          toc&0x04 != 0,
		FrameSamples48k: frameSamples48k(int(toc >> 3)),
	}
	rest := packet[1:]
	switch toc & 0x03 {
	case 0: // one frame
		info.Frames = 1
		if len(rest) > maxFrameBytes { // R2
			return PacketInfo{}, fmt.Errorf("%w: frame of %d bytes", ErrInvalidPacket, len(rest))
		}
	case 1: // two frames of equal size
		info.Frames = 2
		if len(rest)%2 != 0 || len(rest)/2 > maxFrameBytes { // R3
			return PacketInfo{}, fmt.Errorf("%w: code 1 payload of %d bytes", ErrInvalidPacket, len(rest))
		}
	case 2: // two frames, first length coded
		info.Frames = 2
		n, used, ok := frameLength(rest)
		if !ok || n > len(rest)-used { // R4
			return PacketInfo{}, fmt.Errorf("%w: code 2 frame length", ErrInvalidPacket)
		}
		if n > maxFrameBytes || len(rest)-used-n > maxFrameBytes {
			return PacketInfo{}, fmt.Errorf("%w: code 2 frame too long", ErrInvalidPacket)
		}
	case 3: // arbitrary number of frames
		if err := parseCode3(rest, &info); err != nil {
			return PacketInfo{}, err
		}
	}
	if info.Frames*info.FrameSamples48k > maxPacketSamples48k {
		return PacketInfo{}, fmt.Errorf("%w: longer than 120 ms", ErrInvalidPacket)
	}
	return info, nil
}

// frameLength decodes the one- or two-byte frame length of RFC 6716 §3.2.1.
func frameLength(b []byte) (n, used int, ok bool) {
	if len(b) < 1 {
		return 0, 0, false
	}
	if b[0] < 252 {
		return int(b[0]), 1, true
	}
	if len(b) < 2 {
		return 0, 0, false
	}
	return int(b[1])*4 + int(b[0]), 2, true
}

// parseCode3 checks a code 3 packet (RFC 6716 §3.2.5, R5–R7).
func parseCode3(b []byte, info *PacketInfo) error {
	if len(b) < 1 {
		return fmt.Errorf("%w: code 3 without frame count", ErrInvalidPacket)
	}
	vbr, padded, m := b[0]&0x80 != 0, b[0]&0x40 != 0, int(b[0]&0x3f)
	b = b[1:]
	if m == 0 || m*info.FrameSamples48k > maxPacketSamples48k { // R5
		return fmt.Errorf("%w: code 3 with %d frames", ErrInvalidPacket, m)
	}
	info.Frames = m
	pad := 0
	if padded {
		for {
			if len(b) < 1 {
				return fmt.Errorf("%w: padding length runs off the end", ErrInvalidPacket)
			}
			v := int(b[0])
			b = b[1:]
			if v == 255 {
				pad += 254
				continue
			}
			pad += v
			break
		}
	}
	if pad > len(b) {
		return fmt.Errorf("%w: %d bytes of padding in %d", ErrInvalidPacket, pad, len(b))
	}
	data := len(b) - pad
	if !vbr {
		if data%m != 0 || data/m > maxFrameBytes { // R6
			return fmt.Errorf("%w: code 3 CBR payload of %d bytes for %d frames", ErrInvalidPacket, data, m)
		}
		return nil
	}
	for range m - 1 {
		n, used, ok := frameLength(b[:data])
		if !ok || n > maxFrameBytes {
			return fmt.Errorf("%w: code 3 VBR frame length", ErrInvalidPacket)
		}
		b, data = b[used:], data-used
		if n > data { // R7
			return fmt.Errorf("%w: code 3 VBR frames exceed the packet", ErrInvalidPacket)
		}
		data -= n
	}
	if data > maxFrameBytes {
		return fmt.Errorf("%w: code 3 VBR last frame too long", ErrInvalidPacket)
	}
	return nil
}
