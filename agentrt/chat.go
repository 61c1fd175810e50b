package agentrt

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/switchboard-voice/switchboard/providers/llm"
	"github.com/switchboard-voice/switchboard/providers/llm/local"
	"github.com/switchboard-voice/switchboard/resource"
)

// History is a stored conversation as the model sees it. A tool message
// becomes a call on the assistant message before it plus the call's
// result, so a model (the built-in engine included) knows which tasks are
// done; the stored record keeps no arguments, so they are replayed as {}.
func History(msgs []resource.ConversationMessage) []llm.Message {
	var out []llm.Message
	calls := 0
	for _, m := range msgs {
		switch m.Role {
		case "user":
			out = append(out, llm.Message{Role: llm.RoleUser, Content: m.Text})
		case "assistant":
			if m.Text != "" || len(out) == 0 || out[len(out)-1].Role != llm.RoleAssistant {
				out = append(out, llm.Message{Role: llm.RoleAssistant, Content: m.Text})
			}
		case "tool":
			calls++
			id := "call_" + strconv.Itoa(calls)
			if len(out) == 0 || out[len(out)-1].Role != llm.RoleAssistant && out[len(out)-1].Role != llm.RoleTool {
				out = append(out, llm.Message{Role: llm.RoleAssistant})
			}
			// The call belongs to the last assistant message.
			for i := len(out) - 1; i >= 0; i-- {
				if out[i].Role == llm.RoleAssistant {
					out[i].ToolCalls = append(out[i].ToolCalls, llm.ToolCall{ID: id, Name: m.ToolName, Arguments: json.RawMessage(`{}`)})
					break
				}
			}
			out = append(out, llm.Message{Role: llm.RoleTool, ToolCallID: id, Name: m.ToolName, Content: m.Text})
		}
	}
	return out
}

// ToolCall is one tool call of a turn as the chat API reports it.
type ToolCall struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	Output    json.RawMessage `json:"output"`
	Error     *string         `json:"error"`
}

// Citation is a passage a reply drew on.
type Citation struct {
	DocumentID string  `json:"documentId"`
	Title      string  `json:"title"`
	Text       string  `json:"text"`
	Score      float64 `json:"score"`
}

// Event is one step of a turn as it happens: text, or a finished tool call.
type Event struct {
	Delta    string
	ToolCall *ToolCall
}

// Turn is the outcome of one chat turn.
type Turn struct {
	Reply     string
	ToolCalls []ToolCall
	Citations []Citation
	// Messages are the assistant and tool messages to append to the
	// conversation, in order.
	Messages []resource.ConversationMessage
	// Ended is set when the model ended the conversation; TransferTo when
	// it transferred the caller.
	Ended      bool
	TransferTo string
}

// Chat runs one turn: history ends with the user's message. The model's
// text and each tool call are passed to emit as they happen (emit may be
// nil); tool results go back to the model, at most MaxToolRounds times.
// A tool that fails is reported to the model and in the turn, never as an
// error of the turn.
func (a *Agent) Chat(ctx context.Context, history []llm.Message, vars map[string]string, emit func(Event) error) (*Turn, error) {
	if emit == nil {
		emit = func(Event) error { return nil }
	}
	req, passages, err := a.Request(ctx, history, vars)
	if err != nil {
		return nil, err
	}
	turn := &Turn{}
	runner := a.Runner(Signals{
		EndCall:  func() { turn.Ended = true },
		Transfer: func(n string) { turn.TransferTo = n },
	})
	ctx, cited := local.WithCitations(ctx)
	var reply []string
	for round := 0; round < MaxToolRounds; round++ {
		var text strings.Builder
		var calls []llm.ToolCall
		err := a.Model.Stream(ctx, req, func(ev llm.Event) error {
			switch {
			case ev.TextDelta != "":
				delta := ev.TextDelta
				if text.Len() == 0 && len(reply) > 0 {
					// A later round's text continues the reply: keep the
					// deltas adding up to it.
					delta = " " + strings.TrimLeft(delta, " ")
				}
				text.WriteString(ev.TextDelta)
				return emit(Event{Delta: delta})
			case ev.ToolCall != nil:
				calls = append(calls, *ev.ToolCall)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		said := strings.TrimSpace(text.String())
		if said != "" {
			reply = append(reply, said)
		}
		if said != "" || len(calls) > 0 {
			turn.Messages = append(turn.Messages, resource.ConversationMessage{Role: "assistant", Text: said})
		}
		if len(calls) == 0 {
			break
		}
		req.Messages = append(req.Messages, llm.Message{Role: llm.RoleAssistant, Content: said, ToolCalls: calls})
		for _, c := range calls {
			tc := ToolCall{Name: c.Name, Arguments: llm.NormalizeArguments(c.Arguments)}
			out, err := runner.Call(ctx, c.Name, c.Arguments)
			result := string(out)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				msg := err.Error()
				tc.Error = &msg
				result = errorResult(msg)
			} else {
				tc.Output = out
			}
			turn.ToolCalls = append(turn.ToolCalls, tc)
			turn.Messages = append(turn.Messages, resource.ConversationMessage{Role: "tool", ToolName: c.Name, Text: result})
			if err := emit(Event{ToolCall: &tc}); err != nil {
				return nil, err
			}
			req.Messages = append(req.Messages, llm.Message{Role: llm.RoleTool, ToolCallID: c.ID, Name: c.Name, Content: result})
		}
		if turn.Ended {
			break
		}
	}
	turn.Reply = strings.Join(reply, " ")
	turn.Citations = citations(cited.Passages())
	if len(turn.Citations) == 0 && a.Def.LLM.Provider != "" && a.Def.LLM.Provider != "local" {
		// Other models do not report what they drew on: cite what they
		// were given.
		turn.Citations = citations(passages)
	}
	return turn, nil
}

// errorResult is a failed call's result as the model reads it.
func errorResult(msg string) string {
	b, _ := json.Marshal(map[string]any{"ok": false, "error": msg})
	return string(b)
}

func citations(ps []local.Passage) []Citation {
	out := []Citation{}
	seen := map[string]bool{}
	for _, p := range ps {
		k := p.DocumentID + "\x00" + p.Text
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, Citation{DocumentID: p.DocumentID, Title: p.Title, Text: p.Text, Score: p.Score})
	}
	return out
}
