package toolrun

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-voice/switchboard/resource"
)

// Tool types.
const (
	TypeWebhook         = "webhook"
	TypeMCP             = "mcp"
	TypeEndCall         = "end_call"
	TypeTransferCall    = "transfer_call"
	TypeKnowledgeSearch = "knowledge_search"
)

// Types lists the tool types in the order the API documents them.
var Types = []string{TypeWebhook, TypeMCP, TypeEndCall, TypeTransferCall, TypeKnowledgeSearch}

// Webhook limits and defaults.
const (
	DefaultTimeout = 5 * time.Second
	MinTimeout     = 100 * time.Millisecond
	MaxTimeout     = 30 * time.Second
	// MaxResponseBytes caps what a webhook or MCP server may answer.
	MaxResponseBytes = 256 << 10
)

// Limits on a tool's definition.
const (
	maxNameLen        = 64
	maxDescriptionLen = 2000
	maxParameters     = 16 << 10
	maxHeaders        = 20
	maxHeaderValueLen = 4 << 10
	maxURLLen         = 2048
)

// Mask replaces header values wherever a tool is shown: they usually hold
// credentials.
const Mask = "********"

// Spec is the client-settable part of a tool.
type Spec struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Type        string `json:"type"`
	// Parameters is the JSON Schema of the arguments object.
	Parameters json.RawMessage `json:"parameters"`
	Webhook    *Webhook        `json:"webhook,omitempty"`
	MCP        *MCP            `json:"mcp,omitempty"`
	Transfer   *Transfer       `json:"transfer,omitempty"`
}

// Webhook is an HTTP endpoint that runs a tool.
type Webhook struct {
	URL    string `json:"url"`
	Method string `json:"method"`
	// Headers are sent with every call; their values are secrets.
	Headers   map[string]string `json:"headers"`
	TimeoutMs int               `json:"timeoutMs"`
}

// MCP is a tool of a Model Context Protocol server.
type MCP struct {
	ServerURL string `json:"serverUrl"`
	// ToolName is the tool's name on the server; it defaults to the name
	// the agent knows it by.
	ToolName string `json:"toolName"`
	// Headers are sent with every request; their values are secrets.
	Headers   map[string]string `json:"headers"`
	TimeoutMs int               `json:"timeoutMs"`
}

// Transfer is where transfer_call sends the caller.
type Transfer struct {
	Number string `json:"number"`
}

// Timeout is the webhook's time budget, retries included.
func (w *Webhook) Timeout() time.Duration { return timeoutOf(w.TimeoutMs) }

// Timeout is the MCP call's time budget, connecting included.
func (m *MCP) Timeout() time.Duration { return timeoutOf(m.TimeoutMs) }

func timeoutOf(ms int) time.Duration {
	if ms <= 0 {
		return DefaultTimeout
	}
	return time.Duration(ms) * time.Millisecond
}

var (
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	e164RE   = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	tokenRE  = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	methods  = []string{http.MethodPost, http.MethodGet, http.MethodPut, http.MethodPatch}
	reserved = []string{"host", "content-length", "content-type", "transfer-encoding", "connection", "upgrade", "te", "trailer",
		"keep-alive", "proxy-authorization", "proxy-connection", "mcp-session-id", "mcp-protocol-version"}
)

// emptyObject is the parameters of a tool that takes none.
var emptyObject = json.RawMessage(`{"type":"object","properties":{}}`)

// KnowledgeSearchParameters are the default parameters of a
// knowledge_search tool; its runner reads "query".
var KnowledgeSearchParameters = json.RawMessage(`{"type":"object","properties":{"query":{"type":"string","description":"What to look up in the knowledge base"}},"required":["query"]}`)

