package session_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/providers/llm"
	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
	"github.com/switchboard-voice/switchboard/storage/memory"
)

// wordTTS speaks each word as one 100 ms chunk, with exact word timings.
type wordTTS struct{}

const wordSamples = session.SampleRate / 10

func (wordTTS) Voices() []tts.Voice { return nil }

func (wordTTS) Synthesize(ctx context.Context, req tts.Request, emit func(tts.Chunk) error) error {
	for i, w := range strings.Fields(req.Text) {
		off := time.Duration(i) * 100 * time.Millisecond
		if err := emit(tts.Chunk{
			PCM: make([]int16, wordSamples), SampleRate: session.SampleRate, Offset: off,
			Words: []tts.Word{{Text: w, Start: off, End: off + 100*time.Millisecond}},
		}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// scriptLLM answers every user turn with the next line of its script.
type scriptLLM struct {
	mu    sync.Mutex
	lines []string
	panic bool
}

func (m *scriptLLM) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	if m.panic {
		panic("model exploded")
	}
	m.mu.Lock()
	line := "I do not know."
	if len(m.lines) > 0 {
		line, m.lines = m.lines[0], m.lines[1:]
	}
	m.mu.Unlock()
	for _, w := range strings.Fields(line) {
		if err := emit(llm.Event{TextDelta: w + " "}); err != nil {
			return err
		}
	}
	return emit(llm.Event{Done: true, FinishReason: "stop"})
}

// fakePort records what the session asks of the connection. On Clear it
// reports the head item as played for clearPlayed samples.
type fakePort struct {
	mu          sync.Mutex
	items       []uint64
	cleared     int
	clearPlayed int
	events      []string
	hungUp      bool
	panicOn     string
	capacity    int // items the queue holds; 0 is unbounded
	played      int // items ever accepted
}

func (p *fakePort) Play(id uint64, pcm []int16) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.capacity > 0 && len(p.items) >= p.capacity {
		return session.ErrPortFull
	}
	p.items = append(p.items, id)
	p.played++
	return nil
}

func (p *fakePort) Clear() []session.Played {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleared++
	var out []session.Played
	for i, id := range p.items {
		n := 0
		if i == 0 {
			n = p.clearPlayed
		}
		out = append(out, session.Played{ID: id, Samples: n})
	}
	p.items = nil
	return out
}

func (p *fakePort) Notify(ev session.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.panicOn != "" && ev.Type == p.panicOn {
		panic("port exploded")
	}
	p.events = append(p.events, ev.Type)
}

func (p *fakePort) Hangup() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hungUp = true
}

// take returns the queued item IDs and forgets them, as if sent.
func (p *fakePort) take() []uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := p.items
	p.items = nil
	return ids
}

func (p *fakePort) has(event string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.events {
		if e == event {
			return true
		}
	}
	return false
}

type harness struct {
	t     *testing.T
	sys   *actor.ActorSystem
	pid   *actor.PID
	port  *fakePort
	store storage.Store
	start time.Time
}

