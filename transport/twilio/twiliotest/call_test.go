package twiliotest

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/transport/twilio"
	"github.com/switchboard-voice/switchboard/transport/twilio/mediastream"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Fixed SIDs make the golden messages reproducible.
var fixed = Options{
	AccountSID: "AC00000000000000000000000000000001",
	CallSID:    "CA00000000000000000000000000000002",
	StreamSID:  "MZ00000000000000000000000000000003",
	From:       "+15551230001",
	To:         "+15551230002",
}

func dial(t *testing.T, f *fakeServer, opts Options) (*Call, *peer) {
	t.Helper()
	opts.BaseURL = f.URL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, f.accept(t)
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bytes.TrimSuffix(want, []byte("\n"))) {
		t.Errorf("%s:\n got %s\nwant %s", name, got, want)
	}
}

func TestDialHandshake(t *testing.T) {
	const token = "12345"
	f := newFakeServer(t, token)
	opts := fixed
	opts.AgentID = "agent_1"
	opts.AuthToken = token
	c, p := dial(t, f, opts)

	form := <-f.webhooks
	for k, want := range map[string]string{
		"CallSid":    fixed.CallSID,
		"AccountSid": fixed.AccountSID,
		"From":       fixed.From,
		"To":         fixed.To,
		"Direction":  "inbound",
		"CallStatus": "ringing",
		"agentId":    "agent_1",
	} {
		if got := form.Get(k); got != want {
			t.Errorf("webhook %s = %q, want %q", k, got, want)
		}
	}
	if c.Parameters[twilio.TokenParam] != "tok-123" || c.Parameters["agentId"] != "agent_1" {
		t.Errorf("Parameters = %v", c.Parameters)
	}
	if want := "wss://" + strings.TrimPrefix(f.URL(), "http://") + WebhookPath + "/stream"; c.StreamURL != want {
		t.Errorf("StreamURL = %q, want %q", c.StreamURL, want)
	}

	connected, start := p.handshake(t)
	golden(t, "connected.json", connected.raw)
	golden(t, "start.json", start.raw)
	if got := start.in.Start.CustomParameters; got[twilio.TokenParam] != "tok-123" {
		t.Errorf("customParameters = %v", got)
	}
	// The first media message follows start in the same sequence.
	m := p.nextEvent(t, mediastream.KindMedia)
	if seqOf(t, m) != 2 || m.in.Media.Chunk != 1 || m.in.Media.Timestamp != 20 || m.in.Media.Track != "inbound" {
		t.Errorf("first media: %s", m.raw)
	}
}

