package session_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/providers/llm"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage/memory"
)

// newHarnessWith is newHarness with the session's Config adjusted first
// (timeouts, the agent's turn settings).
func newHarnessWith(t *testing.T, model llm.Model, port *fakePort, first string, adjust func(*session.Config)) *harness {
	t.Helper()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	t.Cleanup(sys.Shutdown)
	h := &harness{t: t, sys: sys, port: port, store: memory.New(), start: time.Now()}
	sup := sys.Root.Spawn(session.NewSupervisor(slog.New(slog.NewTextHandler(io.Discard, nil))))
	spec := resource.DefaultAgentSpec()
	spec.Name, spec.FirstMessage = "Test", first
	cfg := session.Config{
		OrgID: "org_1", SessionID: resource.NewID(resource.PrefixSession), Channel: resource.ChannelWeb,
		Agent: resource.Agent{ID: "agent_1", AgentSpec: spec}, TTS: wordTTS{}, LLM: model, Store: h.store, Port: port,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: func() time.Duration { return time.Since(h.start) },
	}
	if adjust != nil {
		adjust(&cfg)
	}
	res, err := sys.Root.RequestFuture(sup, &session.Spawn{Config: cfg}, 5*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	h.pid = res.(*actor.PID)
	return h
}

// recordingLLM remembers the caller's message of every request it answers,
// and answers with echoLLM's "You said …".
type recordingLLM struct {
	mu   sync.Mutex
	seen []string
}

func (m *recordingLLM) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	m.mu.Lock()
	m.seen = append(m.seen, req.Messages[len(req.Messages)-1].Content)
	m.mu.Unlock()
	return echoLLM{}.Stream(ctx, req, emit)
}

func (m *recordingLLM) requests() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.seen...)
}

func (p *fakePort) hasHungUp() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hungUp
}

func (p *fakePort) count(event string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range p.events {
		if e == event {
			n++
		}
	}
	return n
}

// userTexts are the caller's messages of the conversation.
func (h *harness) userTexts() []string {
	var out []string
	for _, m := range h.state().Messages {
		if m.Role == "user" {
			out = append(out, m.Text)
		}
	}
	return out
}

// answered waits until the agent has answered n caller messages, playing
// its audio as it comes.
func (h *harness) answered(n int) {
	h.t.Helper()
	h.waitFor("answer", func() bool {
		h.playAll()
		msgs := h.state().Messages
		users := 0
		for i, m := range msgs {
			if m.Role == "user" {
				users++
				if users == n && i+1 < len(msgs) && msgs[i+1].Role == "assistant" && msgs[i+1].Text != "" {
					return h.state().Turn == "listening"
				}
			}
		}
		return false
	})
}

// Keys pressed in a row are one input; a pause or '#' ends it, and the
// model receives the digits as the caller's turn.
func TestDTMFDigitsFormOneTurn(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keys  string
		turns []string
	}{
		{"a pause ends the input", "1234", []string{"1234"}},
		{"hash ends the input", "42#", []string{"42"}},
		{"hash between two inputs", "12#3", []string{"12", "3"}},
		{"hash alone is no input", "#7", []string{"7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := &fakePort{}
			model := &recordingLLM{}
			h := newHarness(t, model, port, "")
			for i := range len(tc.keys) {
				h.send(&session.DTMF{Digit: tc.keys[i], At: time.Since(h.start)})
			}
			h.answered(len(tc.turns))
			if got := h.userTexts(); strings.Join(got, "|") != strings.Join(tc.turns, "|") {
				t.Fatalf("caller turns %q, want %q", got, tc.turns)
			}
			if got := model.requests(); len(got) != len(tc.turns) || got[len(got)-1] != tc.turns[len(tc.turns)-1] {
				t.Fatalf("the model was asked %q, want the turns %q", got, tc.turns)
			}
			if n := port.count("dtmf"); n != len(tc.keys) {
				t.Fatalf("%d dtmf events for %d keys", n, len(tc.keys))
			}
			msgs := h.state().Messages
			if last := msgs[len(msgs)-1]; last.Text != "You said "+tc.turns[len(tc.turns)-1]+"." {
				t.Fatalf("answer %q", last.Text)
			}
		})
	}
}

// lastText is the text of the conversation's last message; an agent line
// has its text once it has played.
func (h *harness) lastText() string {
	msgs := h.state().Messages
	if len(msgs) == 0 {
		return ""
	}
	return msgs[len(msgs)-1].Text
}

