package local

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard/providers/llm"
)

// Options configures an Engine. The zero value works: no knowledge, the
// system clock, no read-back before tool calls.
type Options struct {
	// Knowledge answers questions. When nil, the passages the session put
	// in the system prompt (FormatSystemPrompt) are searched instead.
	Knowledge Knowledge
	// Now is the clock that "tomorrow" and "next Monday" are resolved
	// against; its location is the caller's time zone. Default time.Now.
	Now func() time.Time
	// Confirm reads the arguments back and waits for a yes before calling
	// a tool (end-call and transfer tools excepted).
	Confirm bool
	// Logger receives knowledge search failures; nil logs nothing.
	Logger *slog.Logger
}

// Engine is the rule-based llm.Model. It keeps no state between calls, so
// one Engine per agent serves all of the agent's conversations
// concurrently. Request.Model, Temperature and MaxTokens are ignored.
type Engine struct {
	opts Options
}

var _ llm.Model = (*Engine)(nil)

// New returns an Engine, filling defaults into opts.
func New(opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Engine{opts: opts}
}

// reply is what the engine decided to say and call.
type reply struct {
	text  string
	calls []llm.ToolCall
}

// Stream answers the conversation's last turn. It emits the reply a word
// at a time (so a sentence chunker can start speech early), then any tool
// calls, then Done with words counted as tokens.
func (e *Engine) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	if err := llm.ValidateRequest(req); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t, err := e.newTurn(ctx, req)
	if err != nil {
		return err
	}
	r, err := t.respond()
	if err != nil {
		return err
	}
	r.text = substitute(r.text, t.sys.Variables)
	out := 0
	for _, w := range words(r.text) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := emit(llm.Event{TextDelta: w}); err != nil {
			return err
		}
		out++
	}
	for i := range r.calls {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := r.calls[i]
		if err := emit(llm.Event{ToolCall: &c}); err != nil {
			return err
		}
		out += len(strings.Fields(string(c.Arguments))) + 1
	}
	in := 0
	for _, m := range req.Messages {
		in += wordCount(m.Content)
	}
	finish := llm.FinishStop
	if len(r.calls) > 0 {
		finish = llm.FinishToolCalls
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return emit(llm.Event{Done: true, FinishReason: finish, Usage: &llm.Usage{InputTokens: in, OutputTokens: out}})
}

// words splits text into deltas that concatenate back to it exactly.
func words(text string) []string {
	var out []string
	for text != "" {
		i := strings.IndexByte(text, ' ')
		if i < 0 {
			out = append(out, text)
			break
		}
		j := i
		for j < len(text) && text[j] == ' ' {
			j++
		}
		out = append(out, text[:j])
		text = text[j:]
	}
	return out
}

// turn is everything one Stream call works from.
type turn struct {
	e     *Engine
	ctx   context.Context
	now   time.Time
	sys   SystemPrompt
	tools []*toolSpec
	msgs  []llm.Message // without system messages
}

func (e *Engine) newTurn(ctx context.Context, req llm.Request) (*turn, error) {
	t := &turn{e: e, ctx: ctx, now: e.opts.Now()}
	var sys []string
	for _, m := range req.Messages {
		if m.Role == llm.RoleSystem {
			sys = append(sys, m.Content)
		} else {
			t.msgs = append(t.msgs, m)
		}
	}
	t.sys = ParseSystemPrompt(strings.Join(sys, "\n\n"))
	for _, tool := range req.Tools {
		spec, err := parseTool(tool)
		if err != nil {
			return nil, err
		}
		t.tools = append(t.tools, spec)
	}
	return t, nil
}

func (t *turn) respond() (reply, error) {
	if len(t.msgs) == 0 {
		return reply{text: "Hello! How can I help you today?"}, nil
	}
	last := t.msgs[len(t.msgs)-1]
	if last.Role == llm.RoleTool {
		return t.toolResults(), nil
	}
	// Re-derive the dialog state by replaying every user turn through the
	// same rules that answered it (see doc.go). Only the last decision is
	// rendered.
	st := &convState{}
	prev := ""
	var dec decision
	lastUser := -1
	for i, m := range t.msgs {
		if m.Role == llm.RoleUser {
			lastUser = i
		}
	}
	if lastUser < 0 {
		return reply{text: "Hello! How can I help you today?"}, nil
	}
	for i, m := range t.msgs {
		switch m.Role {
		case llm.RoleAssistant:
			prev = m.Content
			if len(m.ToolCalls) > 0 {
				st.task = nil
			}
		case llm.RoleUser:
			d := t.step(st, m.Content, prev)
			if i == lastUser {
				dec = d
			}
		}
	}
	if last.Role == llm.RoleAssistant {
		// Asked again with no new words: the caller has gone quiet.
		if st.task != nil && st.task.asked >= 0 {
			return reply{text: "Are you still there? " + st.task.question()}, nil
		}
		return reply{text: "Are you still there? Is there anything else I can help you with?"}, nil
	}
	return t.render(dec, last.Content, prev)
}

