package media

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/audio/frame"
	"github.com/switchboard-voice/switchboard/audio/playout"
)

// Encoder writes agent audio (at the session rate) to the connection: one
// 20 ms frame, or up to OutboundConfig.Batch of them in one message.
// itemDone lists the items whose last sample is in pcm; drained says
// nothing is queued behind it, so the agent falls silent once it has
// played.
type Encoder interface {
	WriteFrame(pcm []int16, itemDone []playout.Played, drained bool) error
	// WriteControl sends a queued control message (clear, events).
	WriteControl(msg any) error
}

// OutboundConfig configures the write side.
type OutboundConfig struct {
	Encoder Encoder
	// Send delivers an event to the session actor.
	Send     func(msg any)
	Clock    func() time.Duration
	Recorder *Recorder
	// QueueSeconds bounds the agent audio queued ahead of playback.
	QueueSeconds int
	// Lead is how far ahead of its play time a frame may leave. A far end
	// that buffers what it receives (Twilio queues media and plays it in
	// order) then rides out a scheduling hiccup shorter than Lead without a
	// gap; Clear counts only what has played, so barge-in stays exact.
	// Zero sends each frame at its play time.
	Lead time.Duration
	// Batch is how many frames one write may carry while ahead of
	// schedule: each still leaves no earlier than Lead plus the frames
	// before it in the write. Fewer, larger messages cut the system calls
	// on both ends; 0 or 1 writes every frame alone.
	Batch int
	// OnFrame, when set, observes each frame sent and how long after its
	// play time it left (zero when on time or ahead).
	OnFrame func(late time.Duration)
}

// ErrClosed is returned by Play after the loop ended.
var ErrClosed = errors.New("media: connection closed")

// Outbound is the write side of one connection: Run is its loop; Play,
// Clear, Control and Hangup may be called from any goroutine.
type Outbound struct {
	cfg   OutboundConfig
	queue *playout.Queue

	wake     chan struct{} // audio or control waiting
	mu       sync.Mutex    // guards control, closed, hangup
	control  []any
	closed   bool
	hangup   bool
	done     chan struct{} // closed when Run returns
	hungUp   chan struct{} // closed when a hangup has played out
	hangOnce sync.Once
	// playedBy is the media-clock time by which everything sent so far
	// will have played; Run sets it, Clear reads it.
	playedBy atomic.Int64
}

// NewOutbound prepares the write side.
func NewOutbound(cfg OutboundConfig) (*Outbound, error) {
	if cfg.QueueSeconds <= 0 {
		// Enough for a long sentence ahead of playback; the session keeps
		// the rest of a reply until there is room, so the queue stays small
		// (it is preallocated: 8 s is 256 KiB per call).
		cfg.QueueSeconds = 8
	}
	cfg.Batch = max(cfg.Batch, 1)
	q, err := playout.New(playout.Config{Capacity: cfg.QueueSeconds * session.SampleRate, MaxItems: 4096})
	if err != nil {
		return nil, err
	}
	return &Outbound{cfg: cfg, queue: q, wake: make(chan struct{}, 1), done: make(chan struct{}), hungUp: make(chan struct{})}, nil
}

func (o *Outbound) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Play queues agent audio; it never blocks.
func (o *Outbound) Play(id uint64, pcm []int16) error {
	o.mu.Lock()
	closed := o.closed
	o.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if err := o.queue.Enqueue(playout.ItemID(id), pcm); err != nil {
		if errors.Is(err, playout.ErrFull) || errors.Is(err, playout.ErrTooManyItems) {
			return session.ErrPortFull
		}
		return err
	}
	o.signal()
	return nil
}

// Clear drops queued audio, reports what was played of each item, and
// queues clearMsg (the transport's "clear" message, or nil) for the socket.
// Audio sent ahead of its play time (Lead) is dropped by the far end with
// the clear, so it does not count as played.
func (o *Outbound) Clear(clearMsg any) []session.Played {
	dropped := o.queue.Clear(nil)
	ahead := time.Duration(o.playedBy.Load()) - o.cfg.Clock()
	unplayed := max(int(ahead*session.SampleRate/time.Second), 0)
	out := make([]session.Played, len(dropped))
	for i, p := range dropped {
		// Only the item being played has a partial count. Sent audio of an
		// item that had finished before it is not subtracted: at most Lead
		// of it, reported played a moment early.
		cut := min(unplayed, p.Samples)
		unplayed -= cut
		out[i] = session.Played{ID: uint64(p.ID), Samples: p.Samples - cut}
	}
	if clearMsg != nil {
		o.Control(clearMsg)
	}
	return out
}

// Control queues a control message for the socket. Past a bound, the
// oldest are dropped: a client that does not read loses events, never
// blocks the session.
func (o *Outbound) Control(msg any) {
	o.mu.Lock()
	if len(o.control) < 256 {
		o.control = append(o.control, msg)
	}
	o.mu.Unlock()
	o.signal()
}