func TestDialRefused(t *testing.T) {
	tests := []struct {
		name  string
		token string // the server's
		twiml string // overrides the server's answer
		want  error
	}{
		{name: "wrong signature", token: "server-token", want: ErrWebhook},
		{name: "say and hang up", twiml: string(twilio.SayHangup("This number is not in service.")), want: ErrNoStream},
		{name: "not TwiML", twiml: "hello", want: ErrWebhook},
		{name: "ws stream URL", twiml: `<Response><Connect><Stream url="ws://example.com/s"/></Connect></Response>`, want: ErrNoStream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, tt.token)
			if tt.twiml != "" {
				f.twiml = func(string) []byte { return []byte(tt.twiml) }
			}
			opts := fixed
			opts.BaseURL = f.URL()
			opts.AuthToken = "caller-token"
			c, err := Dial(testContext(t), opts)
			if err == nil {
				c.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Dial error = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestPacing checks that speech goes out as consecutive 20 ms frames of a
// continuous media stream, between silence frames, with no frame lost.
func TestPacing(t *testing.T) {
	f := newFakeServer(t, "")
	c, p := dial(t, f, fixed)
	p.handshake(t)

	const frames = 50
	ctx := testContext(t)
	sayErr := make(chan error, 1)
	go func() { sayErr <- c.SayPCM(ctx, tone(frames*FrameDur)) }()

	var voiced, afterVoice int
	wantSeq, wantChunk := uint64(2), uint64(1)
	for afterVoice < 3 {
		m := p.nextEvent(t, mediastream.KindMedia)
		md := m.in.Media
		if seqOf(t, m) != wantSeq || md.Chunk != wantChunk || md.Timestamp != 20*wantChunk {
			t.Fatalf("media %s: want sequenceNumber %d, chunk %d, timestamp %d", m.raw, wantSeq, wantChunk, 20*wantChunk)
		}
		if len(md.Payload) != FrameSamples || m.in.StreamSID != fixed.StreamSID || md.Track != "inbound" {
			t.Fatalf("media %s: want 160 bytes of inbound audio on %s", m.raw, fixed.StreamSID)
		}
		wantSeq++
		wantChunk++
		switch {
		case !silent(md.Payload):
			if afterVoice > 0 {
				t.Fatalf("speech resumed after silence at chunk %d", md.Chunk)
			}
			voiced++
		case voiced > 0:
			afterVoice++
		}
	}
	if voiced != frames {
		t.Errorf("%d frames of speech sent, want %d", voiced, frames)
	}
	if err := <-sayErr; err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.MediaSent < frames {
		t.Errorf("Stats.MediaSent = %d, want ≥ %d", s.MediaSent, frames)
	}
}

func TestSayFlite(t *testing.T) {
	f := newFakeServer(t, "")
	c, p := dial(t, f, fixed)
	p.handshake(t)
	ctx := testContext(t)
	sayErr := make(chan error, 1)
	go func() { sayErr <- c.Say(ctx, "Hello, I would like to book a table.", "flite-kal16") }()

	voiced := 0
	for {
		m := p.nextEvent(t, mediastream.KindMedia)
		if !silent(m.in.Media.Payload) {
			voiced++
		} else if voiced > 0 {
			break
		}
	}
	// About two seconds of speech; anything under half a second is wrong.
	if voiced < 25 {
		t.Errorf("%d frames of speech, want ≥ 25", voiced)
	}
	if err := <-sayErr; err != nil {
		t.Fatal(err)
	}
	if err := c.Say(ctx, "x", "no-such-voice"); err == nil {
		t.Error("Say with an unknown voice succeeded")
	}
}

// TestMarkEcho checks Twilio's mark semantics: a mark comes back only once
// the audio queued before it has played, and marks come back in order.
func TestMarkEcho(t *testing.T) {
	f := newFakeServer(t, "")
	c, p := dial(t, f, fixed)
	p.handshake(t)

	const audio = time.Second
	sent := time.Now()
	p.sendAudio(t, tone(audio))
	p.sendMark(t, "after-audio")
	p.sendMark(t, "right-after")

	first := p.nextEvent(t, mediastream.KindMark)
	// A lower bound only: playing a second of audio takes at least a second.
	if el := first.at.Sub(sent); el < audio {
		t.Errorf("mark echoed %v after its audio was sent, before the %v of audio could play", el, audio)
	}
	second := p.nextEvent(t, mediastream.KindMark)
	if first.in.Mark != "after-audio" || second.in.Mark != "right-after" {
		t.Errorf("marks echoed as %q, %q", first.in.Mark, second.in.Mark)
	}
	if first.in.StreamSID != fixed.StreamSID || seqOf(t, second) <= seqOf(t, first) {
		t.Errorf("mark echoes %s, %s", first.raw, second.raw)
	}

	// With nothing queued a mark comes straight back.
	p.sendMark(t, "idle")
	if m := p.nextEvent(t, mediastream.KindMark); m.in.Mark != "idle" {
		t.Errorf("mark %q echoed, want idle", m.in.Mark)
	}

	u, err := c.WaitForAgent(testContext(t), 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(u.PCM8k), int(audio*sampleRate/time.Second); got != want {
		t.Errorf("utterance of %d samples, want %d", got, want)
	}
	if u.Latency != 0 || !u.CallerEnd.IsZero() || u.Interrupted {
		t.Errorf("utterance with no caller speech: %+v", u)
	}
	if s := c.Stats(); s.MarksReceived != 3 || s.MarksEchoed != 3 {
		t.Errorf("stats %+v, want 3 marks received and echoed", s)
	}
}

// TestClear checks that clear drops the queued audio and returns pending
// marks, as Twilio does on barge-in.
func TestClear(t *testing.T) {
	f := newFakeServer(t, "")
	c, p := dial(t, f, fixed)
	p.handshake(t)
	ctx := testContext(t)

	const long = 3 * time.Second
	p.sendAudio(t, tone(long))
	p.sendMark(t, "end-of-reply")
	p.sendClear(t)
	if m := p.nextEvent(t, mediastream.KindMark); m.in.Mark != "end-of-reply" {
		t.Errorf("mark %q echoed, want end-of-reply", m.in.Mark)
	}
	u, err := c.WaitForAgent(ctx, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if !u.Interrupted || len(u.PCM8k) >= int(long*sampleRate/time.Second) {
		t.Errorf("cleared utterance: interrupted %v, %d samples; want interrupted and shorter than sent", u.Interrupted, len(u.PCM8k))
	}
	s := c.Stats()
	if s.Clears != 1 || s.ClearedFrames == 0 || s.MarksEchoed != 1 {
		t.Errorf("stats %+v", s)
	}

	// Audio after the clear plays as a new utterance.
	p.sendAudio(t, tone(200*time.Millisecond))
	u, err = c.WaitForAgent(ctx, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if u.Interrupted || len(u.PCM8k) != 1600 {
		t.Errorf("utterance after clear: interrupted %v, %d samples; want 1600", u.Interrupted, len(u.PCM8k))
	}
	caller, agent := c.Recording()
	if len(caller) != len(agent) || len(agent) == 0 {
		t.Errorf("recording of %d and %d samples", len(caller), len(agent))
	}
}

// echoAgent plays a minimal agent on p: it greets, then answers each caller
// utterance (speech followed by 200 ms of silence) after delay with reply.
func echoAgent(t *testing.T, p *peer, greeting, reply []int16, delay time.Duration) {
	p.sendAudio(t, greeting)
	speech, quiet := 0, 0
	for m := range p.in {
		if m.err != nil || m.in.Event != mediastream.KindMedia {
			continue
		}
		if !silent(m.in.Media.Payload) {
			speech, quiet = speech+1, 0
			continue
		}
		if quiet++; speech > 0 && quiet == 10 {
			time.Sleep(delay) // the agent thinking
			p.sendAudio(t, reply)
			speech = 0
		}
	}
}

// TestLatency checks that the measured turn latency includes the server's
// delay: a lower bound, whatever the machine's speed.
func TestLatency(t *testing.T) {
	f := newFakeServer(t, "")
	c, p := dial(t, f, fixed)
	p.handshake(t)
	const delay = 150 * time.Millisecond
	reply := tone(400 * time.Millisecond)
	go echoAgent(t, p, tone(500*time.Millisecond), reply, delay)
	ctx := testContext(t)

	greeting, err := c.WaitForAgent(ctx, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if greeting.Latency != 0 || len(greeting.PCM8k) != 4000 {
		t.Errorf("greeting: latency %v, %d samples; want 0, 4000", greeting.Latency, len(greeting.PCM8k))
	}
	for turn := range 2 {
		if err := c.SayPCM(ctx, tone(600*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		u, err := c.WaitForAgent(ctx, 300*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		// The fake waits delay after detecting the end of speech, so that
		// is a lower bound even when a loaded machine sends frames in bursts
		// (which shortens the fake's detection time).
		if min := delay; u.Latency < min {
			t.Errorf("turn %d: latency %v, want ≥ %v", turn, u.Latency, min)
		}
		if u.CallerEnd.IsZero() || !u.Start.Equal(u.CallerEnd.Add(u.Latency)) || len(u.PCM8k) != len(reply) {
			t.Errorf("turn %d: %+v", turn, u)
		}
	}
}

func TestHangup(t *testing.T) {
	f := newFakeServer(t, "")
	c, p := dial(t, f, fixed)
	p.handshake(t)
	if err := c.Hangup(testContext(t)); err != nil {
		t.Fatal(err)
	}
	m := p.nextEvent(t, mediastream.KindStop)
	if m.in.Stop.CallSID != fixed.CallSID || m.in.Stop.AccountSID != fixed.AccountSID || m.in.StreamSID != fixed.StreamSID {
		t.Errorf("stop %s", m.raw)
	}
	seqOf(t, m)
	p.waitClosed(t)
	select {
	case <-c.Done():
	default:
		t.Error("Done not closed after Hangup")
	}
	if err := c.SayPCM(testContext(t), tone(time.Second)); !errors.Is(err, ErrCallEnded) {
		t.Errorf("SayPCM after hangup: %v", err)
	}
	if err := c.DTMF('1'); !errors.Is(err, ErrCallEnded) {
		t.Errorf("DTMF after hangup: %v", err)
	}
}

func TestServerHangsUp(t *testing.T) {
	f := newFakeServer(t, "")
	c, p := dial(t, f, fixed)
	p.handshake(t)
	ctx := testContext(t)

	p.sendAudio(t, tone(100*time.Millisecond))
	p.conn.Close()
	<-c.Done()
	if !errors.Is(c.Err(), ErrCallEnded) {
		t.Errorf("Err = %v", c.Err())
	}
	// Speech received before the hangup is still returned, then the end.
	if u, err := c.WaitForAgent(ctx, time.Second); err != nil || len(u.PCM8k) != 800 {
		t.Errorf("WaitForAgent = %d samples, %v; want 800", len(u.PCM8k), err)
	}
	if _, err := c.WaitForAgent(ctx, time.Second); !errors.Is(err, ErrCallEnded) {
		t.Errorf("WaitForAgent after the end: %v", err)
	}
	if err := c.Silence(ctx, time.Second); !errors.Is(err, ErrCallEnded) {
		t.Errorf("Silence after the end: %v", err)
	}
}

func TestDTMF(t *testing.T) {
	f := newFakeServer(t, "")
	c, p := dial(t, f, fixed)
	p.handshake(t)
	if err := c.DTMF('#'); err != nil {
		t.Fatal(err)
	}
	m := p.nextEvent(t, mediastream.KindDTMF)
	if m.in.DTMF != '#' || !bytes.Contains(m.raw, []byte(`"track":"inbound_track"`)) {
		t.Errorf("dtmf %s", m.raw)
	}
	seqOf(t, m)
	if err := c.DTMF('x'); err == nil {
		t.Error("DTMF('x') succeeded")
	}
}

func TestProtocolErrors(t *testing.T) {
	f := newFakeServer(t, "")
	c, p := dial(t, f, fixed)
	p.handshake(t)
	p.write(t, []byte(`{"event":"clear","streamSid":"MZother"}`))
	p.write(t, []byte(`{"event":"media","streamSid":"`+fixed.StreamSID+`","media":{"payload":"!!"}}`))
	p.write(t, []byte(`{"event":"bogus"}`))
	p.write(t, []byte(`{"event":"start","start":{}}`))
	p.sendMark(t, "sync") // read after the others
	p.nextEvent(t, mediastream.KindMark)
	if got := c.ProtocolErrors(); len(got) != 4 {
		t.Fatalf("ProtocolErrors = %v, want 4", got)
	} else if !errors.Is(got[0], ErrProtocol) {
		t.Errorf("%v does not wrap ErrProtocol", got[0])
	}
	if s := c.Stats(); s.Clears != 0 || s.MediaReceived != 0 {
		t.Errorf("stats %+v: bad messages were acted on", s)
	}
}

// TestTranscribeEcho runs the whole caller path: flite speech goes out as
// μ-law, the fake agent echoes it back, and the recogniser finds the words.
func TestTranscribeEcho(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the speech recogniser")
	}
	f := newFakeServer(t, "")
	c, p := dial(t, f, fixed)
	p.handshake(t)
	ctx := testContext(t)

	// The agent repeats the caller's speech back.
	go func() {
		var heard []byte
		quiet := 0
		for m := range p.in {
			if m.err != nil || m.in.Event != mediastream.KindMedia {
				continue
			}
			if !silent(m.in.Media.Payload) {
				heard, quiet = append(heard, m.in.Media.Payload...), 0
				continue
			}
			if quiet++; len(heard) > 0 && quiet == 10 {
				for len(heard) > 0 {
					n := min(len(heard), FrameSamples)
					p.write(t, mediastream.AppendMedia(nil, p.sid, heard[:n]))
					heard = heard[n:]
				}
			}
		}
	}()

	tr, err := NewTranscriber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	phrases := []string{
		"please reset my password",
		"I want to cancel my order",
		"what is the status of my refund",
		"can you tell me your opening hours",
	}
	for _, tt := range []struct{ line, keyword string }{
		{"Please reset my password.", "password"},
		{"I want to cancel my order.", "cancel"},
	} {
		line, keyword := tt.line, tt.keyword
		if err := c.Say(ctx, line, "flite-rms"); err != nil {
			t.Fatal(err)
		}
		u, err := c.WaitForAgent(ctx, 400*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		text, err := tr.Transcribe(ctx, u, phrases...)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("said %q, heard %q (latency %v)", line, text, u.Latency)
		// Recognition of phone audio is not exact; the content word must
		// come through.
		if !strings.Contains(text, keyword) {
			t.Errorf("transcript %q lacks %q", text, keyword)
		}
	}
}
