package twiliotest

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The line clock paces every Call's 20 ms frames from a few shared
// goroutines instead of a goroutine and a timer per call. With a thousand
// calls in one process (a load generator) the per-call timers cost more in
// the Go scheduler (timer heap, timer channel sends, three-way selects,
// goroutine switches) than building the frames does; a shard goroutine that
// wakes every couple of milliseconds and sends the frames due does the same
// work for a fraction of that. What goes on the wire is unchanged: each call
// still sends one media message every 20 ms, in its own write.

// lineSlots is how many phases a 20 ms frame period is split into. Each
// call sends in one of them, so a shard's writes are spread over the period
// as independent phone lines' are, rather than leaving in one burst.
const lineSlots = 10

const slotDur = FrameDur / lineSlots

// theLine paces every Call in the process. It is package state because
// sharing it is its point; it runs no goroutine while no call is up.
var theLine lineClock

// lineClock assigns calls round-robin to its shards, one per processor, so
// that one slow write holds up only a shard's calls, and only until the
// write returns.
type lineClock struct {
	once   sync.Once
	shards []*lineShard
	next   atomic.Uint64
}

// shard returns the shard for the next call, round-robin.
func (l *lineClock) shard() *lineShard {
	l.once.Do(func() {
		l.shards = make([]*lineShard, max(runtime.GOMAXPROCS(0), 1))
		for i := range l.shards {
			l.shards[i] = &lineShard{}
		}
	})
	return l.shards[(l.next.Add(1)-1)%uint64(len(l.shards))]
}

// A lineShard is one goroutine's share of the calls. The goroutine is
// started by the first call to join and stopped when the last call leaves,
// so it lives exactly as long as the shard has calls.
type lineShard struct {
	mu      sync.Mutex    // guards the fields below
	joining []*Call       // calls the goroutine has not yet given a slot
	calls   int           // calls on the shard, joining ones included
	stop    chan struct{} // closed to stop the goroutine; nil when none runs
}

// join puts c on the line: its tick runs every 20 ms from one of the
// shard's next slot ticks on, until it reports the call gone. The shard
// must be told when the call leaves.
func (s *lineShard) join(c *Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.joining = append(s.joining, c)
	s.calls++
	if s.stop == nil {
		s.stop = make(chan struct{})
		go s.run(s.stop) // stopped by leave, when the shard empties
	}
}

// leave records that a call has left the line for good (its tick will
// report it gone), stopping the goroutine when it was the last.
func (s *lineShard) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls--
	if s.calls == 0 {
		close(s.stop)
		s.stop = nil
		clear(s.joining) // all gone
		s.joining = s.joining[:0]
	}
}

// run ticks the shard's calls until stop is closed: every slotDur it runs
// the tick of each call in the next slot. Ticks follow an absolute schedule
// so that the rate does not drift; after a stall longer than maxLag the
// schedule restarts rather than catching up in a burst, as a real line
// would lose that audio.
func (s *lineShard) run(stop chan struct{}) {
	var slots [lineSlots][]*Call // owned by this goroutine
	timer := time.NewTimer(0)
	defer timer.Stop()
	t0 := time.Now()
	var k time.Duration // slot ticks since t0
	for {
		select {
		case <-stop:
			return
		case <-timer.C:
		}
		cur := int(k % lineSlots)
		s.mu.Lock()
		if s.stop != stop { // the shard emptied, and perhaps has another goroutine
			s.mu.Unlock()
			return
		}
		for _, c := range s.joining {
			// The least loaded slot, the soonest of equals: the first frame
			// goes out at once unless calls join in a crowd.
			best := cur
			for j := 1; j < lineSlots; j++ {
				if i := (cur + j) % lineSlots; len(slots[i]) < len(slots[best]) {
					best = i
				}
			}
			slots[best] = append(slots[best], c)
		}
		clear(s.joining)
		s.joining = s.joining[:0]
		s.mu.Unlock()

		calls := slots[cur]
		for i := 0; i < len(calls); {
			if calls[i].tick() {
				i++
				continue
			}
			last := len(calls) - 1
			calls[i], calls[last] = calls[last], nil
			calls = calls[:last]
		}
		slots[cur] = calls

		k++
		due := t0.Add(k * slotDur)
		if now := time.Now(); now.Sub(due) > maxLag {
			t0 = now.Add(-k * slotDur) // due now: the schedule restarts
			due = now
		}
		timer.Reset(time.Until(due))
	}
}