// Hangup ends the loop once queued audio has played.
func (o *Outbound) Hangup() {
	o.mu.Lock()
	o.hangup = true
	o.mu.Unlock()
	o.signal()
}

// HungUp is closed when a requested hangup has played out.
func (o *Outbound) HungUp() <-chan struct{} { return o.hungUp }

// Run paces agent audio to the connection until ctx ends or a write fails.
// While nothing is queued it sleeps instead of ticking, so idle calls cost
// nothing; playback restarts on a fresh pacer, due when what was already
// sent has played. Each frame leaves up to Lead before its play time.
func (o *Outbound) Run(ctx context.Context) error {
	defer func() {
		o.mu.Lock()
		o.closed = true
		o.mu.Unlock()
		close(o.done)
	}()
	n := frame.SamplesPerFrame(session.SampleRate)
	buf := make([]int16, o.cfg.Batch*n)
	done := make([]playout.Played, 0, 16)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var pacer *frame.Pacer
	var current playout.ItemID
	var started bool
	for {
		if err := o.flushControl(); err != nil {
			return err
		}
		if o.queue.Len() == 0 {
			pacer = nil
			if o.hangupRequested() {
				// The far end still holds up to Lead of audio: hang up
				// once it has played.
				if wait := time.Duration(o.playedBy.Load()) - o.cfg.Clock(); wait > 0 {
					timer.Reset(wait)
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-timer.C:
					}
				}
				o.hangOnce.Do(func() { close(o.hungUp) })
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-o.wake:
				continue
			}
		}
		if pacer == nil {
			// A fresh run of audio plays from when its first frame leaves,
			// or after what the far end still holds. Only when that is more
			// than Lead does it have to wait for a due time.
			if held := time.Duration(o.playedBy.Load()); held-o.cfg.Clock() > o.cfg.Lead {
				pacer, _ = frame.NewPacer(held, frame.Duration)
			}
		}
		if wait := o.untilDue(pacer); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
			case <-o.wake:
				if !timer.Stop() {
					<-timer.C
				}
			}
			// Control messages and clears first, then the frame if it is
			// due by the media clock.
			continue
		}
		// One message: the frame due now and, up to Batch, the frames
		// after it that may already leave.
		msg := buf[:0]
		done = done[:0]
		for k := 0; k < o.cfg.Batch; k++ {
			if k > 0 && (o.queue.Len() == 0 || o.untilDue(pacer) > time.Duration(k)*frame.Duration) {
				break
			}
			if cur, ok := o.queue.Current(); ok && (!started || cur.ID != current) {
				current, started = cur.ID, true
				o.cfg.Send(&session.ItemSent{ID: uint64(cur.ID), First: true, At: o.cfg.Clock()})
			}
			f := buf[len(msg) : len(msg)+n]
			var audio int
			audio, done = o.queue.Pull(f, done)
			now := o.cfg.Clock()
			if pacer == nil {
				pacer, _ = frame.NewPacer(max(now, time.Duration(o.playedBy.Load())), frame.Duration)
			}
			playAt := pacer.Due()
			late := pacer.Sent(now)
			if audio == 0 && len(done) == 0 {
				break // cleared meanwhile
			}
			o.playedBy.Store(int64(pacer.Due()))
			if o.cfg.OnFrame != nil {
				o.cfg.OnFrame(late)
			}
			if o.cfg.Recorder != nil {
				o.cfg.Recorder.Agent(max(now, playAt), f[:audio], session.SampleRate)
			}
			msg = buf[:len(msg)+n]
		}
		if len(msg) == 0 {
			continue
		}
		if err := o.cfg.Encoder.WriteFrame(msg, done, o.queue.Len() == 0); err != nil {
			return err
		}
		now := o.cfg.Clock()
		for _, p := range done {
			o.cfg.Send(&session.ItemPlayed{ID: uint64(p.ID), At: now})
			if p.ID == current {
				started = false
			}
		}
	}
}

// untilDue is how long the next frame must wait before it may leave: up to
// Lead before its play time. A fresh run (no pacer yet) starts as its first
// frame leaves, and need not wait.
func (o *Outbound) untilDue(pacer *frame.Pacer) time.Duration {
	if pacer == nil {
		return 0
	}
	return pacer.Wait(o.cfg.Clock()) - o.cfg.Lead
}

func (o *Outbound) hangupRequested() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hangup
}

func (o *Outbound) flushControl() error {
	o.mu.Lock()
	msgs := o.control
	o.control = nil
	o.mu.Unlock()
	for _, m := range msgs {
		if err := o.cfg.Encoder.WriteControl(m); err != nil {
			return err
		}
	}
	return nil
}

// Done is closed when Run has returned.
func (o *Outbound) Done() <-chan struct{} { return o.done }
