package rest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/fasthttp/router"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/switchboard-voice/switchboard/actors"
	"github.com/switchboard-voice/switchboard/actors/keyring"
	"github.com/switchboard-voice/switchboard/actors/system"
	"github.com/switchboard-voice/switchboard/providers/engines"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
	"github.com/switchboard-voice/switchboard/transport/voice"
)

// Config tunes the HTTP server.
type Config struct {
	Version string
	// MaxBodyBytes caps any request body; larger ones are refused before
	// they are read whole. JSON endpoints have a lower cap of their own.
	MaxBodyBytes int
	// RequestTimeout bounds the wait for an actor's answer.
	RequestTimeout time.Duration
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
	// PublicURL is the base URL Twilio and clients reach the server at.
	PublicURL string
	// TwilioAuthToken validates webhook signatures when set.
	TwilioAuthToken string
	// TokenSecret signs media-stream session tokens.
	TokenSecret []byte
	// EgressAllow lists the private CIDRs that tools may reach anyway
	// (SWITCHBOARD_EGRESS_ALLOW).
	EgressAllow []netip.Prefix
}

// Deps are what the handlers talk to.
type Deps struct {
	System  *system.System
	Engines *engines.Set
	Voice   *voice.Server
	// Store serves the records written once and never changed
	// (conversations, traces, recordings).
	Store storage.Store
	// Metrics is the registry /metrics serves.
	Metrics *prometheus.Registry
}

// Server is the REST API over fasthttp.
type Server struct {
	cfg     Config
	sys     *system.System
	engines *engines.Set
	voice   *voice.Server
	store   storage.Store
	// metricsReg is what /metrics serves.
	metricsReg *prometheus.Registry
	log        *slog.Logger
	routes     []route
	router     *router.Router
	http       *fasthttp.Server
	ready      atomic.Bool
	// document is the encoded OpenAPI document, built once.
	document []byte
	// speech holds what the speech endpoints compute once.
	speech speechState
	// agentrt is the agent runtime of chat and tools, built on first use.
	agentrt agentrtState
}

// call is one request as a handler sees it.
type call struct {
	ctx *fasthttp.RequestCtx
	who *keyring.Principal // nil on public routes
}

// handlerFunc answers a call with a status and a JSON body, or an error.
type handlerFunc func(s *Server, c *call) (int, any, error)

// New builds the server and its routes.
func New(cfg Config, deps Deps, log *slog.Logger) (*Server, error) {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 32 << 20
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	s := &Server{cfg: cfg, sys: deps.System, engines: deps.Engines, voice: deps.Voice, store: deps.Store, metricsReg: deps.Metrics, log: log, router: router.New()}
	s.routes = routes()
	s.router.RedirectTrailingSlash = false
	s.router.HandleMethodNotAllowed = true
	for i := range s.routes {
		r := &s.routes[i]
		s.router.Handle(r.Method, r.Path, s.wrap(r))
	}
	s.router.NotFound = func(ctx *fasthttp.RequestCtx) {
		writeProblem(ctx, &resource.Problem{Code: resource.CodeNotFound, Message: "no such endpoint"})
	}
	s.router.MethodNotAllowed = func(ctx *fasthttp.RequestCtx) {
		writeProblem(ctx, &resource.Problem{Code: resource.CodeNotFound, Message: "method not allowed on this endpoint", Status: fasthttp.StatusMethodNotAllowed})
	}
	s.http = &fasthttp.Server{
		Handler:               s.Handler(),
		Name:                  "switchboard",
		MaxRequestBodySize:    cfg.MaxBodyBytes,
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		NoDefaultServerHeader: true,
		NoDefaultDate:         false,
		ErrorHandler:          s.transportError,
		// Handlers parse multipart bodies themselves, so a malformed one gets
		// a field-level error in the route's own error shape.
		DisablePreParseMultipartForm: true,
		Logger:                       fasthttpLogger{log},
	}
	s.attachJobs()
	doc, err := s.buildDocument()
	if err != nil {
		return nil, err
	}
	s.document = doc
	return s, nil
}

// SetReady marks the server ready (or not) for /ready.
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.http.Serve(ln) }

// Shutdown stops accepting, waits for requests in flight, then returns.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	return s.http.ShutdownWithContext(ctx)
}

