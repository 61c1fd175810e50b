package voice

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/switchboard-voice/switchboard/actors"
	"github.com/switchboard-voice/switchboard/actors/instance"
	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/audio/g711"
	"github.com/switchboard-voice/switchboard/audio/playout"
	"github.com/switchboard-voice/switchboard/audio/resample"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/transport/media"
	"github.com/switchboard-voice/switchboard/transport/twilio"
	"github.com/switchboard-voice/switchboard/transport/twilio/mediastream"
	"github.com/switchboard-voice/switchboard/transport/wsread"
)

// Twilio's stream is μ-law at 8 kHz in 20 ms chunks.
const (
	twilioRate  = 8000
	twilioFrame = 160
	// twilioLead is how far ahead of its play time agent audio is sent.
	// Twilio queues the media it receives and plays it in order, so three
	// frames ahead make a scheduling hiccup of up to 60 ms inaudible, while
	// a clear still drops them and the clock still says what was heard.
	twilioLead = 60 * time.Millisecond
	// twilioBatch frames go in one media message while ahead of schedule:
	// Twilio takes payloads of any length, and 60 ms messages cut the
	// writes here and the reads at Twilio to a third. Each frame still
	// leaves no earlier than twilioLead plus the frames before it.
	twilioBatch = 3
	// startTimeout bounds the wait for the start message.
	startTimeout = 10 * time.Second
	// idleTimeout closes a stream that stops sending: Twilio sends media
	// continuously, so a silent socket is a dead one.
	idleTimeout  = 30 * time.Second
	writeTimeout = 5 * time.Second
)

// ServeTwilio runs one Twilio media stream on an upgraded connection.
func (s *Server) ServeTwilio(conn *websocket.Conn) {
	if !s.track(conn) {
		_ = conn.Close()
		return
	}
	defer s.untrack(conn)
	defer conn.Close()
	conn.SetReadLimit(mediastream.DefaultMaxPayload*2 + 8<<10)
	log := s.deps.Log.With("transport", "twilio")

	var parser mediastream.Parser
	var msg mediastream.Inbound
	_ = conn.SetReadDeadline(time.Now().Add(startTimeout))
	for msg.Event != mediastream.KindStart {
		kind, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if kind != websocket.TextMessage {
			closeWith(conn, websocket.CloseUnsupportedData, "text frames only")
			return
		}
		if err := parser.Parse(data, &msg); err != nil {
			log.Debug("twilio_message_skipped", "err", err)
			continue // media before start, unknown events: nothing to do yet
		}
	}
	claims, err := twilio.ParseToken(s.cfg.TokenSecret, msg.Start.CustomParameters[twilio.TokenParam], time.Now())
	if err != nil {
		log.Warn("twilio_stream_refused", "err", err)
		closeWith(conn, websocket.ClosePolicyViolation, "invalid session token")
		return
	}
	ag, err := s.loadAgent(claims.OrgID, claims.AgentID)
	if err != nil {
		log.Warn("twilio_agent_unavailable", "agent_id", claims.AgentID, "err", err)
		closeWith(conn, websocket.ClosePolicyViolation, "agent not found")
		return
	}
	if claims.InstanceID != "" {
		inst, err := s.loadInstance(claims)
		if err != nil {
			log.Warn("twilio_instance_unavailable", "instance_id", claims.InstanceID, "err", err)
			closeWith(conn, websocket.ClosePolicyViolation, "instance not found")
			return
		}
		ag = inst.Apply(ag)
	}
	streamSID := msg.StreamSID
	call := &twilioCall{
		server: s, conn: conn, streamSID: streamSID, log: log,
		claims: claims, callSID: msg.Start.CallSID, agent: ag,
	}
	call.run(&parser, &msg)
}

// loadInstance asks the instances actor for the instance of a call.
func (s *Server) loadInstance(claims twilio.Claims) (*instance.Instance, error) {
	if s.deps.Instances == nil {
		return nil, errors.New("voice: no instances actor")
	}
	return actors.Ask[*instance.Instance](s.deps.Root, s.deps.Instances,
		&instance.Get{OrgID: claims.OrgID, AgentID: claims.AgentID, ID: claims.InstanceID}, 5*time.Second)
}

type twilioCall struct {
	server    *Server
	conn      *websocket.Conn
	streamSID string
	log       interface {
		Warn(string, ...any)
		Debug(string, ...any)
	}
	claims  twilio.Claims
	callSID string
	agent   *resource.Agent
}

func (c *twilioCall) run(parser *mediastream.Parser, msg *mediastream.Inbound) {
	s := c.server
	var rec *media.Recorder
	if s.cfg.Record {
		rec = media.NewRecorder(twilioRate, s.cfg.MaxDuration)
	}
	enc, err := newTwilioEncoder(c.conn, c.streamSID)
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := s.openSession(ctx, sessionSpec{
		transport: "twilio", orgID: c.claims.OrgID, agent: c.agent, channel: resource.ChannelPhone,
		callID: resource.NewID(resource.PrefixCall), inRate: twilioRate, encoder: enc, lead: twilioLead, batch: twilioBatch, recorder: rec,
		dtmfEvents: true,
		port:       func(out *media.Outbound) session.Port { return &twilioPort{out: out} },
		call: &resource.Call{Provider: "twilio", ProviderCallID: c.callSID, StreamID: c.streamSID,
			From: c.claims.From, To: c.claims.To, Direction: "inbound"},
	})
	if err != nil {
		c.log.Warn("twilio_session_failed", "err", err)
		closeWith(c.conn, websocket.CloseInternalServerErr, "session unavailable")
		return
	}
	defer l.close()
	in, out, box := l.in, l.out, l.box

	writerDone := make(chan error, 1)
	go func() {
		err := out.Run(ctx)
		// The agent hung up (or the socket broke): end the stream, which
		// also ends the read loop below. Closed before the handler may
		// return: the connection is not ours after that.
		closeWith(c.conn, websocket.CloseNormalClosure, "call ended")
		writerDone <- err
	}()

	reason := c.readLoop(parser, msg, in, box)
	box.send(&session.Hangup{Reason: reason})
	cancel()
	<-writerDone
}