// toolCallCount numbers tool calls so their IDs are unique within the
// conversation without any state outside it.
func (t *turn) toolCallCount() int {
	n := 0
	for _, m := range t.msgs {
		n += len(m.ToolCalls)
	}
	return n
}

func (t *turn) toolByName(name string) *toolSpec {
	for _, s := range t.tools {
		if s.tool.Name == name {
			return s
		}
	}
	return nil
}

func (t *turn) endTool() *toolSpec {
	for _, s := range t.tools {
		if s.isEnd {
			return s
		}
	}
	return nil
}

// toolResults speaks the results that followed the last assistant turn.
func (t *turn) toolResults() reply {
	start := len(t.msgs)
	for start > 0 && t.msgs[start-1].Role == llm.RoleTool {
		start--
	}
	names := map[string]string{}
	if start > 0 {
		for _, c := range t.msgs[start-1].ToolCalls {
			names[c.ID] = c.Name
		}
	}
	var parts []string
	offer := false
	for _, m := range t.msgs[start:] {
		name := m.Name
		if name == "" {
			name = names[m.ToolCallID]
		}
		spec := t.toolByName(name)
		if spec != nil && spec.isEnd {
			continue // the closing line was already said; the call is ending
		}
		text, failed := speakResult(m.Content, spec)
		if spec != nil && spec.isTransfer && !failed && text == "Done." {
			text = "Connecting you now."
		}
		parts = append(parts, text)
		if spec == nil || !spec.isTransfer || failed {
			offer = true
		}
	}
	if len(parts) == 0 {
		return reply{}
	}
	text := strings.Join(parts, " ")
	if offer {
		text += " Is there anything else I can help you with?"
	}
	return reply{text: text}
}

// render turns the decision for the last user turn into words and calls.
func (t *turn) render(d decision, utterance, prev string) (reply, error) {
	switch d.kind {
	case decEnd:
		r := reply{text: "Thank you for calling. Goodbye!"}
		if end := t.endTool(); end != nil {
			r.calls = []llm.ToolCall{{ID: t.callID(0), Name: end.tool.Name, Arguments: json.RawMessage(`{}`)}}
		}
		return r, nil
	case decRepeat:
		return reply{text: prev}, nil
	case decAbandon:
		return reply{text: "Okay, no problem. Is there anything else I can help you with?"}, nil
	case decGiveUp:
		return reply{text: "I'm sorry, I'm having trouble understanding. Let's start over. How can I help you?"}, nil
	case decAskChange:
		return reply{text: "Okay, what would you like to change?"}, nil
	case decConfirm:
		prefix := ""
		if d.reprompt {
			prefix = "Sorry, I didn't catch that. "
		}
		return reply{text: prefix + "Just to confirm: " + d.task.summary() + ". Shall I go ahead?"}, nil
	case decAsk:
		q := d.task.question()
		switch {
		case d.first:
			return reply{text: "Sure, I can help with that. " + q}, nil
		case d.progressed:
			return reply{text: "Got it. " + q}, nil
		case d.reprompt:
			if isQuestion(utterance) {
				ans, ok, err := t.lookupKnowledge(utterance, 1)
				if err != nil {
					return reply{}, err
				}
				if ok {
					return reply{text: ans + " " + q}, nil
				}
			}
			return reply{text: "Sorry, I didn't catch that. " + q}, nil
		}
		return reply{text: q}, nil
	case decCall:
		args := d.task.arguments()
		text := "One moment, please."
		switch {
		case d.task.spec.isTransfer:
			text = "Sure, let me transfer you now."
		case d.confirmed:
			text = "Great, one moment please."
		}
		return reply{text: text, calls: []llm.ToolCall{{ID: t.callID(0), Name: d.task.spec.tool.Name, Arguments: args}}}, nil
	}
	return t.open(utterance, prev)
}

func (t *turn) callID(i int) string {
	return fmt.Sprintf("call_%d", t.toolCallCount()+i+1)
}

