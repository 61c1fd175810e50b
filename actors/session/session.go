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
	// error result.
	Tools ToolRunner
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

	// Caller speech.
	speechStart  time.Duration
	speechEnd    time.Duration
	speaking     bool
	bargeSeq     int
	interruption *resource.Interruption // the barge-in being judged
	dtmf         strings.Builder
	dtmfSeq      int

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
		s.speaking = false
		s.speechEnd = msg.At
		if s.state == userSpeaking {
			s.state = listening
		}
	case *Transcript:
		s.onTranscript(msg)
	case *DTMF:
		s.onDTMF(msg)
	case *TextInput:
		s.userTurn(msg.Text, s.now(), s.now())
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
		s.onBargeCheck(msg)
	case *dtmfFlush:
		if msg.seq == s.dtmfSeq && s.dtmf.Len() > 0 {
			digits := s.dtmf.String()
			s.dtmf.Reset()
			s.userTurn(digits, s.now(), s.now())
		}
	case *silenceTick:
		s.onSilence(msg)
	case *maxDuration:
		if s.state != ended {
			s.stopReply(false)
			s.say(timeLimit, true)
		}
	case *Cancel:
		if s.reply != nil {
			s.interrupt(s.now())
		}
	case *Hangup:
		s.finish(ctx, msg.Reason)
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
	s.beginReply(func(r *reply) { r.speak(text) }, hangup)
	s.reply.text.WriteString(text)
	s.cfg.Port.Notify(Event{Type: "agent.text", Text: text})
}

func (s *session) onSpeechStarted(msg *SpeechStarted) {
	s.speaking = true
	s.speechStart = msg.At
	s.disarmSilence()
	switch s.state {
	case agentSpeaking:
		if s.cfg.Agent.Turn.Uninterruptible {
			return
		}
		// The onset may be a cough or a backchannel: only speech that
		// lasts interruptionMinMs interrupts.
		s.bargeSeq++
		s.interruption = &resource.Interruption{AtMs: ms(msg.At)}
		wait := time.Duration(s.cfg.Agent.Turn.InterruptionMinMs)*time.Millisecond - (s.now() - msg.At)
		s.after(max(wait, 0), &bargeCheck{seq: s.bargeSeq})
	case listening:
		s.state = userSpeaking
	}
}

func (s *session) onBargeCheck(msg *bargeCheck) {
	if msg.seq != s.bargeSeq || s.state != agentSpeaking || !s.speaking {
		if s.interruption != nil && msg.seq == s.bargeSeq {
			// Speech stopped before it counted: not an interruption.
			s.interruption = nil
		}
		return
	}
	s.interrupt(s.speechStart)
	s.state = userSpeaking
}

// interrupt stops the agent: no more generation or synthesis, queued audio
// dropped, and the assistant message cut to the words the caller heard.
func (s *session) interrupt(onset time.Duration) {
	r := s.reply
	if r == nil {
		return
	}
	played := s.cfg.Port.Clear()
	now := s.now()
	heard := r.heardText(played)
	s.stopReply(true)
	i := resource.Interruption{AtMs: ms(onset), ReactionMs: ms(now - onset), TalkOverMs: ms(now - onset)}
	if s.interruption != nil {
		i.AtMs = s.interruption.AtMs
	}
	s.trace.Interruptions = append(s.trace.Interruptions, i)
	s.interruption = nil
	if r.msgIndex >= 0 {
		m := &s.conv.Messages[r.msgIndex]
		m.Text, m.Interrupted, m.EndMs = heard, true, int64(ms(now))
	}
	s.cfg.Port.Notify(Event{Type: "agent.interrupted", Text: heard})
}

func (s *session) onTranscript(msg *Transcript) {
	if !msg.Final {
		s.cfg.Port.Notify(Event{Type: "transcript.partial", Text: msg.Text})
		return
	}
	text := strings.TrimSpace(msg.Text)
	s.cfg.Port.Notify(Event{Type: "transcript.final", Text: text, Final: true})
	if text == "" {
		if s.state == userSpeaking || s.state == listening {
			s.state = listening
			s.armSilence()
		}
		return
	}
	if s.state == agentSpeaking && !s.cfg.Agent.Turn.Uninterruptible {
		// Words arrived while the agent was talking: this is a turn even
		// if the barge-in timer has not fired yet.
		s.interrupt(s.speechStart)
	}
	if s.state == agentSpeaking {
		return // uninterruptible: the caller's words are not answered
	}
	s.turn = &resource.TurnTrace{Turn: len(s.trace.Turns) + 1, UserText: text, VADEndMs: ms(s.speechEnd),
		STTFinalMs: ms(msg.At), LLMFirstTokenMs: -1, TTSFirstAudioMs: -1, FirstFrameMs: -1, LatencyMs: -1}
	s.userTurn(text, s.speechStart, s.speechEnd)
}

func (s *session) onDTMF(msg *DTMF) {
	s.cfg.Port.Notify(Event{Type: "dtmf", Digit: string(msg.Digit)})
	s.disarmSilence()
	if msg.Digit == '#' {
		s.dtmfSeq++
		s.send(&dtmfFlush{seq: s.dtmfSeq})
		return
	}
	s.dtmf.WriteByte(msg.Digit)
	s.dtmfSeq++
	// Digits typed in a row form one input; a pause ends it.
	s.after(1500*time.Millisecond, &dtmfFlush{seq: s.dtmfSeq})
}

// userTurn records what the caller said and starts the reply.
func (s *session) userTurn(text string, start, end time.Duration) {
	if s.state == ended {
		return
	}
	s.stopReply(false)
	s.reprompts = 0
	s.conv.Messages = append(s.conv.Messages, resource.ConversationMessage{
		Role: "user", Text: text, StartMs: int64(ms(start)), EndMs: int64(ms(end)),
	})
	history := s.history()
	model, tools, runner, know := s.cfg.LLM, s.tools(), s.cfg.Tools, s.cfg.Knowledge
	a := s.cfg.Agent
	s.beginReply(func(r *reply) {
		if know != nil {
			// Retrieval runs in the reply, off the mailbox; the model sees
			// the passages most related to what was just said.
			passages, err := know(r.ctx, text)
			if err == nil && len(passages) > 0 {
				history[0].Content = local.FormatSystemPrompt(a.Prompt, a.Variables, passages)
			}
		}
		r.generate(model, history, tools, runner)
	}, false)
	s.state = thinking
}

func (s *session) onItemSent(msg *ItemSent) {
	r := s.reply
	if r == nil || !r.owns(msg.ID) {
		return
	}
	if msg.First && s.turn != nil && s.turn.FirstFrameMs < 0 {
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
	s.maybeReplyComplete()
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
