package call_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/actors/call"
	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/providers/sim"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
	"github.com/switchboard-voice/switchboard/storage/memory"
)

// port panics on the first final transcript, to break its session.
type port struct{ hungUp atomic.Bool }

func (p *port) Play(uint64, []int16) error { return nil }
func (p *port) Clear() []session.Played    { return nil }
func (p *port) Hangup()                    { p.hungUp.Store(true) }
func (p *port) Notify(ev session.Event) {
	if ev.Type == "transcript.final" {
		panic("broken port")
	}
}

func waitStored(t *testing.T, store storage.Store, key, status string) resource.Call {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := storage.GetJSON[resource.Call](context.Background(), store, key)
		if err == nil && c.Status == status {
			return c
		}
		if time.Now().After(deadline) {
			raw, _ := json.Marshal(c)
			t.Fatalf("call never reached %s: %s (%v)", status, raw, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func start(t *testing.T, p session.Port, store storage.Store) (*actor.ActorSystem, *actor.PID) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return log }))
	t.Cleanup(sys.Shutdown)
	spec := resource.DefaultAgentSpec()
	spec.Name = "t"
	begin := time.Now()
	pid := sys.Root.Spawn(call.New(call.Config{
		Call: resource.Call{ID: "call_1", OrganizationID: "org_1", Provider: "twilio", ProviderCallID: "CA1", From: "+1555"},
		Session: session.Config{OrgID: "org_1", SessionID: "sess_1", CallID: "call_1", Channel: resource.ChannelPhone,
			Agent: resource.Agent{ID: "agent_1", AgentSpec: spec}, TTS: sim.NewTTS(sim.TTSConfig{}), LLM: sim.NewLLM(sim.LLMConfig{Reply: "ok"}),
			Store: store, Port: p, Log: log, Clock: func() time.Duration { return time.Since(begin) }},
		Store: store, Log: log,
	}))
	return sys, pid
}

func TestCallRecordsNormalEnd(t *testing.T) {
	store := memory.New()
	sys, pid := start(t, &port{}, store)
	waitStored(t, store, call.Key("org_1", "call_1"), "in_progress")
	sys.Root.Send(pid, &session.Hangup{Reason: "stop"})
	c := waitStored(t, store, call.Key("org_1", "call_1"), "completed")
	if c.EndReason != "stop" || c.SessionID != "sess_1" || c.ProviderCallID != "CA1" || c.EndedAt == nil {
		t.Fatalf("call: %+v", c)
	}
}

// A session that panics ends its call as failed and hangs up the line.
func TestSessionPanicFailsCall(t *testing.T) {
	store := memory.New()
	p := &port{}
	sys, pid := start(t, p, store)
	waitStored(t, store, call.Key("org_1", "call_1"), "in_progress")
	sys.Root.Send(pid, &session.Transcript{Text: "hello", Final: true})
	c := waitStored(t, store, call.Key("org_1", "call_1"), "failed")
	if c.EndReason != "session_failed" || !p.hungUp.Load() {
		t.Fatalf("call after a session panic: %+v, hung up %v", c, p.hungUp.Load())
	}
	// The session still stored its conversation on the way down.
	items, _ := store.List(context.Background(), session.ConversationPrefix("org_1"), "", 10)
	if len(items) != 1 {
		t.Fatalf("conversation of the failed session not stored: %d", len(items))
	}
}
