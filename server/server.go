// Package server wires one Switchboard node together: the store, the actor
// system and the HTTP transport, in the order they start and the reverse
// order they stop. The binary and the integration test kit both use it, so
// tests run exactly what production runs.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/switchboard-voice/switchboard/actors/agent"
	"github.com/switchboard-voice/switchboard/actors/collection"
	"github.com/switchboard-voice/switchboard/actors/keyring"
	"github.com/switchboard-voice/switchboard/actors/system"
	"github.com/switchboard-voice/switchboard/agentrt"
	"github.com/switchboard-voice/switchboard/config"
	"github.com/switchboard-voice/switchboard/egress"
	"github.com/switchboard-voice/switchboard/metrics"
	"github.com/switchboard-voice/switchboard/providers/engines"
	"github.com/switchboard-voice/switchboard/storage"
	"github.com/switchboard-voice/switchboard/storage/badger"
	"github.com/switchboard-voice/switchboard/toolrun"
	"github.com/switchboard-voice/switchboard/transport/rest"
	"github.com/switchboard-voice/switchboard/transport/voice"
)

// Version is the build's version, set with -ldflags "-X …server.Version=…".
var Version = "dev"

// Server is a running node.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	store   storage.Store
	engines *engines.Set
	sys     *system.System
	voice   *voice.Server
	metrics *metrics.Metrics
	api     *rest.Server
	ln      net.Listener

	// AdminKey is the admin secret created on first start, else "".
	AdminKey string

	serveErr chan error
	stopOnce sync.Once
	stopErr  error
}

// OpenStore opens the node's embedded store under dataDir.
func OpenStore(dataDir string, log *slog.Logger) (storage.Store, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("server: data dir: %w", err)
	}
	return badger.Open(filepath.Join(dataDir, "db"), badger.Options{Logger: log})
}

// Option adjusts how a node starts.
type Option func(*options)

type options struct {
	wrapStore func(storage.Store) storage.Store
}

// WithStoreWrapper wraps the opened store, to observe or inject faults.
func WithStoreWrapper(wrap func(storage.Store) storage.Store) Option {
	return func(o *options) { o.wrapStore = wrap }
}

// Start opens storage, creates the first organization if the store is
// empty, starts the actors and begins serving HTTP on cfg.Addr.
func Start(cfg config.Config, log *slog.Logger, opts ...Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	store, err := OpenStore(cfg.DataDir, log)
	if err != nil {
		return nil, err
	}
	if o.wrapStore != nil {
		store = o.wrapStore(store)
	}
	s := &Server{cfg: cfg, log: log, store: store, metrics: metrics.New(), serveErr: make(chan error, 1)}
	if err := s.start(); err != nil {
		s.release()
		return nil, err
	}
	return s, nil
}

