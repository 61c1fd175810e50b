package jitter

import (
	"errors"
	"fmt"
)

// Errors that Push returns. They are returned bare, not wrapped, because this
// is the per-frame path.
var (
	// ErrDuplicate means a frame with this sequence number is already held.
	ErrDuplicate = errors.New("jitter: duplicate frame")
	// ErrLate means the frame's place in the stream has already been
	// released, as audio or as a gap.
	ErrLate = errors.New("jitter: frame too late")
	// ErrFrameSize means the frame is longer than Config.FrameLen.
	ErrFrameSize = errors.New("jitter: frame too long")
	// ErrConfig is wrapped by the errors New returns.
	ErrConfig = errors.New("jitter: invalid config")
)

// Config sizes a [Buffer].
type Config struct {
	// FrameLen is the longest frame in elements (samples or bytes).
	FrameLen int
	// Capacity is how many frames the ring holds; a frame further ahead of
	// the next one to release than this makes the buffer skip forward.
	Capacity int
	// Depth is how far behind the newest frame a missing one may be before it
	// is declared lost: it is given up when a frame Depth sequence numbers
	// later has arrived. Each frame of depth tolerates one more frame of
	// reordering and costs one frame of delay when a frame is lost.
	Depth int
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.FrameLen <= 0 {
		errs = append(errs, fmt.Errorf("%w: FrameLen %d", ErrConfig, c.FrameLen))
	}
	if c.Depth < 0 {
		errs = append(errs, fmt.Errorf("%w: Depth %d", ErrConfig, c.Depth))
	}
	if c.Capacity <= c.Depth {
		errs = append(errs, fmt.Errorf("%w: Capacity %d must exceed Depth %d", ErrConfig, c.Capacity, c.Depth))
	}
	return errors.Join(errs...)
}

// Kind says what [Buffer.Pop] released.
type Kind uint8

// Release kinds.
const (
	// Empty means nothing can be released yet.
	Empty Kind = iota
	// Audio means a frame was copied into the caller's buffer.
	Audio
	// Gap means frames were lost; the caller conceals them.
	Gap
)

// Release describes what Pop released.
type Release struct {
	Kind Kind
	// Seq is the sequence number of the frame, or of the first lost frame.
	Seq uint64
	// N is the frame's length for Audio, and the number of lost frames for
	// Gap.
	N int
}

// Stats counts what happened to pushed frames.
type Stats struct {
	Accepted, Duplicates, Late, Lost, Skipped uint64
}

type slot[S any] struct {
	buf     []S
	n       int
	seq     uint64
	present bool
}

// Buffer reorders frames of element type S: int16 for PCM, byte for G.711.
type Buffer[S ~byte | ~int16] struct {
	cfg      Config
	slots    []slot[S]
	started  bool
	released bool   // something was released; the start can no longer move back
	next     uint64 // next sequence number to release
	held     int    // frames in the ring
	highest  uint64 // highest sequence number held or released
	gapFrom  uint64 // a pending gap left by a skip: [gapFrom, next)
	gapN     uint64
	stats    Stats
}

// New returns an empty buffer with all of its frame storage allocated.
func New[S ~byte | ~int16](cfg Config) (*Buffer[S], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &Buffer[S]{cfg: cfg, slots: make([]slot[S], cfg.Capacity)}
	store := make([]S, cfg.Capacity*cfg.FrameLen)
	for i := range b.slots {
		b.slots[i].buf = store[i*cfg.FrameLen : (i+1)*cfg.FrameLen : (i+1)*cfg.FrameLen]
	}
	return b, nil
}

