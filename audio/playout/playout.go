package playout

import (
	"errors"
	"fmt"
	"sync"
)

// Errors. Enqueue returns ErrFull and ErrTooManyItems bare, without
// wrapping, so that a session retrying on a full queue does not allocate.
var (
	// ErrFull means the item does not fit in the samples left.
	ErrFull = errors.New("playout: queue full")
	// ErrTooManyItems means the queue already holds MaxItems items.
	ErrTooManyItems = errors.New("playout: too many items")
	// ErrConfig is wrapped by the errors New returns.
	ErrConfig = errors.New("playout: invalid config")
)

// ItemID names an enqueued item. The session chooses it, typically from its
// utterance and chunk counters.
type ItemID uint64

// Played reports how much of an item was played.
type Played struct {
	ID ItemID
	// Samples is how many of the item's samples were pulled.
	Samples int
	// Total is the item's length in samples.
	Total int
}

// Done reports whether the whole item was played.
func (p Played) Done() bool { return p.Samples == p.Total }

// Config sizes a [Queue].
type Config struct {
	// Capacity is the most samples the queue holds at once (for example
	// 10 s of audio at the session rate).
	Capacity int
	// MaxItems is the most items the queue holds at once.
	MaxItems int
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Capacity <= 0 {
		errs = append(errs, fmt.Errorf("%w: Capacity %d", ErrConfig, c.Capacity))
	}
	if c.MaxItems <= 0 {
		errs = append(errs, fmt.Errorf("%w: MaxItems %d", ErrConfig, c.MaxItems))
	}
	return errors.Join(errs...)
}

// Queue is a bounded FIFO of PCM items, pulled a frame at a time.
type Queue struct {
	// mu guards every field below it: the sample ring, the item ring and
	// their counters, shared by the producer and the consumer.
	mu      sync.Mutex
	samples []int16 // ring of queued samples
	head    int     // index of the next sample to play
	queued  int     // samples in the ring
	items   []Played
	first   int // index of the item being played
	nitems  int
}

// New returns an empty queue with all of its storage allocated.
func New(cfg Config) (*Queue, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Queue{samples: make([]int16, cfg.Capacity), items: make([]Played, cfg.MaxItems)}, nil
}

// Enqueue copies pcm into the queue as item id. It fails with ErrFull or
// ErrTooManyItems, leaving the queue unchanged, when the item does not fit;
// an empty item is accepted and reported done by the next Pull.
func (q *Queue) Enqueue(id ItemID, pcm []int16) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.nitems == len(q.items) {
		return ErrTooManyItems
	}
	if len(pcm) > len(q.samples)-q.queued {
		return ErrFull
	}
	tail := (q.head + q.queued) % len(q.samples)
	n := copy(q.samples[tail:], pcm)
	copy(q.samples, pcm[n:])
	q.queued += len(pcm)
	q.items[(q.first+q.nitems)%len(q.items)] = Played{ID: id, Total: len(pcm)}
	q.nitems++
	return nil
}

// Pull fills frame with the next queued samples, continuing across item
// boundaries, and with silence after the last one. It returns how many
// samples of frame are audio, and done with the items finished by this
// frame appended (give it a slice with spare capacity, reused from frame
// to frame, and nothing is allocated).
func (q *Queue) Pull(frame []int16, done []Played) (audio int, _ []Played) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.nitems > 0 {
		it := &q.items[q.first]
		if take := min(it.Total-it.Samples, len(frame)-audio); take > 0 {
			q.read(frame[audio : audio+take])
			audio += take
			it.Samples += take
		}
		if it.Samples < it.Total {
			break // the frame is full
		}
		done = append(done, *it)
		q.first = (q.first + 1) % len(q.items)
		q.nitems--
	}
	clear(frame[audio:])
	return audio, done
}

// read moves len(dst) samples from the head of the ring into dst.
func (q *Queue) read(dst []int16) {
	n := copy(dst, q.samples[q.head:min(q.head+len(dst), len(q.samples))])
	copy(dst[n:], q.samples)
	q.head = (q.head + len(dst)) % len(q.samples)
	q.queued -= len(dst)
}

// Clear drops every queued item and appends to played what was played of
// each, in queue order: the item being played with its partial count, the
// ones after it with zero.
func (q *Queue) Clear(played []Played) []Played {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.nitems {
		played = append(played, q.items[(q.first+i)%len(q.items)])
	}
	q.first, q.nitems, q.head, q.queued = 0, 0, 0, 0
	return played
}

// Current reports the item being played and how much of it has been, or
// false when the queue is empty.
func (q *Queue) Current() (Played, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.nitems == 0 {
		return Played{}, false
	}
	return q.items[q.first], true
}

// Len returns the number of queued samples not yet played.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued
}

// Items returns the number of items not yet fully played.
func (q *Queue) Items() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.nitems
}