func newHarness(t *testing.T, model llm.Model, port *fakePort, first string) *harness {
	t.Helper()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	t.Cleanup(sys.Shutdown)
	h := &harness{t: t, sys: sys, port: port, store: memory.New(), start: time.Now()}
	sup := sys.Root.Spawn(session.NewSupervisor(slog.New(slog.NewTextHandler(io.Discard, nil))))
	spec := resource.DefaultAgentSpec()
	spec.Name, spec.FirstMessage = "Test", first
	res, err := sys.Root.RequestFuture(sup, &session.Spawn{Config: session.Config{
		OrgID: "org_1", SessionID: resource.NewID(resource.PrefixSession), Channel: resource.ChannelWeb,
		Agent: resource.Agent{ID: "agent_1", AgentSpec: spec}, TTS: wordTTS{}, LLM: model, Store: h.store, Port: port,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: func() time.Duration { return time.Since(h.start) },
	}}, 5*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	h.pid = res.(*actor.PID)
	return h
}

func (h *harness) send(msg any) { h.sys.Root.Send(h.pid, msg) }

func (h *harness) state() *session.State {
	h.t.Helper()
	res, err := h.sys.Root.RequestFuture(h.pid, &session.Snapshot{}, 5*time.Second).Result()
	if err != nil {
		h.t.Fatalf("snapshot: %v", err)
	}
	return res.(*session.State)
}

// waitFor polls until cond holds.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// playAll reports every queued item as played, as the write loop does.
func (h *harness) playAll() {
	for _, id := range h.port.take() {
		h.send(&session.ItemSent{ID: id, First: true, At: time.Since(h.start)})
		h.send(&session.ItemPlayed{ID: id, At: time.Since(h.start)})
	}
}

func (h *harness) queued(n int) func() bool {
	return func() bool {
		h.port.mu.Lock()
		defer h.port.mu.Unlock()
		return len(h.port.items) >= n
	}
}

func (h *harness) turn(want string) func() bool {
	return func() bool { return h.state().Turn == want }
}

func (h *harness) say(text string) {
	now := time.Since(h.start)
	h.send(&session.SpeechStarted{At: now})
	h.send(&session.SpeechEnded{At: now + 300*time.Millisecond})
	h.send(&session.Transcript{Text: text, Final: true, At: now + 350*time.Millisecond})
}

func TestGreetingThenTurn(t *testing.T) {
	h := newHarness(t, &scriptLLM{lines: []string{"We open at nine."}}, &fakePort{}, "Hello there, how can I help?")
	h.waitFor("greeting audio", h.queued(6))
	h.playAll()
	h.waitFor("listening", h.turn("listening"))

	h.say("when do you open")
	h.waitFor("answer audio", h.queued(4))
	h.playAll()
	h.waitFor("listening again", h.turn("listening"))

	msgs := h.state().Messages
	if len(msgs) != 3 || msgs[0].Text != "Hello there, how can I help?" || msgs[1].Role != "user" ||
		msgs[1].Text != "when do you open" || msgs[2].Text != "We open at nine." {
		t.Fatalf("conversation: %+v", msgs)
	}
}

// An interruption cuts the stored reply to the words the caller heard.
func TestBargeInTruncatesToHeardWords(t *testing.T) {
	port := &fakePort{clearPlayed: wordSamples / 2} // half of the second word
	h := newHarness(t, &scriptLLM{lines: []string{"Our opening hours are nine to five every weekday."}}, port, "")
	h.say("when are you open")
	h.waitFor("reply audio", h.queued(9))
	// The first word played to the end; the second only half.
	first := port.take()
	port.mu.Lock()
	port.items = first[1:]
	port.mu.Unlock()
	h.send(&session.ItemPlayed{ID: first[0]})

	h.send(&session.SpeechStarted{At: time.Since(h.start)})
	h.send(&session.Transcript{Text: "wait stop"}) // two words: no flicker
	h.waitFor("interruption", func() bool { return port.has("agent.interrupted") })
	h.waitFor("user speaking", h.turn("user_speaking"))

	msgs := h.state().Messages
	last := msgs[len(msgs)-1]
	if last.Role != "assistant" || !last.Interrupted || last.Text != "Our" {
		t.Fatalf("interrupted message = %+v, want only the heard word", last)
	}
}

// Speech shorter than interruptionMinMs (a cough) does not interrupt.
func TestShortNoiseDoesNotInterrupt(t *testing.T) {
	port := &fakePort{}
	h := newHarness(t, &scriptLLM{}, port, "Welcome to the clinic, I can help you book an appointment.")
	h.waitFor("greeting audio", h.queued(3))
	now := time.Since(h.start)
	h.send(&session.SpeechStarted{At: now})
	h.send(&session.SpeechEnded{At: now + 50*time.Millisecond})
	h.send(&session.Transcript{Final: true, At: now + 60*time.Millisecond}) // no words
	time.Sleep(400 * time.Millisecond)                                      // longer than interruptionMinMs
	if port.has("agent.interrupted") {
		t.Fatal("a 50 ms noise interrupted the agent")
	}
	h.playAll()
	h.waitFor("greeting finished", h.turn("listening"))
	if msgs := h.state().Messages; len(msgs) != 1 || msgs[0].Interrupted {
		t.Fatalf("greeting was cut: %+v", msgs)
	}
}

func TestHangupStoresConversation(t *testing.T) {
	port := &fakePort{}
	h := newHarness(t, &scriptLLM{lines: []string{"Sure."}}, port, "Hi.")
	h.waitFor("greeting", h.queued(1))
	h.playAll()
	h.say("hello")
	h.waitFor("reply", h.queued(1))
	h.playAll()
	h.send(&session.Hangup{Reason: "stop"})
	var items []storage.Item
	h.waitFor("stored conversation", func() bool {
		items, _ = h.store.List(context.Background(), session.ConversationPrefix("org_1"), "", 10)
		return len(items) == 1
	})
	if !strings.Contains(string(items[0].Value), `"text":"hello"`) || !strings.Contains(string(items[0].Value), `"endedAt":"`) {
		t.Fatalf("stored conversation: %s", items[0].Value)
	}
	traces, _ := h.store.List(context.Background(), session.TracePrefix("org_1"), "", 10)
	if len(traces) != 1 || !strings.Contains(string(traces[0].Value), `"userText":"hello"`) {
		t.Fatalf("stored trace: %v", traces)
	}
}

// A model that panics ends the reply, not the session.
func TestPanickingModelDoesNotKillSession(t *testing.T) {
	port := &fakePort{}
	h := newHarness(t, &scriptLLM{panic: true}, port, "")
	h.say("hello")
	h.waitFor("error event", func() bool { return port.has("error") })
	if s := h.state(); s.Turn == "ended" {
		t.Fatalf("session ended after a model panic")
	}
}

// A session that panics is stopped and hangs up its call; other sessions
// go on.
func TestPanickingSessionIsIsolated(t *testing.T) {
	bad := &fakePort{panicOn: "transcript.final"}
	hb := newHarness(t, &scriptLLM{}, bad, "")
	good := &fakePort{}
	hg := newHarness(t, &scriptLLM{lines: []string{"Fine."}}, good, "")
	hb.say("boom")
	hb.waitFor("broken session hangs up", func() bool {
		bad.mu.Lock()
		defer bad.mu.Unlock()
		return bad.hungUp
	})
	hg.say("hello")
	hg.waitFor("healthy session answers", hg.queued(1))
}

// echoLLM answers with what the caller said, so tests can see which words
// reached the model.
type echoLLM struct{}

func (echoLLM) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	last := req.Messages[len(req.Messages)-1].Content
	for _, w := range strings.Fields("You said " + last + ".") {
		if err := emit(llm.Event{TextDelta: w + " "}); err != nil {
			return err
		}
	}
	return emit(llm.Event{Done: true})
}

