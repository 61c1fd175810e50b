package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/switchboard-voice/switchboard/providers/llm"
)

// wireRequest is the chat completions request body.
type wireRequest struct {
	Model         string          `json:"model"`
	Messages      []wireMessage   `json:"messages"`
	Tools         []wireTool      `json:"tools,omitempty"`
	Temperature   *float64        `json:"temperature,omitempty"`
	MaxTokens     int             `json:"max_tokens,omitempty"`
	Stream        bool            `json:"stream"`
	StreamOptions json.RawMessage `json:"stream_options,omitempty"`
}

type wireMessage struct {
	Role       string         `json:"role"`
	Content    *string        `json:"content"` // null on a tool-calls-only assistant turn
	ToolCalls  []wireToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type wireToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function wireFunction `json:"function"`
}

type wireFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"` // JSON text inside a string
}

type wireTool struct {
	Type     string      `json:"type"`
	Function wireToolDef `json:"function"`
}

type wireToolDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

func encodeRequest(req llm.Request, model string) ([]byte, error) {
	w := wireRequest{
		Model:         model,
		Stream:        true,
		StreamOptions: json.RawMessage(`{"include_usage":true}`),
		MaxTokens:     req.MaxTokens,
	}
	if req.Temperature != 0 {
		w.Temperature = &req.Temperature
	}
	for _, m := range req.Messages {
		wm := wireMessage{Role: string(m.Role), ToolCallID: m.ToolCallID}
		if m.Content != "" || len(m.ToolCalls) == 0 {
			c := m.Content
			wm.Content = &c
		}
		for _, tc := range m.ToolCalls {
			wm.ToolCalls = append(wm.ToolCalls, wireToolCall{
				ID: tc.ID, Type: "function",
				Function: wireFunction{Name: tc.Name, Arguments: string(llm.NormalizeArguments(tc.Arguments))},
			})
		}
		w.Messages = append(w.Messages, wm)
	}
	for _, t := range req.Tools {
		params := t.Parameters
		if len(params) == 0 {
			params = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		w.Tools = append(w.Tools, wireTool{Type: "function", Function: wireToolDef{Name: t.Name, Description: t.Description, Parameters: params}})
	}
	return json.Marshal(w)
}

// chunk is one chat.completion.chunk (or an error object some compatible
// servers send mid-stream).
type chunk struct {
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Content   string `json:"content"`
			ToolCalls []struct {
				Index    *int   `json:"index"`
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// maxArguments bounds one tool call's reassembled arguments.
const maxArguments = 1 << 20

var (
	errMalformed = errors.New("malformed chunk")
	errUpstream  = errors.New("error event")
)

// pendingCall is a tool call whose fragments are still arriving.
type pendingCall struct {
	index int
	id    string
	name  string
	args  []byte
}

// decoder turns the data of successive events into llm.Events. It is the
// part of the client that sees untrusted bytes, so it is fuzzed on its own.
type decoder struct {
	calls  []pendingCall
	finish string
	usage  *llm.Usage
	done   bool // [DONE] seen
}

// event handles one event's data. It returns errMalformed or errUpstream
// (wrapped with detail) for data it cannot accept.
func (d *decoder) event(data []byte, emit func(llm.Event) error) error {
	if string(data) == "[DONE]" {
		d.done = true
		return d.finishStream(emit)
	}
	var c chunk
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("%w: %v", errMalformed, err)
	}
	if c.Error != nil {
		return fmt.Errorf("%w: %s", errUpstream, c.Error.Message)
	}
	if c.Usage != nil {
		d.usage = &llm.Usage{InputTokens: c.Usage.PromptTokens, OutputTokens: c.Usage.CompletionTokens}
	}
	for _, ch := range c.Choices {
		if ch.Index != 0 { // n is always 1; ignore any other choice
			continue
		}
		if ch.Delta.Content != "" {
			if err := emit(llm.Event{TextDelta: ch.Delta.Content}); err != nil {
				return err
			}
		}
		for _, f := range ch.Delta.ToolCalls {
			p := d.slot(f.Index, f.ID)
			if f.ID != "" {
				p.id = f.ID
			}
			p.name += f.Function.Name
			if len(p.args)+len(f.Function.Arguments) > maxArguments {
				return fmt.Errorf("%w: tool call arguments over %d bytes", errMalformed, maxArguments)
			}
			p.args = append(p.args, f.Function.Arguments...)
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			d.finish = *ch.FinishReason
			if err := d.flushCalls(emit); err != nil {
				return err
			}
		}
	}
	return nil
}

// slot finds the call a fragment belongs to. OpenAI always sends index;
// some compatible servers omit it and send each call whole, so a fragment
// without index starts a new call when it carries a new id and continues
// the last one otherwise.
func (d *decoder) slot(index *int, id string) *pendingCall {
	if index == nil {
		if n := len(d.calls); n > 0 && (id == "" || d.calls[n-1].id == id) {
			return &d.calls[n-1]
		}
		i := len(d.calls)
		if n := len(d.calls); n > 0 {
			i = d.calls[n-1].index + 1
		}
		index = &i
	}
	for i := range d.calls {
		if d.calls[i].index == *index {
			return &d.calls[i]
		}
	}
	d.calls = append(d.calls, pendingCall{index: *index})
	return &d.calls[len(d.calls)-1]
}

func (d *decoder) flushCalls(emit func(llm.Event) error) error {
	slices.SortFunc(d.calls, func(a, b pendingCall) int { return a.index - b.index })
	calls := d.calls
	d.calls = nil
	for _, p := range calls {
		if p.name == "" {
			return fmt.Errorf("%w: tool call %d has no name", errMalformed, p.index)
		}
		tc := &llm.ToolCall{ID: p.id, Name: p.name, Arguments: llm.NormalizeArguments(p.args)}
		if err := emit(llm.Event{ToolCall: tc}); err != nil {
			return err
		}
	}
	return nil
}

// finishStream emits any calls not yet flushed and the Done event.
func (d *decoder) finishStream(emit func(llm.Event) error) error {
	if err := d.flushCalls(emit); err != nil {
		return err
	}
	return emit(llm.Event{Done: true, Usage: d.usage, FinishReason: d.finish})
}
