package opus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/switchboard-voice/switchboard/audio/ogg"
)

// Vendor is written in OpusTags by OggWriter.
const Vendor = "switchboard"

// pageGranule48k is how much audio OggWriter gathers on one page before
// flushing it: one second keeps page overhead near 1% of a 24 kbit/s stream.
// Callers that stream the file live call Flush to bound latency instead.
const pageGranule48k = 48000

// OggWriter writes an Ogg Opus stream (RFC 7845). It is not safe for
// concurrent use.
type OggWriter struct {
	ow        *ogg.Writer
	rate      int
	granule   int64 // 48 kHz samples written so far, pre-skip included
	pageStart int64 // granule at the start of the pending page
}

// NewOggWriter writes the OpusHead and OpusTags headers, each on its own page
// as RFC 7845 §3 requires, and returns a writer for packets encoded at
// sampleRate with the given channel count (1 or 2). The pre-skip is
// PreSkip48k, the delay of this package's encoder.
func NewOggWriter(w io.Writer, sampleRate, channels int) (*OggWriter, error) {
	if err := checkRate(sampleRate); err != nil {
		return nil, err
	}
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("%w: %d channels", ErrConfig, channels)
	}
	ow := ogg.NewWriter(w, rand.Uint32())
	head, _ := Head{
		Version:         1,
		Channels:        uint8(channels),
		PreSkip:         PreSkip48k,
		InputSampleRate: uint32(sampleRate),
	}.AppendBinary(nil)
	tags, _ := Tags{Vendor: Vendor}.AppendBinary(nil)
	for _, p := range [][]byte{head, tags} {
		if err := ow.WritePacket(p, 0); err != nil {
			return nil, err
		}
		if err := ow.Flush(); err != nil {
			return nil, err
		}
	}
	return &OggWriter{ow: ow, rate: sampleRate, granule: PreSkip48k, pageStart: PreSkip48k}, nil
}

// WritePacket appends one Opus packet. Its duration is read from the packet's
// TOC (ParsePacket), so the granule positions cannot drift from the audio;
// a malformed packet is refused with ErrInvalidPacket.
//
// The granule starts at the pre-skip, so that a decoder that drops the
// pre-skip ends exactly at the last sample written (RFC 7845 §4).
func (w *OggWriter) WritePacket(packet []byte) error {
	info, err := ParsePacket(packet)
	if err != nil {
		return err
	}
	w.granule += int64(info.Frames * info.FrameSamples48k)
	if err := w.ow.WritePacket(packet, w.granule); err != nil {
		return err
	}
	if w.granule-w.pageStart >= pageGranule48k {
		return w.Flush()
	}
	return nil
}

// Flush writes out the pending page.
func (w *OggWriter) Flush() error {
	w.pageStart = w.granule
	return w.ow.Flush()
}

// Close writes the final page with the EOS flag. It does not close the
// underlying io.Writer.
func (w *OggWriter) Close() error { return w.ow.Close() }

// OggReader reads the packets of an Ogg Opus stream. It is not safe for
// concurrent use.
type OggReader struct {
	or   *ogg.Reader
	head Head
	tags Tags
}

// NewOggReader reads and checks the two header packets (RFC 7845 §5) and
// returns a reader positioned at the first audio packet.
func NewOggReader(r io.Reader) (*OggReader, error) {
	or := ogg.NewReader(r)
	p, err := or.ReadPacket()
	if err != nil {
		return nil, fmt.Errorf("%w: reading OpusHead: %w", ErrHeader, noEOF(err))
	}
	// OpusHead must be alone on the first page (§3).
	if !p.BOS || p.Granule == -1 {
		return nil, fmt.Errorf("%w: OpusHead does not fill the first page", ErrHeader)
	}
	head, err := ParseHead(p.Data)
	if err != nil {
		return nil, err
	}
	p, err = or.ReadPacket()
	if err != nil {
		return nil, fmt.Errorf("%w: reading OpusTags: %w", ErrHeader, noEOF(err))
	}
	// OpusTags must end its page, so that audio starts on a fresh one.
	if p.Granule == -1 {
		return nil, fmt.Errorf("%w: OpusTags does not end its page", ErrHeader)
	}
	tags, err := ParseTags(p.Data)
	if err != nil {
		return nil, err
	}
	return &OggReader{or: or, head: head, tags: tags}, nil
}

// noEOF turns a clean end of input, which is premature while headers are
// still expected, into ErrTruncated.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %w", ogg.ErrTruncated, io.ErrUnexpectedEOF)
	}
	return err
}

// Head returns the stream's OpusHead.
func (r *OggReader) Head() Head { return r.head }

// Tags returns the stream's OpusTags.
func (r *OggReader) Tags() Tags { return r.tags }

// ReadPacket returns the next audio packet, valid until the next call, or
// io.EOF after the last one. Errors from malformed pages wrap the sentinels
// of package audio/ogg.
func (r *OggReader) ReadPacket() ([]byte, error) {
	p, err := r.or.ReadPacket()
	if err != nil {
		return nil, err
	}
	return p.Data, nil
}

// ReadOggFile reads a whole Ogg Opus file held in memory and returns copies
// of its audio packets with its header.
func ReadOggFile(data []byte) (packets [][]byte, head Head, err error) {
	r, err := NewOggReader(bytes.NewReader(data))
	if err != nil {
		return nil, Head{}, err
	}
	for {
		p, err := r.ReadPacket()
		if err == io.EOF {
			return packets, r.head, nil
		}
		if err != nil {
			return nil, Head{}, err
		}
		packets = append(packets, bytes.Clone(p))
	}
}
