package rest

import (
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"
)

// schemaFiles hold the document's component schemas and tag descriptions,
// one file per area of the API: {"tags": {name: description}, "schemas": {…}}.
//
//go:embed schemas/*.json
var schemaFiles embed.FS

type schemaFile struct {
	Tags    map[string]string `json:"tags"`
	Schemas map[string]any    `json:"schemas"`
}

// loadSchemas merges every schema file; a name defined twice is an error.
func loadSchemas() (schemas obj, tags map[string]string, err error) {
	schemas, tags = obj{}, map[string]string{}
	entries, err := schemaFiles.ReadDir("schemas")
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		raw, err := schemaFiles.ReadFile("schemas/" + e.Name())
		if err != nil {
			return nil, nil, err
		}
		var f schemaFile
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, nil, fmt.Errorf("rest: schemas/%s: %w", e.Name(), err)
		}
		for name, s := range f.Schemas {
			if _, dup := schemas[name]; dup {
				return nil, nil, fmt.Errorf("rest: schema %s is defined twice", name)
			}
			schemas[name] = s
		}
		maps.Copy(tags, f.Tags)
	}
	return schemas, tags, nil
}

type obj = map[string]any

// Document returns the OpenAPI 3.1 document, encoded.
func (s *Server) Document() []byte { return s.document }

// buildDocument builds the OpenAPI document from the route table.
func (s *Server) buildDocument() ([]byte, error) {
	schemas, tagDescriptions, err := loadSchemas()
	if err != nil {
		return nil, err
	}
	// An update takes the same fields as a create, none of them required.
	update := maps.Clone(schemas["AgentInput"].(obj))
	delete(update, "required")
	schemas["AgentUpdate"] = update

	paths := obj{}
	var tagList []obj
	for _, r := range s.routes {
		item, _ := paths[r.Path].(obj)
		if item == nil {
			item = obj{}
			paths[r.Path] = item
		}
		item[strings.ToLower(r.Method)] = s.operation(r)
		if !slices.ContainsFunc(tagList, func(t obj) bool { return t["name"] == r.Tag }) {
			desc, ok := tagDescriptions[r.Tag]
			if !ok {
				return nil, fmt.Errorf("rest: tag %s has no description in schemas/", r.Tag)
			}
			tagList = append(tagList, obj{"name": r.Tag, "description": desc})
		}
	}
	errorResponse := func(desc string) obj {
		return obj{"description": desc, "headers": obj{"X-Request-Id": obj{"$ref": "#/components/headers/RequestId"}},
			"content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Error"}}}}
	}
	rateLimited := errorResponse("Rate limit exceeded (RATE_LIMITED).")
	rateLimited["headers"] = obj{
		"X-Request-Id": obj{"$ref": "#/components/headers/RequestId"},
		"Retry-After":  obj{"description": "Seconds to wait before retrying.", "schema": obj{"type": "integer"}},
	}
	return json.Marshal(obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":       "Switchboard API",
			"version":     s.cfg.Version,
			"description": "Realtime voice agents: define agents over REST and talk to them over phone calls, WebSockets and chat. Lists take ?limit= (1–100, default 20) and ?cursor= and answer {data, nextCursor, hasMore}; errors are {code, message, requestId}.",
			"license":     obj{"name": "Apache-2.0", "identifier": "Apache-2.0"},
		},
		"servers":  []obj{{"url": "/", "description": "The server that serves this document."}},
		"security": []obj{{"bearer": []string{}}},
		"tags":     tagList,
		"paths":    paths,
		"components": obj{
			"schemas": schemas,
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer",
				"description": "An API key: Authorization: Bearer sb_live_…"}},
			"headers": obj{"RequestId": obj{"description": "Identifies the request in logs.", "schema": obj{"type": "string"}}},
			"parameters": obj{
				"limit": obj{"name": "limit", "in": "query", "description": "Page size.",
					"schema": obj{"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
				"cursor": obj{"name": "cursor", "in": "query", "description": "The nextCursor of the previous page.",
					"schema": obj{"type": "string"}},
			},
			"responses": obj{
				"BadRequest":   errorResponse("The request is invalid (VALIDATION_ERROR), with per-field details."),
				"Unauthorized": errorResponse("No valid API key (UNAUTHORIZED)."),
				"NotFound":     errorResponse("No such resource in this organization (NOT_FOUND)."),
				"TooLarge":     errorResponse("The body is over the size limit (VALIDATION_ERROR)."),
				"RateLimited":  rateLimited,
				"Internal":     errorResponse("An unexpected failure (INTERNAL_ERROR)."),
				"NotReady":     errorResponse("Storage or actors are not up yet, or the server is draining."),
			},
		},
	})
}

