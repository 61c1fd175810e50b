package server_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/switchboard-voice/switchboard/audio/opus"
	"github.com/switchboard-voice/switchboard/audio/resample"
	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/providers/tts/flite"
	"github.com/switchboard-voice/switchboard/server/servertest"
	"github.com/switchboard-voice/switchboard/transport/twilio/twiliotest"
)

// The direct agent protocol (docs/direct-protocol.md) over real WebSockets
// against a real node with the embedded engines.

const clinicGreeting = "Hello, thanks for calling the clinic. How can I help you?"

// directEvent is a server event of the direct protocol.
type directEvent struct {
	Type      string `json:"type"`
	Text      string `json:"text"`
	Final     bool   `json:"final"`
	SessionID string `json:"sessionId"`
	Message   string `json:"message"`
	Audio     *struct {
		Encoding   string `json:"encoding"`
		SampleRate int    `json:"sampleRate"`
	} `json:"audio"`
}

// directMsg is one message from the server: an event or a binary frame.
type directMsg struct {
	ev    *directEvent
	audio []byte
}

// directClient reads everything the server sends, in order, on its own
// goroutine, as a real client must (agent audio is paced in real time).
type directClient struct {
	t    *testing.T
	conn *websocket.Conn
	wmu  sync.Mutex

	mu   sync.Mutex
	msgs []directMsg
	err  error         // why reading stopped
	done chan struct{} // closed when reading stopped
}

func directURL(n *servertest.Node, agentID string) string {
	return strings.Replace(n.URL, "http://", "ws://", 1) + "/v1/agents/" + agentID + "/session"
}

// dialDirect opens the protocol with the key in the Authorization header
// (key != "") and the given subprotocols.
func dialDirect(n *servertest.Node, agentID, key string, protocols ...string) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Subprotocols: protocols}
	h := http.Header{}
	if key != "" {
		h.Set("Authorization", "Bearer "+key)
	}
	return d.Dial(directURL(n, agentID), h)
}

func newDirectClient(t *testing.T, conn *websocket.Conn) *directClient {
	c := &directClient{t: t, conn: conn, done: make(chan struct{})}
	t.Cleanup(func() { conn.Close() })
	go c.read()
	return c
}