// Push copies frame into the buffer under sequence number seq.
func (b *Buffer[S]) Push(seq uint64, frame []S) error {
	if len(frame) > b.cfg.FrameLen {
		return ErrFrameSize
	}
	capacity := uint64(b.cfg.Capacity)
	switch {
	case !b.started:
		b.started, b.next, b.highest = true, seq, seq
	case seq < b.next:
		// Until anything is released, an earlier frame than the first one
		// seen just moves the start back, if the ring can hold the span.
		if b.released || b.highest-seq >= capacity {
			b.stats.Late++
			return ErrLate
		}
		b.next = seq
	case seq >= b.next+capacity:
		b.skipTo(seq-capacity+1, seq)
	}
	s := &b.slots[seq%capacity]
	if s.present {
		// Slots are cleared on release and on skip, so a present slot in
		// the window holds this very sequence number.
		b.stats.Duplicates++
		return ErrDuplicate
	}
	s.n = copy(s.buf, frame)
	s.seq, s.present = seq, true
	b.held++
	b.highest = max(b.highest, seq)
	b.stats.Accepted++
	return nil
}

// skipTo moves the release point forward to seq, discarding held frames
// before it, because frame arriving arrived too far ahead for the ring (the
// sender jumped, or a long stretch was lost). If nothing held survives, it
// moves on to arriving itself. Everything skipped is reported as one gap by
// the next Pop.
func (b *Buffer[S]) skipTo(seq, arriving uint64) {
	if b.gapN == 0 {
		b.gapFrom = b.next
	}
	for q := b.next; q < seq && b.held > 0; q++ {
		s := &b.slots[q%uint64(b.cfg.Capacity)]
		if s.present && s.seq == q {
			s.present = false
			b.held--
			b.stats.Skipped++
		}
	}
	if b.held == 0 {
		seq = arriving
	}
	b.gapN += seq - b.next
	b.next = seq
	b.released = true // the skipped span counts as released
}

// Pop releases the next frame into dst, or reports a gap, or reports Empty
// when the next frame is missing and no frame Depth or more sequence numbers
// later has arrived. Call it until it returns Empty after every Push.
func (b *Buffer[S]) Pop(dst []S) Release { return b.pop(dst, false) }

// Drain is Pop without the wait for a missing frame: at the end of a stream,
// or when the caller cannot wait any longer, it releases everything held,
// with gaps for what is missing.
func (b *Buffer[S]) Drain(dst []S) Release { return b.pop(dst, true) }

func (b *Buffer[S]) pop(dst []S, force bool) Release {
	if b.gapN > 0 {
		r := Release{Kind: Gap, Seq: b.gapFrom, N: int(b.gapN)}
		b.stats.Lost += b.gapN
		b.gapN = 0
		b.released = true
		return r
	}
	if b.held == 0 {
		return Release{}
	}
	capacity := uint64(b.cfg.Capacity)
	s := &b.slots[b.next%capacity]
	if s.present && s.seq == b.next {
		n := copy(dst, s.buf[:s.n])
		s.present = false
		b.held--
		r := Release{Kind: Audio, Seq: b.next, N: n}
		b.next++
		b.released = true
		return r
	}
	if !force && b.highest-b.next < uint64(b.cfg.Depth) {
		return Release{}
	}
	// The next frame is lost: report the run up to the first held frame.
	q := b.next + 1
	for ; q <= b.highest; q++ {
		if t := &b.slots[q%capacity]; t.present && t.seq == q {
			break
		}
	}
	r := Release{Kind: Gap, Seq: b.next, N: int(q - b.next)}
	b.stats.Lost += q - b.next
	b.next = q
	b.released = true
	return r
}

// Next returns the sequence number of the next frame to be released.
func (b *Buffer[S]) Next() uint64 { return b.next }

// Len returns how many frames are held.
func (b *Buffer[S]) Len() int { return b.held }

// Stats returns the counts since New or the last Reset.
func (b *Buffer[S]) Stats() Stats { return b.stats }

// Reset empties the buffer for a new stream, keeping its storage.
func (b *Buffer[S]) Reset() {
	for i := range b.slots {
		b.slots[i].present = false
	}
	b.started, b.released = false, false
	b.next, b.held, b.highest, b.gapFrom, b.gapN = 0, 0, 0, 0, 0
	b.stats = Stats{}
}
