package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// HeaderSize returns the size of the header Header writes for format:
// 44 bytes for PCM, 58 for G.711 (an 18-byte fmt chunk and a fact chunk, as
// the RIFF specification asks of non-PCM formats).
func HeaderSize(format Format) int {
	if format == PCM16 {
		return 44
	}
	return 58
}

// Header appends a canonical WAVE header for dataBytes of audio to dst and
// returns the extended slice. A negative or oversized dataBytes marks the
// length as unknown (size fields 0xFFFFFFFF), the convention for streams;
// Decode reads such files to the end. The arguments are not validated; use
// Encode or NewWriter for that.
func Header(dst []byte, format Format, sampleRate, channels, dataBytes int) []byte {
	bps := format.BytesPerSample()
	hs := HeaderSize(format)
	riff, data := uint32(streamedSize), uint32(streamedSize)
	if dataBytes >= 0 && uint64(dataBytes)+uint64(hs) < streamedSize {
		data = uint32(dataBytes)
		riff = uint32(hs - 8 + dataBytes + dataBytes&1)
	}
	le := binary.LittleEndian
	dst = append(dst, "RIFF"...)
	dst = le.AppendUint32(dst, riff)
	dst = append(dst, "WAVEfmt "...)
	if format == PCM16 {
		dst = le.AppendUint32(dst, 16)
	} else {
		dst = le.AppendUint32(dst, 18)
	}
	dst = le.AppendUint16(dst, uint16(format))
	dst = le.AppendUint16(dst, uint16(channels))
	dst = le.AppendUint32(dst, uint32(sampleRate))
	dst = le.AppendUint32(dst, uint32(sampleRate*channels*bps))
	dst = le.AppendUint16(dst, uint16(channels*bps))
	dst = le.AppendUint16(dst, uint16(8*bps))
	if format != PCM16 {
		dst = le.AppendUint16(dst, 0) // cbSize
		dst = append(dst, "fact"...)
		dst = le.AppendUint32(dst, 4)
		frames := uint32(streamedSize)
		if data != streamedSize && channels > 0 && bps > 0 {
			frames = data / uint32(channels*bps)
		}
		dst = le.AppendUint32(dst, frames)
	}
	dst = append(dst, "data"...)
	return le.AppendUint32(dst, data)
}

// Encode returns a complete WAVE file holding data, which must be a whole
// number of frames of the given format.
func Encode(format Format, sampleRate, channels int, data []byte) ([]byte, error) {
	if err := validate(format, sampleRate, channels); err != nil {
		return nil, err
	}
	if len(data)%(channels*format.BytesPerSample()) != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a whole number of frames", ErrMalformed, len(data))
	}
	if uint64(len(data))+uint64(HeaderSize(format)) >= streamedSize {
		return nil, fmt.Errorf("%w: %d bytes exceed the RIFF size limit", ErrUnsupportedFormat, len(data))
	}
	out := make([]byte, 0, HeaderSize(format)+len(data)+1)
	out = Header(out, format, sampleRate, channels, len(data))
	out = append(out, data...)
	if len(data)%2 == 1 {
		out = append(out, 0)
	}
	return out, nil
}

// EncodePCM16 returns a WAVE file holding interleaved 16-bit samples.
func EncodePCM16(samples []int16, sampleRate, channels int) ([]byte, error) {
	if err := validate(PCM16, sampleRate, channels); err != nil {
		return nil, err
	}
	if len(samples)%channels != 0 {
		return nil, fmt.Errorf("%w: %d samples for %d channels", ErrMalformed, len(samples), channels)
	}
	out := make([]byte, 0, HeaderSize(PCM16)+2*len(samples))
	out = Header(out, PCM16, sampleRate, channels, 2*len(samples))
	for _, s := range samples {
		out = binary.LittleEndian.AppendUint16(out, uint16(s))
	}
	return out, nil
}

// ErrClosed is returned by a Writer used after Close.
var ErrClosed = errors.New("wav: writer closed")

// Writer streams a WAVE file whose length is not known in advance. It
// writes a header marked "length unknown" first; on Close, if the
// destination is an io.WriteSeeker, it seeks back and patches the sizes,
// otherwise the file stays a valid streamed WAVE.
type Writer struct {
	w        io.Writer
	format   Format
	rate     int
	channels int
	n        int64 // data bytes written
	hdr      [58]byte
	closed   bool
}

// NewWriter writes a header to w and returns a Writer for the audio data.
func NewWriter(w io.Writer, format Format, sampleRate, channels int) (*Writer, error) {
	if err := validate(format, sampleRate, channels); err != nil {
		return nil, err
	}
	wr := &Writer{w: w, format: format, rate: sampleRate, channels: channels}
	h := Header(wr.hdr[:0], format, sampleRate, channels, -1)
	if _, err := w.Write(h); err != nil {
		return nil, fmt.Errorf("wav: write header: %w", err)
	}
	return wr, nil
}

// Write appends raw sample data in the Writer's format.
func (w *Writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, ErrClosed
	}
	n, err := w.w.Write(p)
	w.n += int64(n)
	return n, err
}

// Close writes the pad byte an odd-sized data chunk needs and, when the
// destination can seek, patches the header with the final sizes. It does
// not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return ErrClosed
	}
	w.closed = true
	if w.n%2 == 1 {
		if _, err := w.w.Write([]byte{0}); err != nil {
			return fmt.Errorf("wav: write pad byte: %w", err)
		}
	}
	ws, ok := w.w.(io.WriteSeeker)
	if !ok || w.n+int64(HeaderSize(w.format)) >= streamedSize {
		return nil
	}
	end, err := ws.Seek(0, io.SeekCurrent)
	if err != nil {
		// Not really seekable (a pipe behind an *os.File): leave it streamed.
		return nil
	}
	start := end - w.n - w.n%2 - int64(HeaderSize(w.format))
	h := Header(w.hdr[:0], w.format, w.rate, w.channels, int(w.n))
	if _, err := ws.Seek(start, io.SeekStart); err != nil {
		return fmt.Errorf("wav: seek to header: %w", err)
	}
	if _, err := ws.Write(h); err != nil {
		return fmt.Errorf("wav: patch header: %w", err)
	}
	if _, err := ws.Seek(end, io.SeekStart); err != nil {
		return fmt.Errorf("wav: seek to end: %w", err)
	}
	return nil
}
