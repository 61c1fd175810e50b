package sim

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/providers/llm"
	"github.com/switchboard-voice/switchboard/providers/stt"
	"github.com/switchboard-voice/switchboard/providers/tts"
)

// waits records what the providers asked to wait, without waiting, and
// lets a test see where in the event sequence each wait fell.
type waits struct {
	mu  sync.Mutex
	log []string
}

func (w *waits) wait(ctx context.Context, d time.Duration) error {
	w.note("wait " + d.String())
	return ctx.Err()
}

func (w *waits) note(s string) {
	w.mu.Lock()
	w.log = append(w.log, s)
	w.mu.Unlock()
}

func TestTTS(t *testing.T) {
	var w waits
	s := NewTTS(TTSConfig{PerChar: 10 * time.Millisecond, FirstChunk: 250 * time.Millisecond, Chunk: 40 * time.Millisecond, Pace: 1, Wait: w.wait})
	var words []tts.Word
	var pcm []int16
	var final int
	err := s.Synthesize(context.Background(), tts.Request{Text: "Hi  there, Bob."}, func(c tts.Chunk) error {
		w.note("chunk")
		if c.Offset != time.Duration(len(pcm))*time.Second/16000 || c.SampleRate != 16000 {
			t.Fatalf("chunk at %v after %d samples", c.Offset, len(pcm))
		}
		for _, wd := range c.Words {
			if wd.End > c.Offset+c.Duration() && !c.Final {
				t.Fatalf("word %+v ends after its chunk [%v, %v)", wd, c.Offset, c.Offset+c.Duration())
			}
		}
		words = append(words, c.Words...)
		pcm = append(pcm, c.PCM...)
		if c.Final {
			final++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// "Hi there, Bob." is 14 characters plus a closing pause: 150 ms.
	if len(pcm) != 16000*150/1000 || final != 1 {
		t.Fatalf("%d samples, %d finals", len(pcm), final)
	}
	want := []tts.Word{
		{Text: "Hi", Start: 0, End: 20 * time.Millisecond},
		{Text: "there,", Start: 30 * time.Millisecond, End: 90 * time.Millisecond},
		{Text: "Bob.", Start: 100 * time.Millisecond, End: 140 * time.Millisecond},
	}
	if !slices.Equal(words, want) {
		t.Fatalf("words %+v", words)
	}
	wantLog := []string{"wait 250ms", "chunk", "wait 40ms", "chunk", "wait 40ms", "chunk", "wait 40ms", "chunk"}
	if !slices.Equal(w.log, wantLog) {
		t.Fatalf("sequence %v", w.log)
	}
	// Words sound louder than the gaps between them.
	if e1, e2 := energy(pcm[0:320]), energy(pcm[16*21:16*29]); e1 < 100*e2 {
		t.Fatalf("word energy %v, gap energy %v", e1, e2)
	}
}

func energy(pcm []int16) float64 {
	var e float64
	for _, v := range pcm {
		e += float64(v) * float64(v)
	}
	return e / float64(len(pcm))
}

func TestTTSRefusesAndCancels(t *testing.T) {
	s := NewTTS(TTSConfig{})
	if err := s.Synthesize(context.Background(), tts.Request{Text: "hi", VoiceID: "flite-slt"}, nil); !errors.Is(err, tts.ErrUnknownVoice) {
		t.Fatalf("voice: %v", err)
	}
	if err := s.Synthesize(context.Background(), tts.Request{Text: "  "}, nil); !errors.Is(err, tts.ErrEmptyText) {
		t.Fatalf("empty: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := s.Synthesize(ctx, tts.Request{Text: strings.Repeat("long text ", 20)}, func(tts.Chunk) error {
		n++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("err %v after %d chunks", err, n)
	}
	if v := s.Voices(); len(v) != 1 || v[0].Provider != "sim" {
		t.Fatalf("voices %+v", v)
	}
}

func TestSTT(t *testing.T) {
	var w waits
	s := NewSTT(STTConfig{Script: []string{"book a cleaning", "tuesday"}, FinalLatency: 400 * time.Millisecond, Wait: w.wait})
	st, err := s.NewStream(context.Background(), stt.Config{SampleRate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var partials []string
	for range 10 { // 10 × 100 ms of audio
		st.Write(make([]int16, 800))
		if p, ok := st.Partial(); ok {
			partials = append(partials, p.Text)
		}
	}
	if !slices.Equal(partials, []string{"book", "book a", "book a cleaning"}) {
		t.Fatalf("partials %q", partials)
	}
	res, err := st.Finalize()
	if err != nil || res.Text != "book a cleaning" || !res.Final || len(res.Words) != 3 {
		t.Fatalf("first %+v, %v", res, err)
	}
	if res.Words[1].Start != 333333333 || res.Words[2].End != 999999999 {
		t.Fatalf("words %+v", res.Words)
	}
	st.Write(make([]int16, 800))
	res, _ = st.Finalize()
	if res.Text != "tuesday" || res.Words[0].Start != time.Second {
		t.Fatalf("second %+v", res)
	}
	if res, _ := st.Finalize(); res.Text != "" {
		t.Fatalf("no audio, yet %+v", res)
	}
	st.Write(make([]int16, 8))
	if res, _ := st.Finalize(); res.Text != "book a cleaning" {
		t.Fatalf("script did not start over: %+v", res)
	}
	if !slices.Equal(w.log, []string{"wait 400ms", "wait 400ms", "wait 400ms"}) {
		t.Fatalf("waits %v", w.log)
	}
	st.Close()
	if _, err := st.Finalize(); !errors.Is(err, stt.ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestSTTCloseInterruptsFinalize(t *testing.T) {
	started := make(chan struct{})
	wait := func(ctx context.Context, d time.Duration) error {
		close(started)
		return RealWait(ctx, time.Hour)
	}
	st, _ := NewSTT(STTConfig{Script: []string{"x"}, Wait: wait}).NewStream(context.Background(), stt.Config{SampleRate: 8000})
	st.Write(make([]int16, 8))
	errc := make(chan error, 1)
	go func() {
		_, err := st.Finalize()
		errc <- err
	}()
	<-started
	st.Close()
	if err := <-errc; !errors.Is(err, stt.ErrClosed) {
		t.Fatalf("got %v", err)
	}
}

func TestLLM(t *testing.T) {
	var w waits
	m := NewLLM(LLMConfig{
		Reply: "Your appointment is booked.", FirstToken: 300 * time.Millisecond, WordInterval: 50 * time.Millisecond,
		ToolCall: &llm.ToolCall{ID: "call_1", Name: "book", Arguments: json.RawMessage(`{"day":"tuesday"}`)},
		Wait:     w.wait,
	})
	run := func(msgs ...llm.Message) []llm.Event {
		var evs []llm.Event
		err := m.Stream(context.Background(), llm.Request{Messages: msgs}, func(e llm.Event) error {
			w.note("event")
			evs = append(evs, e)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	user := llm.Message{Role: llm.RoleUser, Content: "book tuesday please"}
	evs := run(user)
	if len(evs) != 2 || evs[0].ToolCall == nil || evs[0].ToolCall.Name != "book" || string(evs[0].ToolCall.Arguments) != `{"day":"tuesday"}` ||
		!evs[1].Done || evs[1].FinishReason != llm.FinishToolCalls {
		t.Fatalf("tool turn %+v", evs)
	}
	w.log = nil
	evs = run(user, llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{*evs[0].ToolCall}}, llm.Message{Role: llm.RoleTool, ToolCallID: "call_1", Content: "ok"})
	var text strings.Builder
	for _, e := range evs[:len(evs)-1] {
		text.WriteString(e.TextDelta)
	}
	last := evs[len(evs)-1]
	if text.String() != "Your appointment is booked." || !last.Done || last.FinishReason != llm.FinishStop || *last.Usage != (llm.Usage{InputTokens: 4, OutputTokens: 4}) {
		t.Fatalf("text turn %q, %+v", text.String(), last)
	}
	want := []string{"wait 300ms", "event", "wait 50ms", "event", "wait 50ms", "event", "wait 50ms", "event", "event"}
	if !slices.Equal(w.log, want) {
		t.Fatalf("sequence %v", w.log)
	}
}

func TestLLMEchoAndCancel(t *testing.T) {
	m := NewLLM(LLMConfig{})
	var text string
	err := m.Stream(context.Background(), llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "is  anyone there"}, {Role: llm.RoleAssistant, Content: "yes"}}},
		func(e llm.Event) error { text += e.TextDelta; return nil })
	if err != nil || text != "is anyone there" {
		t.Fatalf("echo %q, %v", text, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err = NewLLM(LLMConfig{Reply: "one two three", WordInterval: time.Hour}).Stream(ctx, llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}}},
		func(llm.Event) error { n++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("err %v after %d events", err, n)
	}
	if err := m.Stream(context.Background(), llm.Request{}, nil); !errors.Is(err, llm.ErrInvalidRequest) {
		t.Fatalf("empty request: %v", err)
	}
}

func BenchmarkTTS(b *testing.B) {
	s := NewTTS(TTSConfig{})
	req := tts.Request{Text: "Thanks for calling Acme Dental, how can I help you today?"}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Synthesize(context.Background(), req, func(tts.Chunk) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