func (s *Server) start() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.HTTP.RequestTimeout.D())
	defer cancel()
	secret, err := keyring.Bootstrap(ctx, s.store, s.cfg.DataDir)
	if err != nil {
		return err
	}
	s.AdminKey = secret

	p, sm := s.cfg.Providers, s.cfg.Sim
	cloud := func(c config.Provider) engines.Cloud {
		return engines.Cloud{APIKey: c.APIKey, BaseURL: c.BaseURL, Model: c.Model}
	}
	s.engines, err = engines.Open(engines.Options{
		Log: s.log, OpenAI: cloud(p.OpenAI), Anthropic: cloud(p.Anthropic), Deepgram: cloud(p.Deepgram), ElevenLabs: cloud(p.ElevenLabs),
		Sim: engines.SimOptions{TTSFirstChunk: sm.TTSFirstChunk.D(), STTFinal: sm.STTFinalLatency.D(),
			LLMFirstToken: sm.LLMFirstToken.D(), Script: sm.Script, Reply: sm.Reply},
	})
	if err != nil {
		return err
	}
	allow, err := egress.ParseAllowList(strings.Join(s.cfg.Egress.Allow, ","))
	if err != nil {
		return err
	}
	s.sys, err = system.Start(system.Config{
		Agents: agent.Config{IdleTimeout: s.cfg.Agents.IdleTimeout.D(), StoreTimeout: s.cfg.HTTP.RequestTimeout.D()},
		Keyring: keyring.Config{
			Limit:        keyring.Limit{Rate: s.cfg.RateLimit.RequestsPerSecond, Burst: s.cfg.RateLimit.Burst},
			StoreTimeout: s.cfg.HTTP.RequestTimeout.D(),
		},
		DataDir: s.cfg.DataDir,
		Collections: collection.Config{
			StoreTimeout: s.cfg.HTTP.RequestTimeout.D(),
			EgressAllow:  allow,
		},
	}, s.store, s.log)
	if err != nil {
		return err
	}
	streamSecret, err := tokenSecret(ctx, s.store)
	if err != nil {
		return err
	}
	s.voice = voice.New(voice.Config{
		TokenSecret: streamSecret, MaxDuration: s.cfg.Voice.MaxCallDuration.D(),
		SilenceTimeout: s.cfg.Voice.SilenceTimeout.D(), Record: s.cfg.Voice.Record,
	}, voice.Deps{
		Root: s.sys.Root(), Agents: s.sys.Agents, Sessions: s.sys.Sessions, Collections: s.sys.Collections,
		Engines: s.engines, Store: s.store, Log: s.log, Metrics: s.metrics, Instances: s.sys.Instances,
		Runtime: agentrt.New(agentrt.Deps{
			Root: s.sys.Root(), Agents: s.sys.Agents, Tools: s.sys.Tools, Collections: s.sys.Collections,
			Engines: s.engines, Runner: toolrun.New(toolrun.Options{EgressAllow: allow, Log: s.log}), Log: s.log,
		}),
	})
	s.api, err = rest.New(rest.Config{
		Version:         Version,
		MaxBodyBytes:    s.cfg.HTTP.MaxBodyBytes,
		RequestTimeout:  s.cfg.HTTP.RequestTimeout.D(),
		ReadTimeout:     s.cfg.HTTP.ReadTimeout.D(),
		WriteTimeout:    s.cfg.HTTP.WriteTimeout.D(),
		IdleTimeout:     s.cfg.HTTP.IdleTimeout.D(),
		PublicURL:       s.cfg.PublicURL,
		TwilioAuthToken: s.cfg.Twilio.AuthToken,
		TokenSecret:     streamSecret,
		EgressAllow:     allow,
	}, rest.Deps{System: s.sys, Engines: s.engines, Voice: s.voice, Store: s.store, Metrics: s.metrics.Registry}, s.log)
	if err != nil {
		return err
	}
	s.ln, err = net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("server: listen: %w", err)
	}
	go func() { s.serveErr <- s.api.Serve(s.ln) }()
	s.api.SetReady(true)
	s.log.Info("server_started", "addr", s.ln.Addr().String(), "data", s.cfg.DataDir, "version", Version)
	return nil
}

// LiveVoice is the number of open voice WebSockets.
func (s *Server) LiveVoice() int { return s.voice.Live() }

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Done reports a serve loop that ended by itself (an accept error).
func (s *Server) Done() <-chan error { return s.serveErr }

// Shutdown drains: it stops accepting, lets requests in flight finish
// within ctx, stops the actors after their mailboxes empty, then closes
// the store. Calling it again returns the first result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.log.Info("server_draining")
		err := s.api.Shutdown(ctx)
		// fasthttp does not wait for hijacked WebSockets: close them, and
		// wait for their sessions to end and store what happened.
		err = errors.Join(err, s.voice.Shutdown(ctx))
		if errors.Is(err, context.DeadlineExceeded) {
			s.log.Warn("server_drain_timeout")
		}
		s.stopErr = errors.Join(err, s.release())
		s.log.Info("server_stopped")
	})
	return s.stopErr
}

// tokenSecret is the key that signs media-stream tokens. It lives in the
// store so that every node sharing the store accepts the others' tokens.
func tokenSecret(ctx context.Context, store storage.Store) ([]byte, error) {
	const key = "config/stream-token-secret"
	secret, err := store.Get(ctx, key)
	if err == nil && len(secret) == 32 {
		return secret, nil
	}
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	secret = make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	return secret, storage.Put(ctx, store, key, secret)
}

func (s *Server) release() error {
	if s.sys != nil {
		s.sys.Stop()
	}
	var err error
	if s.engines != nil {
		err = s.engines.Close()
	}
	return errors.Join(err, s.store.Close())
}
