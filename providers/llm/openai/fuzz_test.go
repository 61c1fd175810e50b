package openai

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard/providers/llm"
	"github.com/switchboard-voice/switchboard/providers/provider/sse"
)

// decodeStream runs raw SSE bytes through the reader and decoder the way
// Client.read does.
func decodeStream(in []byte, emit func(llm.Event) error) error {
	r := sse.NewReader(bytes.NewReader(in), 4096)
	var d decoder
	for !d.done {
		ev, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := d.event(ev.Data, emit); err != nil {
			return err
		}
	}
	return nil
}

// FuzzDecode checks that no byte sequence makes the decoder panic, emit an
// event that is not exactly one kind, emit after Done, or produce tool call
// arguments that are not JSON. The seed corpus is in testdata/fuzz.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		done := false
		_ = decodeStream(in, func(e llm.Event) error {
			kinds := 0
			if e.TextDelta != "" {
				kinds++
			}
			if e.ToolCall != nil {
				kinds++
				if !json.Valid(e.ToolCall.Arguments) || e.ToolCall.Name == "" {
					t.Fatalf("bad tool call %+v", e.ToolCall)
				}
			}
			if e.Done {
				kinds++
			}
			if kinds != 1 || done {
				t.Fatalf("event %+v (after done: %v)", e, done)
			}
			done = e.Done
			return nil
		})
	})
}

func BenchmarkDecode(b *testing.B) {
	var sb strings.Builder
	for range 500 {
		sb.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" word"},"finish_reason":null}]}` + "\n\n")
	}
	sb.WriteString(`data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n")
	in := []byte(sb.String())
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := decodeStream(in, func(llm.Event) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
