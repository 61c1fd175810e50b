package ogg

import (
	"errors"
	"fmt"
	"io"
)

// DefaultMaxPacketSize bounds reassembled packets unless the caller sets
// Reader.MaxPacketSize. A packet may span any number of pages, so without a
// bound a hostile file could make the reader buffer without end; 1 MiB is far
// above any Opus packet (at most 120 ms, a few kilobytes) or header.
const DefaultMaxPacketSize = 1 << 20

// Packet is one reassembled packet. Data is valid until the next call to
// ReadPacket.
type Packet struct {
	Data []byte
	// Granule is the granule position of the page on which the packet
	// completes if it is the last packet completing there, otherwise -1
	// (RFC 3533 §6 gives a granule only to the last packet of a page).
	Granule int64
	BOS     bool // the packet completes on the first page of the stream
	EOS     bool // the packet is the last one of the stream
}

// Reader reads one logical bitstream from Ogg pages. It is not safe for
// concurrent use.
type Reader struct {
	// MaxPacketSize bounds reassembled packets; 0 means DefaultMaxPacketSize.
	MaxPacketSize int

	r    io.Reader
	buf  []byte
	page Page
	seg  int // next lacing value of page to consume
	off  int // offset in page.Body of that segment
	pkt  []byte

	havePage bool
	first    bool // no page read yet
	serial   uint32
	nextSeq  uint32
	eos      bool // the EOS page has been read
	partial  bool // pkt holds the beginning of a packet
}

// NewReader returns a Reader over r. Its page buffer is allocated once, here.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r, buf: make([]byte, MaxPageSize), first: true}
}

// Reset makes the Reader read a new stream from src, keeping its buffers.
func (r *Reader) Reset(src io.Reader) {
	*r = Reader{MaxPacketSize: r.MaxPacketSize, r: src, buf: r.buf, pkt: r.pkt[:0], first: true}
}

// ReadPage reads and verifies the next page. The page aliases the reader's
// buffer and is valid until the next call to ReadPage or ReadPacket. Use
// either ReadPage or ReadPacket on one Reader, not both. At a clean end of
// input it returns io.EOF.
func (r *Reader) ReadPage() (Page, error) {
	h := r.buf[:HeaderSize]
	if _, err := io.ReadFull(r.r, h); err != nil {
		if errors.Is(err, io.EOF) {
			return Page{}, io.EOF
		}
		return Page{}, readErr(err)
	}
	if [4]byte(h[:4]) != capturePattern {
		return Page{}, ErrCapturePattern
	}
	nseg := int(h[26])
	if _, err := io.ReadFull(r.r, r.buf[HeaderSize:HeaderSize+nseg]); err != nil {
		return Page{}, readErr(err)
	}
	n := 0
	for _, s := range r.buf[HeaderSize : HeaderSize+nseg] {
		n += int(s)
	}
	total := HeaderSize + nseg + n
	if _, err := io.ReadFull(r.r, r.buf[HeaderSize+nseg:total]); err != nil {
		return Page{}, readErr(err)
	}
	p, _, err := ParsePage(r.buf[:total])
	if err != nil {
		return Page{}, err
	}
	if err := r.checkSequence(p); err != nil {
		return Page{}, err
	}
	return p, nil
}

func readErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %w", ErrTruncated, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("ogg: read: %w", err)
}

// checkSequence enforces one logical stream: BOS first and only first, one
// serial number, consecutive page sequence numbers, nothing after EOS.
func (r *Reader) checkSequence(p Page) error {
	if r.first {
		if p.Flags&FlagBOS == 0 {
			return fmt.Errorf("%w: first page lacks BOS", ErrStream)
		}
		r.first = false
		r.serial = p.Serial
		r.nextSeq = p.Sequence
	} else if p.Flags&FlagBOS != 0 || p.Serial != r.serial {
		return fmt.Errorf("%w: second logical stream (serial %d)", ErrStream, p.Serial)
	}
	if r.eos {
		return fmt.Errorf("%w: page after EOS", ErrStream)
	}
	if p.Sequence != r.nextSeq {
		return fmt.Errorf("%w: page %d where %d expected", ErrStream, p.Sequence, r.nextSeq)
	}
	r.nextSeq++
	if p.Flags&FlagEOS != 0 {
		r.eos = true
	}
	return nil
}

// ReadPacket returns the next complete packet. After the packet on the EOS
// page, or at a clean end of input between packets, it returns io.EOF; input
// that ends inside a packet gives ErrTruncated.
func (r *Reader) ReadPacket() (Packet, error) {
	limit := r.MaxPacketSize
	if limit <= 0 {
		limit = DefaultMaxPacketSize
	}
	r.pkt = r.pkt[:0]
	r.partial = false
	for {
		if !r.havePage || r.seg == len(r.page.Segments) {
			if r.havePage && r.page.Flags&FlagEOS != 0 {
				if r.partial {
					return Packet{}, fmt.Errorf("%w: packet open at EOS", ErrTruncated)
				}
				return Packet{}, io.EOF
			}
			p, err := r.ReadPage()
			if err != nil {
				if err == io.EOF && r.partial {
					return Packet{}, fmt.Errorf("%w: input ends inside a packet", ErrTruncated)
				}
				return Packet{}, err
			}
			if cont := p.Flags&FlagContinued != 0; cont != r.partial {
				return Packet{}, fmt.Errorf("%w: continuation flag %t on page %d, packet open %t", ErrStream, cont, p.Sequence, r.partial)
			}
			r.page, r.havePage, r.seg, r.off = p, true, 0, 0
			continue
		}
		s := int(r.page.Segments[r.seg])
		if len(r.pkt)+s > limit {
			return Packet{}, fmt.Errorf("%w: more than %d bytes", ErrPacketTooLarge, limit)
		}
		r.pkt = append(r.pkt, r.page.Body[r.off:r.off+s]...)
		r.seg++
		r.off += s
		r.partial = true
		if s == 255 {
			continue
		}
		r.partial = false
		pk := Packet{Data: r.pkt, Granule: -1, BOS: r.page.Flags&FlagBOS != 0}
		if r.lastCompleting() {
			pk.Granule = r.page.Granule
			pk.EOS = r.page.Flags&FlagEOS != 0
		}
		return pk, nil
	}
}

// lastCompleting reports whether no further packet completes on the current
// page after the one just read.
func (r *Reader) lastCompleting() bool {
	for _, s := range r.page.Segments[r.seg:] {
		if s < 255 {
			return false
		}
	}
	return true
}
