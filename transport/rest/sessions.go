package rest

import (
	"net/url"
	"strings"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

	"github.com/switchboard-voice/switchboard/actors/agent"
	"github.com/switchboard-voice/switchboard/actors/instance"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/transport/twilio"
	"github.com/switchboard-voice/switchboard/transport/voice"
)

// streamTokenTTL is how long Twilio has to open the media stream after the
// webhook answered.
const streamTokenTTL = 2 * time.Minute

func sessionRoutes() []route {
	return []route{
		{Method: "POST", Path: "/v1/sessions/twilio", Summary: "Twilio voice webhook: answers TwiML that connects the call's media stream",
			Tag: "Sessions", Public: true, Responses: map[int]string{200: "TwiML", 403: "Error"}, Form: "TwilioWebhook",
			Handle: (*Server).twilioWebhook},
		{Method: "GET", Path: "/v1/sessions/twilio/stream", Summary: "Twilio Media Streams WebSocket (authenticated by the signed token of the TwiML)",
			Tag: "Sessions", Public: true, Responses: map[int]string{101: ""}, Handle: (*Server).twilioStream},
		{Method: "GET", Path: "/v1/agents/{id}/session", Summary: "Direct agent WebSocket: JSON control messages and binary PCM16 or Opus audio (docs/direct-protocol.md); the API key may be sent as the subprotocol bearer.<key>",
			Tag: "Sessions", Public: true, Responses: map[int]string{101: ""}, Handle: (*Server).agentSession},
	}
}

// hijacked is the answer of a handler that took over the connection.
type hijacked struct{}

var upgrader = websocket.FastHTTPUpgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	// Twilio and API clients are not browsers; the direct protocol checks
	// its API key instead of the origin.
	CheckOrigin: func(*fasthttp.RequestCtx) bool { return true },
}

// requestURL rebuilds the URL Twilio requested, from the public URL when one
// is configured (behind a proxy the Host header is not Twilio's).
func (s *Server) requestURL(ctx *fasthttp.RequestCtx) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/") + string(ctx.RequestURI())
	}
	scheme := "http"
	if ctx.IsTLS() || string(ctx.Request.Header.Peek("X-Forwarded-Proto")) == "https" {
		scheme = "https"
	}
	return scheme + "://" + string(ctx.Host()) + string(ctx.RequestURI())
}

// streamURL is the wss:// URL of the media stream on this server.
func (s *Server) streamURL(ctx *fasthttp.RequestCtx) string {
	host := string(ctx.Host())
	if s.cfg.PublicURL != "" {
		if u, err := url.Parse(s.cfg.PublicURL); err == nil {
			host = u.Host + strings.TrimRight(u.Path, "/")
		}
	}
	return "wss://" + host + "/v1/sessions/twilio/stream"
}

func twiml(body []byte) rawBody { return rawBody{ContentType: twilio.ContentType, Body: body} }

func (s *Server) twilioWebhook(c *call) (int, any, error) {
	ctx := c.ctx
	form := url.Values{}
	ctx.PostArgs().VisitAll(func(k, v []byte) { form.Add(string(k), string(v)) })
	if s.cfg.TwilioAuthToken != "" {
		sig := string(ctx.Request.Header.Peek(twilio.SignatureHeader))
		if !twilio.Valid(s.cfg.TwilioAuthToken, sig, s.requestURL(ctx), form) {
			return 0, nil, &resource.Problem{Code: resource.CodeUnauthorized, Message: "invalid Twilio signature", Status: fasthttp.StatusForbidden}
		}
	}
	notInService := twiml(twilio.SayHangup("This number is not in service. Goodbye."))
	route, err := s.routeCall(string(ctx.QueryArgs().Peek("instanceId")), string(ctx.QueryArgs().Peek("agentId")), form.Get("To"))
	if err != nil {
		if p := resource.AsProblem(err); p != nil && p.Code == resource.CodeNotFound {
			return fasthttp.StatusOK, notInService, nil
		}
		return 0, nil, err
	}
	if route.paused {
		return fasthttp.StatusOK, twiml(twilio.SayHangup("This line is not available right now.")), nil
	}
	token := twilio.NewToken(s.cfg.TokenSecret, twilio.Claims{
		OrgID: route.orgID, AgentID: route.agentID, InstanceID: route.instanceID,
		CallSID: form.Get("CallSid"), From: form.Get("From"), To: form.Get("To"),
	}, streamTokenTTL, time.Now())
	params := map[string]string{twilio.TokenParam: token, "agentId": route.agentID}
	if route.instanceID != "" {
		params["instanceId"] = route.instanceID
	}
	body, err := twilio.ConnectStream(s.streamURL(ctx), params)
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, twiml(body), nil
}

