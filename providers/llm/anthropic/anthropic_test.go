package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/providers/llm"
	"github.com/switchboard-voice/switchboard/providers/provider"
)

const testKey = "sk-ant-test-SECRET-0123456789"

// standIn is a loopback Messages API that replays named events.
type standIn struct {
	*httptest.Server
	got    chan *http.Request
	body   chan []byte
	closed chan struct{}
}

// newStandIn serves events, each "type\tjson", then, if hold is set, waits
// for the client to disconnect.
func newStandIn(t *testing.T, status int, events []string, hold bool) *standIn {
	t.Helper()
	s := &standIn{got: make(chan *http.Request, 1), body: make(chan []byte, 1), closed: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var raw json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
			http.Error(w, "bad json", 400)
			return
		}
		s.got <- r
		s.body <- raw
		if status != http.StatusOK {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key %s"}}`, testKey)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, e := range events {
			typ, data, _ := strings.Cut(e, "\t")
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, data)
			w.(http.Flusher).Flush()
		}
		if hold {
			<-r.Context().Done()
			close(s.closed)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second): // hang guard, not a timing assertion
		t.Fatalf("never happened: %s", what)
	}
}

func collect(ctx context.Context, c *Client, req llm.Request) ([]llm.Event, error) {
	var evs []llm.Event
	err := c.Stream(ctx, req, func(e llm.Event) error {
		evs = append(evs, e)
		return nil
	})
	return evs, err
}

func userReq() llm.Request {
	return llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}
}

const (
	msgStart = "message_start\t" + `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"m","stop_reason":null,"usage":{"input_tokens":25,"output_tokens":1}}}`
	ping     = "ping\t" + `{"type": "ping"}`
	msgStop  = "message_stop\t" + `{"type":"message_stop"}`
)

func TestStreamTextAndTool(t *testing.T) {
	s := newStandIn(t, 200, []string{
		msgStart,
		"content_block_start\t" + `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
		ping,
		"content_block_delta\t" + `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me check"}}`,
		"content_block_delta\t" + `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"."}}`,
		"content_block_stop\t" + `{"type":"content_block_stop","index":0}`,
		"content_block_start\t" + `{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"weather","input":{}}}`,
		"content_block_delta\t" + `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}`,
		"content_block_delta\t" + `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Os"}}`,
		"content_block_delta\t" + `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"lo\"}"}}`,
		"content_block_stop\t" + `{"type":"content_block_stop","index":1}`,
		"message_delta\t" + `{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":42}}`,
		msgStop,
	}, false)
	c := New(Config{BaseURL: s.URL, APIKey: testKey, Model: "claude-x"})
	req := llm.Request{
		Temperature: 0.2,
		Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: "be brief"},
			{Role: llm.RoleSystem, Content: "be kind"},
			{Role: llm.RoleUser, Content: "weather and time?"},
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{
				{ID: "toolu_a", Name: "weather", Arguments: json.RawMessage(`{"city":"Oslo"}`)},
				{ID: "toolu_b", Name: "clock", Arguments: json.RawMessage(`"oops"`)},
			}},
			{Role: llm.RoleTool, ToolCallID: "toolu_a", Content: "rain"},
			{Role: llm.RoleTool, ToolCallID: "toolu_b", Content: "noon"},
		},
		Tools: []llm.Tool{{Name: "weather", Description: "forecast"}},
	}
	evs, err := collect(context.Background(), c, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 || evs[0].TextDelta != "Let me check" || evs[1].TextDelta != "." {
		t.Fatalf("events %+v", evs)
	}
	tc := evs[2].ToolCall
	if tc == nil || tc.ID != "toolu_1" || tc.Name != "weather" || string(tc.Arguments) != `{"city": "Oslo"}` {
		t.Fatalf("tool call %+v", tc)
	}
	if !evs[3].Done || evs[3].FinishReason != llm.FinishToolCalls || *evs[3].Usage != (llm.Usage{InputTokens: 25, OutputTokens: 42}) {
		t.Fatalf("done %+v", evs[3])
	}

	r := <-s.got
	if r.URL.Path != "/v1/messages" || r.Header.Get("x-api-key") != testKey || r.Header.Get("anthropic-version") != "2023-06-01" {
		t.Fatalf("path %s headers %v", r.URL.Path, r.Header)
	}
	var body struct {
		Model       string
		MaxTokens   int `json:"max_tokens"`
		System      string
		Stream      bool
		Temperature float64
		Messages    []struct {
			Role    string
			Content []map[string]any
		}
		Tools []struct {
			Name        string
			InputSchema map[string]any `json:"input_schema"`
		}
	}
	raw := <-s.body
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	if body.Model != "claude-x" || body.MaxTokens != DefaultMaxTokens || body.System != "be brief\n\nbe kind" || !body.Stream || body.Temperature != 0.2 {
		t.Fatalf("body %s", raw)
	}
	if len(body.Tools) != 1 || body.Tools[0].InputSchema["type"] != "object" {
		t.Fatalf("tools %s", raw)
	}
	// user, assistant (two tool_use), user (two tool_result merged)
	if len(body.Messages) != 3 || body.Messages[1].Role != "assistant" || body.Messages[2].Role != "user" {
		t.Fatalf("messages %s", raw)
	}
	uses := body.Messages[1].Content
	if len(uses) != 2 || uses[0]["type"] != "tool_use" || uses[0]["input"].(map[string]any)["city"] != "Oslo" || len(uses[1]["input"].(map[string]any)) != 0 {
		t.Fatalf("tool_use blocks %v", uses)
	}
	results := body.Messages[2].Content
	if len(results) != 2 || results[0]["type"] != "tool_result" || results[0]["tool_use_id"] != "toolu_a" || results[1]["content"] != "noon" {
		t.Fatalf("tool_result blocks %v", results)
	}
}

