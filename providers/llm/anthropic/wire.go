package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/switchboard-voice/switchboard/providers/llm"
)

type wireRequest struct {
	Model       string        `json:"model"`
	MaxTokens   int           `json:"max_tokens"`
	System      string        `json:"system,omitempty"`
	Messages    []wireMessage `json:"messages"`
	Tools       []wireTool    `json:"tools,omitempty"`
	Temperature *float64      `json:"temperature,omitempty"`
	Stream      bool          `json:"stream"`
}

type wireMessage struct {
	Role    string      `json:"role"`
	Content []wireBlock `json:"content"`
}

// wireBlock is a content block; which fields are set depends on Type.
type wireBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`        // text
	ID        string          `json:"id,omitempty"`          // tool_use
	Name      string          `json:"name,omitempty"`        // tool_use
	Input     json.RawMessage `json:"input,omitempty"`       // tool_use
	ToolUseID string          `json:"tool_use_id,omitempty"` // tool_result
	Content   *string         `json:"content,omitempty"`     // tool_result
}

type wireTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

func encodeRequest(req llm.Request, model string, maxTokens int) ([]byte, error) {
	w := wireRequest{Model: model, MaxTokens: maxTokens, Stream: true}
	if req.MaxTokens > 0 {
		w.MaxTokens = req.MaxTokens
	}
	if req.Temperature != 0 {
		w.Temperature = &req.Temperature
	}
	for _, m := range req.Messages {
		var role string
		var blocks []wireBlock
		switch m.Role {
		case llm.RoleSystem:
			if w.System != "" {
				w.System += "\n\n"
			}
			w.System += m.Content
			continue
		case llm.RoleAssistant:
			role = "assistant"
			if m.Content != "" { // the API refuses empty text blocks
				blocks = append(blocks, wireBlock{Type: "text", Text: m.Content})
			}
			for _, tc := range m.ToolCalls {
				blocks = append(blocks, wireBlock{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: toolInput(tc.Arguments)})
			}
		case llm.RoleTool:
			role = "user"
			c := m.Content
			blocks = append(blocks, wireBlock{Type: "tool_result", ToolUseID: m.ToolCallID, Content: &c})
		default:
			role = "user"
			if m.Content != "" {
				blocks = append(blocks, wireBlock{Type: "text", Text: m.Content})
			}
		}
		if len(blocks) == 0 {
			continue
		}
		if n := len(w.Messages); n > 0 && w.Messages[n-1].Role == role {
			w.Messages[n-1].Content = append(w.Messages[n-1].Content, blocks...)
			continue
		}
		w.Messages = append(w.Messages, wireMessage{Role: role, Content: blocks})
	}
	if len(w.Messages) == 0 {
		return nil, fmt.Errorf("%w: no user or assistant content", llm.ErrInvalidRequest)
	}
	for _, t := range req.Tools {
		schema := t.Parameters
		if len(schema) == 0 {
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		w.Tools = append(w.Tools, wireTool{Name: t.Name, Description: t.Description, InputSchema: schema})
	}
	return json.Marshal(w)
}

// toolInput returns the arguments as the JSON object tool_use.input must
// be; arguments that are not an object (see llm.ToolCall) become {}.
func toolInput(args json.RawMessage) json.RawMessage {
	a := bytes.TrimSpace(args)
	if len(a) > 0 && a[0] == '{' && json.Valid(a) {
		return a
	}
	return json.RawMessage(`{}`)
}

// event is any streamed event; which fields are set depends on Type.
type event struct {
	Type    string `json:"type"`
	Index   int    `json:"index"`
	Message *struct {
		Usage wireUsage `json:"usage"`
	} `json:"message"`
	ContentBlock *struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"content_block"`
	Delta *struct {
		Type        string `json:"type"`
		Text        string `json:"text"`
		PartialJSON string `json:"partial_json"`
		StopReason  string `json:"stop_reason"`
	} `json:"delta"`
	Usage *wireUsage `json:"usage"`
	Error *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

type wireUsage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// maxArguments bounds one tool call's reassembled input.
const maxArguments = 1 << 20

var (
	errMalformed = errors.New("malformed event")
	errUpstream  = errors.New("error event")
)