// callRoute is where an inbound call goes.
type callRoute struct {
	orgID, agentID, instanceID string
	paused                     bool
}

// routeCall picks the call's agent: the instance named by the webhook URL,
// else the agent it names, else the instance that owns the called number.
// Anything that cannot be found is NOT_FOUND.
func (s *Server) routeCall(instanceID, agentID, to string) (callRoute, error) {
	var lookup *instance.Lookup
	switch {
	case instanceID != "":
		if !resource.ValidID(resource.PrefixInstance, instanceID) {
			return callRoute{}, resource.NotFound("instance")
		}
		lookup = &instance.Lookup{ID: instanceID}
	case agentID != "":
		if !resource.ValidID(resource.PrefixAgent, agentID) {
			return callRoute{}, resource.NotFound("agent")
		}
	default:
		if !instance.ValidNumber(to) {
			return callRoute{}, resource.NotFound("instance")
		}
		lookup = &instance.Lookup{Number: to}
	}
	var r callRoute
	if lookup != nil {
		inst, err := ask[*instance.Instance](s, s.sys.Instances, lookup)
		if err != nil {
			return callRoute{}, err
		}
		r = callRoute{orgID: inst.OrganizationID, agentID: inst.AgentID, instanceID: inst.ID, paused: inst.Status == instance.StatusPaused}
		agentID = inst.AgentID
	}
	// The agent must still exist, in the instance's organization.
	loc, err := ask[*agent.Located](s, s.sys.Agents, &agent.Locate{ID: agentID})
	if err != nil {
		return callRoute{}, err
	}
	if r.orgID != "" && loc.OrgID != r.orgID {
		return callRoute{}, resource.NotFound("agent")
	}
	r.orgID, r.agentID = loc.OrgID, agentID
	return r, nil
}

func (s *Server) twilioStream(c *call) (int, any, error) {
	if !websocket.FastHTTPIsWebSocketUpgrade(c.ctx) {
		return 0, nil, resource.Invalid(resource.FieldError{Field: "Upgrade", Message: "a WebSocket upgrade is required"})
	}
	if err := upgrader.Upgrade(c.ctx, s.voice.ServeTwilio); err != nil {
		return 0, nil, resource.Invalid(resource.FieldError{Field: "Upgrade", Message: "WebSocket handshake failed"})
	}
	return 0, hijacked{}, nil
}

var directUpgrader = websocket.FastHTTPUpgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	Subprotocols:    []string{voice.Subprotocol},
	CheckOrigin:     func(*fasthttp.RequestCtx) bool { return true },
}

// bearerProtocol carries an API key in Sec-WebSocket-Protocol for browsers.
const bearerProtocol = "bearer."

// agentSession opens the direct protocol. It authenticates itself: a
// browser cannot send an Authorization header on a WebSocket, so the key
// may come as the subprotocol "bearer.<key>" instead.
func (s *Server) agentSession(c *call) (int, any, error) {
	ctx := c.ctx
	if !websocket.FastHTTPIsWebSocketUpgrade(ctx) {
		return 0, nil, resource.Invalid(resource.FieldError{Field: "Upgrade", Message: "a WebSocket upgrade is required"})
	}
	for _, p := range strings.Split(string(ctx.Request.Header.Peek("Sec-WebSocket-Protocol")), ",") {
		if key, ok := strings.CutPrefix(strings.TrimSpace(p), bearerProtocol); ok && len(ctx.Request.Header.Peek("Authorization")) == 0 {
			ctx.Request.Header.Set("Authorization", "Bearer "+key)
		}
	}
	who, p := s.authenticate(ctx)
	if p != nil {
		return 0, nil, p
	}
	if who.RetryAfter > 0 {
		return 0, nil, &resource.Problem{Code: resource.CodeRateLimited, Message: "rate limit exceeded; retry later"}
	}
	id, p := pathID(ctx, "id", resource.PrefixAgent, "agent")
	if p != nil {
		return 0, nil, p
	}
	ag, err := ask[*resource.Agent](s, s.sys.Agents, &agent.Get{OrgID: who.OrgID, ID: id})
	if err != nil {
		return 0, nil, err
	}
	orgID := who.OrgID
	if err := directUpgrader.Upgrade(ctx, func(conn *websocket.Conn) { s.voice.ServeDirect(conn, orgID, ag) }); err != nil {
		return 0, nil, resource.Invalid(resource.FieldError{Field: "Upgrade", Message: "WebSocket handshake failed"})
	}
	return 0, hijacked{}, nil
}
