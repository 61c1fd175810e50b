package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrInvalidRequest reports a Request a client refuses before sending it
// (no messages, a tool without a name).
var ErrInvalidRequest = errors.New("llm: invalid request")

// Role is who wrote a Message.
type Role string

// Roles, named as the OpenAI chat API names them; clients for other APIs
// translate.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool" // the result of a ToolCall, answering ToolCallID
)

// Message is one turn of the conversation.
type Message struct {
	Role    Role
	Content string
	// ToolCalls are the calls an assistant message made.
	ToolCalls []ToolCall
	// ToolCallID ties a RoleTool message to the call it answers.
	ToolCallID string
	// Name is the tool's name on a RoleTool message (some APIs want it).
	Name string
}

// ToolCall is a complete function call requested by the model.
type ToolCall struct {
	ID   string
	Name string
	// Arguments is a JSON value, normally an object. Models occasionally
	// produce text that is not JSON; clients then deliver it as a JSON
	// string holding that text, so it still round-trips through the
	// conversation and the tool's own argument decoding reports the error.
	Arguments json.RawMessage
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage // JSON Schema of the arguments object
}

// Request is one completion.
type Request struct {
	Model    string // empty selects the client's default model
	Messages []Message
	Tools    []Tool
	// Temperature 0 means "the provider's default": Go cannot tell an unset
	// float from a deliberate 0.
	Temperature float64
	// MaxTokens 0 means the client's default.
	MaxTokens int
}

// Event is one step of a streamed reply. Exactly one of TextDelta, ToolCall
// or Done is set.
type Event struct {
	TextDelta string
	// ToolCall is a complete call, emitted once its arguments are whole.
	ToolCall *ToolCall
	// Done is the last event of a successful stream; it carries Usage (when
	// the provider reports it) and FinishReason.
	Done         bool
	Usage        *Usage
	FinishReason string
}

// FinishReason values; clients translate their provider's vocabulary to
// these and pass unknown reasons through unchanged.
const (
	FinishStop          = "stop"       // natural end or stop sequence
	FinishLength        = "length"     // MaxTokens reached
	FinishToolCalls     = "tool_calls" // the model wants tool results
	FinishContentFilter = "content_filter"
)

// Usage counts tokens as the provider bills them.
type Usage struct {
	InputTokens, OutputTokens int
}

// Model streams completions. Implementations are safe for concurrent use.
type Model interface {
	// Stream sends req and calls emit, on the caller's goroutine, for each
	// event as it arrives, ending with a Done event. If emit returns an
	// error, the stream stops and Stream returns that error. Cancelling ctx
	// stops the stream and Stream returns ctx.Err(). Upstream failures are
	// *provider.ProviderError.
	Stream(ctx context.Context, req Request, emit func(Event) error) error
}

// ValidateRequest checks what every client needs of a Request.
func ValidateRequest(req Request) error {
	if len(req.Messages) == 0 {
		return fmt.Errorf("%w: no messages", ErrInvalidRequest)
	}
	for _, t := range req.Tools {
		if t.Name == "" {
			return fmt.Errorf("%w: tool without a name", ErrInvalidRequest)
		}
	}
	return nil
}

// NormalizeArguments returns raw when it is JSON, {} when it is empty, and
// raw quoted as a JSON string otherwise (see ToolCall.Arguments).
func NormalizeArguments(raw []byte) json.RawMessage {
	switch {
	case len(bytes.TrimSpace(raw)) == 0:
		return json.RawMessage(`{}`)
	case json.Valid(raw):
		return json.RawMessage(append([]byte(nil), raw...))
	default:
		q, _ := json.Marshal(string(raw)) // a string always marshals
		return q
	}
}
