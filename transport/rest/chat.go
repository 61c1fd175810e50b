package rest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/switchboard-voice/switchboard/actors/agent"
	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/agentrt"
	"github.com/switchboard-voice/switchboard/providers/provider"
	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
	"github.com/switchboard-voice/switchboard/toolrun"
)

func chatRoutes() []route {
	return []route{
		{Method: "POST", Path: "/v1/agents/{id}/chat", Summary: "Chat with an agent (SSE when stream is true)", Tag: "Agents",
			Request: "ChatInput", Responses: map[int]string{200: "ChatResult"}, Doc: docChatStream, Handle: (*Server).chat},
		{Method: "POST", Path: "/v1/agents/{id}/speak", Summary: "Speak text in the agent's voice", Tag: "Agents",
			Request: "SpeakInput", Doc: docAudioResponse("Audio in the requested format, streamed with chunked encoding."),
			Handle: (*Server).speak},
	}
}

// Limits of a chat turn.
const (
	maxChatMessage = 4000
	// chatTimeout bounds a whole turn: retrieval, the model, and up to
	// agentrt.MaxToolRounds rounds of tools.
	chatTimeout = 2 * time.Minute
)

// agentrtState is the agent runtime, built on first use from the server's
// dependencies.
type agentrtState struct {
	once sync.Once
	rt   *agentrt.Runtime
	run  *toolrun.Runner
}

func (s *Server) runtime() *agentrt.Runtime {
	s.agentrt.once.Do(func() {
		s.agentrt.run = toolrun.New(toolrun.Options{EgressAllow: s.cfg.EgressAllow, Log: s.log})
		s.agentrt.rt = agentrt.New(agentrt.Deps{
			Root: s.sys.Root(), Agents: s.sys.Agents, Tools: s.sys.Tools, Collections: s.sys.Collections,
			Engines: s.engines, Runner: s.agentrt.run, Timeout: s.cfg.RequestTimeout, Log: s.log,
		})
	})
	return s.agentrt.rt
}

// Runner returns the tool runner the runtime uses.
func (s *Server) toolRunner() *toolrun.Runner {
	s.runtime()
	return s.agentrt.run
}

// noSignals runs built-ins outside any conversation (tool tests).
var noSignals = agentrt.Signals{}

// chatInput is the body of POST /v1/agents/{id}/chat.
type chatInput struct {
	Message        string            `json:"message"`
	ConversationID string            `json:"conversationId"`
	Variables      map[string]string `json:"variables"`
	Stream         bool              `json:"stream"`
}

// Validate checks the message and the conversation ID's form.
func (in *chatInput) Validate() *resource.Problem {
	var errs []resource.FieldError
	in.Message = strings.TrimSpace(in.Message)
	switch {
	case in.Message == "":
		errs = append(errs, resource.FieldError{Field: "message", Message: "is required"})
	case utf8.RuneCountInString(in.Message) > maxChatMessage:
		errs = append(errs, resource.FieldError{Field: "message", Message: "must be at most 4000 characters"})
	}
	if in.ConversationID != "" && !resource.ValidID(resource.PrefixConversation, in.ConversationID) {
		errs = append(errs, resource.FieldError{Field: "conversationId", Message: "must be a conversation ID returned by an earlier chat turn"})
	}
	if len(in.Variables) > 100 {
		errs = append(errs, resource.FieldError{Field: "variables", Message: "must have at most 100 entries"})
	}
	for k, v := range in.Variables {
		if k == "" || len(k) > 100 || len(v) > 4096 {
			errs = append(errs, resource.FieldError{Field: "variables." + k, Message: "names are 1 to 100 bytes and values at most 4096"})
		}
	}
	if len(errs) > 0 {
		return resource.Invalid(errs...)
	}
	return nil
}

// chatResult is the answer of a chat turn (and the data of the done event).
type chatResult struct {
	ConversationID string             `json:"conversationId"`
	Reply          string             `json:"reply"`
	ToolCalls      []agentrt.ToolCall `json:"toolCalls"`
	Citations      []agentrt.Citation `json:"citations"`
	Ended          bool               `json:"ended"`
	TransferTo     *string            `json:"transferTo"`
}