// readLoop feeds caller audio to the inbound pipeline until the stream stops.
func (c *twilioCall) readLoop(parser *mediastream.Parser, msg *mediastream.Inbound, in *media.Inbound, box *mailbox) string {
	pcm := make([]int16, twilioFrame)
	var pending []byte // μ-law not yet making up a whole frame
	var data []byte
	for n := 0; ; n++ {
		// Twilio sends 50 messages a second; moving the deadline once a
		// second is as good and spares a timer update per message.
		if n%50 == 0 {
			_ = c.conn.SetReadDeadline(time.Now().Add(idleTimeout))
		}
		kind, b, err := wsread.Message(c.conn, data)
		data = b
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return "closed"
			}
			return "disconnected"
		}
		if kind != websocket.TextMessage {
			closeWith(c.conn, websocket.CloseUnsupportedData, "text frames only")
			return "protocol_error"
		}
		if err := parser.Parse(data, msg); err != nil {
			continue // bad base64, oversized or unknown events are dropped
		}
		switch msg.Event {
		case mediastream.KindMedia:
			if msg.Media.Track != "" && msg.Media.Track != "inbound" {
				continue
			}
			pending = append(pending, msg.Media.Payload...)
			i := 0
			for ; len(pending)-i >= twilioFrame; i += twilioFrame {
				g711.DecodeULaw(pcm, pending[i:i+twilioFrame])
				in.Frame(pcm)
			}
			pending = pending[:copy(pending, pending[i:])]
		case mediastream.KindDTMF:
			box.send(&session.DTMF{Digit: msg.DTMF})
		case mediastream.KindStop:
			return "stop"
		}
	}
}

// twilioPort is the session's Port on a Twilio stream.
type twilioPort struct{ out *media.Outbound }

type clearMsg struct{}

func (p *twilioPort) Play(id uint64, pcm []int16) error { return p.out.Play(id, pcm) }
func (p *twilioPort) Clear() []session.Played           { return p.out.Clear(clearMsg{}) }
func (p *twilioPort) Notify(session.Event)              {} // Twilio has no such events
func (p *twilioPort) Hangup()                           { p.out.Hangup() }

// twilioEncoder turns agent frames into Twilio media messages, with a mark
// where the agent's audio ends so Twilio reports when it was played.
type twilioEncoder struct {
	conn      *websocket.Conn
	streamSID string
	down      *resample.Resampler
	pcm8      []int16
	mulaw     []byte
	buf       []byte
	// deadlineSet is when the write deadline was last moved.
	deadlineSet time.Time
}

func newTwilioEncoder(conn *websocket.Conn, streamSID string) (*twilioEncoder, error) {
	down, err := resample.New(session.SampleRate, twilioRate)
	if err != nil {
		return nil, err
	}
	return &twilioEncoder{
		conn: conn, streamSID: streamSID, down: down,
		pcm8: make([]int16, down.MaxOut(twilioBatch*session.SampleRate/50)), mulaw: make([]byte, twilioBatch*twilioFrame*2),
		buf: make([]byte, 0, mediastream.MediaLen(streamSID, twilioBatch*twilioFrame*2)),
	}, nil
}

func (e *twilioEncoder) WriteFrame(pcm []int16, done []playout.Played, drained bool) error {
	n := e.down.Process(e.pcm8, pcm)
	g711.EncodeULaw(e.mulaw[:n], e.pcm8[:n])
	e.buf = mediastream.AppendMedia(e.buf[:0], e.streamSID, e.mulaw[:n])
	if err := e.write(e.buf); err != nil {
		return err
	}
	if !drained || len(done) == 0 {
		return nil
	}
	// A mark is echoed once everything before it has played, so one at
	// the end of the agent's audio, named for its last item, says when
	// the agent fell silent. Marks between items would cost Twilio and
	// this server a message each way per TTS chunk, and the played
	// position is known here from the clock anyway.
	e.buf = mediastream.AppendMark(e.buf[:0], e.streamSID, strconv.FormatUint(uint64(done[len(done)-1].ID), 10))
	return e.write(e.buf)
}

func (e *twilioEncoder) WriteControl(msg any) error {
	if _, ok := msg.(clearMsg); ok {
		e.buf = mediastream.AppendClear(e.buf[:0], e.streamSID)
		return e.write(e.buf)
	}
	return nil
}

func (e *twilioEncoder) write(b []byte) error {
	// Frames go out every 20 ms while the agent speaks; moving the deadline
	// at most once a second is as safe (a stuck socket still fails within
	// writeTimeout+1 s) and spares a timer update per frame. It is judged
	// by the clock, not a count: writes pause while the agent is silent.
	if now := time.Now(); now.Sub(e.deadlineSet) > time.Second {
		_ = e.conn.SetWriteDeadline(now.Add(writeTimeout + time.Second))
		e.deadlineSet = now
	}
	return e.conn.WriteMessage(websocket.TextMessage, b)
}

// closeWith sends a close frame with a reason and closes the socket.
func closeWith(conn *websocket.Conn, code int, reason string) {
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	_ = conn.Close()
}