// Validate checks every field, fills defaults (method POST, a 5 s timeout,
// parameters that take nothing, the MCP tool name) and reports every
// problem at once, with JSON paths relative to prefix ("" or "tools[2]").
func (s *Spec) Validate(prefix string) []resource.FieldError {
	var errs []resource.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, resource.FieldError{Field: join(prefix, field), Message: fmt.Sprintf(format, args...)})
	}
	s.Name = strings.TrimSpace(s.Name)
	switch {
	case s.Name == "":
		bad("name", "is required")
	case len(s.Name) > maxNameLen || !nameRE.MatchString(s.Name):
		bad("name", "must be 1 to %d letters, digits, underscores or hyphens (models call tools by this name)", maxNameLen)
	}
	s.Description = strings.TrimSpace(s.Description)
	if utf8.RuneCountInString(s.Description) > maxDescriptionLen {
		bad("description", "must be at most %d characters", maxDescriptionLen)
	}
	if !slices.Contains(Types, s.Type) {
		bad("type", "must be one of %s", strings.Join(Types, ", "))
	}
	if len(s.Parameters) == 0 || string(s.Parameters) == "null" {
		s.Parameters = emptyObject
		if s.Type == TypeKnowledgeSearch {
			s.Parameters = KnowledgeSearchParameters
		}
	}
	if len(s.Parameters) > maxParameters {
		bad("parameters", "must be at most %d bytes", maxParameters)
	} else if _, problems := CompileSchema(s.Parameters); len(problems) > 0 {
		for _, p := range problems {
			bad(join("parameters", p.Field), "%s", p.Message)
		}
	}
	if s.Webhook != nil && s.Type != TypeWebhook {
		bad("webhook", "is only for tools of type webhook")
	}
	if s.MCP != nil && s.Type != TypeMCP {
		bad("mcp", "is only for tools of type mcp")
	}
	if s.Transfer != nil && s.Type != TypeTransferCall {
		bad("transfer", "is only for tools of type transfer_call")
	}
	switch s.Type {
	case TypeWebhook:
		if s.Webhook == nil {
			bad("webhook", "is required for a webhook tool")
			break
		}
		w := s.Webhook
		validURL(w.URL, "webhook.url", bad)
		w.Method = strings.ToUpper(strings.TrimSpace(w.Method))
		if w.Method == "" {
			w.Method = http.MethodPost
		}
		if !slices.Contains(methods, w.Method) {
			bad("webhook.method", "must be one of %s", strings.Join(methods, ", "))
		}
		validHeaders(w.Headers, "webhook.headers", bad)
		validTimeout(&w.TimeoutMs, "webhook.timeoutMs", bad)
	case TypeMCP:
		if s.MCP == nil {
			bad("mcp", "is required for an mcp tool")
			break
		}
		m := s.MCP
		validURL(m.ServerURL, "mcp.serverUrl", bad)
		m.ToolName = strings.TrimSpace(m.ToolName)
		if m.ToolName == "" {
			m.ToolName = s.Name
		}
		if len(m.ToolName) > 128 {
			bad("mcp.toolName", "must be at most 128 characters")
		}
		validHeaders(m.Headers, "mcp.headers", bad)
		validTimeout(&m.TimeoutMs, "mcp.timeoutMs", bad)
	case TypeTransferCall:
		if s.Transfer == nil || !e164RE.MatchString(s.Transfer.Number) {
			bad("transfer.number", "is required: an E.164 number such as +15551234567")
		}
	}
	return errs
}

func validURL(raw, field string, bad func(field, format string, args ...any)) {
	u, err := url.Parse(raw)
	switch {
	case strings.TrimSpace(raw) == "":
		bad(field, "is required")
	case len(raw) > maxURLLen:
		bad(field, "must be at most %d characters", maxURLLen)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "":
		bad(field, "must be an http or https URL with a host")
	case u.User != nil:
		bad(field, "must not carry credentials; send them in headers")
	}
}

func validHeaders(h map[string]string, field string, bad func(field, format string, args ...any)) {
	if len(h) > maxHeaders {
		bad(field, "must have at most %d entries", maxHeaders)
		return
	}
	for _, k := range slices.Sorted(maps.Keys(h)) {
		v := h[k]
		switch {
		case !tokenRE.MatchString(k):
			bad(field+"."+k, "is not a valid header name")
		case slices.Contains(reserved, strings.ToLower(k)):
			bad(field+"."+k, "is set by Switchboard and cannot be overridden")
		case len(v) > maxHeaderValueLen || strings.ContainsAny(v, "\r\n\x00"):
			bad(field+"."+k, "must be a single line of at most %d bytes", maxHeaderValueLen)
		}
	}
}

func validTimeout(ms *int, field string, bad func(field, format string, args ...any)) {
	if *ms == 0 {
		*ms = int(DefaultTimeout / time.Millisecond)
	}
	if *ms < int(MinTimeout/time.Millisecond) || *ms > int(MaxTimeout/time.Millisecond) {
		bad(field, "must be from %d to %d", MinTimeout/time.Millisecond, MaxTimeout/time.Millisecond)
	}
}

func join(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}

// Masked returns a copy whose header values are replaced by Mask, for
// showing the tool to a client.
func (s Spec) Masked() Spec {
	if s.Webhook != nil {
		w := *s.Webhook
		w.Headers = maskHeaders(w.Headers)
		s.Webhook = &w
	}
	if s.MCP != nil {
		m := *s.MCP
		m.Headers = maskHeaders(m.Headers)
		s.MCP = &m
	}
	return s
}

func maskHeaders(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k := range h {
		out[k] = Mask
	}
	return out
}

// KeepMaskedHeaders lets a client send a tool it read back unchanged: a
// header value equal to Mask keeps the value stored under that name in old.
func (s *Spec) KeepMaskedHeaders(old Spec) {
	if s.Webhook != nil && old.Webhook != nil {
		unmask(s.Webhook.Headers, old.Webhook.Headers)
	}
	if s.MCP != nil && old.MCP != nil {
		unmask(s.MCP.Headers, old.MCP.Headers)
	}
}

func unmask(h, old map[string]string) {
	for k, v := range h {
		if v != Mask {
			continue
		}
		if prev, ok := old[k]; ok {
			h[k] = prev
		}
	}
}