// chatTurn is a turn ready to run: the agent, and the conversation with
// the user's message appended.
type chatTurn struct {
	s     *Server
	orgID string
	agent *agentrt.Agent
	conv  resource.Conversation
	vars  map[string]string
}

func (s *Server) chat(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixAgent, "agent")
	if p != nil {
		return 0, nil, p
	}
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	var in chatInput
	if p := resource.DecodeValid(body, &in); p != nil {
		return 0, nil, p
	}
	a, err := s.runtime().Load(c.who.OrgID, id)
	if err != nil {
		return 0, nil, err
	}
	t := &chatTurn{s: s, orgID: c.who.OrgID, agent: a, vars: in.Variables}
	if err := t.loadConversation(in.ConversationID); err != nil {
		return 0, nil, err
	}
	t.conv.Messages = append(t.conv.Messages, resource.ConversationMessage{Role: "user", Text: in.Message, StartMs: t.sinceStart(), EndMs: t.sinceStart()})
	if in.Stream {
		return fasthttp.StatusOK, &chatStream{turn: t}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), chatTimeout)
	defer cancel()
	res, err := t.run(ctx, nil)
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, res, nil
}

// loadConversation continues a stored chat conversation of the same agent,
// or starts one.
func (t *chatTurn) loadConversation(id string) error {
	if id == "" {
		t.conv = resource.Conversation{
			ID: resource.NewID(resource.PrefixConversation), AgentID: t.agent.Def.ID,
			Channel: resource.ChannelChat, StartedAt: time.Now().UTC(), Messages: []resource.ConversationMessage{},
		}
		return nil
	}
	ctx, cancel := t.s.storeCtx()
	defer cancel()
	conv, err := storage.GetJSON[resource.Conversation](ctx, t.s.store, session.ConversationKey(t.orgID, id))
	if errors.Is(err, storage.ErrNotFound) {
		return resource.NotFound("conversation")
	}
	if err != nil {
		return err
	}
	switch {
	case conv.AgentID != t.agent.Def.ID:
		return resource.Invalid(resource.FieldError{Field: "conversationId", Message: "belongs to another agent"})
	case conv.Channel != resource.ChannelChat:
		return resource.Invalid(resource.FieldError{Field: "conversationId", Message: "is a " + conv.Channel + " conversation; only chat conversations continue here"})
	case conv.EndedAt != nil:
		return resource.Invalid(resource.FieldError{Field: "conversationId", Message: "has ended; start a new conversation"})
	}
	t.conv = conv
	return nil
}

func (t *chatTurn) sinceStart() int64 { return time.Since(t.conv.StartedAt).Milliseconds() }

// run plays the turn, stores the conversation and returns the answer.
func (t *chatTurn) run(ctx context.Context, emit func(agentrt.Event) error) (*chatResult, error) {
	turn, err := t.agent.Chat(ctx, agentrt.History(t.conv.Messages), t.vars, emit)
	if err != nil {
		return nil, chatProblem(err)
	}
	now := t.sinceStart()
	for _, m := range turn.Messages {
		m.StartMs, m.EndMs = now, now
		t.conv.Messages = append(t.conv.Messages, m)
	}
	if turn.Ended {
		end := time.Now().UTC()
		t.conv.EndedAt = &end
	}
	sctx, cancel := t.s.storeCtx()
	defer cancel()
	var b storage.Batch
	if err := b.PutJSON(session.ConversationKey(t.orgID, t.conv.ID), t.conv); err != nil {
		return nil, err
	}
	if err := t.s.store.Apply(sctx, &b); err != nil {
		return nil, err
	}
	res := &chatResult{ConversationID: t.conv.ID, Reply: turn.Reply, ToolCalls: turn.ToolCalls, Citations: turn.Citations, Ended: turn.Ended}
	if res.ToolCalls == nil {
		res.ToolCalls = []agentrt.ToolCall{}
	}
	if turn.TransferTo != "" {
		res.TransferTo = &turn.TransferTo
	}
	return res, nil
}

