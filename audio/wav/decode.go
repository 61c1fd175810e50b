package wav

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// streamedSize is the chunk size written by encoders that cannot seek back
// to patch the header.
const streamedSize = 0xFFFFFFFF

// ksDataFormatSubtypeTail is the part of the KSDATAFORMAT_SUBTYPE_* GUIDs
// shared by all audio subformats; the first two bytes carry the format tag.
var ksDataFormatSubtypeTail = []byte{
	0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
}

// Decode parses a complete WAVE file held in data. The returned Audio's
// Data aliases data.
func Decode(data []byte) (*Audio, error) {
	if len(data) < 12 {
		if len(data) > 0 && bytes.HasPrefix([]byte("RIFF"), data[:min(len(data), 4)]) {
			return nil, fmt.Errorf("%w: %d-byte file", ErrTruncated, len(data))
		}
		return nil, ErrNotWAV
	}
	if string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, ErrNotWAV
	}
	riffSize := binary.LittleEndian.Uint32(data[4:8])

	var (
		a       Audio
		haveFmt bool
		payload []byte
		haveDat bool
		blk     int
	)
	rest := data[12:]
	for len(rest) > 0 && !(haveFmt && haveDat) {
		if len(rest) < 8 {
			// We still need a chunk, and the input ends inside its header.
			return nil, fmt.Errorf("%w: chunk header", ErrTruncated)
		}
		id := string(rest[0:4])
		size := binary.LittleEndian.Uint32(rest[4:8])
		body := rest[8:]
		switch id {
		case "fmt ":
			if haveFmt {
				return nil, fmt.Errorf("%w: second fmt chunk", ErrMalformed)
			}
			if uint64(size) > uint64(len(body)) {
				return nil, fmt.Errorf("%w: fmt chunk", ErrTruncated)
			}
			var err error
			if blk, err = parseFmt(&a, body[:size]); err != nil {
				return nil, err
			}
			haveFmt = true
		case "data":
			if haveDat {
				return nil, fmt.Errorf("%w: second data chunk", ErrMalformed)
			}
			haveDat = true
			switch {
			case size == streamedSize,
				// A zero size with audio after it is a stream whose header
				// was never patched, unless the RIFF size says the file was
				// finished and really ends with an empty data chunk and
				// other chunks.
				size == 0 && len(body) > 0 && uint64(riffSize)+8 != uint64(len(data)):
				payload = body
				size = uint32(min(len(body), streamedSize-1))
				// Whatever follows is audio; there are no more chunks.
			case uint64(size) > uint64(len(body)):
				return nil, fmt.Errorf("%w: data chunk declares %d bytes, %d present", ErrTruncated, size, len(body))
			default:
				payload = body[:size]
			}
		default:
			if uint64(size) > uint64(len(body)) {
				// An unknown chunk that overruns the file after we have
				// everything would have ended the loop; here it hides the
				// chunks we need.
				return nil, fmt.Errorf("%w: %q chunk", ErrTruncated, id)
			}
		}
		// Chunks are word aligned: odd sizes are followed by a pad byte,
		// which may be missing at the very end.
		skip := uint64(size) + uint64(size&1)
		if skip >= uint64(len(body)) {
			rest = nil
		} else {
			rest = body[skip:]
		}
	}
	if !haveFmt {
		return nil, fmt.Errorf("%w: no fmt chunk", ErrMalformed)
	}
	if !haveDat {
		return nil, fmt.Errorf("%w: no data chunk", ErrMalformed)
	}
	// Drop a partial trailing frame (a streamed file cut mid-write).
	a.Data = payload[:len(payload)-len(payload)%blk]
	return &a, nil
}

// parseFmt fills a from a fmt chunk body and returns the block alignment.
func parseFmt(a *Audio, b []byte) (int, error) {
	if len(b) < 16 {
		return 0, fmt.Errorf("%w: fmt chunk is %d bytes", ErrMalformed, len(b))
	}
	tag := binary.LittleEndian.Uint16(b[0:2])
	channels := int(binary.LittleEndian.Uint16(b[2:4]))
	rate := int(binary.LittleEndian.Uint32(b[4:8]))
	blockAlign := int(binary.LittleEndian.Uint16(b[12:14]))
	bits := int(binary.LittleEndian.Uint16(b[14:16]))

	if tag == formatExtensible {
		// cbSize(2) validBits(2) channelMask(4) subFormat GUID(16).
		if len(b) < 40 || binary.LittleEndian.Uint16(b[16:18]) < 22 {
			return 0, fmt.Errorf("%w: short WAVE_FORMAT_EXTENSIBLE", ErrMalformed)
		}
		guid := b[24:40]
		if !bytes.Equal(guid[2:], ksDataFormatSubtypeTail) {
			return 0, fmt.Errorf("%w: extensible subformat %x", ErrUnsupportedFormat, guid)
		}
		tag = binary.LittleEndian.Uint16(guid[0:2])
		if valid := int(binary.LittleEndian.Uint16(b[18:20])); valid != 0 && valid != bits {
			return 0, fmt.Errorf("%w: %d valid bits in %d-bit container", ErrUnsupportedFormat, valid, bits)
		}
	}

	f := Format(tag)
	if f.BytesPerSample() == 0 {
		return 0, fmt.Errorf("%w: format tag %#04x", ErrUnsupportedFormat, tag)
	}
	if bits != 8*f.BytesPerSample() {
		return 0, fmt.Errorf("%w: %v with %d bits per sample", ErrUnsupportedFormat, f, bits)
	}
	if err := validate(f, rate, channels); err != nil {
		return 0, err
	}
	if blockAlign != channels*f.BytesPerSample() {
		return 0, fmt.Errorf("%w: block align %d for %d×%d bits", ErrMalformed, blockAlign, channels, bits)
	}
	a.Format, a.SampleRate, a.Channels = f, rate, channels
	return blockAlign, nil
}
