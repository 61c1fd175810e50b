package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/switchboard-voice/switchboard/actors/agent"
	"github.com/switchboard-voice/switchboard/actors/tool"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/toolrun"
)

func toolRoutes() []route {
	return []route{
		{Method: "POST", Path: "/v1/agents/{id}/tools", Summary: "Create a tool of an agent", Tag: "Tools",
			Request: "ToolInput", Responses: map[int]string{201: "Tool"}, Handle: (*Server).createTool},
		{Method: "GET", Path: "/v1/agents/{id}/tools", Summary: "List an agent's tools", Tag: "Tools",
			ListOf: "Tool", Handle: (*Server).listTools},
		{Method: "POST", Path: "/v1/agents/{id}/tools/discover-mcp", Summary: "List an MCP server's tools (and import them)", Tag: "Tools",
			Request: "DiscoverMCPInput", Responses: map[int]string{200: "DiscoverMCPResult"}, Handle: (*Server).discoverMCP},
		{Method: "GET", Path: "/v1/agents/{id}/tools/{toolId}", Summary: "Get a tool", Tag: "Tools",
			Responses: map[int]string{200: "Tool"}, Handle: (*Server).getTool},
		{Method: "PUT", Path: "/v1/agents/{id}/tools/{toolId}", Summary: "Update a tool (fields present replace stored ones)", Tag: "Tools",
			Request: "ToolUpdate", Responses: map[int]string{200: "Tool"}, Handle: (*Server).updateTool},
		{Method: "DELETE", Path: "/v1/agents/{id}/tools/{toolId}", Summary: "Delete a tool", Tag: "Tools",
			Responses: map[int]string{204: ""}, Handle: (*Server).deleteTool},
		{Method: "POST", Path: "/v1/agents/{id}/tools/{toolId}/test", Summary: "Run a tool with given arguments", Tag: "Tools",
			Request: "ToolTestInput", Responses: map[int]string{200: "ToolTestResult"}, Handle: (*Server).testTool},
	}
}

// toolAgent returns the agent ID of the path after checking that the
// agent exists in the caller's organization: another organization's agent
// is NOT_FOUND on every tools route.
func (s *Server) pathAgent(c *call) (string, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixAgent, "agent")
	if p != nil {
		return "", p
	}
	if _, err := ask[*resource.Agent](s, s.sys.Agents, &agent.Get{OrgID: c.who.OrgID, ID: id}); err != nil {
		return "", err
	}
	return id, nil
}

func (s *Server) createTool(c *call) (int, any, error) {
	agentID, err := s.pathAgent(c)
	if err != nil {
		return 0, nil, err
	}
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	var in tool.SpecInput
	if p := resource.DecodeValid(body, &in); p != nil {
		return 0, nil, p
	}
	res, err := ask[*tool.Created](s, s.sys.Tools, &tool.Create{OrgID: c.who.OrgID, AgentID: agentID, Specs: []toolrun.Spec{toolrun.Spec(in)}})
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusCreated, res.Items[0].Masked(), nil
}

func (s *Server) listTools(c *call) (int, any, error) {
	agentID, err := s.pathAgent(c)
	if err != nil {
		return 0, nil, err
	}
	pg, p := pageParams(c.ctx, resource.PrefixTool)
	if p != nil {
		return 0, nil, p
	}
	res, err := ask[*tool.ListResult](s, s.sys.Tools, &tool.List{OrgID: c.who.OrgID, AgentID: agentID, After: pg.After, Limit: pg.Limit})
	if err != nil {
		return 0, nil, err
	}
	items := make([]tool.Tool, len(res.Items))
	for i, t := range res.Items {
		items[i] = t.Masked()
	}
	return fasthttp.StatusOK, newList(items, res.Next, res.HasMore), nil
}

// childPath returns the agent's ID and the ID of one of its resources
// (a tool, an instance) from the path, after checking that the agent is
// the caller's organization's.
func (s *Server) childPath(c *call, param, prefix, kind string) (agentID, id string, err error) {
	if agentID, err = s.pathAgent(c); err != nil {
		return "", "", err
	}
	id, p := pathID(c.ctx, param, prefix, kind)
	if p != nil {
		return "", "", p
	}
	return agentID, id, nil
}

