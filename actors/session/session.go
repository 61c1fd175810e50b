package session

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/providers/llm"
	"github.com/switchboard-voice/switchboard/providers/llm/local"
	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
)

// Config is what a session needs from its creator.
type Config struct {
	OrgID     string
	SessionID string
	CallID    string
	Channel   string
	Agent     resource.Agent
	TTS       tts.Synthesizer
	LLM       llm.Model
	Store     storage.Store
	Port      Port
	Log       *slog.Logger
	// Clock returns media time: the offset from the start of the session,
	// on the same clock the media loops stamp their events with.
	Clock func() time.Duration
	// SilenceTimeout reprompts a caller who says nothing; after a second
	// one the session ends politely.
	SilenceTimeout time.Duration
	// MaxDuration ends the call.
	MaxDuration time.Duration
	// Tools runs tool calls other than end_call; nil answers them with an
	// error result. ToolDefs are the tools offered to the model; nil offers
	// only end_call.
	Tools    ToolRunner
	ToolDefs []llm.Tool
	// Recording, when set, returns the call's stereo WAV to store at the
	// end under the call ID.
	Recording func() ([]byte, error)
	// OnTurn and OnInterruption, when set, observe each turn's latency and
	// each interruption's outcome (for metrics).
	OnTurn         func(latency time.Duration)
	OnInterruption func(outcome string)
	// Knowledge, when set, retrieves passages for what the caller said;
	// they reach the model in the system prompt.
	Knowledge func(ctx context.Context, query string) ([]local.Passage, error)
}

// ToolRunner runs a tool call and returns its result as text (JSON).
type ToolRunner interface {
	Run(ctx context.Context, call llm.ToolCall) (string, error)
}

type turnState int

const (
	listening turnState = iota
	userSpeaking
	thinking
	agentSpeaking
	ended
)

var stateNames = [...]string{"listening", "user_speaking", "thinking", "agent_speaking", "ended"}

// Lines the session speaks on its own.
const (
	repromptLine = "Are you still there?"
	goodbyeLine  = "I haven't heard anything, so I'll end the call now. Goodbye."
	timeLimit    = "We've reached the time limit for this call. Thank you, goodbye."
)

// session is the actor.
type session struct {
	cfg   Config
	self  *actor.PID
	root  *actor.RootContext
	state turnState

	conv  resource.Conversation
	trace resource.SessionTrace

	reply    *reply
	gen      int
	nextItem uint64

	// Caller speech. speechEnd is the caller's last voiced frame and
	// speechEndSeen when the VAD declared it; sttFinal when the last final
	// transcript came.
	speechStart   time.Duration
	speechEnd     time.Duration
	speechEndSeen time.Duration
	sttFinal      time.Duration
	speaking      bool
	// pending holds the caller's words of a turn not yet ended: fragments
	// join until the endpoint decides the caller is done.
	pending     string
	endpointSeq int
	barge       *barge // caller speech being judged while the agent talks
	bargeSeq    int
	dtmf        strings.Builder
	dtmfSeq     int

	turn      *resource.TurnTrace // the turn being answered
	reprompts int
	timers    []*time.Timer
	silence   *time.Timer
	hangingUp bool
}

// New returns the props of a session actor.
func New(cfg Config) *actor.Props {
	if cfg.SilenceTimeout <= 0 {
		cfg.SilenceTimeout = 10 * time.Second
	}
	if cfg.MaxDuration <= 0 {
		cfg.MaxDuration = 30 * time.Minute
	}
	return actor.PropsFromProducer(func() actor.Actor { return &session{cfg: cfg} })
}

func (s *session) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		s.start(ctx)
	case *SpeechStarted:
		s.onSpeechStarted(msg)
	case *SpeechEnded:
		s.onSpeechEnded(msg)
	case *Transcript:
		s.onTranscript(msg)
	case *endpointTick:
		if msg.seq == s.endpointSeq {
			s.commitTurn()
		}
	case *DTMF:
		s.onDTMF(msg)
	case *TextInput:
		s.userTurn(msg.Text)
	case *ItemSent:
		s.onItemSent(msg)
	case *ItemPlayed:
		s.onItemPlayed(msg)
	case *replyText:
		s.onReplyText(msg)
	case *replyAudio:
		s.onReplyAudio(msg)
	case *replyTool:
		s.onReplyTool(msg)
	case *replyDone:
		s.onReplyDone(msg)
	case *bargeCheck:
		if s.barge != nil && msg.seq == s.bargeSeq {
			s.judgeBarge(true)
		}
	case *dtmfFlush:
		if msg.seq == s.dtmfSeq && s.dtmf.Len() > 0 {
			digits := s.dtmf.String()
			s.dtmf.Reset()
			s.userTurn(digits)
		}
	case *silenceTick:
		s.onSilence(msg)
	case *maxDuration:
		if s.state != ended {
			s.say(timeLimit, true)
		}
	case *Cancel:
		if s.reply != nil && s.reply.committed {
			s.barge = &barge{onset: s.now()}
			s.commitInterrupt()
		}
	case *Hangup:
		s.finish(ctx, msg.Reason)
	case *EndCall:
		// A tool ended the call: after the reply under way, or at once.
		if s.reply != nil {
			s.reply.hangup = true
		} else {
			s.hangingUp = true
			s.cfg.Port.Hangup()
		}
	case *Snapshot:
		ctx.Respond(&State{ID: s.cfg.SessionID, Turn: stateNames[s.state], Messages: s.messages()})
	case *actor.Stopping:
		// Stopped by its supervisor (a panic) or by shutdown: the call
		// still ends cleanly and what happened is still stored.
		s.end("stopped")
		s.cfg.Port.Hangup()
	}
}

