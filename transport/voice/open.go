package voice

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-voice/switchboard/actors/call"
	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/agentrt"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/transport/media"
)

// sessionSpec is what a transport knows about a new session.
type sessionSpec struct {
	transport string // metrics label: twilio | direct
	orgID     string
	agent     *resource.Agent
	channel   string
	callID    string
	inRate    int
	encoder   media.Encoder
	lead      time.Duration // how far ahead of play time frames may leave
	batch     int           // frames one write may carry (media.OutboundConfig.Batch)
	// dtmfEvents: the transport reports key presses; no in-band detection.
	dtmfEvents bool
	recorder   *media.Recorder
	port       func(*media.Outbound) session.Port
	// call, for phone sessions, is the telephony leg; a call actor then
	// owns it and supervises the session.
	call *resource.Call
}

// live is a running session's media loops and actor.
type live struct {
	in    *media.Inbound
	out   *media.Outbound
	box   *mailbox
	clock func() time.Duration
	close func()
}

// errEngine marks a session that could not start for lack of an engine.
var errEngine = errors.New("voice: engine unavailable")

// openSession sets up the engines, both media loops and the session actor
// that every transport needs; close releases what it holds.
func (s *Server) openSession(ctx context.Context, spec sessionSpec) (*live, error) {
	a := spec.agent
	stt, err1 := s.deps.Engines.Recognizer(a.STT.Provider)
	synth, err2 := s.deps.Engines.Synthesizer(a.Voice.Provider)
	model, err3 := s.deps.Engines.Model(a.LLM.Provider)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("%w: %v", errEngine, err)
	}
	start := time.Now()
	l := &live{box: &mailbox{root: s.deps.Root}, clock: func() time.Duration { return time.Since(start) }}
	outCfg := media.OutboundConfig{Encoder: spec.encoder, Lead: spec.lead, Batch: spec.batch, Send: l.box.send, Clock: l.clock, Recorder: spec.recorder}
	sessCfg := session.Config{
		OrgID: spec.orgID, SessionID: resource.NewID(resource.PrefixSession), CallID: spec.callID, Channel: spec.channel,
		Agent: *a, TTS: synth, LLM: model, Store: s.deps.Store, Log: s.deps.Log, Clock: l.clock,
		SilenceTimeout: s.cfg.SilenceTimeout, MaxDuration: s.cfg.MaxDuration, Knowledge: s.knowledge(spec.orgID, a),
	}
	if spec.recorder != nil {
		sessCfg.Recording = spec.recorder.WAV
	}
	if s.deps.Runtime != nil {
		// The agent's tools (webhooks, MCP, transfer, knowledge search) are
		// offered to the model; a tool that ends the call tells the session.
		if ra, err := s.deps.Runtime.Bind(a); err == nil {
			sessCfg.ToolDefs = ra.LLMTools()
			sessCfg.Tools = ra.Runner(agentrt.Signals{
				EndCall:  func() { l.box.send(&session.EndCall{Reason: "end_call"}) },
				Transfer: func(string) { l.box.send(&session.EndCall{Reason: "transfer"}) },
			})
		} else {
			s.deps.Log.Warn("voice_tools_unavailable", "agent_id", a.ID, "err", err)
		}
	}
	done := s.observe(spec.transport, &outCfg, &sessCfg)
	if l.out, err1 = media.NewOutbound(outCfg); err1 != nil {
		done()
		return nil, err1
	}
	l.in, err1 = media.NewInbound(ctx, media.InboundConfig{
		Rate: spec.inRate, STT: stt, Phrases: phrases(a), Send: l.box.send, Clock: l.clock,
		EndOfSpeech: endOfSpeech(a), Recorder: spec.recorder, DTMFEvents: spec.dtmfEvents,
	})
	if err1 != nil {
		done()
		return nil, fmt.Errorf("%w: %v", errEngine, err1)
	}
	sessCfg.Port = spec.port(l.out)
	req := &session.Spawn{Config: sessCfg}
	if spec.call != nil {
		c := *spec.call
		c.ID, c.OrganizationID, c.AgentID = spec.callID, spec.orgID, a.ID
		req = &session.Spawn{Props: call.New(call.Config{Call: c, Session: sessCfg, Store: s.deps.Store, Log: s.deps.Log}), Name: c.ID}
	}
	pid, err := s.spawn(req)
	if err != nil {
		_ = l.in.Close()
		done()
		return nil, err
	}
	l.box.bind(pid)
	l.close = func() {
		_ = l.in.Close()
		done()
	}
	return l, nil
}

// endOfSpeech is the VAD hangover that makes an end-of-speech candidate:
// a third of the agent's endpointing, within 80–200 ms. The session then
// decides from the transcript how much more silence ends the turn, so this
// is the shortest wait any turn may end on: a complete sentence.
func endOfSpeech(a *resource.Agent) time.Duration {
	d := time.Duration(a.Turn.EndpointingMs) * time.Millisecond / 3
	return min(max(d, 80*time.Millisecond), 200*time.Millisecond)
}
