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

// listStored pages through records of one kind under an organization's
// key prefix; cursors are the records' IDs.
func listStored[T any](s *Server, c *call, idPrefix, keyPrefix string) (int, any, error) {
	pg, p := pageParams(c.ctx, idPrefix)
	if p != nil {
		return 0, nil, p
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	page, err := storage.ListJSON[T](ctx, s.store, keyPrefix, pg.After, pg.Limit)
	if err != nil {
		return 0, nil, err
	}
	next := ""
	if page.HasMore {
		next = page.Last
	}
	return fasthttp.StatusOK, newList(page.Items, next, page.HasMore), nil
}

// getStored reads the record whose ID is path parameter param; key maps
// (organization, ID) to its storage key.
func getStored[T any](s *Server, c *call, param, idPrefix, kind string, key func(orgID, id string) string) (int, any, error) {
	id, p := pathID(c.ctx, param, idPrefix, kind)
	if p != nil {
		return 0, nil, p
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	v, err := storage.GetJSON[T](ctx, s.store, key(c.who.OrgID, id))
	if errors.Is(err, storage.ErrNotFound) {
		return 0, nil, resource.NotFound(kind)
	}
	return fasthttp.StatusOK, v, err
}

func (s *Server) listConversations(c *call) (int, any, error) {
	return listStored[resource.Conversation](s, c, resource.PrefixConversation, session.ConversationPrefix(c.who.OrgID))
}

func (s *Server) getConversation(c *call) (int, any, error) {
	return getStored[resource.Conversation](s, c, "id", resource.PrefixConversation, "conversation", session.ConversationKey)
}

func (s *Server) listTraces(c *call) (int, any, error) {
	return listStored[resource.SessionTrace](s, c, resource.PrefixSession, session.TracePrefix(c.who.OrgID))
}

func (s *Server) getTrace(c *call) (int, any, error) {
	return getStored[resource.SessionTrace](s, c, "id", resource.PrefixSession, "session", session.TraceKey)
}

func (s *Server) getCall(c *call) (int, any, error) {
	return getStored[resource.Call](s, c, "callId", resource.PrefixCall, "call", callactor.Key)
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