func (s *session) now() time.Duration { return s.cfg.Clock() }

func (s *session) send(msg any) { s.root.Send(s.self, msg) }

// after delivers msg to the actor after d; the timer is stopped when the
// session ends.
func (s *session) after(d time.Duration, msg any) *time.Timer {
	t := time.AfterFunc(d, func() { s.send(msg) })
	s.timers = append(s.timers, t)
	return t
}

func (s *session) stopTimers() {
	for _, t := range s.timers {
		t.Stop()
	}
	s.timers = nil
}

func (s *session) start(ctx actor.Context) {
	s.self, s.root = ctx.Self(), ctx.ActorSystem().Root
	now := time.Now().UTC()
	a := s.cfg.Agent
	s.conv = resource.Conversation{
		ID: resource.NewID(resource.PrefixConversation), OrganizationID: s.cfg.OrgID, AgentID: a.ID,
		SessionID: s.cfg.SessionID, CallID: s.cfg.CallID, Channel: s.cfg.Channel, StartedAt: now,
		Messages: []resource.ConversationMessage{},
	}
	s.trace = resource.SessionTrace{SessionID: s.cfg.SessionID, AgentID: a.ID, CallID: s.cfg.CallID, Channel: s.cfg.Channel,
		StartedAt: now, Turns: []resource.TurnTrace{}, Interruptions: []resource.Interruption{}}
	s.after(s.cfg.MaxDuration, &maxDuration{})
	s.cfg.Port.Notify(Event{Type: "session.started", Text: s.cfg.SessionID})
	if first := strings.TrimSpace(substitute(a.FirstMessage, a.Variables)); first != "" {
		s.say(first, false)
	} else {
		s.armSilence()
	}
}

// say speaks fixed text as an assistant message (greeting, reprompt,
// goodbye), interruptible like any reply.
func (s *session) say(text string, hangup bool) {
	s.beginReply(func(r *reply) { r.speak(text) }, hangup, false)
	s.reply.text.WriteString(text)
	s.cfg.Port.Notify(Event{Type: "agent.text", Text: text})
}

func (s *session) onDTMF(msg *DTMF) {
	s.cfg.Port.Notify(Event{Type: "dtmf", Digit: string(msg.Digit)})
	s.disarmSilence()
	if msg.Digit == '#' {
		// '#' ends the input at once: a flush sent to the mailbox would
		// queue behind keys already pressed after it, and take them in.
		s.dtmfSeq++
		if s.dtmf.Len() > 0 {
			digits := s.dtmf.String()
			s.dtmf.Reset()
			s.userTurn(digits)
		}
		return
	}
	s.dtmf.WriteByte(msg.Digit)
	s.dtmfSeq++
	// Digits typed in a row form one input; a pause ends it.
	s.after(1500*time.Millisecond, &dtmfFlush{seq: s.dtmfSeq})
}

func (s *session) onItemSent(msg *ItemSent) {
	r := s.reply
	if r == nil || !r.owns(msg.ID) {
		return
	}
	if msg.First && s.turn != nil && s.turn.FirstFrameMs < 0 {
		s.turn.ReplyStartMs, s.turn.LLMFirstTokenMs, s.turn.TTSFirstAudioMs = span(r.started), span(r.llmFirst), span(r.ttsFirst)
		s.turn.FirstFrameMs = ms(msg.At)
		s.turn.LatencyMs = ms(msg.At) - s.turn.VADEndMs
		if s.cfg.OnTurn != nil {
			s.cfg.OnTurn(time.Duration(s.turn.LatencyMs * float64(time.Millisecond)))
		}
		s.finishTurnTrace()
	}
}

func (s *session) onItemPlayed(msg *ItemPlayed) {
	r := s.reply
	if r == nil || !r.owns(msg.ID) {
		return
	}
	r.markPlayed(msg.ID)
	if !r.held {
		s.drainBacklog(r)
	}
	s.maybeReplyComplete()
}

// span renders a media time that may not have happened (-1).
func span(d time.Duration) float64 {
	if d < 0 {
		return -1
	}
	return ms(d)
}