// A silent caller is asked whether they are still there; a second silence
// ends the call politely: the goodbye plays, then the port hangs up.
func TestSilenceRepromptsThenHangsUp(t *testing.T) {
	port := &fakePort{}
	h := newHarnessWith(t, &scriptLLM{}, port, "", func(c *session.Config) { c.SilenceTimeout = 200 * time.Millisecond })

	h.waitFor("reprompt audio", h.queued(1))
	if port.hasHungUp() {
		t.Fatal("hung up after the first silence")
	}
	h.playAll()
	h.waitFor("reprompt played", func() bool { return h.lastText() != "" })
	if msgs := h.state().Messages; len(msgs) != 1 || msgs[0].Text != "Are you still there?" {
		t.Fatalf("after a silence: %+v", msgs)
	}

	h.waitFor("goodbye audio", h.queued(1))
	// The goodbye is heard before the line drops.
	if port.hasHungUp() {
		t.Fatal("hung up before the goodbye played")
	}
	// The goodbye's later chunks are produced while the first ones play:
	// keep playing what is queued, as the write loop does.
	h.waitFor("hangup", func() bool {
		h.playAll()
		return port.hasHungUp()
	})
	msgs := h.state().Messages
	if len(msgs) != 2 || !strings.Contains(msgs[1].Text, "Goodbye") {
		t.Fatalf("after a second silence: %+v", msgs)
	}
	if n := port.count("agent.text"); n != 2 {
		t.Fatalf("%d agent.text events, want the reprompt and the goodbye", n)
	}
}

// A caller who answers the reprompt starts the count again: the next
// silence is reprompted, not hung up on.
func TestSilenceCountResetsWhenCallerSpeaks(t *testing.T) {
	port := &fakePort{}
	// Long enough for the test to answer the reprompt before the next one.
	h := newHarnessWith(t, &scriptLLM{lines: []string{"Good."}}, port, "", func(c *session.Config) { c.SilenceTimeout = time.Second })
	h.waitFor("reprompt audio", h.queued(1))
	h.playAll()
	h.waitFor("listening", h.turn("listening"))
	h.say("yes I am here")
	h.answered(1)
	h.waitFor("second reprompt audio", h.queued(1))
	h.playAll()
	h.waitFor("second reprompt played", func() bool { return len(h.state().Messages) == 4 && h.lastText() != "" })
	if port.hasHungUp() || h.lastText() != "Are you still there?" {
		t.Fatalf("after the caller spoke, a silence gave %+v (hung up: %v)", h.state().Messages, port.hasHungUp())
	}
	h.waitFor("goodbye audio after two silences in a row", h.queued(1))
	// The goodbye's later chunks are produced while the first ones play:
	// keep playing what is queued, as the write loop does.
	h.waitFor("hangup", func() bool {
		h.playAll()
		return port.hasHungUp()
	})
	if !strings.Contains(h.lastText(), "Goodbye") {
		t.Fatalf("conversation: %+v", h.state().Messages)
	}
}

// The maximum call duration ends the call with a closing line, even while
// the agent is talking.
func TestMaxDurationEndsCall(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first string
		lines int // agent.text events before the closing line
	}{
		{"while listening", "", 0},
		{"while the agent speaks", "One two three four five six seven eight nine ten.", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := &fakePort{}
			h := newHarnessWith(t, &scriptLLM{}, port, tc.first, func(c *session.Config) { c.MaxDuration = 300 * time.Millisecond })
			h.waitFor("closing line", func() bool { return port.count("agent.text") == tc.lines+1 })
			if port.hasHungUp() {
				t.Fatal("hung up before the closing line played")
			}
			h.waitFor("hangup", func() bool {
				h.playAll()
				return port.hasHungUp()
			})
			if !strings.Contains(h.lastText(), "time limit") {
				t.Fatalf("conversation: %+v", h.state().Messages)
			}
			h.send(&session.Hangup{Reason: "stop"})
			h.waitFor("stored conversation", func() bool {
				items, _ := h.store.List(context.Background(), session.ConversationPrefix("org_1"), "", 10)
				return len(items) == 1 && strings.Contains(string(items[0].Value), "time limit")
			})
		})
	}
}

// Typed input needs no endpointing: it is answered at once even where the
// agent would wait a long time for a speaker to go on.
func TestTextInputAnsweredWithoutEndpointing(t *testing.T) {
	port := &fakePort{}
	model := &recordingLLM{}
	h := newHarnessWith(t, model, port, "", func(c *session.Config) {
		c.Agent.Turn.EndpointingMs = 60_000 // a spoken "…like to" would wait minutes
	})
	h.send(&session.TextInput{Text: "I would like to"})
	h.answered(1)
	msgs := h.state().Messages
	if len(msgs) != 2 || msgs[0].Role != "user" || msgs[0].Text != "I would like to" || msgs[1].Text != "You said I would like to." {
		t.Fatalf("conversation: %+v", msgs)
	}
	if port.has("transcript.final") {
		t.Fatal("typed input was reported as a transcript")
	}
}

// Typed input while the agent speaks interrupts it and is answered.
func TestTextInputInterruptsAgent(t *testing.T) {
	port := &fakePort{}
	h := newHarness(t, &recordingLLM{}, port, "One two three four five six seven eight nine ten.")
	h.waitFor("greeting audio", h.queued(10))
	h.send(&session.TextInput{Text: "stop please"})
	h.waitFor("interruption", func() bool { return port.has("agent.interrupted") })
	h.answered(1)
	msgs := h.state().Messages
	if len(msgs) != 3 || !msgs[0].Interrupted || msgs[1].Text != "stop please" || msgs[2].Text != "You said stop please." {
		t.Fatalf("conversation: %+v", msgs)
	}
}
