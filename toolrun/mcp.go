package toolrun

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MCP transports, as Discover reports them.
const (
	TransportStreamable = "streamable-http"
	TransportSSE        = "sse"
)

// MCPTool is a tool an MCP server offers (tools/list).
type MCPTool struct {
	Name        string          `json:"name"`
	Title       string          `json:"title,omitempty"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"inputSchema"`
}

// maxMCPTools bounds a listing, in case a server pages forever.
const maxMCPTools = 500

// ListMCP lists the tools of the MCP server at serverURL (tools/list,
// every page) and names the transport that reached it.
func (r *Runner) ListMCP(ctx context.Context, serverURL string, headers map[string]string, timeout time.Duration) ([]MCPTool, string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cs, transport, err := r.connectMCP(ctx, serverURL, headers, timeout)
	if err != nil {
		return nil, "", err
	}
	defer cs.Close()
	var out []MCPTool
	for t, err := range cs.Tools(ctx, nil) {
		if err != nil {
			return nil, "", mcpError(ctx, err, timeout)
		}
		schema, err := json.Marshal(t.InputSchema)
		if err != nil || string(schema) == "null" {
			schema = emptyObject
		}
		out = append(out, MCPTool{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: schema})
		if len(out) == maxMCPTools {
			break
		}
	}
	return out, transport, nil
}

// CallMCP calls m's tool with args (already validated). A result marked
// isError is an ErrToolFailed carrying the tool's text. A session the
// server has forgotten (HTTP 400 or 404 on a known session) is opened
// again once.
func (r *Runner) CallMCP(ctx context.Context, m *MCP, args json.RawMessage) (json.RawMessage, error) {
	timeout := m.Timeout()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var arguments map[string]any
	if err := json.Unmarshal(args, &arguments); err != nil && len(args) > 0 {
		return nil, &ArgumentsError{Violations: []Violation{{Message: "arguments must be a JSON object"}}}
	}
	for attempt := 0; ; attempt++ {
		cs, _, err := r.connectMCP(ctx, m.ServerURL, m.Headers, timeout)
		if err != nil {
			return nil, err
		}
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: m.ToolName, Arguments: arguments})
		_ = cs.Close()
		if err != nil {
			if errors.Is(err, mcp.ErrSessionMissing) && attempt == 0 {
				continue
			}
			return nil, mcpError(ctx, err, timeout)
		}
		return mcpOutput(res)
	}
}

// connectMCP opens a session: streamable HTTP first, then the legacy SSE
// transport when the server refuses the first (a URL ending in /sse tries
// SSE first). Sessions last one call: a phone turn makes few tool calls,
// and a fresh session never meets a server that restarted meanwhile.
func (r *Runner) connectMCP(ctx context.Context, serverURL string, headers map[string]string, timeout time.Duration) (*mcp.ClientSession, string, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, "", &Error{Kind: ErrUnreachable, Message: "the MCP server URL must be an http or https URL"}
	}
	hc := &http.Client{
		Transport:     headerTransport{next: r.client.Transport, headers: headers},
		CheckRedirect: r.client.CheckRedirect,
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "switchboard", Version: "1"}, nil)
	streamable := func() (*mcp.ClientSession, error) {
		return client.Connect(ctx, &mcp.StreamableClientTransport{
			Endpoint: serverURL, HTTPClient: hc, MaxRetries: -1, DisableStandaloneSSE: true, MaxEventSize: MaxResponseBytes,
		}, nil)
	}
	sse := func() (*mcp.ClientSession, error) {
		return client.Connect(ctx, &mcp.SSEClientTransport{Endpoint: serverURL, HTTPClient: hc, MaxEventSize: MaxResponseBytes}, nil)
	}
	order := []struct {
		name    string
		connect func() (*mcp.ClientSession, error)
	}{{TransportStreamable, streamable}, {TransportSSE, sse}}
	if strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/sse") {
		order[0], order[1] = order[1], order[0]
	}
	var first error
	for _, t := range order {
		cs, err := t.connect()
		if err == nil {
			return cs, t.name, nil
		}
		e := mcpError(ctx, err, timeout)
		if first == nil {
			first = e
		}
		// Refused addresses, timeouts and cancellation would fail the same
		// way over the other transport.
		if errors.Is(e, ErrForbidden) || errors.Is(e, ErrTimeout) || ctx.Err() != nil {
			return nil, "", e
		}
	}
	return nil, "", first
}

// headerTransport adds a tool's configured headers to every request the
// MCP client makes.
type headerTransport struct {
	next    http.RoundTripper
	headers map[string]string
}

func (h headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if len(h.headers) > 0 {
		req = req.Clone(req.Context())
		for k, v := range h.headers {
			req.Header.Set(k, v)
		}
	}
	return h.next.RoundTrip(req)
}

// mcpError classifies a client error; like transportError it keeps URLs
// and headers out of the message.
func mcpError(ctx context.Context, err error, timeout time.Duration) error {
	var te *Error
	if errors.As(err, &te) {
		return te
	}
	var we *jsonrpc.Error
	if errors.As(err, &we) {
		// The server's own words (unknown tool, bad params): keep them short.
		return &Error{Kind: ErrToolFailed, Message: "the MCP server refused the request: " + textSnippet([]byte(we.Message), 200)}
	}
	if e := transportError(ctx, err, timeout); !errors.Is(e, ErrUnreachable) || isNetError(err) {
		return e
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "404") || strings.Contains(msg, "Not Found"):
		return &Error{Kind: ErrUnreachable, Message: "no MCP server answers at this URL (HTTP 404)"}
	case strings.Contains(msg, "too large") || strings.Contains(msg, "exceeds"):
		return tooLarge()
	}
	return &Error{Kind: ErrUnreachable, Message: "the MCP server could not be reached or did not speak MCP"}
}

// isNetError reports errors that come from dialing or the connection.
func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// mcpOutput turns a tools/call result into JSON for the model: the
// structured content when there is some, else the text content (as parsed
// JSON when it is JSON).
func mcpOutput(res *mcp.CallToolResult) (json.RawMessage, error) {
	var texts []string
	for _, c := range res.Content {
		switch x := c.(type) {
		case *mcp.TextContent:
			texts = append(texts, x.Text)
		case *mcp.ImageContent:
			texts = append(texts, "[image "+x.MIMEType+"]")
		case *mcp.AudioContent:
			texts = append(texts, "[audio "+x.MIMEType+"]")
		case *mcp.EmbeddedResource:
			if x.Resource != nil && x.Resource.Text != "" {
				texts = append(texts, x.Resource.Text)
			}
		case *mcp.ResourceLink:
			texts = append(texts, "[resource "+x.URI+"]")
		}
	}
	text := strings.Join(texts, "\n")
	if res.IsError {
		if text == "" {
			text = "the tool failed"
		}
		return nil, &Error{Kind: ErrToolFailed, Message: textSnippet([]byte(text), 500)}
	}
	if res.StructuredContent != nil {
		b, err := json.Marshal(res.StructuredContent)
		if err == nil {
			if len(b) > MaxResponseBytes {
				return nil, tooLarge()
			}
			return b, nil
		}
	}
	if len(text) > MaxResponseBytes {
		return nil, tooLarge()
	}
	return outputOf([]byte(text)), nil
}