// open answers a turn that neither ends the call nor concerns a tool:
// a repeat request, small talk, a question for the knowledge, or the
// fallback.
func (t *turn) open(utterance, prev string) (reply, error) {
	toks := tokenize(utterance)
	if len(toks) == 0 {
		return reply{text: "Sorry, I didn't catch that. Could you say it again?"}, nil
	}
	switch smallTalk(toks) {
	case "how":
		return reply{text: "I'm doing well, thank you for asking! How can I help you today?"}, nil
	case "greeting":
		return reply{text: "Hi there! How can I help you today?"}, nil
	case "thanks":
		return reply{text: "You're welcome! Is there anything else I can help you with?"}, nil
	case "ack":
		return reply{text: "Is there anything else I can help you with?"}, nil
	}
	question := isQuestion(utterance)
	minHits := 2 // a statement must overlap more to be taken as a question
	if question {
		minHits = 1
	}
	ans, ok, err := t.lookupKnowledge(utterance, minHits)
	if err != nil {
		return reply{}, err
	}
	if ok {
		return reply{text: ans}, nil
	}
	caps := t.capabilities()
	if question {
		if caps != "" {
			return reply{text: "I'm sorry, I don't have that information. I can help you " + caps + ". Is there something else I can do for you?"}, nil
		}
		return reply{text: "I'm sorry, I don't have that information. Is there anything else I can help you with?"}, nil
	}
	if caps != "" {
		return reply{text: "Sorry, I'm not sure I understood. I can help you " + caps + ". Could you say that another way?"}, nil
	}
	return reply{text: "Sorry, I'm not sure I understood. Could you say that another way?"}, nil
}

// lookupKnowledge answers from Options.Knowledge, or from the prompt's
// passages, and records the passage it used. A failing search is logged
// and treated as "no answer": the caller hears an apology, not silence.
func (t *turn) lookupKnowledge(query string, minHits int) (string, bool, error) {
	var k Knowledge = t.e.opts.Knowledge
	if k == nil {
		if len(t.sys.Passages) == 0 {
			return "", false, nil
		}
		k = staticKnowledge(t.sys.Passages)
	}
	ps, err := k.Search(t.ctx, query, 3)
	if err != nil {
		if cerr := t.ctx.Err(); cerr != nil {
			return "", false, cerr
		}
		t.e.opts.Logger.Warn("knowledge_search_failed", "error", err)
		return "", false, nil
	}
	ans, p, ok := answerFrom(query, ps, minHits)
	if !ok {
		return "", false, nil
	}
	if c := citationsFrom(t.ctx); c != nil {
		c.add(p)
	}
	return ans, true, nil
}

// capabilities lists what the agent's tools do, for the fallback line.
func (t *turn) capabilities() string {
	var caps []string
	for _, s := range t.tools {
		if s.isEnd || s.isTransfer || len(caps) == 3 {
			continue
		}
		if c := capability(s); c != "" {
			caps = append(caps, c)
		}
	}
	switch len(caps) {
	case 0:
		return ""
	case 1:
		return caps[0]
	}
	return strings.Join(caps[:len(caps)-1], ", ") + " or " + caps[len(caps)-1]
}

// capability makes "Books an appointment for the caller." into "book an
// appointment".
func capability(s *toolSpec) string {
	d := strings.TrimSpace(s.tool.Description)
	if i := strings.IndexAny(d, ".;\n"); i >= 0 {
		d = d[:i]
	}
	lower := strings.ToLower(d)
	for _, pre := range []string{"use this tool to ", "use this function to ", "this tool ", "this function ", "used to "} {
		if strings.HasPrefix(lower, pre) {
			d, lower = d[len(pre):], lower[len(pre):]
		}
	}
	for _, suf := range []string{" for the caller", " for the user", " for the customer", " on behalf of the caller"} {
		if strings.HasSuffix(lower, suf) {
			d = d[:len(d)-len(suf)]
			lower = lower[:len(lower)-len(suf)]
		}
	}
	w := strings.Fields(lower)
	if len(w) == 0 || len(w) > 10 || technicalRE.MatchString(d) {
		return splitIdentifier(s.tool.Name)
	}
	// Third person to infinitive: "books" → "book", "checks" → "check".
	if v := w[0]; len(v) > 3 && strings.HasSuffix(v, "s") && !strings.HasSuffix(v, "ss") && !strings.HasSuffix(v, "us") && v != "does" && v != "has" {
		w[0] = strings.TrimSuffix(v, "s")
		if strings.HasSuffix(w[0], "ie") {
			w[0] = strings.TrimSuffix(w[0], "ie") + "y"
		} else if strings.HasSuffix(w[0], "she") || strings.HasSuffix(w[0], "che") || strings.HasSuffix(w[0], "sse") || strings.HasSuffix(w[0], "xe") {
			w[0] = strings.TrimSuffix(w[0], "e")
		}
	}
	return strings.Join(w, " ")
}
