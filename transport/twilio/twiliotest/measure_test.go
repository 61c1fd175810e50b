package twiliotest

import (
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/transport/twilio/mediastream"
)

// A caller talking over the agent: the speech is queued without blocking,
// its onset is the first voiced frame sent, and the server's clear is
// timestamped after it.
func TestQueueOnsetAndClears(t *testing.T) {
	f := newFakeServer(t, "")
	opts := fixed
	opts.NoRecording = true
	c, p := dial(t, f, opts)
	p.handshake(t)
	ctx := testContext(t)

	before := time.Now()
	p.sendAudio(t, tone(2*time.Second))
	heard, err := c.WaitAudible(ctx, before)
	if err != nil {
		t.Fatal(err)
	}
	if heard.Before(before) {
		t.Errorf("first audible frame at %v, before the audio was sent (%v)", heard, before)
	}

	clip := NewClip(append(make([]int16, 800), tone(300*time.Millisecond)...), 0)
	if clip.Duration() != 400*time.Millisecond {
		t.Errorf("clip of %v, want 400ms", clip.Duration())
	}
	sp, err := c.Queue(clip)
	if err != nil {
		t.Fatal(err)
	}
	// The fake plays the server: it clears once it sees voiced audio.
	for {
		m := p.next(t)
		if m.in.Event == mediastream.KindMedia && !silent(m.in.Media.Payload) {
			break
		}
	}
	p.sendClear(t)
	if err := sp.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	onset := sp.Onset()
	clears := c.Clears()
	if onset.IsZero() || len(clears) != 1 || clears[0].Before(onset) || sp.LastVoiced().Before(onset) {
		t.Fatalf("onset %v, last voiced %v, clears %v", onset, sp.LastVoiced(), clears)
	}

	if err := c.WaitQuiet(ctx, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	p.sendAudio(t, tone(200*time.Millisecond))
	u, err := c.WaitForAgent(ctx, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if u.Interrupted || u.PCM8k != nil || u.Duration() != 0 || u.End.Sub(u.Start) < 150*time.Millisecond {
		t.Errorf("utterance after the quiet line without recording: %+v", u)
	}
	if caller, agent := c.Recording(); len(caller) != 0 || len(agent) != 0 {
		t.Errorf("recording of %d and %d samples with NoRecording", len(caller), len(agent))
	}
}
