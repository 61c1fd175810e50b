// Package servertest starts real Switchboard nodes for tests: the real
// fasthttp server on a loopback port, real badger in a temp dir, the real
// actors. It adds a small HTTP client that speaks the API's JSON.
package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/actors/keyring"
	"github.com/switchboard-voice/switchboard/config"
	"github.com/switchboard-voice/switchboard/server"
)

// Node is a running server under test.
type Node struct {
	t      testing.TB
	Config config.Config
	opts   []server.Option
	srv    *server.Server
	// URL is the base URL, such as http://127.0.0.1:40123.
	URL string
	// AdminKey is the first organization's admin secret.
	AdminKey string
	Client   *http.Client
}

// Start runs a node with a fresh data dir. adjust, if given, edits the
// configuration first (rate limits, timeouts).
func Start(t testing.TB, adjust func(*config.Config), opts ...server.Option) *Node {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.RateLimit.RequestsPerSecond = 0 // tests that need a limit set one
	cfg.ShutdownTimeout = config.Duration(10 * time.Second)
	if adjust != nil {
		adjust(&cfg)
	}
	n := &Node{t: t, Config: cfg, opts: opts, Client: &http.Client{Timeout: 30 * time.Second}}
	n.start()
	n.AdminKey = n.srv.AdminKey
	if n.AdminKey == "" {
		t.Fatal("servertest: a fresh node created no admin key")
	}
	t.Cleanup(func() { n.Stop() })
	return n
}

func (n *Node) start() {
	n.t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{n.t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	srv, err := server.Start(n.Config, log, n.opts...)
	if err != nil {
		n.t.Fatalf("servertest: start: %v", err)
	}
	n.srv = srv
	n.URL = "http://" + srv.Addr()
}

// Stop drains and stops the node; stopping twice is harmless.
func (n *Node) Stop() {
	if n.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := n.srv.Shutdown(ctx); err != nil {
		n.t.Errorf("servertest: shutdown: %v", err)
	}
	n.srv = nil
	n.Client.CloseIdleConnections()
}

// LiveVoice is the number of open voice WebSockets.
func (n *Node) LiveVoice() int { return n.srv.LiveVoice() }

// Restart stops the node and starts it again on the same data dir.
func (n *Node) Restart() {
	n.t.Helper()
	n.Stop()
	n.start()
}

// CreateOrg adds an organization the way an operator does (the store is
// exclusive to the server, so the node is stopped meanwhile) and returns
// its admin key.
func (n *Node) CreateOrg(name string) string {
	n.t.Helper()
	n.Stop()
	store, err := server.OpenStore(n.Config.DataDir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		n.t.Fatalf("servertest: open store: %v", err)
	}
	_, secret, err := keyring.CreateOrganization(context.Background(), store, name)
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		n.t.Fatalf("servertest: create org: %v", err)
	}
	n.start()
	return secret
}

// With returns a view of the node whose helpers report failures to t, for
// use inside subtests.
func (n *Node) With(t testing.TB) *Node {
	c := *n
	c.t = t
	return &c
}

// Response is an API answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on malformed JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("servertest: body is not the expected JSON (%v): %s", err, r.Body)
	}
}

// Error is the API's error body.
type Error struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
	Details   []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"details"`
}

// Err decodes the error body and checks its shape and request ID.
func (r *Response) Err(t testing.TB) Error {
	t.Helper()
	var e Error
	r.JSON(t, &e)
	if e.Code == "" || e.Message == "" || e.RequestID == "" {
		t.Fatalf("servertest: error body lacks code, message or requestId: %s", r.Body)
	}
	if got := r.Header.Get("X-Request-Id"); got != e.RequestID {
		t.Fatalf("servertest: X-Request-Id %q differs from requestId %q", got, e.RequestID)
	}
	return e
}

// Do sends a request with the key (if any). body may be nil, []byte, a
// string (sent as is) or a value encoded as JSON.
func (n *Node) Do(method, path, key string, body any) *Response {
	n.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			n.t.Fatalf("servertest: encode body: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, n.URL+path, rd)
	if err != nil {
		n.t.Fatalf("servertest: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := n.Client.Do(req)
	if err != nil {
		n.t.Fatalf("servertest: %s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		n.t.Fatalf("servertest: read body: %v", err)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}