func (s *Server) getTool(c *call) (int, any, error) {
	agentID, toolID, err := s.childPath(c, "toolId", resource.PrefixTool, "tool")
	if err != nil {
		return 0, nil, err
	}
	t, err := ask[*tool.Tool](s, s.sys.Tools, &tool.Get{OrgID: c.who.OrgID, AgentID: agentID, ID: toolID})
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, t.Masked(), nil
}

func (s *Server) updateTool(c *call) (int, any, error) {
	agentID, toolID, err := s.childPath(c, "toolId", resource.PrefixTool, "tool")
	if err != nil {
		return 0, nil, err
	}
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	t, err := ask[*tool.Tool](s, s.sys.Tools, &tool.Update{OrgID: c.who.OrgID, AgentID: agentID, ID: toolID, Patch: body})
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, t.Masked(), nil
}

func (s *Server) deleteTool(c *call) (int, any, error) {
	agentID, toolID, err := s.childPath(c, "toolId", resource.PrefixTool, "tool")
	if err != nil {
		return 0, nil, err
	}
	_, err = ask[*tool.Deleted](s, s.sys.Tools, &tool.Delete{OrgID: c.who.OrgID, AgentID: agentID, ID: toolID})
	return fasthttp.StatusNoContent, nil, err
}

// toolTestInput is the body of POST …/tools/{toolId}/test.
type toolTestInput struct {
	Arguments json.RawMessage `json:"arguments"`
}

// Validate requires the arguments, when present, to be an object.
func (in *toolTestInput) Validate() *resource.Problem {
	a := bytes.TrimSpace(in.Arguments)
	if len(a) == 0 || string(a) == "null" {
		in.Arguments = json.RawMessage(`{}`)
		return nil
	}
	if a[0] != '{' {
		return resource.Invalid(resource.FieldError{Field: "arguments", Message: "must be an object"})
	}
	return nil
}

// toolTestResult is the answer of a tool test: the tool's failure is data,
// not an error of the request.
type toolTestResult struct {
	OK        bool            `json:"ok"`
	Output    json.RawMessage `json:"output"`
	LatencyMs float64         `json:"latencyMs"`
	Error     *string         `json:"error"`
}

func (s *Server) testTool(c *call) (int, any, error) {
	agentID, toolID, err := s.childPath(c, "toolId", resource.PrefixTool, "tool")
	if err != nil {
		return 0, nil, err
	}
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	var in toolTestInput
	if p := resource.DecodeValid(body, &in); p != nil {
		return 0, nil, p
	}
	a, err := s.runtime().Load(c.who.OrgID, agentID)
	if err != nil {
		return 0, nil, err
	}
	i := slices.IndexFunc(a.Tools, func(t tool.Tool) bool { return t.ID == toolID })
	if i < 0 {
		return 0, nil, resource.NotFound("tool")
	}
	ctx, cancel := context.WithTimeout(context.Background(), toolrun.MaxTimeout+5*time.Second)
	defer cancel()
	start := time.Now()
	out, err := a.Runner(noSignals).Test(ctx, &a.Tools[i], in.Arguments)
	res := toolTestResult{OK: err == nil, Output: out, LatencyMs: float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		msg := err.Error()
		res.Error = &msg
		res.Output = json.RawMessage("null")
	}
	return fasthttp.StatusOK, res, nil
}

// ---- MCP discovery ----

// discoverInput is the body of POST …/tools/discover-mcp.
type discoverInput struct {
	ServerURL string            `json:"serverUrl"`
	Headers   map[string]string `json:"headers"`
	Import    bool              `json:"import"`
	// ToolNames limits an import to these server tools.
	ToolNames []string `json:"toolNames"`
	TimeoutMs int      `json:"timeoutMs"`
}

// Validate checks the URL and headers with the rules of an MCP tool.
func (in *discoverInput) Validate() *resource.Problem {
	spec := toolrun.Spec{Name: "discover", Type: toolrun.TypeMCP,
		MCP: &toolrun.MCP{ServerURL: in.ServerURL, ToolName: "discover", Headers: in.Headers, TimeoutMs: in.TimeoutMs}}
	var errs []resource.FieldError
	for _, e := range spec.Validate("") {
		switch e.Field {
		case "mcp.serverUrl":
			e.Field = "serverUrl"
		case "mcp.timeoutMs":
			e.Field = "timeoutMs"
		default:
			if h, ok := strings.CutPrefix(e.Field, "mcp.headers"); ok {
				e.Field = "headers" + h
			}
		}
		errs = append(errs, e)
	}
	in.TimeoutMs = spec.MCP.TimeoutMs
	if len(in.ToolNames) > 0 && !in.Import {
		errs = append(errs, resource.FieldError{Field: "toolNames", Message: "is only used with import: true"})
	}
	if len(errs) > 0 {
		return resource.Invalid(errs...)
	}
	return nil
}

