package ogg

import (
	"fmt"
	"io"
)

// Writer writes one logical bitstream as Ogg pages. It is not safe for
// concurrent use.
type Writer struct {
	w       io.Writer
	serial  uint32
	seq     uint32
	segs    [MaxSegments]byte
	nseg    int
	body    []byte
	page    []byte
	granule int64 // of the last packet completed in the pending page, -1 if none
	// continued marks that the pending page starts inside a packet.
	continued bool
	started   bool // a page has been written, so the next one is not BOS
	closed    bool
}

// NewWriter returns a Writer that writes pages with the given serial number
// to w. Its buffers (about 130 KiB) are allocated once, here.
func NewWriter(w io.Writer, serial uint32) *Writer {
	return &Writer{
		w:       w,
		serial:  serial,
		body:    make([]byte, 0, MaxSegments*255),
		page:    make([]byte, 0, MaxPageSize),
		granule: -1,
	}
}

// WritePacket appends packet to the pending page, flushing full pages as
// needed. granule is the granule position at the end of this packet; it is
// stamped on the page where the packet completes. The packet is copied.
func (w *Writer) WritePacket(packet []byte, granule int64) error {
	if w.closed {
		return ErrClosed
	}
	rest := packet
	begun := false // some of this packet is already laced
	for {
		if w.nseg == MaxSegments {
			if err := w.flush(0); err != nil {
				return err
			}
			w.continued = begun
		}
		begun = true
		n := min(len(rest), 255)
		w.segs[w.nseg] = byte(n)
		w.nseg++
		w.body = append(w.body, rest[:n]...)
		rest = rest[n:]
		if n < 255 {
			break
		}
	}
	w.granule = granule
	return nil
}

// Flush writes the pending page, if any. Codec mappings use it to put headers
// on pages of their own (RFC 7845 §3) and streaming callers use it to bound
// latency.
func (w *Writer) Flush() error {
	if w.closed {
		return ErrClosed
	}
	if w.nseg == 0 {
		return nil
	}
	return w.flush(0)
}

// Close writes the pending page with the EOS flag. If nothing is pending it
// writes an empty EOS page, so that a reader always sees the end of stream.
// It does not close the underlying io.Writer.
func (w *Writer) Close() error {
	if w.closed {
		return ErrClosed
	}
	err := w.flush(FlagEOS)
	w.closed = true
	return err
}

func (w *Writer) flush(extra byte) error {
	flags := extra
	if !w.started {
		flags |= FlagBOS
	}
	if w.continued {
		flags |= FlagContinued
	}
	var err error
	w.page, err = AppendPage(w.page[:0], Page{
		Flags: flags,
		// w.granule is only set when a packet completes and is reset
		// here, so a page on which no packet completes carries -1
		// (RFC 3533 §6).
		Granule:  w.granule,
		Serial:   w.serial,
		Sequence: w.seq,
		Segments: w.segs[:w.nseg],
		Body:     w.body,
	})
	if err != nil {
		return err
	}
	if _, err := w.w.Write(w.page); err != nil {
		return fmt.Errorf("ogg: write page: %w", err)
	}
	w.started = true
	w.seq++
	w.nseg = 0
	w.body = w.body[:0]
	w.continued = false
	w.granule = -1
	return nil
}
