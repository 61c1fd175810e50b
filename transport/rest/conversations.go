package rest

import (
	"context"
	"errors"

	"github.com/valyala/fasthttp"

	callactor "github.com/switchboard-voice/switchboard/actors/call"
	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
)

// Conversations, traces and recordings are written once, when a session
// ends, and never change: reading them is a plain storage read with no
// owning actor to ask.

func conversationRoutes() []route {
	return []route{
		{Method: "GET", Path: "/v1/conversations", Summary: "List conversations", Tag: "Conversations",
			ListOf: "Conversation", Handle: (*Server).listConversations},
		{Method: "GET", Path: "/v1/conversations/{id}", Summary: "Get conversation detail", Tag: "Conversations",
			Responses: map[int]string{200: "Conversation"}, Handle: (*Server).getConversation},
		{Method: "GET", Path: "/v1/observability/sessions", Summary: "List session traces", Tag: "Conversations",
			ListOf: "SessionTrace", Handle: (*Server).listTraces},
		{Method: "GET", Path: "/v1/observability/sessions/{id}", Summary: "Get session detail: per-turn spans and interruptions", Tag: "Conversations",
			Responses: map[int]string{200: "SessionTrace"}, Handle: (*Server).getTrace},
		{Method: "GET", Path: "/v1/observability/calls/{callId}", Summary: "Get call detail: the telephony leg of a phone session", Tag: "Conversations",
			Responses: map[int]string{200: "Call"}, Handle: (*Server).getCall},
		{Method: "GET", Path: "/v1/recordings/{callId}", Summary: "Get call recording (stereo WAV: caller left, agent right)", Tag: "Conversations",
			Responses: map[int]string{200: "Recording"}, Handle: (*Server).getRecording},
	}
}

func (s *Server) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.cfg.RequestTimeout)
}

func (s *Server) listConversations(c *call) (int, any, error) {
	pg, p := pageParams(c.ctx, resource.PrefixConversation)
	if p != nil {
		return 0, nil, p
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	page, err := storage.ListJSON[resource.Conversation](ctx, s.store, session.ConversationPrefix(c.who.OrgID), pg.After, pg.Limit)
	if err != nil {
		return 0, nil, err
	}
	next := ""
	if page.HasMore {
		next = page.Last
	}
	return fasthttp.StatusOK, newList(page.Items, next, page.HasMore), nil
}

func (s *Server) getConversation(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixConversation, "conversation")
	if p != nil {
		return 0, nil, p
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	conv, err := storage.GetJSON[resource.Conversation](ctx, s.store, session.ConversationKey(c.who.OrgID, id))
	if errors.Is(err, storage.ErrNotFound) {
		return 0, nil, resource.NotFound("conversation")
	}
	return fasthttp.StatusOK, conv, err
}

func (s *Server) getRecording(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "callId", resource.PrefixCall, "recording")
	if p != nil {
		return 0, nil, p
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	wav, err := s.store.Get(ctx, session.RecordingKey(c.who.OrgID, id))
	if errors.Is(err, storage.ErrNotFound) {
		return 0, nil, resource.NotFound("recording")
	}
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, rawBody{ContentType: "audio/wav", Body: wav}, nil
}

func (s *Server) listTraces(c *call) (int, any, error) {
	pg, p := pageParams(c.ctx, resource.PrefixSession)
	if p != nil {
		return 0, nil, p
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	page, err := storage.ListJSON[resource.SessionTrace](ctx, s.store, session.TracePrefix(c.who.OrgID), pg.After, pg.Limit)
	if err != nil {
		return 0, nil, err
	}
	next := ""
	if page.HasMore {
		next = page.Last
	}
	return fasthttp.StatusOK, newList(page.Items, next, page.HasMore), nil
}

func (s *Server) getTrace(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixSession, "session")
	if p != nil {
		return 0, nil, p
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	tr, err := storage.GetJSON[resource.SessionTrace](ctx, s.store, session.TraceKey(c.who.OrgID, id))
	if errors.Is(err, storage.ErrNotFound) {
		return 0, nil, resource.NotFound("session")
	}
	return fasthttp.StatusOK, tr, err
}

func (s *Server) getCall(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "callId", resource.PrefixCall, "call")
	if p != nil {
		return 0, nil, p
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	rec, err := storage.GetJSON[resource.Call](ctx, s.store, callactor.Key(c.who.OrgID, id))
	if errors.Is(err, storage.ErrNotFound) {
		return 0, nil, resource.NotFound("call")
	}
	return fasthttp.StatusOK, rec, err
}