func TestStopReasons(t *testing.T) {
	for stop, want := range map[string]string{"end_turn": llm.FinishStop, "max_tokens": llm.FinishLength, "refusal": llm.FinishContentFilter, "pause_turn": "pause_turn"} {
		t.Run(stop, func(t *testing.T) {
			s := newStandIn(t, 200, []string{msgStart,
				"message_delta\t" + `{"type":"message_delta","delta":{"stop_reason":"` + stop + `"},"usage":{"output_tokens":1}}`, msgStop}, false)
			evs, err := collect(context.Background(), New(Config{BaseURL: s.URL}), userReq())
			if err != nil || len(evs) != 1 || evs[0].FinishReason != want {
				t.Fatalf("err %v events %+v", err, evs)
			}
		})
	}
}

func TestStreamCancelMidStream(t *testing.T) {
	s := newStandIn(t, 200, []string{msgStart,
		"content_block_start\t" + `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
		"content_block_delta\t" + `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}`,
	}, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	err := New(Config{BaseURL: s.URL}).Stream(ctx, userReq(), func(llm.Event) error {
		n++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("err %v after %d events", err, n)
	}
	wait(t, s.closed, "stand-in saw the connection close")
}

func TestStreamUpstreamErrors(t *testing.T) {
	for _, status := range []int{401, 429, 500, 529} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			s := newStandIn(t, status, nil, false)
			_, err := collect(context.Background(), New(Config{BaseURL: s.URL, APIKey: testKey}), userReq())
			var perr *provider.ProviderError
			if !errors.As(err, &perr) || perr.Status != status || perr.Provider != "anthropic" {
				t.Fatalf("got %#v", err)
			}
			if strings.Contains(err.Error(), testKey) || !strings.Contains(err.Error(), "invalid x-api-key") {
				t.Fatalf("error text %q", err)
			}
		})
	}
}

func TestStreamMalformed(t *testing.T) {
	tests := []struct {
		name   string
		events []string
		want   string
	}{
		{"not json", []string{"message_start\t{"}, "malformed event"},
		{"delta before start", []string{"content_block_delta\t" + `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}`}, "before message_start"},
		{"json delta for text block", []string{msgStart, "content_block_delta\t" + `{"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{"}}`}, "not tool_use"},
		{"error event", []string{msgStart, "error\t" + `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`}, "Overloaded"},
		{"ends early", []string{msgStart}, "ended before message_stop"},
		{"unfinished tool", []string{msgStart, "content_block_start\t" + `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"n"}}`, msgStop}, "unfinished tool_use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStandIn(t, 200, tt.events, false)
			_, err := collect(context.Background(), New(Config{BaseURL: s.URL, APIKey: testKey}), userReq())
			if !errors.Is(err, provider.ErrProviderUnavailable) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestOnlySystemMessagesRefused(t *testing.T) {
	_, err := collect(context.Background(), New(Config{BaseURL: "http://127.0.0.1:1"}),
		llm.Request{Messages: []llm.Message{{Role: llm.RoleSystem, Content: "x"}}})
	if !errors.Is(err, llm.ErrInvalidRequest) {
		t.Fatalf("got %v", err)
	}
}