// chatProblem maps a failure of the model: a provider's outage is
// PROVIDER_UNAVAILABLE, a timeout says so.
func chatProblem(err error) error {
	if resource.AsProblem(err) != nil {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &resource.Problem{Code: resource.CodeProviderUnavailable, Message: "the agent did not answer in time", Status: fasthttp.StatusServiceUnavailable}
	}
	var pe *provider.ProviderError
	if errors.As(err, &pe) {
		// The provider is named; its message was redacted of keys when the
		// client built the error.
		return &resource.Problem{Code: resource.CodeProviderUnavailable, Message: pe.Error()}
	}
	return &resource.Problem{Code: resource.CodeProviderUnavailable, Message: "the agent's language model failed"}
}

// chatStream answers a turn as server-sent events: delta (text as it is
// produced), tool_call (each finished call), then done (the whole answer)
// or error.
type chatStream struct{ turn *chatTurn }

func (st *chatStream) respond(ctx *fasthttp.RequestCtx, status int) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/event-stream")
	ctx.Response.Header.Set("Cache-Control", "no-cache")
	ctx.SetBodyStreamWriter(st.write)
}

func (st *chatStream) write(w *bufio.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), chatTimeout)
	defer cancel()
	send := func(event string, v any) error {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := w.WriteString("event: " + event + "\ndata: "); err != nil {
			return err
		}
		w.Write(raw)
		w.WriteString("\n\n")
		// A failed flush means the client left: stop the turn.
		return w.Flush()
	}
	res, err := st.turn.run(ctx, func(ev agentrt.Event) error {
		if ev.ToolCall != nil {
			return send("tool_call", ev.ToolCall)
		}
		return send("delta", map[string]string{"text": ev.Delta})
	})
	if err != nil {
		p := problemOf(err)
		_ = send("error", map[string]any{"code": p.Code, "message": p.Message})
		return
	}
	_ = send("done", res)
}

func docChatStream(op obj) {
	r := op["responses"].(obj)["200"].(obj)
	content := r["content"].(obj)
	content["text/event-stream"] = obj{"schema": obj{"type": "string", "description": "With stream: true, server-sent events: " +
		"`delta` {text} as the reply is produced, `tool_call` {name, arguments, output, error} for each call, " +
		"then `done` with the ChatResult, or `error` {code, message}."}}
}

// ---- speak ----

// speakInput is the body of POST /v1/agents/{id}/speak.
type speakInput struct {
	Text       string `json:"text"`
	Format     string `json:"format"`
	SampleRate *int   `json:"sampleRate"`
}

// Validate checks the text, format and rate as /v1/synthesize does.
func (in *speakInput) Validate() *resource.Problem {
	errs := validateText("text", in.Text)
	if in.Format == "" {
		in.Format = formatWAV
	}
	rate := 0
	if in.SampleRate != nil {
		rate = *in.SampleRate
	}
	errs = append(errs, validateFormatRate("format", "sampleRate", in.Format, rate)...)
	if len(errs) > 0 {
		return resource.Invalid(errs...)
	}
	return nil
}

func (s *Server) speak(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixAgent, "agent")
	if p != nil {
		return 0, nil, p
	}
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	var in speakInput
	if p := resource.DecodeValid(body, &in); p != nil {
		return 0, nil, p
	}
	a, err := ask[*resource.Agent](s, s.sys.Agents, &agent.Get{OrgID: c.who.OrgID, ID: id})
	if err != nil {
		return 0, nil, err
	}
	const field = "agent.voice.voiceId"
	v, err := s.resolveVoice(c.who.OrgID, a.Voice.VoiceID, field)
	if err != nil {
		return 0, nil, err
	}
	rate := 0
	if in.SampleRate != nil {
		rate = *in.SampleRate
	}
	return s.startSpeech(speechRequest{
		Provider: v.Provider,
		TTS:      tts.Request{Text: in.Text, VoiceID: v.EngineVoice, Pitch: v.Pitch, Speed: clamp(v.Speed, tts.MinSpeed, tts.MaxSpeed)},
		Format:   in.Format,
		Rate:     outputRate(in.Format, rate),
	}, field)
}
