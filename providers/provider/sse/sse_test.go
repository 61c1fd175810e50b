package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type got struct{ typ, data, id string }

func readAll(t testing.TB, r *Reader) ([]got, error) {
	t.Helper()
	var out []got
	for {
		ev, err := r.Next()
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		out = append(out, got{ev.Type, string(ev.Data), ev.ID})
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []got
	}{
		{"openai chunks", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []got{{"", `{"a":1}`, ""}, {"", "[DONE]", ""}}},
		{"anthropic typed events", "event: message_start\ndata: {}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n",
			[]got{{"message_start", "{}", ""}, {"ping", `{"type": "ping"}`, ""}}},
		{"crlf", "event: x\r\ndata: 1\r\n\r\n", []got{{"x", "1", ""}}},
		{"multi-line data joined by LF", "data: a\ndata: b\n\n", []got{{"", "a\nb", ""}}},
		{"no space after colon", "data:x\n\n", []got{{"", "x", ""}}},
		{"only one leading space stripped", "data:  x\n\n", []got{{"", " x", ""}}},
		{"comments and unknown fields skipped", ": ping\nretry: 10\nfoo: bar\ndata: x\n\n", []got{{"", "x", ""}}},
		{"field without colon is empty data", "data\n\n", []got{{"", "", ""}}},
		{"event without data is not dispatched", "event: a\n\ndata: b\n\n", []got{{"", "b", ""}}},
		{"id kept", "id: 7\ndata: b\n\n", []got{{"", "b", "7"}}},
		{"unterminated last event dropped", "data: a\n\ndata: b\n", []got{{"", "a", ""}}},
		{"unterminated last line dropped", "data: a\n\ndata: b", []got{{"", "a", ""}}},
		{"empty stream", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// OneByteReader forces every line to span many reads.
			for _, src := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				evs, err := readAll(t, NewReader(src, 0))
				if err != nil {
					t.Fatal(err)
				}
				if len(evs) != len(tt.want) {
					t.Fatalf("got %q, want %q", evs, tt.want)
				}
				for i := range evs {
					if evs[i] != tt.want[i] {
						t.Fatalf("event %d: got %q, want %q", i, evs[i], tt.want[i])
					}
				}
			}
		})
	}
}

func TestReaderLongLines(t *testing.T) {
	long := strings.Repeat("x", 10000) // longer than the bufio buffer
	evs, err := readAll(t, NewReader(strings.NewReader("data: "+long+"\n\n"), 20000))
	if err != nil || len(evs) != 1 || evs[0].data != long {
		t.Fatalf("long line within limit: err %v, %d events", err, len(evs))
	}
	_, err = readAll(t, NewReader(strings.NewReader("data: "+long+"\n\n"), 5000))
	if !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("line over limit: err %v, want ErrLineTooLong", err)
	}
	_, err = readAll(t, NewReader(strings.NewReader("data: "+long[:100]+"\n\n"), 50))
	if !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("short line over small limit: err %v, want ErrLineTooLong", err)
	}
}

func TestReaderPassesReadErrors(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("data: a\n\n"), iotest.ErrReader(boom)), 0)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("event: a\ndata: b\n\ndata: [DONE]\n\n"))
	f.Add([]byte("data: x\r\ndata: y\r\n\r\n: c\nid: 1\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(strings.NewReader(string(in)), 64)
		for i := 0; ; i++ {
			ev, err := r.Next()
			if err != nil {
				return
			}
			if len(ev.Data) > len(in) {
				t.Fatalf("event data longer than input")
			}
			if i > len(in) {
				t.Fatalf("more events than input bytes")
			}
		}
	})
}

func BenchmarkReader(b *testing.B) {
	chunk := `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" word"},"finish_reason":null}]}` + "\n\n"
	stream := strings.Repeat(chunk, 1000)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	rd := strings.NewReader(stream)
	r := NewReader(rd, 0)
	for b.Loop() {
		rd.Reset(stream)
		r.r.Reset(rd)
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	}
}