type skippedTool struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

type discoverResult struct {
	ServerURL string            `json:"serverUrl"`
	Transport string            `json:"transport"`
	Tools     []toolrun.MCPTool `json:"tools"`
	Imported  []tool.Tool       `json:"imported"`
	Skipped   []skippedTool     `json:"skipped"`
}

// toolNameRE finds characters a tool name may not hold.
var toolNameRE = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func (s *Server) discoverMCP(c *call) (int, any, error) {
	agentID, err := s.pathAgent(c)
	if err != nil {
		return 0, nil, err
	}
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	var in discoverInput
	if p := resource.DecodeValid(body, &in); p != nil {
		return 0, nil, p
	}
	timeout := time.Duration(in.TimeoutMs) * time.Millisecond
	listed, transport, err := s.toolRunner().ListMCP(context.Background(), in.ServerURL, in.Headers, timeout)
	if err != nil {
		return 0, nil, mcpProblem(err)
	}
	res := discoverResult{ServerURL: in.ServerURL, Transport: transport, Tools: listed, Imported: []tool.Tool{}, Skipped: []skippedTool{}}
	if res.Tools == nil {
		res.Tools = []toolrun.MCPTool{}
	}
	if !in.Import {
		return fasthttp.StatusOK, res, nil
	}
	var specs []toolrun.Spec
	var missing []resource.FieldError
	for i, name := range in.ToolNames {
		if !slices.ContainsFunc(listed, func(t toolrun.MCPTool) bool { return t.Name == name }) {
			missing = append(missing, resource.FieldError{Field: "toolNames[" + strconv.Itoa(i) + "]", Message: "the server has no tool " + strconv.Quote(name)})
		}
	}
	if len(missing) > 0 {
		return 0, nil, resource.Invalid(missing...)
	}
	for _, t := range listed {
		if len(in.ToolNames) > 0 && !slices.Contains(in.ToolNames, t.Name) {
			continue
		}
		name := toolNameRE.ReplaceAllString(t.Name, "_")
		if len(name) > 64 {
			name = name[:64]
		}
		desc := t.Description
		if r := []rune(desc); len(r) > 2000 {
			desc = string(r[:2000])
		}
		spec := toolrun.Spec{Name: name, Description: desc, Type: toolrun.TypeMCP, Parameters: t.InputSchema,
			MCP: &toolrun.MCP{ServerURL: in.ServerURL, ToolName: t.Name, Headers: in.Headers, TimeoutMs: in.TimeoutMs}}
		if errs := spec.Validate(""); len(errs) > 0 {
			res.Skipped = append(res.Skipped, skippedTool{Name: t.Name, Reason: errs[0].Field + ": " + errs[0].Message})
			continue
		}
		specs = append(specs, spec)
	}
	if len(specs) > 0 {
		created, err := ask[*tool.Created](s, s.sys.Tools, &tool.Create{OrgID: c.who.OrgID, AgentID: agentID, Specs: specs, Field: "tools"})
		if err != nil {
			return 0, nil, err
		}
		for _, t := range created.Items {
			res.Imported = append(res.Imported, t.Masked())
		}
	}
	return fasthttp.StatusOK, res, nil
}

// mcpProblem maps a failed discovery: a refused address is the client's
// mistake (400), anything else is the MCP server's (502).
func mcpProblem(err error) error {
	var te *toolrun.Error
	if !errors.As(err, &te) {
		return err
	}
	if errors.Is(err, toolrun.ErrForbidden) {
		return resource.Invalid(resource.FieldError{Field: "serverUrl", Message: te.Message})
	}
	return &resource.Problem{Code: resource.CodeProviderUnavailable, Message: fmt.Sprintf("MCP server: %s", te.Message)}
}
