package opus

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

var (
	headMagic = []byte("OpusHead")
	tagsMagic = []byte("OpusTags")
)

// Head is the OpusHead identification header (RFC 7845 §5.1).
type Head struct {
	Version         uint8 // 1 for this spec; any 0..15 is readable
	Channels        uint8
	PreSkip         uint16 // 48 kHz samples to drop at the start
	InputSampleRate uint32 // informational; 0 means unspecified
	OutputGain      int16  // Q7.8 dB
	MappingFamily   uint8
	// StreamCount, CoupledCount and Mapping are present only when
	// MappingFamily is not 0 (§5.1.1).
	StreamCount  uint8
	CoupledCount uint8
	Mapping      []byte
}

// ParseHead parses and checks an OpusHead packet.
func ParseHead(b []byte) (Head, error) {
	if len(b) < 19 || !bytes.Equal(b[:8], headMagic) {
		return Head{}, fmt.Errorf("%w: not an OpusHead packet", ErrHeader)
	}
	h := Head{
		Version:         b[8],
		Channels:        b[9],
		PreSkip:         binary.LittleEndian.Uint16(b[10:]),
		InputSampleRate: binary.LittleEndian.Uint32(b[12:]),
		OutputGain:      int16(binary.LittleEndian.Uint16(b[16:])),
		MappingFamily:   b[18],
	}
	// The upper four bits are the major version: a change there is an
	// incompatible format (§5.1).
	if h.Version>>4 != 0 {
		return Head{}, fmt.Errorf("%w: version %d", ErrHeader, h.Version)
	}
	if h.Channels == 0 {
		return Head{}, fmt.Errorf("%w: zero channels", ErrHeader)
	}
	if h.MappingFamily == 0 {
		if h.Channels > 2 {
			return Head{}, fmt.Errorf("%w: %d channels in mapping family 0", ErrHeader, h.Channels)
		}
		return h, nil
	}
	if len(b) < 21+int(h.Channels) {
		return Head{}, fmt.Errorf("%w: channel mapping table truncated", ErrHeader)
	}
	h.StreamCount, h.CoupledCount = b[19], b[20]
	if h.StreamCount == 0 || h.CoupledCount > h.StreamCount || int(h.StreamCount)+int(h.CoupledCount) > 255 {
		return Head{}, fmt.Errorf("%w: %d streams, %d coupled", ErrHeader, h.StreamCount, h.CoupledCount)
	}
	h.Mapping = append([]byte(nil), b[21:21+int(h.Channels)]...)
	for _, m := range h.Mapping {
		if m != 255 && int(m) >= int(h.StreamCount)+int(h.CoupledCount) {
			return Head{}, fmt.Errorf("%w: mapping to missing channel %d", ErrHeader, m)
		}
	}
	return h, nil
}

// AppendBinary appends h encoded as an OpusHead packet.
func (h Head) AppendBinary(dst []byte) ([]byte, error) {
	dst = append(dst, headMagic...)
	dst = append(dst, h.Version, h.Channels)
	dst = binary.LittleEndian.AppendUint16(dst, h.PreSkip)
	dst = binary.LittleEndian.AppendUint32(dst, h.InputSampleRate)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(h.OutputGain))
	dst = append(dst, h.MappingFamily)
	if h.MappingFamily != 0 {
		dst = append(dst, h.StreamCount, h.CoupledCount)
		dst = append(dst, h.Mapping...)
	}
	return dst, nil
}

// Tags is the OpusTags comment header (RFC 7845 §5.2).
type Tags struct {
	Vendor   string
	Comments []string // "NAME=value"
}

// ParseTags parses an OpusTags packet. It checks every length against the
// packet before allocating, so a hostile count cannot exhaust memory.
func ParseTags(b []byte) (Tags, error) {
	if len(b) < 16 || !bytes.Equal(b[:8], tagsMagic) {
		return Tags{}, fmt.Errorf("%w: not an OpusTags packet", ErrHeader)
	}
	b = b[8:]
	vendor, b, ok := lengthPrefixed(b)
	if !ok {
		return Tags{}, fmt.Errorf("%w: vendor string truncated", ErrHeader)
	}
	if len(b) < 4 {
		return Tags{}, fmt.Errorf("%w: comment count missing", ErrHeader)
	}
	count := binary.LittleEndian.Uint32(b)
	b = b[4:]
	if uint64(count) > uint64(len(b)/4) {
		return Tags{}, fmt.Errorf("%w: %d comments cannot fit in %d bytes", ErrHeader, count, len(b))
	}
	t := Tags{Vendor: string(vendor), Comments: make([]string, 0, count)}
	for range count {
		var c []byte
		if c, b, ok = lengthPrefixed(b); !ok {
			return Tags{}, fmt.Errorf("%w: comment truncated", ErrHeader)
		}
		t.Comments = append(t.Comments, string(c))
	}
	// Bytes after the comments are allowed (§5.2: padding or binary data).
	return t, nil
}

func lengthPrefixed(b []byte) (s, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, b, false
	}
	n := binary.LittleEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, b, false
	}
	return b[4 : 4+n], b[4+n:], true
}

// AppendBinary appends t encoded as an OpusTags packet.
func (t Tags) AppendBinary(dst []byte) ([]byte, error) {
	dst = append(dst, tagsMagic...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(t.Vendor)))
	dst = append(dst, t.Vendor...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(t.Comments)))
	for _, c := range t.Comments {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(c)))
		dst = append(dst, c...)
	}
	return dst, nil
}