func (c *directClient) read() {
	defer close(c.done)
	_ = c.conn.SetReadDeadline(time.Now().Add(3 * time.Minute))
	for {
		kind, data, err := c.conn.ReadMessage()
		c.mu.Lock()
		switch {
		case err != nil:
			c.err = err
		case kind == websocket.BinaryMessage:
			c.msgs = append(c.msgs, directMsg{audio: data})
		default:
			var ev directEvent
			if jerr := json.Unmarshal(data, &ev); jerr != nil || ev.Type == "" {
				c.err = errors.New("server sent a text frame that is not an event: " + string(data))
				err = c.err
			}
			c.msgs = append(c.msgs, directMsg{ev: &ev})
		}
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// start opens a session in the given format and waits for session.ready.
func (c *directClient) start(encoding string, rate int) directEvent {
	c.t.Helper()
	c.sendJSON(map[string]any{"type": "start", "audio": map[string]any{"encoding": encoding, "sampleRate": rate}})
	_, ready := c.waitEvent(0, "session.ready")
	if ready.Audio == nil || ready.Audio.Encoding != encoding || ready.Audio.SampleRate != rate {
		c.t.Fatalf("session.ready audio = %+v, want %s at %d Hz", ready.Audio, encoding, rate)
	}
	return ready
}

func (c *directClient) sendJSON(v any) {
	c.t.Helper()
	raw, _ := json.Marshal(v)
	c.write(websocket.TextMessage, raw)
}

func (c *directClient) write(kind int, b []byte) {
	c.t.Helper()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := c.conn.WriteMessage(kind, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// waitEvent waits for an event of type typ at or after message index from
// and returns its index.
func (c *directClient) waitEvent(from int, typ string) (int, directEvent) {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		c.mu.Lock()
		for i := from; i < len(c.msgs); i++ {
			if ev := c.msgs[i].ev; ev != nil && ev.Type == typ {
				c.mu.Unlock()
				return i, *ev
			}
		}
		err := c.err
		c.mu.Unlock()
		if err != nil {
			c.t.Fatalf("waiting for %s: reading stopped: %v\nevents: %s", typ, err, c.eventTypes(0))
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s; events: %s", typ, c.eventTypes(0))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// eventTypes lists the events from index from, for failure messages.
func (c *directClient) eventTypes(from int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	frames := 0
	for _, m := range c.msgs[min(from, len(c.msgs)):] {
		if m.ev == nil {
			frames++
			continue
		}
		if frames > 0 {
			b.WriteString("[" + strconv.Itoa(frames) + " frames] ")
			frames = 0
		}
		b.WriteString(m.ev.Type)
		if m.ev.Text != "" {
			b.WriteString("(" + m.ev.Text + ")")
		}
		b.WriteString(" ")
	}
	if frames > 0 {
		b.WriteString("[" + strconv.Itoa(frames) + " frames]")
	}
	return b.String()
}

// between returns the binary frames and the events strictly between
// message indexes from and to.
func (c *directClient) between(from, to int) (frames [][]byte, events []directEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs[from+1 : to] {
		if m.ev != nil {
			events = append(events, *m.ev)
		} else {
			frames = append(frames, m.audio)
		}
	}
	return frames, events
}

func (c *directClient) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

// text joins the text of the events of type typ.
func joinText(events []directEvent, typ string) string {
	var b strings.Builder
	for _, ev := range events {
		if ev.Type == typ {
			b.WriteString(ev.Text)
		}
	}
	return strings.TrimSpace(b.String())
}

// closeCode waits for the server to close the socket and returns the code.
func (c *directClient) closeCode() int {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(60 * time.Second):
		c.t.Fatalf("the server did not close the socket; events: %s", c.eventTypes(0))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var ce *websocket.CloseError
	if !errors.As(c.err, &ce) {
		c.t.Fatalf("socket ended without a close frame: %v", c.err)
	}
	return ce.Code
}

// pcmToBytes is PCM16 little-endian.
func pcmToBytes(pcm []int16) []byte {
	b := make([]byte, 0, 2*len(pcm))
	for _, v := range pcm {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

func bytesToPCM(b []byte) []int16 {
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return pcm
}

func rmsOf(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

var (
	speechMu    sync.Mutex
	speechCache = map[string][]int16{}
)

// callerSpeech is text spoken by flite's RMS voice (not the agent's), at
// rate.
func callerSpeech(t *testing.T, text string, rate int) []int16 {
	t.Helper()
	speechMu.Lock()
	defer speechMu.Unlock()
	key := text + "@" + strconv.Itoa(rate)
	if pcm, ok := speechCache[key]; ok {
		return pcm
	}
	syn, err := flite.New(flite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var pcm []int16
	src := 0
	err = syn.Synthesize(context.Background(), tts.Request{Text: text, VoiceID: "flite-rms"}, func(ch tts.Chunk) error {
		src = ch.SampleRate
		pcm = append(pcm, ch.PCM...)
		return nil
	})
	if err != nil || len(pcm) == 0 {
		t.Fatalf("synthesizing %q: %v", text, err)
	}
	if src != rate {
		if pcm, err = resample.Convert(pcm, src, rate); err != nil {
			t.Fatal(err)
		}
	}
	speechCache[key] = pcm
	return pcm
}

// sayPCM sends pcm at rate as PCM16 in messages of chunk bytes (any
// framing), paced in real time, then a second of silence so the VAD ends
// the utterance.
func (c *directClient) sayPCM(pcm []int16, rate, chunk int) {
	c.t.Helper()
	b := pcmToBytes(append(append([]int16(nil), pcm...), make([]int16, rate)...))
	perSecond := 2 * rate
	start := time.Now()
	for sent := 0; sent < len(b); sent += chunk {
		c.write(websocket.BinaryMessage, b[sent:min(sent+chunk, len(b))])
		due := start.Add(time.Duration(sent+chunk) * time.Second / time.Duration(perSecond))
		time.Sleep(time.Until(due))
	}
}

// sayOpus sends pcm at rate as 20 ms Opus packets, paced in real time,
// then a second of silence.
func (c *directClient) sayOpus(pcm []int16, rate int) {
	c.t.Helper()
	enc, err := opus.NewEncoder(opus.Config{SampleRate: rate})
	if err != nil {
		c.t.Fatal(err)
	}
	n := enc.FrameSamples()
	all := append(append([]int16(nil), pcm...), make([]int16, rate+n)...)
	packet := make([]byte, opus.MaxPacketBytes)
	start := time.Now()
	for i := 0; i+n <= len(all); i += n {
		k, err := enc.Encode(packet, all[i:i+n])
		if err != nil {
			c.t.Fatal(err)
		}
		c.write(websocket.BinaryMessage, packet[:k])
		time.Sleep(time.Until(start.Add(time.Duration(i/n+1) * 20 * time.Millisecond)))
	}
}

// provisionClinic creates the clinic agent with its FAQ and waits until the
// FAQ is indexed.
func provisionFrontDesk(t *testing.T, n *servertest.Node) string {
	t.Helper()
	res := n.Do("POST", "/v1/agents/provision", n.AdminKey, map[string]any{
		"agent": map[string]any{
			"name": "Clinic front desk", "prompt": "You answer questions about the clinic.",
			"firstMessage": clinicGreeting,
			"metadata":     map[string]any{"phrases": []string{"what time do you open", "is there parking", "do you take insurance"}},
		},
		"collection": map[string]any{"name": "Clinic FAQ", "documents": clinicFAQ},
	})
	if res.Status != 201 {
		t.Fatalf("provision: %d %s", res.Status, res.Body)
	}
	var prov struct {
		Agent      agentBody `json:"agent"`
		Collection struct {
			ID string `json:"id"`
		} `json:"collection"`
	}
	res.JSON(t, &prov)
	waitIndexed(t, n, prov.Collection.ID)
	return prov.Agent.ID
}

// conversationOf waits for the stored conversation of a session.
func conversationOf(t *testing.T, n *servertest.Node, sessionID string) conversationBody {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var list listBody[conversationBody]
		n.Do("GET", "/v1/conversations?limit=100", n.AdminKey, nil).JSON(t, &list)
		for _, c := range list.Data {
			if c.SessionID == sessionID {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("conversation of session %s not stored", sessionID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// greeting waits for the whole greeting and returns its frames.
func (c *directClient) greeting() [][]byte {
	c.t.Helper()
	started, _ := c.waitEvent(0, "agent.speech.started")
	ended, _ := c.waitEvent(started, "agent.speech.ended")
	frames, _ := c.between(started, ended)
	return frames
}

// A whole conversation over PCM16 at 16 kHz: greeting, a spoken question
// answered from the agent's FAQ, end; then the stored conversation.
func TestDirectSessionPCM16(t *testing.T) {
	if testing.Short() {
		t.Skip("a spoken conversation takes real time")
	}
	n := servertest.Start(t, nil)
	agentID := provisionFrontDesk(t, n)
	conn, res, err := dialDirect(n, agentID, n.AdminKey, "switchboard.v1")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols || conn.Subprotocol() != "switchboard.v1" {
		t.Fatalf("handshake: %d, subprotocol %q", res.StatusCode, conn.Subprotocol())
	}
	c := newDirectClient(t, conn)
	ready := c.start("pcm16", 16000)
	if ready.SessionID == "" {
		t.Errorf("session.ready has no sessionId")
	}
	ri, _ := c.waitEvent(0, "session.ready")
	if si, _ := c.waitEvent(0, "session.started"); si < ri {
		t.Errorf("session.started came before session.ready: %s", c.eventTypes(0))
	}

	// The greeting: its text, then as much audio as flite's speech of it
	// lasts (about 3 s), in 20 ms frames of 640 bytes.
	_, text := c.waitEvent(0, "agent.text")
	if text.Text != clinicGreeting {
		t.Fatalf("agent.text = %q", text.Text)
	}
	frames := c.greeting()
	total := 0
	for i, f := range frames {
		if len(f) != 640 {
			t.Fatalf("greeting frame %d has %d bytes, want 640", i, len(f))
		}
		total += len(f)
	}
	dur := time.Duration(total/2) * time.Second / 16000
	if dur < 2*time.Second || dur > 8*time.Second {
		t.Fatalf("greeting audio lasts %v", dur)
	}

	// A spoken question, answered from the FAQ.
	mark := c.count()
	c.sayPCM(callerSpeech(t, "What time do you open?", 16000), 16000, 640)
	fi, final := c.waitEvent(mark, "transcript.final")
	if !strings.Contains(strings.ToLower(final.Text), "open") {
		t.Fatalf("transcript.final = %q", final.Text)
	}
	si, _ := c.waitEvent(fi, "agent.speech.started")
	ei, _ := c.waitEvent(si, "agent.speech.ended")
	answerAudio, _ := c.between(si, ei)
	_, events := c.between(fi, ei)
	answer := joinText(events, "agent.text.delta")
	if !strings.Contains(strings.ToLower(answer), "nine") {
		t.Fatalf("answer %q does not give the opening time; events: %s", answer, c.eventTypes(mark))
	}
	var pcm []int16
	for _, f := range answerAudio {
		pcm = append(pcm, bytesToPCM(f)...)
	}
	if d := time.Duration(len(pcm)) * time.Second / 16000; d < time.Second || rmsOf(pcm) < 200 {
		t.Fatalf("answer audio: %v long, RMS %.0f", d, rmsOf(pcm))
	}
	c.waitEvent(fi, "turn.metrics")

	c.sendJSON(map[string]string{"type": "end"})
	if code := c.closeCode(); code != websocket.CloseNormalClosure {
		t.Fatalf("close code %d, want 1000", code)
	}
	conv := conversationOf(t, n, ready.SessionID)
	if conv.Channel != "web" || len(conv.Messages) != 3 || conv.Messages[0].Text != clinicGreeting ||
		conv.Messages[1].Role != "user" || !strings.Contains(strings.ToLower(conv.Messages[2].Text), "nine") {
		t.Fatalf("stored conversation: %+v", conv)
	}
}

// At 24 and 48 kHz the agent's audio comes at the client's rate, in 20 ms
// frames, and the caller's audio at that rate is understood, however the
// client splits it into messages.
func TestDirectSessionRates(t *testing.T) {
	if testing.Short() {
		t.Skip("a spoken conversation takes real time")
	}
	n := servertest.Start(t, nil)
	agentID := provisionFrontDesk(t, n)
	for _, tc := range []struct {
		name  string
		rate  int
		chunk int // bytes per message of caller audio
	}{
		{"24 kHz in 20 ms frames", 24000, 960},
		{"48 kHz in odd-sized messages", 48000, 1001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, _, err := dialDirect(n, agentID, n.AdminKey)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			c := newDirectClient(t, conn)
			c.start("pcm16", tc.rate)
			want := tc.rate / 50 * 2
			frames := c.greeting()
			if len(frames) < 50 {
				t.Fatalf("greeting: %d frames", len(frames))
			}
			for i, f := range frames {
				if len(f) != want {
					t.Fatalf("greeting frame %d of %d has %d bytes, want %d", i, len(frames), len(f), want)
				}
			}
			var pcm []int16
			for _, f := range frames {
				pcm = append(pcm, bytesToPCM(f)...)
			}
			if rmsOf(pcm) < 200 {
				t.Fatalf("greeting audio is silent (RMS %.0f)", rmsOf(pcm))
			}

			mark := c.count()
			c.sayPCM(callerSpeech(t, "What time do you open?", tc.rate), tc.rate, tc.chunk)
			fi, final := c.waitEvent(mark, "transcript.final")
			if !strings.Contains(strings.ToLower(final.Text), "open") {
				t.Fatalf("transcript.final = %q", final.Text)
			}
			ei, _ := c.waitEvent(fi, "agent.speech.ended")
			_, events := c.between(fi, ei)
			if answer := joinText(events, "agent.text.delta"); !strings.Contains(strings.ToLower(answer), "nine") {
				t.Fatalf("answer %q", answer)
			}
			c.sendJSON(map[string]string{"type": "end"})
			if code := c.closeCode(); code != websocket.CloseNormalClosure {
				t.Fatalf("close code %d", code)
			}
		})
	}
}

// Opus both ways: the caller's packets are decoded and understood, the
// agent's packets decode to its spoken answer.
func TestDirectSessionOpus(t *testing.T) {
	if testing.Short() {
		t.Skip("a spoken conversation takes real time")
	}
	n := servertest.Start(t, nil)
	agentID := provisionFrontDesk(t, n)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tr, err := twiliotest.NewTranscriber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()

	for _, rate := range []int{16000, 48000} {
		t.Run(strconv.Itoa(rate/1000)+" kHz", func(t *testing.T) {
			conn, _, err := dialDirect(n, agentID, n.AdminKey)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			c := newDirectClient(t, conn)
			c.start("opus", rate)
			dec, err := opus.NewDecoder(rate)
			if err != nil {
				t.Fatal(err)
			}
			decode := func(packets [][]byte) []int16 {
				var pcm []int16
				buf := make([]int16, rate*120/1000)
				for i, p := range packets {
					k, err := dec.Decode(buf, p)
					if err != nil {
						t.Fatalf("agent packet %d of %d does not decode: %v", i, len(packets), err)
					}
					if k != rate/50 {
						t.Fatalf("agent packet %d holds %d samples, want 20 ms", i, k)
					}
					pcm = append(pcm, buf[:k]...)
				}
				return pcm
			}
			greeting := decode(c.greeting())
			if d := time.Duration(len(greeting)) * time.Second / time.Duration(rate); d < 2*time.Second || rmsOf(greeting) < 200 {
				t.Fatalf("greeting: %v of audio, RMS %.0f", d, rmsOf(greeting))
			}

			// A broken packet is dropped like a lost one; the session goes on.
			c.write(websocket.BinaryMessage, []byte{0xff, 0xff, 0xff})
			mark := c.count()
			c.sayOpus(callerSpeech(t, "What time do you open?", rate), rate)
			fi, final := c.waitEvent(mark, "transcript.final")
			if !strings.Contains(strings.ToLower(final.Text), "open") {
				t.Fatalf("transcript.final = %q", final.Text)
			}
			si, _ := c.waitEvent(fi, "agent.speech.started")
			ei, _ := c.waitEvent(si, "agent.speech.ended")
			packets, _ := c.between(si, ei)
			_, events := c.between(fi, ei)
			answerText := joinText(events, "agent.text.delta")
			if !strings.Contains(strings.ToLower(answerText), "nine") {
				t.Fatalf("answer text %q", answerText)
			}
			answer := decode(packets)
			pcm8k, err := resample.Convert(answer, rate, 8000)
			if err != nil {
				t.Fatal(err)
			}
			heard, err := tr.Transcribe(ctx, twiliotest.Utterance{PCM8k: pcm8k}, clinicGreeting, answerText,
				"Parking is free in the garage behind the building.")
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("agent said %q, heard as %q", answerText, heard)
			if !strings.Contains(heard, "nine") {
				t.Fatalf("the decoded answer is heard as %q, want it to mention nine", heard)
			}
			c.sendJSON(map[string]string{"type": "end"})
			if code := c.closeCode(); code != websocket.CloseNormalClosure {
				t.Fatalf("close code %d", code)
			}
		})
	}
}

// Typed input is answered like speech, and cancel stops the agent.
func TestDirectSessionTextAndCancel(t *testing.T) {
	if testing.Short() {
		t.Skip("a spoken conversation takes real time")
	}
	n := servertest.Start(t, nil)
	agentID := provisionFrontDesk(t, n)

	t.Run("text input", func(t *testing.T) {
		conn, _, err := dialDirect(n, agentID, n.AdminKey)
		if err != nil {
			t.Fatal(err)
		}
		c := newDirectClient(t, conn)
		ready := c.start("pcm16", 16000)
		c.greeting()
		mark := c.count()
		// Malformed control messages change nothing.
		c.write(websocket.TextMessage, []byte(`{"type":"dance"}`))
		c.write(websocket.TextMessage, []byte(`not json`))
		c.sendJSON(map[string]string{"type": "text", "text": "What time do you open?"})
		si, _ := c.waitEvent(mark, "agent.speech.started")
		ei, _ := c.waitEvent(si, "agent.speech.ended")
		frames, _ := c.between(si, ei)
		_, events := c.between(mark, ei)
		if answer := joinText(events, "agent.text.delta"); !strings.Contains(strings.ToLower(answer), "nine") {
			t.Fatalf("answer %q; events %s", answer, c.eventTypes(mark))
		}
		var pcm []int16
		for _, f := range frames {
			pcm = append(pcm, bytesToPCM(f)...)
		}
		if len(pcm) < 16000 || rmsOf(pcm) < 200 {
			t.Fatalf("answer audio: %d samples, RMS %.0f", len(pcm), rmsOf(pcm))
		}
		for _, ev := range events {
			if ev.Type == "error" {
				t.Fatalf("malformed control message answered with an error: %+v", ev)
			}
		}
		c.sendJSON(map[string]string{"type": "end"})
		if code := c.closeCode(); code != websocket.CloseNormalClosure {
			t.Fatalf("close code %d", code)
		}
		conv := conversationOf(t, n, ready.SessionID)
		if len(conv.Messages) != 3 || conv.Messages[1].Text != "What time do you open?" {
			t.Fatalf("stored conversation: %+v", conv)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		conn, _, err := dialDirect(n, agentID, n.AdminKey)
		if err != nil {
			t.Fatal(err)
		}
		c := newDirectClient(t, conn)
		ready := c.start("pcm16", 16000)
		si, _ := c.waitEvent(0, "agent.speech.started")
		// Cancel as soon as the greeting is heard.
		for {
			if frames, _ := c.between(si, c.count()); len(frames) > 0 {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		c.sendJSON(map[string]string{"type": "cancel"})
		ii, interrupted := c.waitEvent(si, "agent.interrupted")
		if strings.Contains(interrupted.Text, "help") {
			t.Fatalf("agent.interrupted says the whole greeting was heard: %q", interrupted.Text)
		}
		// Its audio stops: nothing more of the greeting arrives (the
		// greeting would take seconds more).
		time.Sleep(time.Second)
		after, events := c.between(ii, c.count())
		if len(after) > 1 {
			t.Fatalf("%d frames of audio after agent.interrupted", len(after))
		}
		for _, ev := range events {
			if ev.Type == "agent.speech.ended" {
				t.Fatalf("the cancelled greeting reported agent.speech.ended")
			}
		}
		c.sendJSON(map[string]string{"type": "end"})
		if code := c.closeCode(); code != websocket.CloseNormalClosure {
			t.Fatalf("close code %d", code)
		}
		conv := conversationOf(t, n, ready.SessionID)
		if len(conv.Messages) != 1 || !conv.Messages[0].Interrupted || conv.Messages[0].Text == clinicGreeting {
			t.Fatalf("stored conversation after cancel: %+v", conv)
		}
	})
}

// Who may open a session, and how a bad start ends it.
func TestDirectSessionAuth(t *testing.T) {
	n := servertest.Start(t, nil)
	otherKey := n.CreateOrg("Other clinic")
	agentID := greeter(t, n)

	t.Run("browser subprotocol key", func(t *testing.T) {
		conn, res, err := dialDirect(n, agentID, "", "switchboard.v1", "bearer."+n.AdminKey)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		if res.StatusCode != http.StatusSwitchingProtocols || conn.Subprotocol() != "switchboard.v1" {
			t.Fatalf("handshake: %d, subprotocol %q", res.StatusCode, conn.Subprotocol())
		}
		c := newDirectClient(t, conn)
		c.start("pcm16", 16000)
		c.waitEvent(0, "agent.speech.started")
		c.sendJSON(map[string]string{"type": "end"})
		if code := c.closeCode(); code != websocket.CloseNormalClosure {
			t.Fatalf("close code %d", code)
		}
	})

	refused := func(t *testing.T, status int, key string, protocols ...string) {
		t.Helper()
		conn, res, err := dialDirect(n, agentID, key, protocols...)
		if err == nil {
			conn.Close()
			t.Fatalf("the upgrade was accepted")
		}
		if res == nil || res.StatusCode != status {
			t.Fatalf("dial: %v (response %+v), want HTTP %d", err, res, status)
		}
	}
	t.Run("no key", func(t *testing.T) { refused(t, 401, "", "switchboard.v1") })
	t.Run("wrong header key", func(t *testing.T) { refused(t, 401, "sb_live_wrong") })
	t.Run("wrong subprotocol key", func(t *testing.T) { refused(t, 401, "", "switchboard.v1", "bearer.sb_live_wrong") })
	t.Run("another organization's agent", func(t *testing.T) { refused(t, 404, otherKey) })

	for _, tc := range []struct{ name, first string }{
		{"not json", "hello"},
		{"text before start", `{"type":"text","text":"hi"}`},
		{"unsupported rate", `{"type":"start","audio":{"encoding":"pcm16","sampleRate":8000}}`},
		{"unknown encoding", `{"type":"start","audio":{"encoding":"mp3","sampleRate":16000}}`},
	} {
		t.Run("invalid start: "+tc.name, func(t *testing.T) {
			conn, _, err := dialDirect(n, agentID, n.AdminKey)
			if err != nil {
				t.Fatal(err)
			}
			c := newDirectClient(t, conn)
			c.write(websocket.TextMessage, []byte(tc.first))
			if code := c.closeCode(); code != websocket.ClosePolicyViolation {
				t.Fatalf("close code %d, want 1008", code)
			}
			if _, ev := c.waitEvent(0, "error"); ev.Message == "" {
				t.Fatalf("error event without a message")
			}
		})
	}
	waitLive(t, n, 0)
}

// session.ready, with the session's ID, is the first event of every
// session, before the session's own session.started.
func TestDirectSessionReadyComesFirst(t *testing.T) {
	n := servertest.Start(t, nil)
	agentID := greeter(t, n)
	for i := range 20 {
		conn, _, err := dialDirect(n, agentID, n.AdminKey)
		if err != nil {
			t.Fatal(err)
		}
		c := newDirectClient(t, conn)
		c.sendJSON(map[string]any{"type": "start"}) // PCM16 at 16 kHz by default
		ri, ready := c.waitEvent(0, "session.ready")
		si, started := c.waitEvent(0, "session.started")
		if ri != 0 || si < ri || ready.SessionID == "" || started.Text != ready.SessionID {
			t.Fatalf("session %d: events %s; ready %+v", i, c.eventTypes(0), ready)
		}
		c.sendJSON(map[string]string{"type": "end"})
		if code := c.closeCode(); code != websocket.CloseNormalClosure {
			t.Fatalf("close code %d", code)
		}
	}
	waitLive(t, n, 0)
}
