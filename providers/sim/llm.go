package sim

import (
	"context"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard/providers/llm"
)

// LLMConfig configures an LLM; zero fields take the defaults noted.
type LLMConfig struct {
	// Reply is the text of every reply; empty echoes the last user
	// message ("OK." if there is none).
	Reply string
	// FirstToken is waited before the first event: 0.
	FirstToken time.Duration
	// WordInterval is waited between words: 0.
	WordInterval time.Duration
	// ToolCall, when set, is what the model answers a user turn with; once
	// the conversation ends with its tool result, the model answers with
	// text. This exercises the session's tool path under load.
	ToolCall *llm.ToolCall
	Wait     Wait // RealWait
}

// LLM is a simulated llm.Model. It is safe for concurrent use.
type LLM struct {
	cfg LLMConfig
}

var _ llm.Model = (*LLM)(nil)

// NewLLM returns an LLM, filling defaults into cfg.
func NewLLM(cfg LLMConfig) *LLM {
	if cfg.Wait == nil {
		cfg.Wait = RealWait
	}
	if cfg.ToolCall != nil {
		tc := *cfg.ToolCall
		tc.Arguments = llm.NormalizeArguments(tc.Arguments)
		cfg.ToolCall = &tc
	}
	return &LLM{cfg: cfg}
}

// Stream implements llm.Model. Usage counts words, not tokens.
func (m *LLM) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	if err := llm.ValidateRequest(req); err != nil {
		return err
	}
	in := 0
	for _, msg := range req.Messages {
		in += len(strings.Fields(msg.Content))
	}
	if err := m.cfg.Wait(ctx, m.cfg.FirstToken); err != nil {
		return err
	}
	last := req.Messages[len(req.Messages)-1]
	if m.cfg.ToolCall != nil && last.Role != llm.RoleTool {
		tc := *m.cfg.ToolCall
		if err := emit(llm.Event{ToolCall: &tc}); err != nil {
			return err
		}
		return emit(llm.Event{Done: true, Usage: &llm.Usage{InputTokens: in, OutputTokens: 1}, FinishReason: llm.FinishToolCalls})
	}
	words := strings.Fields(m.reply(req.Messages))
	for i, w := range words {
		if i > 0 {
			if err := m.cfg.Wait(ctx, m.cfg.WordInterval); err != nil {
				return err
			}
			w = " " + w
		}
		if err := emit(llm.Event{TextDelta: w}); err != nil {
			return err
		}
	}
	return emit(llm.Event{Done: true, Usage: &llm.Usage{InputTokens: in, OutputTokens: len(words)}, FinishReason: llm.FinishStop})
}

func (m *LLM) reply(msgs []llm.Message) string {
	if m.cfg.Reply != "" {
		return m.cfg.Reply
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == llm.RoleUser && strings.TrimSpace(msgs[i].Content) != "" {
			return msgs[i].Content
		}
	}
	return "OK."
}
