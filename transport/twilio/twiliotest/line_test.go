package twiliotest

import (
	"bytes"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/transport/twilio/mediastream"
)

// lineGoroutines counts the line clock's running shard goroutines.
func lineGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return bytes.Count(buf[:n], []byte("twiliotest.(*lineShard).run("))
		}
		buf = make([]byte, 2*len(buf))
	}
}

// waitLineIdle polls until no shard goroutine runs.
func waitLineIdle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for lineGoroutines() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d line clock goroutines still running with no call up", lineGoroutines())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLineSharedClock runs many calls on the shared line clock: each sends
// its own unbroken 20 ms stream, a call leaving does not disturb the
// others, and the clock's goroutines stop once the last call has gone.
func TestLineSharedClock(t *testing.T) {
	waitLineIdle(t) // earlier tests' calls are closed
	const n = 24
	f := newFakeServer(t, "")
	f.webhooks = make(chan url.Values, n+1) // nobody reads them
	calls := make([]*Call, n)
	peers := make([]*peer, n)
	for i := range calls {
		calls[i], peers[i] = dial(t, f, fixed)
		peers[i].handshake(t)
	}
	if got, want := lineGoroutines(), min(n, runtime.GOMAXPROCS(0)); got != want {
		t.Errorf("%d line clock goroutines for %d calls, want %d", got, n, want)
	}

	// Half the calls leave; the rest keep their pace.
	for _, c := range calls[:n/2] {
		c.Close()
	}
	checkStream := func(p *peer, frames int) time.Duration {
		t.Helper()
		first := p.nextEvent(t, mediastream.KindMedia)
		chunk := first.in.Media.Chunk
		var last message
		for range frames {
			last = p.nextEvent(t, mediastream.KindMedia)
			if chunk++; last.in.Media.Chunk != chunk {
				t.Fatalf("chunk %d after %d", last.in.Media.Chunk, chunk-1)
			}
		}
		return last.at.Sub(first.at)
	}
	const frames = 50
	for _, p := range peers[n/2:] {
		// What the test has not read yet would show no pace; the streams
		// from now on do (the peers timestamp messages as they arrive).
		for len(p.in) > 0 {
			<-p.in
		}
	}
	for _, p := range peers[n/2:] {
		// A lower bound: frames cannot come faster than the schedule
		// (maxLag's restart only ever delays them).
		if el := checkStream(p, frames); el < (frames-1)*FrameDur-maxLag {
			t.Errorf("%d frames in %v, faster than one per %v", frames, el, FrameDur)
		}
	}

	for _, c := range calls[n/2:] {
		c.Close()
	}
	waitLineIdle(t)

	// The clock starts again for the next call.
	c, p := dial(t, f, fixed)
	p.handshake(t)
	checkStream(p, 5)
	c.Close()
	waitLineIdle(t)
}
