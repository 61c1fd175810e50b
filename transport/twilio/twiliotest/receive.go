package twiliotest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/switchboard-voice/switchboard/audio/g711"
	"github.com/switchboard-voice/switchboard/transport/twilio/mediastream"
	"github.com/switchboard-voice/switchboard/transport/wsread"
)

// maxViolations bounds how many protocol violations a Call keeps.
const maxViolations = 100

// receiver is the Call's view of the agent: the audio received and its
// playout, pending marks and the measurements. Call.mu guards it.
type receiver struct {
	// What the line's tick touches comes first.
	marks      []pendingMark
	lastVoiced time.Time // send time of the caller's last voiced frame
	noRecord   bool      // Options.NoRecording: frames keep no PCM and are dropped once consumed
	sent       []sentFrame

	endErr error
	start  time.Time // when the stream opened; the recording's origin

	frames  []agentFrame
	playEnd time.Time // when the audio queued so far will have played

	cursor    int       // first frame WaitForAgent has not consumed
	prevStart time.Time // Start of the last utterance WaitForAgent returned

	clears []time.Time // arrival of each clear

	changed chan struct{} // closed when frames change; nil until watched

	stats      Stats
	violations []error
}

// sentFrame is a caller frame, for the recording; mulaw is nil for
// silence.
type sentFrame struct {
	at    time.Time
	mulaw []byte
}

// agentFrame is up to 20 ms of agent audio and where it sits on the
// playout timeline.
type agentFrame struct {
	pcm          []int16
	arrived      time.Time
	start, end   time.Time // when it plays
	callerVoiced time.Time // lastVoiced when it arrived
	audible      bool
	cleared      bool // dropped by clear before it began to play
	cut          bool // it was playing, or the last to play, when a clear dropped audio
}

type pendingMark struct {
	name string
	due  time.Time
}

// Stats counts what crossed the stream.
type Stats struct {
	MediaSent     int // caller media messages (20 ms each, silence included)
	MediaReceived int // agent media messages
	MarksReceived int
	MarksEchoed   int
	Clears        int
	ClearedFrames int // 20 ms frames of agent audio dropped by clear before they played
}

// Utterance is one stretch of agent speech as the caller heard it.
type Utterance struct {
	// PCM8k is the audio, 8 kHz mono, with any gap in the server's
	// delivery played as silence and audio dropped by clear left out.
	PCM8k []int16
	// Start is when the utterance's first audible frame arrived; End is
	// when its last audible frame finished playing.
	Start, End time.Time
	// CallerEnd is when the caller's last voiced frame before Start was
	// sent, and Latency is Start minus CallerEnd: the turn latency. Both
	// are zero when the caller has not spoken since the previous
	// utterance began (a greeting, say).
	CallerEnd time.Time
	Latency   time.Duration
	// Interrupted reports that a clear dropped part of the utterance.
	Interrupted bool
}

// Duration is the length of the utterance's audio.
func (u Utterance) Duration() time.Duration {
	return time.Duration(len(u.PCM8k)) * time.Second / sampleRate
}

// notify wakes whoever watches the frames. The channel is made only when
// someone watches, not for every media message.
func (r *receiver) notify() {
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
}

// watch returns a channel that is closed when the frames next change.
func (r *receiver) watch() <-chan struct{} {
	if r.changed == nil {
		r.changed = make(chan struct{})
	}
	return r.changed
}

func (c *Call) violation(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.rx.violations) < maxViolations {
		c.rx.violations = append(c.rx.violations, fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...))
	}
}

// ProtocolErrors returns what the server has sent that Twilio would not
// accept (binary frames, malformed JSON, another stream's SID, unknown
// events), each wrapping ErrProtocol. Twilio ignores or rejects such
// messages; so does the Call, which keeps the first 100.
func (c *Call) ProtocolErrors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.rx.violations...)
}

// Stats returns the counts so far.
func (c *Call) Stats() Stats {
	c.wmu.Lock()
	sent := int(c.chunk)
	c.wmu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.rx.stats
	s.MediaSent = sent
	return s
}