func (h *harness) interruptions() []resource.Interruption {
	h.send(&session.Hangup{Reason: "test"})
	var tr resource.SessionTrace
	h.waitFor("stored trace", func() bool {
		items, _ := h.store.List(context.Background(), session.TracePrefix("org_1"), "", 1)
		if len(items) == 0 {
			return false
		}
		return json.Unmarshal(items[0].Value, &tr) == nil
	})
	return tr.Interruptions
}

// A backchannel while the agent speaks neither interrupts nor pauses it.
func TestBackchannelDoesNotInterrupt(t *testing.T) {
	port := &fakePort{}
	h := newHarness(t, &scriptLLM{}, port, "Our clinic is open from nine in the morning until five in the evening on weekdays.")
	h.waitFor("greeting audio", h.queued(10))
	now := time.Since(h.start)
	h.send(&session.SpeechStarted{At: now})
	h.send(&session.Transcript{Text: "uh huh", At: now})
	time.Sleep(350 * time.Millisecond) // past interruptionMinMs
	h.send(&session.SpeechEnded{At: time.Since(h.start)})
	h.send(&session.Transcript{Text: "uh huh", Final: true, At: time.Since(h.start)})
	h.playAll()
	h.waitFor("greeting finished", h.turn("listening"))
	if port.has("agent.interrupted") || port.has("agent.paused") {
		t.Fatal("a backchannel stopped the agent")
	}
	if msgs := h.state().Messages; len(msgs) != 1 || msgs[0].Interrupted || msgs[0].Role != "assistant" {
		t.Fatalf("conversation after a backchannel: %+v", msgs)
	}
	if in := h.interruptions(); len(in) != 0 {
		t.Fatalf("backchannel recorded as an interruption: %+v", in)
	}
}