func (s *session) finishTurnTrace() {
	t := s.turn
	s.trace.Turns = append(s.trace.Turns, *t)
	s.turn = nil
	rel := func(at float64) float64 {
		if at < 0 {
			return -1
		}
		return at - t.VADEndMs
	}
	s.cfg.Port.Notify(Event{Type: "turn.metrics", Metrics: &TurnMetrics{
		Turn: t.Turn, STTFinalMs: rel(t.STTFinalMs), LLMFirstTokenMs: rel(t.LLMFirstTokenMs),
		TTSFirstAudioMs: rel(t.TTSFirstAudioMs), FirstFrameMs: rel(t.FirstFrameMs),
	}})
}

func (s *session) onSilence(msg *silenceTick) {
	if msg.timer != s.silence || s.state != listening || s.speaking || s.hangingUp {
		return
	}
	s.reprompts++
	if s.reprompts > 1 {
		s.say(goodbyeLine, true)
		return
	}
	s.say(repromptLine, false)
}

func (s *session) armSilence() {
	s.disarmSilence()
	t := &silenceTick{}
	s.silence = s.after(s.cfg.SilenceTimeout, t)
	t.timer = s.silence
}

func (s *session) disarmSilence() {
	if s.silence != nil {
		s.silence.Stop()
		s.silence = nil
	}
}

// finish ends the session and stops the actor.
func (s *session) finish(ctx actor.Context, reason string) {
	s.end(reason)
	ctx.Stop(ctx.Self())
}

// end stops everything and stores what happened; it runs once.
func (s *session) end(reason string) {
	if s.state == ended || s.self == nil {
		return
	}
	s.stopReply(false)
	s.stopTimers()
	s.state = ended
	if s.turn != nil {
		s.finishTurnTrace()
	}
	end := time.Now().UTC()
	s.conv.EndedAt, s.trace.EndedAt = &end, &end
	s.persist()
	s.cfg.Log.Info("session_ended", "session_id", s.cfg.SessionID, "reason", reason, "turns", len(s.trace.Turns))
}

func (s *session) persist() {
	var b storage.Batch
	if err := errors.Join(
		b.PutJSON(ConversationKey(s.cfg.OrgID, s.conv.ID), s.conv),
		b.PutJSON(TraceKey(s.cfg.OrgID, s.cfg.SessionID), s.trace),
	); err != nil {
		s.cfg.Log.Error("session_encode_failed", "err", err)
		return
	}
	if s.cfg.Recording != nil && s.cfg.CallID != "" {
		if wav, err := s.cfg.Recording(); err == nil {
			b.Put(RecordingKey(s.cfg.OrgID, s.cfg.CallID), wav)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.cfg.Store.Apply(ctx, &b); err != nil {
		s.cfg.Log.Error("session_persist_failed", "session_id", s.cfg.SessionID, "err", err)
	}
}

// ConversationKey and TraceKey are where sessions store their records.
func ConversationKey(orgID, id string) string { return "o/" + orgID + "/conv/" + id }

// TraceKey is where a session's trace is stored.
func TraceKey(orgID, sessionID string) string { return "o/" + orgID + "/trace/" + sessionID }

// ConversationPrefix lists an organization's conversations.
func ConversationPrefix(orgID string) string { return "o/" + orgID + "/conv/" }

// RecordingKey is where a call's recording is stored.
func RecordingKey(orgID, callID string) string { return "o/" + orgID + "/rec/" + callID }

// TracePrefix lists an organization's traces.
func TracePrefix(orgID string) string { return "o/" + orgID + "/trace/" }

func (s *session) messages() []Message {
	out := make([]Message, len(s.conv.Messages))
	for i, m := range s.conv.Messages {
		out[i] = Message{Role: m.Role, Text: m.Text, Interrupted: m.Interrupted}
	}
	return out
}

// Message is a conversation message as a snapshot shows it.
type Message struct {
	Role        string
	Text        string
	Interrupted bool
}

// history is the conversation as the language model sees it: the agent's
// prompt, then every message with what the caller actually heard.
func (s *session) history() []llm.Message {
	a := s.cfg.Agent
	out := []llm.Message{{Role: llm.RoleSystem, Content: substitute(a.Prompt, a.Variables)}}
	for _, m := range s.conv.Messages {
		switch m.Role {
		case "user":
			out = append(out, llm.Message{Role: llm.RoleUser, Content: m.Text})
		case "assistant":
			if m.Text != "" {
				out = append(out, llm.Message{Role: llm.RoleAssistant, Content: m.Text})
			}
		}
	}
	return out
}

func (s *session) tools() []llm.Tool {
	if s.cfg.ToolDefs != nil {
		return s.cfg.ToolDefs
	}
	return []llm.Tool{{
		Name:        "end_call",
		Description: "End the call when the caller says goodbye or has nothing more to ask.",
		Parameters:  []byte(`{"type":"object","properties":{}}`),
	}}
}

// substitute replaces {{name}} with the agent's variables.
func substitute(text string, vars map[string]string) string {
	if !strings.Contains(text, "{{") {
		return text
	}
	for k, v := range vars {
		text = strings.ReplaceAll(text, "{{"+k+"}}", v)
	}
	return text
}