// readLoop reads the server's messages until the socket closes.
func (c *Call) readLoop() {
	defer close(c.readerDone)
	var p mediastream.Parser
	var in mediastream.Inbound
	var pcm []int16
	var buf []byte // reused: nothing keeps a message past its iteration
	for {
		typ, msg, err := wsread.Message(c.conn, buf)
		buf = msg[:0]
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway) {
				err = nil
			}
			if err != nil {
				c.end(fmt.Errorf("%w: %w", ErrCallEnded, err))
			} else {
				c.end(ErrCallEnded)
			}
			return
		}
		now := time.Now()
		if typ != websocket.TextMessage {
			c.violation("binary frame of %d bytes (Twilio takes text frames only)", len(msg))
			continue
		}
		err = p.Parse(msg, &in)
		if errors.Is(err, mediastream.ErrUnknownEvent) {
			// Parser knows what Twilio sends; clear is the server's alone.
			var ev struct {
				Event     string `json:"event"`
				StreamSID string `json:"streamSid"`
			}
			_ = json.Unmarshal(msg, &ev) // Parse has already checked it is JSON
			if ev.Event != "clear" {
				c.violation("unknown event %q", ev.Event)
				continue
			}
			if c.checkSID("clear", ev.StreamSID) {
				c.onClear(now)
			}
			continue
		}
		if err != nil {
			c.violation("%v: %s", err, snippet(msg))
			continue
		}
		switch in.Event {
		case mediastream.KindMedia:
			if !c.checkSID("media", in.StreamSID) {
				continue
			}
			if cap(pcm) < len(in.Media.Payload) {
				pcm = make([]int16, len(in.Media.Payload))
			}
			pcm = pcm[:len(in.Media.Payload)]
			g711.DecodeULaw(pcm, in.Media.Payload)
			c.onMedia(now, pcm)
		case mediastream.KindMark:
			if c.checkSID("mark", in.StreamSID) {
				c.onMark(now, in.Mark)
			}
		default:
			c.violation("event %q is one Twilio sends, not the server", in.Event)
		}
	}
}

func (c *Call) checkSID(event, sid string) bool {
	if sid == c.StreamSID {
		return true
	}
	c.violation("%s for stream %q, not %q", event, sid, c.StreamSID)
	return false
}

// onMedia queues agent audio behind what is already playing, cut into
// 20 ms frames.
func (c *Call) onMedia(now time.Time, pcm []int16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &c.rx
	r.stats.MediaReceived++
	for len(pcm) > 0 {
		n := min(len(pcm), FrameSamples)
		start := r.playEnd
		if start.Before(now) {
			start = now
		}
		end := start.Add(time.Duration(n) * time.Second / sampleRate)
		f := agentFrame{
			arrived:      now,
			start:        start,
			end:          end,
			callerVoiced: r.lastVoiced,
			audible:      rms(pcm[:n]) > c.voicedRMS,
		}
		if !r.noRecord {
			f.pcm = append([]int16(nil), pcm[:n]...)
		}
		r.frames = append(r.frames, f)
		r.playEnd = end
		pcm = pcm[n:]
	}
	r.notify()
}

// onMark queues a mark behind the audio received so far, echoing it at
// once if nothing is left to play.
func (c *Call) onMark(now time.Time, name string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	r := &c.rx
	r.stats.MarksReceived++
	due := r.playEnd
	if due.Before(now) {
		due = now
	}
	r.marks = append(r.marks, pendingMark{name: name, due: due})
	names := r.takeMarks(now, false)
	c.mu.Unlock()
	c.echoMarksLocked(names)
}

// onClear drops the audio that has not begun to play, as Twilio does on
// clear, and echoes every pending mark.
func (c *Call) onClear(now time.Time) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	r := &c.rx
	r.stats.Clears++
	r.clears = append(r.clears, now)
	dropped := false
	i := len(r.frames) - 1
	for ; i >= 0 && !r.frames[i].cleared && !r.frames[i].start.Before(now); i-- {
		r.frames[i].cleared = true
		r.stats.ClearedFrames++
		dropped = true
	}
	if i >= 0 && !r.frames[i].cleared {
		f := &r.frames[i]
		if f.end.After(now) { // playing now: keep what was heard
			played := int(now.Sub(f.start) * sampleRate / time.Second)
			f.pcm = f.pcm[:min(max(played, 0), len(f.pcm))]
			f.end = now
			dropped = true
		}
		f.cut = f.cut || dropped
	}
	if r.playEnd.After(now) {
		r.playEnd = now
	}
	names := r.takeMarks(now, true)
	r.notify()
	c.mu.Unlock()
	c.echoMarksLocked(names)
}

// takeMarks removes and returns, in order, the pending marks due by now,
// or all of them.
func (r *receiver) takeMarks(now time.Time, all bool) []string {
	n := 0
	for n < len(r.marks) && (all || !r.marks[n].due.After(now)) {
		n++
	}
	if n == 0 {
		return nil
	}
	names := make([]string, n)
	for i := range n {
		names[i] = r.marks[i].name
	}
	r.marks = append(r.marks[:0], r.marks[n:]...)
	r.stats.MarksEchoed += n
	return names
}

