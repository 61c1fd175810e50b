package ogg

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps one of them.
var (
	// ErrCapturePattern means the bytes at a page boundary are not "OggS".
	ErrCapturePattern = errors.New("ogg: bad capture pattern")
	// ErrVersion means the stream structure version is not 0.
	ErrVersion = errors.New("ogg: unsupported stream structure version")
	// ErrChecksum means the page CRC does not match its contents.
	ErrChecksum = errors.New("ogg: page checksum mismatch")
	// ErrTruncated means the data ends inside a page or inside a packet.
	ErrTruncated = errors.New("ogg: truncated")
	// ErrLacing means the lacing values do not fit the page or the packet
	// size limit.
	ErrLacing = errors.New("ogg: bad lacing")
	// ErrStream means the page sequence is inconsistent: a second serial
	// number, a missing BOS, a sequence gap or a continuation mismatch.
	ErrStream = errors.New("ogg: inconsistent stream")
	// ErrPacketTooLarge means a packet exceeds the configured limit.
	ErrPacketTooLarge = errors.New("ogg: packet too large")
	// ErrClosed means the writer has already been closed.
	ErrClosed = errors.New("ogg: writer closed")
)

// Header type flags (RFC 3533 §6, header_type_flag).
const (
	FlagContinued byte = 0x01 // the page starts with the rest of a packet
	FlagBOS       byte = 0x02 // first page of a logical bitstream
	FlagEOS       byte = 0x04 // last page of a logical bitstream
)

const (
	// HeaderSize is the fixed part of a page header, before the lacing table.
	HeaderSize = 27
	// MaxSegments is the largest number of lacing values in one page.
	MaxSegments = 255
	// MaxPageSize is the largest possible page: header, a full lacing table
	// and 255 segments of 255 bytes.
	MaxPageSize = HeaderSize + MaxSegments + MaxSegments*255

	crcOffset = 22
)

var capturePattern = [4]byte{'O', 'g', 'g', 'S'}

// zeroCRC stands in for the checksum field while the checksum is computed.
var zeroCRC [4]byte

// Page is one parsed Ogg page. Segments and Body alias the parsed bytes.
type Page struct {
	Flags    byte
	Granule  int64 // -1 when no packet completes on this page
	Serial   uint32
	Sequence uint32
	Segments []byte // lacing values
	Body     []byte
}

// ParsePage parses and verifies the page at the start of b and returns it with
// the number of bytes it occupies. It never reads past len(b); a short b gives
// ErrTruncated.
func ParsePage(b []byte) (Page, int, error) {
	if len(b) < HeaderSize {
		if len(b) >= 4 && [4]byte(b[:4]) != capturePattern {
			return Page{}, 0, ErrCapturePattern
		}
		return Page{}, 0, fmt.Errorf("%w: page header needs %d bytes, have %d", ErrTruncated, HeaderSize, len(b))
	}
	if [4]byte(b[:4]) != capturePattern {
		return Page{}, 0, ErrCapturePattern
	}
	if b[4] != 0 {
		return Page{}, 0, fmt.Errorf("%w: %d", ErrVersion, b[4])
	}
	nseg := int(b[26])
	if len(b) < HeaderSize+nseg {
		return Page{}, 0, fmt.Errorf("%w: lacing table", ErrTruncated)
	}
	segs := b[HeaderSize : HeaderSize+nseg]
	bodyLen := 0
	for _, s := range segs {
		bodyLen += int(s)
	}
	total := HeaderSize + nseg + bodyLen
	if len(b) < total {
		return Page{}, 0, fmt.Errorf("%w: page body needs %d bytes, have %d", ErrTruncated, bodyLen, len(b)-HeaderSize-nseg)
	}
	want := binary.LittleEndian.Uint32(b[crcOffset:])
	crc := crcUpdate(0, b[:crcOffset])
	crc = crcUpdate(crc, zeroCRC[:])
	crc = crcUpdate(crc, b[crcOffset+4:total])
	if crc != want {
		return Page{}, 0, ErrChecksum
	}
	if b[5]&^(FlagContinued|FlagBOS|FlagEOS) != 0 {
		// Unknown flag bits are reserved; a page that sets them was not
		// written to this version of the spec.
		return Page{}, 0, fmt.Errorf("%w: reserved header flags 0x%02x", ErrVersion, b[5])
	}
	return Page{
		Flags:    b[5],
		Granule:  int64(binary.LittleEndian.Uint64(b[6:])),
		Serial:   binary.LittleEndian.Uint32(b[14:]),
		Sequence: binary.LittleEndian.Uint32(b[18:]),
		Segments: segs,
		Body:     b[HeaderSize+nseg : total],
	}, total, nil
}

// AppendPage appends the encoded page p to dst, computing its CRC. Body must
// hold exactly the bytes the lacing values describe.
func AppendPage(dst []byte, p Page) ([]byte, error) {
	if len(p.Segments) > MaxSegments {
		return dst, fmt.Errorf("%w: %d lacing values", ErrLacing, len(p.Segments))
	}
	n := 0
	for _, s := range p.Segments {
		n += int(s)
	}
	if n != len(p.Body) {
		return dst, fmt.Errorf("%w: lacing describes %d bytes, body has %d", ErrLacing, n, len(p.Body))
	}
	start := len(dst)
	dst = append(dst, capturePattern[:]...)
	dst = append(dst, 0, p.Flags)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(p.Granule))
	dst = binary.LittleEndian.AppendUint32(dst, p.Serial)
	dst = binary.LittleEndian.AppendUint32(dst, p.Sequence)
	dst = append(dst, 0, 0, 0, 0, byte(len(p.Segments)))
	dst = append(dst, p.Segments...)
	dst = append(dst, p.Body...)
	crc := crcUpdate(0, dst[start:])
	binary.LittleEndian.PutUint32(dst[start+crcOffset:], crc)
	return dst, nil
}
