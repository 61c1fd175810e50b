package openai

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

const testKey = "sk-test-SECRET-0123456789"

// standIn is a loopback chat completions server that replays events.
type standIn struct {
	*httptest.Server
	got    chan *http.Request
	body   chan []byte
	closed chan struct{} // closed when a handler saw the client go away
}

// newStandIn serves events (each one "data: ..." payload) and then, if hold
// is set, waits for the client to disconnect instead of finishing.
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
			fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s","type":"invalid_request_error","code":"x"}}`, testKey)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, e := range events {
			fmt.Fprintf(w, "data: %s\n\n", e)
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

func TestStreamText(t *testing.T) {
	s := newStandIn(t, 200, []string{
		`{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" there"},"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
		`{"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14}}`,
		`[DONE]`,
	}, false)
	c := New(Config{BaseURL: s.URL + "/v1/", APIKey: testKey, Model: "m1"})
	req := llm.Request{
		Temperature: 0.5, MaxTokens: 99,
		Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: "be brief"},
			{Role: llm.RoleUser, Content: "weather?"},
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "weather", Arguments: json.RawMessage(`{"city":"Oslo"}`)}}},
			{Role: llm.RoleTool, ToolCallID: "call_1", Name: "weather", Content: "rain"},
		},
		Tools: []llm.Tool{{Name: "weather", Description: "forecast", Parameters: json.RawMessage(`{"type":"object"}`)}},
	}
	evs, err := collect(context.Background(), c, req)
	if err != nil {
		t.Fatal(err)
	}
	var text string
	for _, e := range evs[:len(evs)-1] {
		text += e.TextDelta
	}
	last := evs[len(evs)-1]
	if text != "Hello there" || !last.Done || last.FinishReason != llm.FinishStop || *last.Usage != (llm.Usage{InputTokens: 12, OutputTokens: 2}) {
		t.Fatalf("got text %q, last %+v", text, last)
	}

	r := <-s.got
	if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer "+testKey {
		t.Fatalf("path %s, auth %q", r.URL.Path, r.Header.Get("Authorization"))
	}
	var body struct {
		Model         string
		Stream        bool
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
		Temperature float64
		MaxTokens   int `json:"max_tokens"`
		Messages    []map[string]any
		Tools       []struct {
			Type     string
			Function struct{ Name, Description string }
		}
	}
	raw := <-s.body
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	if body.Model != "m1" || !body.Stream || !body.StreamOptions.IncludeUsage || body.Temperature != 0.5 || body.MaxTokens != 99 {
		t.Fatalf("body %s", raw)
	}
	if len(body.Tools) != 1 || body.Tools[0].Type != "function" || body.Tools[0].Function.Name != "weather" {
		t.Fatalf("tools %s", raw)
	}
	asst := body.Messages[2]
	calls, _ := asst["tool_calls"].([]any)
	if asst["content"] != nil || len(calls) != 1 {
		t.Fatalf("assistant message %v", asst)
	}
	fn := calls[0].(map[string]any)["function"].(map[string]any)
	if fn["arguments"] != `{"city":"Oslo"}` || fn["name"] != "weather" {
		t.Fatalf("tool call %v", fn)
	}
	tool := body.Messages[3]
	if tool["role"] != "tool" || tool["tool_call_id"] != "call_1" || tool["content"] != "rain" {
		t.Fatalf("tool message %v", tool)
	}
}