// Handler is the full middleware chain: request ID, panic recovery, routing.
func (s *Server) Handler() fasthttp.RequestHandler {
	route := s.router.Handler
	return func(ctx *fasthttp.RequestCtx) {
		id := ctx.Request.Header.Peek("X-Request-Id")
		rid := resource.NewID(resource.PrefixRequest)
		if validRequestID(id) {
			rid = string(id)
		}
		ctx.SetUserValue(userRequestID, rid)
		ctx.Response.Header.Set("X-Request-Id", rid)
		start := time.Now()
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("handler_panic", "request_id", rid, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				ctx.Response.Reset()
				ctx.Response.Header.Set("X-Request-Id", rid)
				writeProblem(ctx, resource.Internal())
			}
			s.log.Debug("request", "request_id", rid, "method", string(ctx.Method()), "path", string(ctx.Path()),
				"status", ctx.Response.StatusCode(), "duration_ms", time.Since(start).Milliseconds())
		}()
		route(ctx)
	}
}

// wrap applies authentication and rate limiting, then runs the handler and
// renders its answer.
func (s *Server) wrap(r *route) fasthttp.RequestHandler {
	fail := writeProblem
	if r.OpenAIErrors {
		fail = writeOpenAIError
	}
	return func(ctx *fasthttp.RequestCtx) {
		c := &call{ctx: ctx}
		if !r.Public {
			who, p := s.authenticate(ctx)
			if p != nil {
				if p.Code == resource.CodeUnauthorized {
					ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="switchboard"`)
				}
				fail(ctx, p)
				return
			}
			if who.RetryAfter > 0 {
				writeRateLimited(ctx, who.RetryAfter, fail)
				return
			}
			c.who = who
		}
		status, body, err := r.Handle(s, c)
		if err != nil {
			p := problemOf(err)
			if p.Code == resource.CodeInternal {
				s.log.Error("request_failed", "request_id", requestID(ctx), "route", r.Path, "err", err)
			}
			fail(ctx, p)
			return
		}
		switch b := body.(type) {
		case hijacked:
			// The connection now belongs to a WebSocket handler.
		case nil:
			ctx.SetStatusCode(status)
		case rawBody:
			ctx.SetStatusCode(status)
			ctx.SetContentType(b.ContentType)
			ctx.SetBody(b.Body)
		case responder:
			b.respond(ctx, status)
		default:
			writeJSON(ctx, status, body)
		}
	}
}

// responder is a handler answer that writes itself: a streamed body, or
// one with headers of its own.
type responder interface {
	respond(ctx *fasthttp.RequestCtx, status int)
}

// rawBody is a handler answer that is not JSON.
type rawBody struct {
	ContentType string
	Body        []byte
}

func (s *Server) authenticate(ctx *fasthttp.RequestCtx) (*keyring.Principal, *resource.Problem) {
	h := ctx.Request.Header.Peek("Authorization")
	secret, ok := bytes.CutPrefix(h, []byte("Bearer "))
	if !ok || len(secret) == 0 {
		return nil, &resource.Problem{Code: resource.CodeUnauthorized, Message: "missing bearer API key"}
	}
	who, err := actors.Ask[*keyring.Principal](s.sys.Root(), s.sys.Keyring,
		&keyring.Authenticate{Secret: string(bytes.TrimSpace(secret))}, s.cfg.RequestTimeout)
	if err != nil {
		return nil, problemOf(err)
	}
	return who, nil
}

// transportError answers requests fasthttp could not read, such as bodies
// over the size limit, in the API's error shape.
func (s *Server) transportError(ctx *fasthttp.RequestCtx, err error) {
	ctx.SetUserValue(userRequestID, resource.NewID(resource.PrefixRequest))
	ctx.Response.Header.Set("X-Request-Id", requestID(ctx))
	ctx.SetConnectionClose()
	if errors.Is(err, fasthttp.ErrBodyTooLarge) {
		writeProblem(ctx, &resource.Problem{Code: resource.CodeValidation, Status: fasthttp.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("body must be at most %d bytes", s.cfg.MaxBodyBytes)})
		return
	}
	var to interface{ Timeout() bool }
	if errors.As(err, &to) && to.Timeout() {
		writeProblem(ctx, &resource.Problem{Code: resource.CodeValidation, Status: fasthttp.StatusRequestTimeout, Message: "request was not received in time"})
		return
	}
	writeProblem(ctx, &resource.Problem{Code: resource.CodeValidation, Message: "malformed HTTP request"})
}

// fasthttpLogger routes fasthttp's own messages to slog at debug level.
type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug("http_server", "detail", fmt.Sprintf(format, args...))
}

// ask sends msg to the actor at pid and waits, within the request
// timeout, for its answer.
func ask[T any](s *Server, pid *actor.PID, msg any) (T, error) {
	return actors.Ask[T](s.sys.Root(), pid, msg, s.cfg.RequestTimeout)
}