// talkOverGreeting speaks over the greeting for longer than
// interruptionMinMs with the given interim transcripts and final, then lets
// the greeting play out and waits until the session listens again.
func (h *harness) talkOverGreeting(final string, partials ...string) {
	h.send(&session.SpeechStarted{At: time.Since(h.start)})
	time.Sleep(300 * time.Millisecond) // past interruptionMinMs
	for _, p := range partials {
		h.send(&session.Transcript{Text: p})
	}
	h.send(&session.SpeechEnded{At: time.Since(h.start)})
	h.send(&session.Transcript{Text: final, Final: true})
	h.playAll()
	h.waitFor("greeting finished", h.turn("listening"))
}

// A backchannel the recogniser has no words for comes out as short common
// words ("you that"): they do not stop the agent. A stop word does, from
// the first interim transcript that holds it.
func TestFunctionWordsDoNotInterruptStopWordDoes(t *testing.T) {
	port := &fakePort{}
	h := newHarness(t, &scriptLLM{}, port, "Our clinic is open from nine in the morning until five in the evening on weekdays.")
	h.waitFor("greeting audio", h.queued(10))
	h.talkOverGreeting("you uh", "you", "you that")
	if port.has("agent.interrupted") || port.has("agent.paused") {
		t.Fatal("misrecognised backchannel stopped the agent")
	}
	h.say("hello")
	h.waitFor("reply audio", h.queued(1))
	h.send(&session.SpeechStarted{At: time.Since(h.start)})
	time.Sleep(300 * time.Millisecond)
	h.send(&session.Transcript{Text: "what"})
	h.waitFor("interruption", func() bool { return port.has("agent.interrupted") })
}

// The agent's own words coming back on the line are not an interruption.
func TestEchoDoesNotInterrupt(t *testing.T) {
	port := &fakePort{}
	h := newHarness(t, &scriptLLM{}, port, "Our opening hours are nine to five.")
	h.waitFor("greeting audio", h.queued(7))
	h.send(&session.SpeechStarted{At: time.Since(h.start)})
	h.send(&session.Transcript{Text: "opening hours nine"})
	time.Sleep(350 * time.Millisecond)
	h.send(&session.Transcript{Text: "opening hours are nine to five"})
	h.send(&session.SpeechEnded{At: time.Since(h.start)})
	h.send(&session.Transcript{Text: "opening hours are nine to five", Final: true})
	h.playAll()
	h.waitFor("greeting finished", h.turn("listening"))
	if port.has("agent.interrupted") {
		t.Fatal("the agent's echo interrupted it")
	}
}

// A reply started on a fragment is discarded when the caller goes on, and
// the whole utterance is answered once.
func TestPreemptiveReplyDiscardedWhenCallerContinues(t *testing.T) {
	port := &fakePort{}
	h := newHarness(t, echoLLM{}, port, "")
	now := time.Since(h.start)
	h.send(&session.SpeechStarted{At: now})
	h.send(&session.SpeechEnded{At: now})
	// "to" leaves the sentence open: the endpoint waits, the reply is
	// generated meanwhile but held.
	h.send(&session.Transcript{Text: "I would like to", Final: true, At: now})
	time.Sleep(100 * time.Millisecond)
	port.mu.Lock()
	early := len(port.items)
	port.mu.Unlock()
	if early != 0 {
		t.Fatalf("a preemptive reply played %d items before the endpoint", early)
	}
	h.send(&session.SpeechStarted{At: time.Since(h.start)})
	h.send(&session.SpeechEnded{At: time.Since(h.start)})
	h.send(&session.Transcript{Text: "book an appointment", Final: true, At: time.Since(h.start)})
	h.waitFor("reply audio", h.queued(1))
	h.playAll()
	h.waitFor("listening", h.turn("listening"))
	msgs := h.state().Messages
	if len(msgs) != 2 || msgs[0].Text != "I would like to book an appointment" ||
		msgs[1].Text != "You said I would like to book an appointment." {
		t.Fatalf("conversation: %+v", msgs)
	}
}

