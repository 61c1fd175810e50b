package voice

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/audio/frame"
	"github.com/switchboard-voice/switchboard/audio/opus"
	"github.com/switchboard-voice/switchboard/audio/playout"
	"github.com/switchboard-voice/switchboard/audio/resample"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/transport/media"
	"github.com/switchboard-voice/switchboard/transport/wsread"
)

// Subprotocol is the WebSocket subprotocol of the direct agent protocol.
// Browsers, which cannot set headers on a WebSocket, send their API key as
// a second subprotocol "bearer.<key>".
const Subprotocol = "switchboard.v1"

// Encodings of the direct protocol's binary frames.
const (
	EncodingPCM16 = "pcm16"
	EncodingOpus  = "opus"
)

// ClientMessage is a JSON control message from a direct-protocol client.
type ClientMessage struct {
	Type  string      `json:"type"` // start | text | cancel | end
	Audio AudioFormat `json:"audio"`
	Text  string      `json:"text"`
}

// AudioFormat is the audio of both directions of a direct session.
type AudioFormat struct {
	Encoding   string `json:"encoding"`
	SampleRate int    `json:"sampleRate"`
}

// ServerEvent is a JSON event to a direct-protocol client.
type ServerEvent struct {
	session.Event
	SessionID string       `json:"sessionId,omitempty"`
	Audio     *AudioFormat `json:"audio,omitempty"`
	Reason    string       `json:"reason,omitempty"`
}

// ErrBadStart is why a session did not start.
var ErrBadStart = errors.New("voice: invalid start message")

// ParseClientMessage decodes and checks a client control message.
func ParseClientMessage(data []byte) (ClientMessage, error) {
	var m ClientMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return m, ErrBadStart
	}
	switch m.Type {
	case "start":
		if m.Audio.Encoding == "" {
			m.Audio.Encoding = EncodingPCM16
		}
		if m.Audio.SampleRate == 0 {
			m.Audio.SampleRate = session.SampleRate
		}
		switch {
		case m.Audio.Encoding == EncodingPCM16 && (m.Audio.SampleRate == 16000 || m.Audio.SampleRate == 24000 || m.Audio.SampleRate == 48000):
		case m.Audio.Encoding == EncodingOpus && (m.Audio.SampleRate == 16000 || m.Audio.SampleRate == 24000 || m.Audio.SampleRate == 48000):
		default:
			return m, ErrBadStart
		}
	case "text":
		if len(m.Text) == 0 || len(m.Text) > 4096 {
			return m, ErrBadStart
		}
	case "cancel", "end":
	default:
		return m, ErrBadStart
	}
	return m, nil
}

// ServeDirect runs a direct-protocol session with agent ag for orgID on an
// upgraded connection.
func (s *Server) ServeDirect(conn *websocket.Conn, orgID string, ag *resource.Agent) {
	if !s.track(conn) {
		_ = conn.Close()
		return
	}
	defer s.untrack(conn)
	defer conn.Close()
	conn.SetReadLimit(64 << 10)
	log := s.deps.Log.With("transport", "direct")

	_ = conn.SetReadDeadline(time.Now().Add(startTimeout))
	var start ClientMessage
	for {
		kind, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if kind != websocket.TextMessage {
			continue // audio before start has nowhere to go
		}
		m, err := ParseClientMessage(data)
		if err != nil || m.Type != "start" {
			writeEvent(conn, ServerEvent{Event: session.Event{Type: "error", Message: "the first message must be a valid start"}})
			closeWith(conn, websocket.ClosePolicyViolation, "invalid start")
			return
		}
		start = m
		break
	}
	enc, err := newDirectEncoder(conn, start.Audio)
	if err != nil {
		return
	}
	// Opus arrives decoded at the session rate; PCM16 at the client's.
	inRate := start.Audio.SampleRate
	if start.Audio.Encoding == EncodingOpus {
		inRate = session.SampleRate
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := s.openSession(ctx, sessionSpec{
		transport: "direct", orgID: orgID, agent: ag, channel: resource.ChannelWeb, inRate: inRate, encoder: enc,
		port: func(out *media.Outbound) session.Port {
			return &directPort{out: out, ready: ServerEvent{Event: session.Event{Type: "session.ready"}, Audio: &start.Audio}}
		},
	})
	if err != nil {
		log.Warn("direct_session_failed", "err", err)
		writeEvent(conn, ServerEvent{Event: session.Event{Type: "error", Message: "the session could not start"}})
		closeWith(conn, websocket.CloseInternalServerErr, "session unavailable")
		return
	}
	defer l.close()
	in, out, box := l.in, l.out, l.box

	writerDone := make(chan error, 1)
	go func() {
		err := out.Run(ctx)
		// Closed before the handler may return: the connection is not
		// ours after that.
		closeWith(conn, websocket.CloseNormalClosure, "session ended")
		writerDone <- err
	}()
	reason := readDirect(conn, start.Audio, in, box)
	box.send(&session.Hangup{Reason: reason})
	cancel()
	<-writerDone
}

// readDirect feeds client audio and control messages to the session.
func readDirect(conn *websocket.Conn, format AudioFormat, in *media.Inbound, box *mailbox) string {
	var dec *opus.Decoder
	rate := format.SampleRate
	if format.Encoding == EncodingOpus {
		var err error
		if dec, err = opus.NewDecoder(session.SampleRate); err != nil {
			return "codec_error"
		}
		rate = session.SampleRate
	}
	n := frame.SamplesPerFrame(rate)
	pcm := make([]int16, 0, 4*n)
	decoded := make([]int16, 120*session.SampleRate/1000) // the longest Opus packet
	// half is the first byte of a PCM16 sample split across messages.
	var half byte
	odd := false
	var data []byte
	for {
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Minute))
		kind, b, err := wsread.Message(conn, data)
		data = b
		if err != nil {
			return "disconnected"
		}
		if kind == websocket.TextMessage {
			m, err := ParseClientMessage(data)
			if err != nil {
				continue // a malformed control message changes nothing
			}
			switch m.Type {
			case "text":
				box.send(&session.TextInput{Text: m.Text})
			case "cancel":
				box.send(&session.Cancel{})
			case "end":
				return "client_end"
			}
			continue
		}
		if dec != nil {
			k, err := dec.Decode(decoded, data)
			if err != nil {
				continue // a broken packet is dropped, like a lost one
			}
			pcm = append(pcm, decoded[:k]...)
		} else {
			// A message may end mid-sample; its last byte waits for the
			// next message so later samples stay aligned.
			i := 0
			if odd && len(data) > 0 {
				pcm = append(pcm, int16(uint16(half)|uint16(data[0])<<8))
				odd, i = false, 1
			}
			for ; i+1 < len(data); i += 2 {
				pcm = append(pcm, int16(binary.LittleEndian.Uint16(data[i:])))
			}
			if i < len(data) {
				half, odd = data[i], true
			}
		}
		// Clients may send any framing; the pipeline takes 20 ms frames.
		for len(pcm) >= n {
			in.Frame(pcm[:n])
			pcm = append(pcm[:0], pcm[n:]...)
		}
	}
}