func TestStreamToolCallFragments(t *testing.T) {
	s := newStandIn(t, 200, []string{
		`{"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"lookup","arguments":""}}]},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"q\":"}}]},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"hang_up","arguments":""}}]},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"opening "}}]},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"hours\"}"}}]},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
		`[DONE]`,
	}, false)
	evs, err := collect(context.Background(), New(Config{BaseURL: s.URL}), userReq())
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("got %d events: %+v", len(evs), evs)
	}
	a, b := evs[0].ToolCall, evs[1].ToolCall
	if a == nil || a.ID != "call_a" || a.Name != "lookup" || string(a.Arguments) != `{"q":"opening hours"}` {
		t.Fatalf("first call %+v", a)
	}
	if b == nil || b.ID != "call_b" || b.Name != "hang_up" || string(b.Arguments) != `{}` {
		t.Fatalf("second call %+v", b)
	}
	if !evs[2].Done || evs[2].FinishReason != llm.FinishToolCalls || evs[2].Usage != nil {
		t.Fatalf("last %+v", evs[2])
	}
	if r := <-s.got; r.Header.Get("Authorization") != "" {
		t.Fatal("sent an Authorization header without a key")
	}
}

func TestStreamCancelMidStream(t *testing.T) {
	s := newStandIn(t, 200, []string{`{"choices":[{"index":0,"delta":{"content":"Hel"}}]}`}, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var deltas int
	err := New(Config{BaseURL: s.URL}).Stream(ctx, userReq(), func(e llm.Event) error {
		deltas++
		cancel() // the caller hung up after the first words
		return nil
	})
	if !errors.Is(err, context.Canceled) || deltas != 1 {
		t.Fatalf("err %v after %d deltas", err, deltas)
	}
	wait(t, s.closed, "stand-in saw the connection close")
}

func TestStreamEmitErrorStops(t *testing.T) {
	s := newStandIn(t, 200, []string{`{"choices":[{"index":0,"delta":{"content":"a"}}]}`}, true)
	stop := errors.New("stop")
	err := New(Config{BaseURL: s.URL}).Stream(context.Background(), userReq(), func(llm.Event) error { return stop })
	if err != stop {
		t.Fatalf("got %v, want the emit error itself", err)
	}
	wait(t, s.closed, "stand-in saw the connection close")
}

func TestStreamUpstreamErrors(t *testing.T) {
	for _, status := range []int{401, 429, 500} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			s := newStandIn(t, status, nil, false)
			_, err := collect(context.Background(), New(Config{BaseURL: s.URL, APIKey: testKey, Name: "groq"}), userReq())
			var perr *provider.ProviderError
			if !errors.As(err, &perr) || perr.Status != status || perr.Provider != "groq" || !errors.Is(err, provider.ErrProviderUnavailable) {
				t.Fatalf("got %#v", err)
			}
			if strings.Contains(err.Error(), testKey) || !strings.Contains(err.Error(), "Incorrect API key") {
				t.Fatalf("error text %q", err)
			}
		})
	}
}

func TestStreamConnectionRefused(t *testing.T) {
	s := httptest.NewServer(http.NotFoundHandler())
	url := s.URL
	s.Close()
	_, err := collect(context.Background(), New(Config{BaseURL: url, APIKey: testKey}), userReq())
	if !errors.Is(err, provider.ErrProviderUnavailable) || strings.Contains(err.Error(), testKey) {
		t.Fatalf("got %v", err)
	}
}

func TestStreamMalformed(t *testing.T) {
	tests := []struct {
		name   string
		events []string
		want   string
	}{
		{"not json", []string{`{"choices":[`}, "malformed chunk"},
		{"wrong types", []string{`{"choices":"x"}`}, "malformed chunk"},
		{"error event", []string{`{"error":{"message":"model overloaded"}}`}, "model overloaded"},
		{"ends early", []string{`{"choices":[{"index":0,"delta":{"content":"a"}}]}`}, "ended before"},
		{"nameless call", []string{`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`}, "no name"},
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

func TestStreamWithoutDone(t *testing.T) {
	// llama.cpp-style: a finish_reason, then the body simply ends.
	s := newStandIn(t, 200, []string{
		`{"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}`,
	}, false)
	evs, err := collect(context.Background(), New(Config{BaseURL: s.URL}), userReq())
	if err != nil || len(evs) != 2 || !evs[1].Done || evs[1].FinishReason != llm.FinishLength {
		t.Fatalf("err %v, events %+v", err, evs)
	}
}

func TestToolCallsWithoutIndex(t *testing.T) {
	var d decoder
	var calls []llm.ToolCall
	emit := func(e llm.Event) error {
		if e.ToolCall != nil {
			calls = append(calls, *e.ToolCall)
		}
		return nil
	}
	for _, ev := range []string{
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"a","function":{"name":"x","arguments":"{\"n\":1}"}}]}}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"b","function":{"name":"y","arguments":"not json"}}]}}]}`,
		`[DONE]`,
	} {
		if err := d.event([]byte(ev), emit); err != nil {
			t.Fatal(err)
		}
	}
	if len(calls) != 2 || calls[0].ID != "a" || string(calls[0].Arguments) != `{"n":1}` ||
		calls[1].ID != "b" || string(calls[1].Arguments) != `"not json"` {
		t.Fatalf("calls %+v", calls)
	}
}

func TestKeyNeverInBadURLError(t *testing.T) {
	_, err := collect(context.Background(), New(Config{BaseURL: "http://h\x7f/", APIKey: testKey}), userReq())
	if err == nil || strings.Contains(err.Error(), testKey) {
		t.Fatalf("got %v", err)
	}
}
