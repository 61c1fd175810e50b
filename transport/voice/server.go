package voice

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/fasthttp/websocket"

	"github.com/switchboard-voice/switchboard/actors"
	"github.com/switchboard-voice/switchboard/actors/agent"
	"github.com/switchboard-voice/switchboard/actors/collection"
	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/agentrt"
	"github.com/switchboard-voice/switchboard/metrics"
	"github.com/switchboard-voice/switchboard/providers/engines"
	"github.com/switchboard-voice/switchboard/providers/llm/local"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
	"github.com/switchboard-voice/switchboard/transport/media"
)

// Config tunes voice sessions.
type Config struct {
	// TokenSecret signs the short-lived session tokens of Twilio streams.
	TokenSecret []byte
	// MaxDuration ends any call.
	MaxDuration time.Duration
	// SilenceTimeout reprompts a silent caller.
	SilenceTimeout time.Duration
	// Record keeps a stereo recording of phone calls.
	Record bool
}

// Deps are the parts of the node a voice server uses.
type Deps struct {
	Root        *actor.RootContext
	Agents      *actor.PID
	Sessions    *actor.PID
	Collections *actor.PID
	Engines     *engines.Set
	Store       storage.Store
	Log         *slog.Logger
	Metrics     *metrics.Metrics
	// Runtime, when set, gives sessions the agent's tools.
	Runtime *agentrt.Runtime
	// Instances owns agents' instances, whose overrides a Twilio call of
	// an instance applies.
	Instances *actor.PID
}

// Server serves voice WebSockets.
type Server struct {
	cfg  Config
	deps Deps

	mu       sync.Mutex // guards conns and closing
	conns    map[*websocket.Conn]struct{}
	closing  bool
	sessions sync.WaitGroup
}

// New returns a voice server.
func New(cfg Config, deps Deps) *Server {
	if cfg.MaxDuration <= 0 {
		cfg.MaxDuration = 30 * time.Minute
	}
	return &Server{cfg: cfg, deps: deps, conns: map[*websocket.Conn]struct{}{}}
}

// track registers a live connection; it refuses new ones during shutdown.
func (s *Server) track(c *websocket.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	s.sessions.Add(1)
	return true
}

func (s *Server) untrack(c *websocket.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.sessions.Done()
}

// Shutdown closes every live voice connection (going away) and waits, within
// ctx, for their sessions to end and be stored.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for c := range s.conns {
		_ = c.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
		_ = c.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.sessions.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Live returns the number of open voice connections.
func (s *Server) Live() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// observe wires a session's media loop and actor to the node's metrics,
// and counts the session as live until the returned func runs.
func (s *Server) observe(transport string, out *media.OutboundConfig, sess *session.Config) func() {
	m := s.deps.Metrics
	if m == nil {
		return func() {}
	}
	m.SessionsTotal.WithLabelValues(transport).Inc()
	active := m.SessionsActive.WithLabelValues(transport)
	active.Inc()
	// The far end holds what was sent ahead, or one frame when nothing
	// was: a frame is late once that has run dry.
	threshold := max(metrics.LateThreshold-out.Lead, 0)
	out.OnFrame = func(late time.Duration) {
		m.FramesSent.Inc()
		if late > threshold {
			m.FramesLate.Inc()
		}
	}
	sess.OnTurn = func(d time.Duration) { m.TurnLatency.Observe(d.Seconds()) }
	sess.OnInterruption = func(outcome string) { m.Interruptions.WithLabelValues(outcome).Inc() }
	return active.Dec
}

// loadAgent asks the agent's actor for its definition.
func (s *Server) loadAgent(orgID, agentID string) (*resource.Agent, error) {
	return actors.Ask[*resource.Agent](s.deps.Root, s.deps.Agents, &agent.Get{OrgID: orgID, ID: agentID}, 5*time.Second)
}

// spawn starts the session (or call) actor.
func (s *Server) spawn(req *session.Spawn) (*actor.PID, error) {
	res, err := s.deps.Root.RequestFuture(s.deps.Sessions, req, 5*time.Second).Result()
	if err != nil {
		return nil, err
	}
	switch v := res.(type) {
	case *actor.PID:
		return v, nil
	case error:
		return nil, v
	}
	return nil, errors.New("voice: unexpected spawn reply")
}

// mailbox delivers media events to a session whose PID is known only after
// the media loops exist.
type mailbox struct {
	root  *actor.RootContext
	mu    sync.Mutex // guards pid and early
	pid   *actor.PID
	early []any
}

func (m *mailbox) send(msg any) {
	m.mu.Lock()
	if m.pid == nil {
		m.early = append(m.early, msg)
		m.mu.Unlock()
		return
	}
	pid := m.pid
	m.mu.Unlock()
	m.root.Send(pid, msg)
}

func (m *mailbox) bind(pid *actor.PID) {
	m.mu.Lock()
	m.pid = pid
	early := m.early
	m.early = nil
	m.mu.Unlock()
	for _, msg := range early {
		m.root.Send(pid, msg)
	}
}

// knowledge searches the agent's collection, if it has one.
func (s *Server) knowledge(orgID string, a *resource.Agent) func(context.Context, string) ([]local.Passage, error) {
	if a.CollectionID == "" || s.deps.Collections == nil {
		return nil
	}
	colID := a.CollectionID
	return func(ctx context.Context, query string) ([]local.Passage, error) {
		res, err := actors.Ask[*collection.SearchResult](s.deps.Root, s.deps.Collections,
			&collection.Search{OrgID: orgID, ID: colID, Query: query, TopK: 3}, 5*time.Second)
		if err != nil {
			return nil, err
		}
		out := make([]local.Passage, len(res.Hits))
		for i, h := range res.Hits {
			out[i] = local.Passage{Title: h.Title, Text: h.Text, DocumentID: h.DocumentID, Score: h.Score}
		}
		return out, nil
	}
}

// phrases are what the caller is likely to say to this agent: they build
// the recogniser's domain model.
func phrases(a *resource.Agent) []string {
	out := []string{a.Prompt, a.FirstMessage}
	out = append(out, a.Turn.Backchannels...)
	out = append(out, commonPhrases...)
	if p, ok := a.Metadata["phrases"].([]any); ok {
		for _, v := range p {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	var clean []string
	for _, p := range out {
		if p = strings.TrimSpace(p); p != "" {
			clean = append(clean, p)
		}
	}
	return clean
}

// commonPhrases are said on nearly every call. The ways callers cut in
// are among them: the domain model knows only its phrases' words, and the
// session's stop words can only interrupt if the recogniser can hear them.
var commonPhrases = []string{
	"yes", "no", "yes please", "no thank you", "thank you", "thanks", "goodbye", "bye", "hello", "hi",
	"wait", "hold on", "hang on", "sorry", "stop", "excuse me", "actually", "pardon",
	"that's all", "can you repeat that", "I don't know", "I would like to", "can I speak to a person",
	"what are your opening hours", "how much does it cost", "where are you located",
	"one two three four five six seven eight nine zero",
}