// block is a tool_use content block whose input is still arriving.
type block struct {
	index    int
	id, name string
	input    []byte
}

// decoder turns the data of successive events into llm.Events. It is the
// part of the client that sees untrusted bytes, so it is fuzzed on its own.
type decoder struct {
	started bool
	tools   []block // open tool_use blocks (normally at most one)
	usage   llm.Usage
	stop    string
	done    bool // message_stop seen
}

func (d *decoder) event(data []byte, emit func(llm.Event) error) error {
	var e event
	if err := json.Unmarshal(data, &e); err != nil {
		return fmt.Errorf("%w: %v", errMalformed, err)
	}
	if e.Type != "message_start" && e.Type != "ping" && e.Type != "error" && !d.started {
		return fmt.Errorf("%w: %q before message_start", errMalformed, e.Type)
	}
	switch e.Type {
	case "message_start":
		d.started = true
		if e.Message != nil {
			d.usage = llm.Usage{InputTokens: e.Message.Usage.InputTokens, OutputTokens: e.Message.Usage.OutputTokens}
		}
	case "content_block_start":
		if e.ContentBlock == nil {
			return fmt.Errorf("%w: content_block_start without content_block", errMalformed)
		}
		if e.ContentBlock.Type == "tool_use" {
			if e.ContentBlock.Name == "" {
				return fmt.Errorf("%w: tool_use without name", errMalformed)
			}
			d.tools = append(d.tools, block{index: e.Index, id: e.ContentBlock.ID, name: e.ContentBlock.Name})
		}
	case "content_block_delta":
		if e.Delta == nil {
			return fmt.Errorf("%w: content_block_delta without delta", errMalformed)
		}
		switch e.Delta.Type {
		case "text_delta":
			if e.Delta.Text != "" {
				return emit(llm.Event{TextDelta: e.Delta.Text})
			}
		case "input_json_delta":
			b := d.tool(e.Index)
			if b == nil {
				return fmt.Errorf("%w: input_json_delta for block %d, which is not tool_use", errMalformed, e.Index)
			}
			if len(b.input)+len(e.Delta.PartialJSON) > maxArguments {
				return fmt.Errorf("%w: tool input over %d bytes", errMalformed, maxArguments)
			}
			b.input = append(b.input, e.Delta.PartialJSON...)
		}
		// other deltas (thinking, citations, signatures) carry nothing spoken
	case "content_block_stop":
		for i, b := range d.tools {
			if b.index == e.Index {
				d.tools = append(d.tools[:i], d.tools[i+1:]...)
				tc := &llm.ToolCall{ID: b.id, Name: b.name, Arguments: llm.NormalizeArguments(b.input)}
				return emit(llm.Event{ToolCall: tc})
			}
		}
	case "message_delta":
		if e.Delta != nil && e.Delta.StopReason != "" {
			d.stop = finishReason(e.Delta.StopReason)
		}
		if e.Usage != nil { // cumulative counts
			d.usage.OutputTokens = e.Usage.OutputTokens
			if e.Usage.InputTokens > 0 {
				d.usage.InputTokens = e.Usage.InputTokens
			}
		}
	case "message_stop":
		if len(d.tools) > 0 {
			return fmt.Errorf("%w: message_stop with an unfinished tool_use block", errMalformed)
		}
		d.done = true
		u := d.usage
		return emit(llm.Event{Done: true, Usage: &u, FinishReason: d.stop})
	case "error":
		msg := "unknown error"
		if e.Error != nil {
			msg = e.Error.Type + ": " + e.Error.Message
		}
		return fmt.Errorf("%w: %s", errUpstream, msg)
	}
	// ping and event types added after this client was written are skipped,
	// as Anthropic's versioning policy asks.
	return nil
}

func (d *decoder) tool(index int) *block {
	for i := range d.tools {
		if d.tools[i].index == index {
			return &d.tools[i]
		}
	}
	return nil
}

func finishReason(stop string) string {
	switch stop {
	case "end_turn", "stop_sequence":
		return llm.FinishStop
	case "max_tokens":
		return llm.FinishLength
	case "tool_use":
		return llm.FinishToolCalls
	case "refusal":
		return llm.FinishContentFilter
	}
	return stop
}