// echoMarksLocked sends Twilio's mark events; wmu must be held, so that
// echoes leave in the order they were taken.
func (c *Call) echoMarksLocked(names []string) error {
	if c.stopSent {
		return nil
	}
	for _, name := range names {
		c.seq++
		err := c.writeJSONLocked(markMsg{
			Event:          "mark",
			StreamSID:      c.StreamSID,
			SequenceNumber: strconv.FormatUint(c.seq, 10),
			Mark:           markBody{Name: name},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// WaitForAgent returns the agent's next utterance: it waits until the
// agent has spoken (audio above Options.VoicedRMS; silent frames do not
// count) and has then been silent, as the caller hears it, for silence.
// Pauses shorter than silence stay inside the utterance, so silence should
// be longer than the agent's pauses between sentences (flite's are
// 250 ms). If the call ends after the agent has spoken, that speech is
// returned; if it ends before, the error wraps ErrCallEnded.
func (c *Call) WaitForAgent(ctx context.Context, silence time.Duration) (Utterance, error) {
	if silence <= 0 {
		silence = FrameDur
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		ended := c.ended()
		now := time.Now()
		c.mu.Lock()
		u, ok, wake := c.rx.scan(now, silence, ended)
		changed := c.rx.watch()
		c.mu.Unlock()
		if ok {
			return u, nil
		}
		if ended {
			return Utterance{}, c.Err()
		}
		var tick <-chan time.Time
		if !wake.IsZero() {
			timer.Reset(wake.Sub(now))
			tick = timer.C
		}
		select {
		case <-changed:
		case <-c.done:
		case <-tick:
		case <-ctx.Done():
			return Utterance{}, ctx.Err()
		}
	}
}

// scan looks for a complete utterance from the cursor on. If there is none
// yet, wake is when the one in progress would be complete, or zero while no
// agent audio is pending.
func (r *receiver) scan(now time.Time, silence time.Duration, ended bool) (u Utterance, ok bool, wake time.Time) {
	f := r.frames
	for r.cursor < len(f) && (f[r.cursor].cleared || !f[r.cursor].audible) {
		r.cursor++
	}
	s := r.cursor
	if s == len(f) {
		return Utterance{}, false, time.Time{}
	}
	last, stop := s, len(f)
	for j := s + 1; j < len(f); j++ {
		if f[j].cleared {
			continue
		}
		if f[j].start.Sub(f[last].end) >= silence {
			stop = j
			break
		}
		if f[j].audible {
			last = j
		}
	}
	quietAt := f[last].end.Add(silence)
	if stop == len(f) && !ended && now.Before(quietAt) {
		return Utterance{}, false, quietAt
	}

	u = Utterance{Start: f[s].arrived, End: f[last].end}
	at := f[s].start
	for j := s; j < stop; j++ {
		if f[j].cleared {
			continue
		}
		u.Interrupted = u.Interrupted || f[j].cut
		if j > last || r.noRecord {
			continue
		}
		if gap := int(f[j].start.Sub(at) * sampleRate / time.Second); gap > 0 {
			u.PCM8k = append(u.PCM8k, make([]int16, gap)...)
		}
		u.PCM8k = append(u.PCM8k, f[j].pcm...)
		at = f[j].end
	}
	if v := f[s].callerVoiced; !v.IsZero() && v.After(r.prevStart) {
		u.CallerEnd = v
		u.Latency = u.Start.Sub(v)
	}
	r.prevStart = u.Start
	r.cursor = last + 1
	r.trim()
	return u, true, time.Time{}
}

// trim drops the frames WaitForAgent has consumed when nothing is recorded,
// so a long call holds only the audio still to be returned or played.
func (r *receiver) trim() {
	if !r.noRecord || r.cursor == 0 {
		return
	}
	n := copy(r.frames, r.frames[r.cursor:])
	clear(r.frames[n:])
	r.frames = r.frames[:n]
	r.cursor = 0
}

// Recording returns the call as heard at the caller's end, 8 kHz from the
// moment the stream opened: what the caller sent and the agent's audio as
// it played (audio dropped by clear left out), on one timeline and of equal
// length, ready for a stereo WAV.
func (c *Call) Recording() (caller, agent []int16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &c.rx
	var pcm [FrameSamples]int16
	end := 0
	for _, f := range r.sent {
		at := place(end, r.start, f.at)
		if f.mulaw != nil {
			g711.DecodeULaw(pcm[:], f.mulaw)
		} else {
			clear(pcm[:])
		}
		caller = overwrite(caller, at, pcm[:])
		end = at + FrameSamples
	}
	end = 0
	for _, f := range r.frames {
		if f.cleared {
			continue
		}
		at := place(end, r.start, f.start)
		agent = overwrite(agent, at, f.pcm)
		end = at + len(f.pcm)
	}
	n := max(len(caller), len(agent))
	caller = append(caller, make([]int16, n-len(caller))...)
	agent = append(agent, make([]int16, n-len(agent))...)
	return caller, agent
}

// place returns the sample offset for audio that began at t: right after
// the previous audio (which ended at sample end) unless t is a frame or
// more later, so that clock jitter neither overlaps frames nor opens
// one-sample gaps.
func place(end int, origin, t time.Time) int {
	at := int(t.Sub(origin) * sampleRate / time.Second)
	if at-end < FrameSamples {
		return end
	}
	return at
}

// overwrite copies pcm into dst at offset at, growing dst with silence.
func overwrite(dst []int16, at int, pcm []int16) []int16 {
	if n := at + len(pcm); n > len(dst) {
		dst = append(dst, make([]int16, n-len(dst))...)
	}
	copy(dst[at:], pcm)
	return dst
}