func (s *Server) operation(r route) obj {
	op := obj{
		"operationId": operationID(r.Method, r.Path),
		"summary":     r.Summary,
		"tags":        []string{r.Tag},
	}
	if r.Public {
		op["security"] = []obj{}
	}
	var params []obj
	for _, seg := range strings.Split(r.Path, "/") {
		if strings.HasPrefix(seg, "{") {
			name := strings.Trim(seg, "{}")
			params = append(params, obj{"name": name, "in": "path", "required": true, "schema": obj{"type": "string"}})
		}
	}
	responses := obj{}
	for status, schema := range r.Responses {
		resp := obj{"description": descriptionOf(status), "headers": obj{"X-Request-Id": obj{"$ref": "#/components/headers/RequestId"}}}
		if schema != "" {
			resp["content"] = obj{mediaTypeOf(schema): obj{"schema": obj{"$ref": "#/components/schemas/" + schema}}}
		}
		responses[strconv.Itoa(status)] = resp
	}
	if r.ListOf != "" {
		params = append(params, obj{"$ref": "#/components/parameters/limit"}, obj{"$ref": "#/components/parameters/cursor"})
		responses["200"] = obj{
			"description": "A page of results.",
			"headers":     obj{"X-Request-Id": obj{"$ref": "#/components/headers/RequestId"}},
			"content": obj{"application/json": obj{"schema": obj{
				"type":     "object",
				"required": []string{"data", "nextCursor", "hasMore"},
				"properties": obj{
					"data":       obj{"type": "array", "items": obj{"$ref": "#/components/schemas/" + r.ListOf}},
					"nextCursor": obj{"type": []string{"string", "null"}},
					"hasMore":    obj{"type": "boolean"},
				},
			}}},
		}
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if r.Form != "" {
		op["requestBody"] = obj{"required": true, "content": obj{"application/x-www-form-urlencoded": obj{
			"schema": obj{"$ref": "#/components/schemas/" + r.Form}}}}
	}
	if r.Request != "" {
		op["requestBody"] = obj{"required": true, "content": obj{"application/json": obj{
			"schema": obj{"$ref": "#/components/schemas/" + r.Request}}}}
		responses["413"] = obj{"$ref": "#/components/responses/TooLarge"}
	}
	// Any request can be malformed at the HTTP level, and then gets a 400.
	responses["400"] = obj{"$ref": "#/components/responses/BadRequest"}
	if !r.Public {
		responses["401"] = obj{"$ref": "#/components/responses/Unauthorized"}
		responses["429"] = obj{"$ref": "#/components/responses/RateLimited"}
	}
	if len(params) > 0 && strings.Contains(r.Path, "{") {
		responses["404"] = obj{"$ref": "#/components/responses/NotFound"}
	}
	if r.Path == "/ready" {
		responses["503"] = obj{"$ref": "#/components/responses/NotReady"}
	}
	responses["500"] = obj{"$ref": "#/components/responses/Internal"}
	op["responses"] = responses
	if r.Doc != nil {
		r.Doc(op)
	}
	return op
}

// mediaTypeOf names the content type of a response schema; most are JSON.
func mediaTypeOf(schema string) string {
	switch schema {
	case "TwiML":
		return "text/xml"
	case "Recording":
		return "audio/wav"
	case "Metrics":
		return "text/plain"
	}
	return "application/json"
}

func descriptionOf(status int) string {
	switch status {
	case 101:
		return "Switching Protocols: the connection is now a WebSocket."
	case 403:
		return "Forbidden."
	case 201:
		return "Created."
	case 204:
		return "Done; no content."
	default:
		return "Success."
	}
}

// operationID turns "GET /v1/agents/{id}" into "getV1AgentsId".
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '{' || r == '}' || r == '-' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func (s *Server) openapi(*call) (int, any, error) {
	return fasthttp.StatusOK, rawBody{ContentType: "application/json", Body: s.document}, nil
}