// Long caller speech without words pauses the agent; when no words follow,
// the agent resumes where it stopped instead of starting over.
func TestFalseInterruptionResumes(t *testing.T) {
	port := &fakePort{clearPlayed: wordSamples / 2}
	h := newHarness(t, &scriptLLM{}, port, "One two three four five six seven eight nine ten.")
	h.waitFor("greeting audio", h.queued(10))
	first := port.take()
	port.mu.Lock()
	port.items = first[1:] // the first word played, the second is playing
	port.mu.Unlock()
	h.send(&session.ItemPlayed{ID: first[0]})

	h.send(&session.SpeechStarted{At: time.Since(h.start)})
	h.waitFor("pause", func() bool { return port.has("agent.paused") })
	h.send(&session.SpeechEnded{At: time.Since(h.start)})
	h.send(&session.Transcript{Final: true, At: time.Since(h.start)}) // no words: a cough
	h.waitFor("resume", func() bool { return port.has("agent.resumed") })
	// The rest of the second word and the other eight are queued again.
	h.waitFor("requeued audio", h.queued(9))
	h.playAll()
	h.waitFor("greeting finished", h.turn("listening"))
	msgs := h.state().Messages
	if len(msgs) != 1 || msgs[0].Interrupted || msgs[0].Text != "One two three four five six seven eight nine ten." {
		t.Fatalf("resumed greeting: %+v", msgs)
	}
	in := h.interruptions()
	if len(in) != 1 || !in[0].False {
		t.Fatalf("interruptions: %+v, want one false interruption", in)
	}
}

// A full playout queue delays audio but loses none: the session offers the
// rest as items play, and the reply completes whole.
func TestFullPortLosesNoAudio(t *testing.T) {
	port := &fakePort{capacity: 3}
	h := newHarness(t, &scriptLLM{}, port, "One two three four five six seven eight nine ten.")
	for round := 0; round < 10 && h.state().Turn != "listening"; round++ {
		h.waitFor("queued audio", h.queued(1))
		h.playAll()
		time.Sleep(20 * time.Millisecond)
	}
	h.waitFor("greeting finished", h.turn("listening"))
	port.mu.Lock()
	defer port.mu.Unlock()
	if port.played != 10 {
		t.Fatalf("%d of 10 word chunks reached the port", port.played)
	}
}

// A recogniser's first guess flickers: one word that the next interim
// transcript does not confirm does not interrupt.
func TestFlickeringFirstGuessDoesNotInterrupt(t *testing.T) {
	port := &fakePort{}
	h := newHarness(t, &scriptLLM{}, port, "Our clinic offers cleanings, fillings, crowns and whitening every weekday.")
	h.waitFor("greeting audio", h.queued(10))
	h.talkOverGreeting("uh huh", "but", "uh huh")
	if port.has("agent.interrupted") {
		t.Fatal("an unconfirmed first guess interrupted the agent")
	}
	// The same word twice is a real interruption.
	h.say("hello")
	h.waitFor("reply audio", h.queued(1))
	h.send(&session.SpeechStarted{At: time.Since(h.start)})
	time.Sleep(300 * time.Millisecond)
	h.send(&session.Transcript{Text: "stop"})
	h.send(&session.Transcript{Text: "stop"})
	h.waitFor("interruption", func() bool { return port.has("agent.interrupted") })
}