// directPort is the session's Port on a direct connection.
type directPort struct {
	out   *media.Outbound
	ready ServerEvent // session.ready, less the session's ID
}

func (p *directPort) Play(id uint64, pcm []int16) error { return p.out.Play(id, pcm) }
func (p *directPort) Clear() []session.Played           { return p.out.Clear(nil) }
func (p *directPort) Hangup()                           { p.out.Hangup() }

func (p *directPort) Notify(ev session.Event) {
	if ev.Type == "session.started" {
		// session.started is the session's first event and carries its ID:
		// session.ready goes out just before it, so it is always the
		// client's first event (sent from ServeDirect it could lose the
		// race with the actor's start).
		ready := p.ready
		ready.SessionID = ev.Text
		p.out.Control(ready)
	}
	p.out.Control(ServerEvent{Event: ev})
}

// directEncoder sends agent audio as binary frames in the client's format
// and control events as JSON text frames.
type directEncoder struct {
	conn  *websocket.Conn
	up    *resample.Resampler // nil at the session rate
	enc   *opus.Encoder       // nil for PCM16
	pcm   []int16
	bytes []byte
}

func newDirectEncoder(conn *websocket.Conn, f AudioFormat) (*directEncoder, error) {
	e := &directEncoder{conn: conn, bytes: make([]byte, 0, 4000)}
	var err error
	if f.SampleRate != session.SampleRate {
		if e.up, err = resample.New(session.SampleRate, f.SampleRate); err != nil {
			return nil, err
		}
		e.pcm = make([]int16, e.up.MaxOut(session.SampleRate/50))
	}
	if f.Encoding == EncodingOpus {
		if e.enc, err = opus.NewEncoder(opus.Config{SampleRate: f.SampleRate}); err != nil {
			return nil, err
		}
		if e.up == nil {
			e.pcm = make([]int16, session.SampleRate/50)
		}
	}
	return e, nil
}

func (e *directEncoder) WriteFrame(pcm []int16, _ []playout.Played, _ bool) error {
	if e.up != nil {
		pcm = e.pcm[:e.up.Process(e.pcm, pcm)]
	}
	if e.enc != nil {
		if len(pcm) != e.enc.FrameSamples() {
			return nil // the resampler's first frame can be short by its delay
		}
		n, err := e.enc.Encode(e.bytes[:cap(e.bytes)], pcm)
		if err != nil {
			return err
		}
		return e.write(websocket.BinaryMessage, e.bytes[:n])
	}
	b := e.bytes[:0]
	for _, v := range pcm {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	e.bytes = b
	return e.write(websocket.BinaryMessage, b)
}

func (e *directEncoder) WriteControl(msg any) error {
	raw, err := json.Marshal(msg)
	if err != nil {
		return nil
	}
	return e.write(websocket.TextMessage, raw)
}

func (e *directEncoder) write(kind int, b []byte) error {
	_ = e.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return e.conn.WriteMessage(kind, b)
}

func writeEvent(conn *websocket.Conn, ev ServerEvent) {
	raw, _ := json.Marshal(ev)
	_ = conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	_ = conn.WriteMessage(websocket.TextMessage, raw)
}
