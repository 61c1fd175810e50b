package rest

import "slices"

// route is one endpoint: how it is served and how the OpenAPI document
// describes it. The router and the document are both built from this table,
// so neither can list an endpoint the other lacks.
type route struct {
	Method, Path string
	Summary      string
	Tag          string
	// Public routes need no API key.
	Public bool
	// Request names the components schema of the JSON body, if any.
	Request string
	// Responses maps success statuses to component schema names ("" for no
	// body). Error responses are added to the document for every route.
	Responses map[int]string
	// Form names the components schema of a form-encoded body, if any.
	Form string
	// ListOf marks a paginated list of the named schema.
	ListOf string
	// OpenAIErrors renders errors, the authentication failure included, in
	// OpenAI's shape {"error":{message,type,param,code}} so its SDKs parse them.
	OpenAIErrors bool
	// Doc, if set, completes the operation's OpenAPI description (non-JSON
	// bodies, extra parameters) after it is built from the fields above.
	Doc    func(op map[string]any)
	Handle handlerFunc
}

// routes gathers every area's routes; each area keeps its own in its file.
func routes() []route {
	return slices.Concat(systemRoutes(), agentRoutes(), keyRoutes(), sessionRoutes(), conversationRoutes(), speechRoutes(), openaiRoutes(), collectionRoutes(), toolRoutes(), instanceRoutes(), chatRoutes())
}

func systemRoutes() []route {
	return []route{
		{Method: "GET", Path: "/health", Summary: "Health check", Tag: "System", Public: true,
			Responses: map[int]string{200: "Health"}, Handle: (*Server).health},
		{Method: "GET", Path: "/ready", Summary: "Readiness check", Tag: "System", Public: true,
			Responses: map[int]string{200: "Health"}, Handle: (*Server).readiness},
		{Method: "GET", Path: "/openapi.json", Summary: "OpenAPI document", Tag: "System", Public: true,
			Responses: map[int]string{200: "OpenAPIDocument"}, Handle: (*Server).openapi},
		{Method: "GET", Path: "/v1", Summary: "API version and endpoint listing", Tag: "System",
			Responses: map[int]string{200: "APIIndex"}, Handle: (*Server).index},
		{Method: "GET", Path: "/metrics", Summary: "Prometheus metrics (text exposition format)", Tag: "System",
			Responses: map[int]string{200: "Metrics"}, Handle: (*Server).metrics},
	}
}

func agentRoutes() []route {
	return []route{
		{Method: "POST", Path: "/v1/agents", Summary: "Create agent", Tag: "Agents",
			Request: "AgentInput", Responses: map[int]string{201: "Agent"}, Handle: (*Server).createAgent},
		{Method: "GET", Path: "/v1/agents", Summary: "List agents", Tag: "Agents",
			ListOf: "Agent", Handle: (*Server).listAgents},
		{Method: "POST", Path: "/v1/agents/provision", Summary: "Provision agent + collection", Tag: "Agents",
			Request: "ProvisionInput", Responses: map[int]string{201: "Provisioned"}, Handle: (*Server).provisionAgent},
		{Method: "GET", Path: "/v1/agents/{id}", Summary: "Get agent", Tag: "Agents",
			Responses: map[int]string{200: "Agent"}, Handle: (*Server).getAgent},
		{Method: "PUT", Path: "/v1/agents/{id}", Summary: "Update agent (fields present replace stored ones)", Tag: "Agents",
			Request: "AgentUpdate", Responses: map[int]string{200: "Agent"}, Handle: (*Server).updateAgent},
		{Method: "DELETE", Path: "/v1/agents/{id}", Summary: "Delete agent", Tag: "Agents",
			Responses: map[int]string{204: ""}, Handle: (*Server).deleteAgent},
	}
}

func keyRoutes() []route {
	return []route{
		{Method: "POST", Path: "/v1/keys", Summary: "Create API key", Tag: "Keys",
			Request: "KeyInput", Responses: map[int]string{201: "KeyWithSecret"}, Handle: (*Server).createKey},
		{Method: "GET", Path: "/v1/keys", Summary: "List keys", Tag: "Keys",
			ListOf: "Key", Handle: (*Server).listKeys},
		{Method: "DELETE", Path: "/v1/keys/{id}", Summary: "Revoke key", Tag: "Keys",
			Responses: map[int]string{204: ""}, Handle: (*Server).revokeKey},
		{Method: "POST", Path: "/v1/keys/{id}/rotate", Summary: "Rotate key", Tag: "Keys",
			Responses: map[int]string{200: "KeyWithSecret"}, Handle: (*Server).rotateKey},
	}
}
