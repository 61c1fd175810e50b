package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/config"
	"github.com/switchboard-voice/switchboard/server/servertest"
)

type toolBody struct {
	ID          string          `json:"id"`
	AgentID     string          `json:"agentId"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Type        string          `json:"type"`
	Parameters  json.RawMessage `json:"parameters"`
	Webhook     *struct {
		URL       string            `json:"url"`
		Method    string            `json:"method"`
		Headers   map[string]string `json:"headers"`
		TimeoutMs int               `json:"timeoutMs"`
	} `json:"webhook"`
	MCP *struct {
		ServerURL string            `json:"serverUrl"`
		ToolName  string            `json:"toolName"`
		Headers   map[string]string `json:"headers"`
	} `json:"mcp"`
}

type toolTestBody struct {
	OK        bool            `json:"ok"`
	Output    json.RawMessage `json:"output"`
	LatencyMs float64         `json:"latencyMs"`
	Error     *string         `json:"error"`
}

// allowLoopback lets tools reach test servers on 127.0.0.1.
func allowLoopback(c *config.Config) { c.Egress.Allow = []string{"127.0.0.1/32"} }

func makeAgent(t testing.TB, n *servertest.Node, key string, body map[string]any) string {
	t.Helper()
	res := n.Do("POST", "/v1/agents", key, body)
	if res.Status != http.StatusCreated {
		t.Fatalf("create agent: %d %s", res.Status, res.Body)
	}
	var a struct{ ID string }
	res.JSON(t, &a)
	return a.ID
}

func createTool(t testing.TB, n *servertest.Node, key, agentID string, body map[string]any) toolBody {
	t.Helper()
	res := n.Do("POST", "/v1/agents/"+agentID+"/tools", key, body)
	if res.Status != http.StatusCreated {
		t.Fatalf("create tool %v: %d %s", body["name"], res.Status, res.Body)
	}
	var tb toolBody
	res.JSON(t, &tb)
	return tb
}

func testTool(t testing.TB, n *servertest.Node, key, agentID, toolID string, args any) toolTestBody {
	t.Helper()
	res := n.Do("POST", "/v1/agents/"+agentID+"/tools/"+toolID+"/test", key, map[string]any{"arguments": args})
	if res.Status != http.StatusOK {
		t.Fatalf("test tool: %d %s", res.Status, res.Body)
	}
	var out toolTestBody
	res.JSON(t, &out)
	return out
}

// bookingParams keeps its properties in the order the agent asks for them.
var bookingParams = json.RawMessage(`{"type":"object","properties":{
	"date":{"type":"string","format":"date","description":"Appointment date"},
	"time":{"type":"string","description":"Appointment time"},
	"name":{"type":"string","description":"Caller's full name"}},
	"required":["date","time","name"]}`)

func webhookTool(name, url string, timeoutMs int, headers map[string]string) map[string]any {
	wh := map[string]any{"url": url, "timeoutMs": timeoutMs}
	if headers != nil {
		wh["headers"] = headers
	}
	return map[string]any{"name": name, "description": "Books an appointment for the caller.", "type": "webhook",
		"parameters": bookingParams, "webhook": wh}
}

// recorder is a webhook endpoint that keeps what it received.
type recorder struct {
	mu     sync.Mutex // guards bodies and auth
	bodies []map[string]any
	auth   []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var body map[string]any
	_ = json.NewDecoder(req.Body).Decode(&body)
	r.mu.Lock()
	r.bodies = append(r.bodies, body)
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"status":"confirmed","confirmationNumber":"BK42"}`)
}

func (r *recorder) received() ([]map[string]any, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.bodies...), append([]string(nil), r.auth...)
}

func TestToolCRUDValidationAndSecrets(t *testing.T) {
	rec := &recorder{}
	hook := httptest.NewServer(rec)
	t.Cleanup(hook.Close)
	n := servertest.Start(t, allowLoopback)
	agentID := makeAgent(t, n, n.AdminKey, map[string]any{"name": "Dental"})

	created := createTool(t, n, n.AdminKey, agentID, webhookTool("book_appointment", hook.URL, 0, map[string]string{"Authorization": "Bearer s3cret-value"}))
	if !strings.HasPrefix(created.ID, "tool_") || created.AgentID != agentID || created.Webhook.Method != "POST" || created.Webhook.TimeoutMs != 5000 {
		t.Fatalf("created tool: %+v", created)
	}
	res := n.Do("GET", "/v1/agents/"+agentID+"/tools/"+created.ID, n.AdminKey, nil)
	if strings.Contains(string(res.Body), "s3cret") {
		t.Fatalf("GET shows the header secret: %s", res.Body)
	}
	var got toolBody
	res.JSON(t, &got)
	if got.Webhook.Headers["Authorization"] != "********" {
		t.Fatalf("header not masked: %s", res.Body)
	}
	res = n.Do("GET", "/v1/agents/"+agentID+"/tools", n.AdminKey, nil)
	var page listBody[toolBody]
	res.JSON(t, &page)
	if len(page.Data) != 1 || page.Data[0].ID != created.ID || strings.Contains(string(res.Body), "s3cret") {
		t.Fatalf("list: %s", res.Body)
	}

	// Sending the masked value back keeps the secret; the test call proves
	// the webhook still receives it.
	res = n.Do("PUT", "/v1/agents/"+agentID+"/tools/"+created.ID, n.AdminKey, map[string]any{
		"description": "Books a dental appointment.",
		"webhook":     map[string]any{"headers": map[string]string{"Authorization": "********"}, "timeoutMs": 2000},
	})
	if res.Status != http.StatusOK || strings.Contains(string(res.Body), "s3cret") {
		t.Fatalf("update: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &got)
	if got.Description != "Books a dental appointment." || got.Webhook.TimeoutMs != 2000 || got.Webhook.URL != hook.URL {
		t.Fatalf("update merged wrongly: %s", res.Body)
	}
	out := testTool(t, n, n.AdminKey, agentID, created.ID, map[string]any{"date": "2030-01-02", "time": "09:00", "name": "Ann"})
	if !out.OK || !strings.Contains(string(out.Output), "BK42") || out.LatencyMs <= 0 {
		t.Fatalf("test call: %+v", out)
	}
	bodies, auth := rec.received()
	if len(bodies) != 1 || bodies[0]["name"] != "Ann" || auth[0] != "Bearer s3cret-value" {
		t.Fatalf("webhook received %v with auth %q", bodies, auth)
	}

	invalid := []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"no name, bad type", map[string]any{"type": "carrier_pigeon"}, []string{"name", "type"}},
		{"bad name", map[string]any{"name": "book appointment!", "type": "end_call"}, []string{"name"}},
		{"webhook without url", map[string]any{"name": "x", "type": "webhook", "webhook": map[string]any{"method": "DELETE", "timeoutMs": 60000}},
			[]string{"webhook.url", "webhook.method", "webhook.timeoutMs"}},
		{"webhook missing", map[string]any{"name": "x", "type": "webhook"}, []string{"webhook"}},
		{"wrong section", map[string]any{"name": "x", "type": "end_call", "mcp": map[string]any{"serverUrl": "https://mcp.example.com/mcp"}}, []string{"mcp"}},
		{"schema keyword of the wrong type", map[string]any{"name": "x", "type": "end_call",
			"parameters": map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "strng"}}, "required": "a"}},
			[]string{"parameters.properties.a.type", "parameters.required"}},
		{"schema not of an object", map[string]any{"name": "x", "type": "end_call", "parameters": map[string]any{"type": "string"}}, []string{"parameters.type"}},
		{"external ref", map[string]any{"name": "x", "type": "end_call", "parameters": map[string]any{"type": "object", "$ref": "file:///etc/passwd"}}, []string{"parameters.$ref"}},
		{"transfer without number", map[string]any{"name": "x", "type": "transfer_call"}, []string{"transfer.number"}},
		{"header injection", map[string]any{"name": "x", "type": "webhook", "webhook": map[string]any{"url": hook.URL, "headers": map[string]string{"X-A": "a\r\nHost: evil"}}},
			[]string{"webhook.headers.X-A"}},
		{"duplicate name", webhookTool("book_appointment", hook.URL, 0, nil), []string{"name"}},
		{"unknown field", map[string]any{"name": "x", "type": "end_call", "colour": "red"}, []string{"colour"}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			res := n.With(t).Do("POST", "/v1/agents/"+agentID+"/tools", n.AdminKey, tt.body)
			e := res.Err(t)
			if res.Status != http.StatusBadRequest || e.Code != "VALIDATION_ERROR" {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
			var fields []string
			for _, d := range e.Details {
				fields = append(fields, d.Field)
			}
			for _, f := range tt.fields {
				if !strings.Contains(","+strings.Join(fields, ",")+",", ","+f+",") {
					t.Fatalf("no detail for %s in %s", f, res.Body)
				}
			}
		})
	}

	res = n.Do("DELETE", "/v1/agents/"+agentID+"/tools/"+created.ID, n.AdminKey, nil)
	if res.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	if res = n.Do("GET", "/v1/agents/"+agentID+"/tools/"+created.ID, n.AdminKey, nil); res.Status != http.StatusNotFound {
		t.Fatalf("deleted tool: %d %s", res.Status, res.Body)
	}
	// Tools survive a restart.
	kept := createTool(t, n, n.AdminKey, agentID, map[string]any{"name": "hang_up", "type": "end_call"})
	n.Restart()
	if res = n.Do("GET", "/v1/agents/"+agentID+"/tools/"+kept.ID, n.AdminKey, nil); res.Status != http.StatusOK {
		t.Fatalf("tool after restart: %d %s", res.Status, res.Body)
	}
}

func TestToolsAreIsolatedByOrganization(t *testing.T) {
	n := servertest.Start(t, allowLoopback)
	other := n.CreateOrg("Other")
	agentID := makeAgent(t, n, n.AdminKey, map[string]any{"name": "Mine"})
	tl := createTool(t, n, n.AdminKey, agentID, map[string]any{"name": "hang_up", "type": "end_call"})
	base := "/v1/agents/" + agentID + "/tools"
	for _, tt := range []struct {
		method, path string
		body         any
	}{
		{"POST", base, map[string]any{"name": "x", "type": "end_call"}},
		{"GET", base, nil},
		{"GET", base + "/" + tl.ID, nil},
		{"PUT", base + "/" + tl.ID, map[string]any{"description": "stolen"}},
		{"DELETE", base + "/" + tl.ID, nil},
		{"POST", base + "/" + tl.ID + "/test", map[string]any{"arguments": map[string]any{}}},
		{"POST", base + "/discover-mcp", map[string]any{"serverUrl": "https://mcp.example.com/mcp"}},
		{"POST", "/v1/agents/" + agentID + "/chat", map[string]any{"message": "hello"}},
		{"POST", "/v1/agents/" + agentID + "/speak", map[string]any{"text": "hello"}},
	} {
		res := n.Do(tt.method, tt.path, other, tt.body)
		if e := res.Err(t); res.Status != http.StatusNotFound || e.Code != "NOT_FOUND" {
			t.Fatalf("%s %s as another org: %d %s", tt.method, tt.path, res.Status, res.Body)
		}
	}
	res := n.Do("GET", base+"/"+tl.ID, n.AdminKey, nil)
	var got toolBody
	res.JSON(t, &got)
	if res.Status != http.StatusOK || got.Description != "" {
		t.Fatalf("owner's tool after the other org's attempts: %d %s", res.Status, res.Body)
	}
}

// failingHooks serves every way a webhook can go wrong.
func failingHooks(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var fiveHundreds atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		// Never answers: net/http notices the caller giving up once the
		// body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) {
		fiveHundreds.Add(1)
		http.Error(w, "database is down", http.StatusInternalServerError)
	})
	mux.HandleFunc("/404", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such booking service", http.StatusNotFound)
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		// An endless body: the caller must stop reading, not hang or fill memory.
		chunk := []byte(strings.Repeat("x", 32<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":"confirmed","confirmationNumber":"BK42"}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &fiveHundreds
}

func TestWebhookFailuresAreReportedToTheConversation(t *testing.T) {
	hooks, fiveHundreds := failingHooks(t)
	n := servertest.Start(t, allowLoopback)
	strictTime := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"date": map[string]any{"type": "string", "description": "Appointment date"},
			"time": map[string]any{"type": "string", "description": "Appointment time", "pattern": "^[0-9]{2}:[0-9]{2}:[0-9]{2}$"},
			"name": map[string]any{"type": "string", "description": "Caller's full name", "minLength": 20},
		},
		"required": []string{"date", "time", "name"},
	}
	tests := []struct {
		name, path string
		params     map[string]any
		timeoutMs  int
		want       string
	}{
		{name: "arguments fail the schema", path: "/ok", params: strictTime,
			want: `invalid arguments: name: minLength: got 9, want 20; time: '15:00' does not match pattern '^[0-9]{2}:[0-9]{2}:[0-9]{2}$'`},
		{name: "timeout", path: "/slow", timeoutMs: 300, want: "the tool did not answer within 300ms"},
		{name: "server error", path: "/500", want: "the webhook answered HTTP 500: database is down"},
		{name: "not found", path: "/404", want: "the webhook answered HTTP 404: no such booking service"},
		{name: "huge response", path: "/huge", want: "the response is larger than 256 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := n.With(t)
			agentID := makeAgent(t, n, n.AdminKey, map[string]any{"name": "Booker " + tt.name})
			body := webhookTool("book_appointment", hooks.URL+tt.path, tt.timeoutMs, nil)
			if tt.params != nil {
				body["parameters"] = tt.params
			}
			createTool(t, n, n.AdminKey, agentID, body)
			before := fiveHundreds.Load()
			res := chat(t, n, n.AdminKey, agentID, map[string]any{"message": "Can I book an appointment for 2030-03-15 at 3pm? My name is Ana Lopez."})
			if len(res.ToolCalls) != 1 || res.ToolCalls[0].Name != "book_appointment" || res.ToolCalls[0].Error == nil {
				t.Fatalf("tool calls: %+v", res.ToolCalls)
			}
			if got := *res.ToolCalls[0].Error; got != tt.want {
				t.Fatalf("error %q; want %q", got, tt.want)
			}
			if string(res.ToolCalls[0].Output) != "null" {
				t.Fatalf("failed call has output %s", res.ToolCalls[0].Output)
			}
			// The agent apologises instead of confirming.
			if strings.Contains(res.Reply, "confirmation") || !strings.Contains(strings.ToLower(res.Reply), "sorry") {
				t.Fatalf("reply after a failed tool: %q", res.Reply)
			}
			if tt.path == "/500" {
				if got := fiveHundreds.Load() - before; got != 3 {
					t.Fatalf("a 5xx webhook was tried %d times; want 3 (two retries)", got)
				}
			}
		})
	}
	t.Run("test endpoint lists every violation", func(t *testing.T) {
		n := n.With(t)
		agentID := makeAgent(t, n, n.AdminKey, map[string]any{"name": "Validator"})
		tl := createTool(t, n, n.AdminKey, agentID, webhookTool("book_appointment", hooks.URL+"/ok", 0, nil))
		out := testTool(t, n, n.AdminKey, agentID, tl.ID, map[string]any{"date": 5, "extra": true})
		if out.OK || out.Error == nil || string(out.Output) != "null" {
			t.Fatalf("invalid arguments ran: %+v", out)
		}
		for _, want := range []string{"invalid arguments", "date: got number, want string", "missing properties 'time', 'name'"} {
			if !strings.Contains(*out.Error, want) {
				t.Fatalf("error %q lacks %q", *out.Error, want)
			}
		}
	})
}

// TestEgressGuard aims a webhook tool, an MCP server and URL ingest at
// private addresses: directly, through a DNS name and through a redirect.
func TestEgressGuard(t *testing.T) {
	rec := &recorder{}
	hook := httptest.NewServer(rec)
	t.Cleanup(hook.Close)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)
	port := hook.URL[strings.LastIndexByte(hook.URL, ':')+1:]

	const refused = "private, loopback or link-local address"
	check := func(t *testing.T, n *servertest.Node, targets []string, wantRefused bool) {
		agentID := makeAgent(t, n, n.AdminKey, map[string]any{"name": "Guarded"})
		for i, u := range targets {
			tl := createTool(t, n, n.AdminKey, agentID, webhookTool("hook_"+strconv.Itoa(i), u, 1000, nil))
			out := testTool(t, n, n.AdminKey, agentID, tl.ID, map[string]any{"date": "2030-01-02", "time": "09:00", "name": "Ann"})
			switch {
			case wantRefused && (out.OK || out.Error == nil || !strings.Contains(*out.Error, refused) || !strings.Contains(*out.Error, "SWITCHBOARD_EGRESS_ALLOW")):
				t.Fatalf("webhook %s: %+v", u, out)
			case !wantRefused && !out.OK:
				t.Fatalf("webhook %s refused although allowed: %s", u, *out.Error)
			}
			res := n.Do("POST", "/v1/agents/"+agentID+"/tools/discover-mcp", n.AdminKey, map[string]any{"serverUrl": u, "timeoutMs": 1000})
			if wantRefused {
				e := res.Err(t)
				if res.Status != http.StatusBadRequest || len(e.Details) != 1 || e.Details[0].Field != "serverUrl" || !strings.Contains(e.Details[0].Message, refused) {
					t.Fatalf("discover %s: %d %s", u, res.Status, res.Body)
				}
			}
		}
	}
	t.Run("refused by default", func(t *testing.T) {
		n := servertest.Start(t, nil)
		check(t, n, []string{hook.URL, "http://localhost:" + port + "/", "http://10.0.0.1/book", "http://169.254.169.254/latest/meta-data/", "http://[::1]:" + port + "/"}, true)
		if bodies, _ := rec.received(); len(bodies) != 0 {
			t.Fatalf("a refused webhook was called: %v", bodies)
		}
	})
	t.Run("allowed ranges only", func(t *testing.T) {
		n := servertest.Start(t, allowLoopback)
		check(t, n, []string{hook.URL}, false)
		// Allowing loopback does not open the rest: a redirect from the
		// allowed server to the metadata address is refused.
		check(t, n, []string{redirect.URL + "/go", "http://10.0.0.1/book"}, true)
		col := createCollection(t, n, n.AdminKey, "Web")
		for _, u := range []string{redirect.URL + "/page", "http://10.0.0.1/page"} {
			res := n.Do("POST", "/v1/collections/"+col.ID+"/ingest", n.AdminKey, map[string]any{"documents": []map[string]any{{"type": "url", "url": u}}})
			e := res.Err(t)
			if res.Status != http.StatusBadRequest || len(e.Details) != 1 || !strings.Contains(e.Details[0].Message, "SWITCHBOARD_EGRESS_ALLOW") {
				t.Fatalf("ingest %s: %d %s", u, res.Status, res.Body)
			}
		}
	})
}

// mcpEverything starts the reference MCP server on a loopback port and
// returns its endpoint.
func mcpEverything(t *testing.T, mode string) string {
	t.Helper()
	entry, err := filepath.Abs(filepath.Join("..", "tools", "node", "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js"))
	if err != nil {
		t.Fatal(err)
	}
	node, lookErr := exec.LookPath("node")
	if _, err := os.Stat(entry); err != nil || lookErr != nil {
		if os.Getenv("SWITCHBOARD_REQUIRE_TOOLS") != "" {
			t.Fatalf("MCP reference server not installed (npm install in tools/node): %v %v", err, lookErr)
		}
		t.Skip("MCP reference server not installed; run npm install in tools/node")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(node, entry, mode)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("MCP server did not listen on %s", addr)
		}
		time.Sleep(50 * time.Millisecond) // polling for the server to listen
	}
	if mode == "sse" {
		return "http://" + addr + "/sse"
	}
	return "http://" + addr + "/mcp"
}

type discoverBody struct {
	Transport string `json:"transport"`
	Tools     []struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		InputSchema json.RawMessage `json:"inputSchema"`
	} `json:"tools"`
	Imported []toolBody `json:"imported"`
	Skipped  []struct {
		Name, Reason string
	} `json:"skipped"`
}

func TestMCPDiscoveryImportAndCalls(t *testing.T) {
	endpoint := mcpEverything(t, "streamableHttp")
	n := servertest.Start(t, allowLoopback)
	agentID := makeAgent(t, n, n.AdminKey, map[string]any{"name": "MCP agent"})
	base := "/v1/agents/" + agentID + "/tools"

	res := n.Do("POST", base+"/discover-mcp", n.AdminKey, map[string]any{"serverUrl": endpoint})
	if res.Status != http.StatusOK {
		t.Fatalf("discover: %d %s", res.Status, res.Body)
	}
	var d discoverBody
	res.JSON(t, &d)
	names := map[string]bool{}
	for _, tl := range d.Tools {
		names[tl.Name] = true
	}
	if d.Transport != "streamable-http" || !names["echo"] || !names["get-sum"] || len(d.Imported) != 0 {
		t.Fatalf("discover: %s", res.Body)
	}
	if res := n.Do("GET", base, n.AdminKey, nil); strings.Contains(string(res.Body), "tool_") {
		t.Fatalf("discover without import created tools: %s", res.Body)
	}

	res = n.Do("POST", base+"/discover-mcp", n.AdminKey, map[string]any{"serverUrl": endpoint, "import": true, "toolNames": []string{"echo", "get-sum"},
		"headers": map[string]string{"X-Api-Key": "mcp-secret"}})
	res.JSON(t, &d)
	if res.Status != http.StatusOK || len(d.Imported) != 2 || strings.Contains(string(res.Body), "mcp-secret") {
		t.Fatalf("import: %d %s", res.Status, res.Body)
	}
	byName := map[string]toolBody{}
	for _, tl := range d.Imported {
		byName[tl.Name] = tl
	}
	echo, sum := byName["echo"], byName["get-sum"]
	if echo.Type != "mcp" || echo.MCP.ToolName != "echo" || echo.MCP.Headers["X-Api-Key"] != "********" || sum.MCP.ServerURL != endpoint {
		t.Fatalf("imported tools: %+v", d.Imported)
	}
	// Importing again would duplicate names: nothing is created.
	res = n.Do("POST", base+"/discover-mcp", n.AdminKey, map[string]any{"serverUrl": endpoint, "import": true, "toolNames": []string{"echo"}})
	if e := res.Err(t); res.Status != http.StatusBadRequest || e.Details[0].Field != "tools[0].name" {
		t.Fatalf("second import: %d %s", res.Status, res.Body)
	}

	out := testTool(t, n, n.AdminKey, agentID, echo.ID, map[string]any{"message": "hello from switchboard"})
	if !out.OK || !strings.Contains(string(out.Output), "hello from switchboard") {
		t.Fatalf("echo: %+v %s", out, out.Output)
	}
	out = testTool(t, n, n.AdminKey, agentID, sum.ID, map[string]any{"a": 19, "b": 23})
	if !out.OK || !strings.Contains(string(out.Output), "42") {
		t.Fatalf("get-sum: %+v %s", out, out.Output)
	}
	// Arguments are checked against the server's schema before the call.
	out = testTool(t, n, n.AdminKey, agentID, sum.ID, map[string]any{"a": "nineteen"})
	if out.OK || out.Error == nil || !strings.Contains(*out.Error, "invalid arguments") || !strings.Contains(*out.Error, "missing property 'b'") || !strings.Contains(*out.Error, "a: got string, want number") {
		t.Fatalf("get-sum with bad arguments: %+v %v", out, deref(out.Error))
	}
	// A tool the server does not have answers isError (or a protocol error).
	ghost := createTool(t, n, n.AdminKey, agentID, map[string]any{"name": "ghost", "type": "mcp", "mcp": map[string]any{"serverUrl": endpoint, "toolName": "no-such-tool"}})
	out = testTool(t, n, n.AdminKey, agentID, ghost.ID, map[string]any{})
	if out.OK || out.Error == nil || !strings.Contains(*out.Error, "no-such-tool") {
		t.Fatalf("unknown MCP tool: %+v", out)
	}

	// A chat turn reaches the echo tool through the built-in engine's
	// intent matching: it asks for the message, then calls.
	first := chat(t, n, n.AdminKey, agentID, map[string]any{"message": "Please echo something for me"})
	if len(first.ToolCalls) != 0 || !strings.Contains(strings.ToLower(first.Reply), "message") {
		t.Fatalf("first turn: %+v", first)
	}
	second := chat(t, n, n.AdminKey, agentID, map[string]any{"message": "good morning switchboard", "conversationId": first.ConversationID})
	if len(second.ToolCalls) != 1 || second.ToolCalls[0].Name != "echo" || second.ToolCalls[0].Error != nil ||
		!strings.Contains(string(second.ToolCalls[0].Output), "good morning switchboard") {
		t.Fatalf("second turn: %+v", second)
	}
}

func TestMCPOverLegacySSE(t *testing.T) {
	endpoint := mcpEverything(t, "sse")
	n := servertest.Start(t, allowLoopback)
	agentID := makeAgent(t, n, n.AdminKey, map[string]any{"name": "SSE agent"})
	res := n.Do("POST", "/v1/agents/"+agentID+"/tools/discover-mcp", n.AdminKey, map[string]any{"serverUrl": endpoint, "import": true, "toolNames": []string{"echo"}})
	var d discoverBody
	res.JSON(t, &d)
	if res.Status != http.StatusOK || d.Transport != "sse" || len(d.Imported) != 1 {
		t.Fatalf("discover over SSE: %d %s", res.Status, res.Body)
	}
	out := testTool(t, n, n.AdminKey, agentID, d.Imported[0].ID, map[string]any{"message": "over sse"})
	if !out.OK || !strings.Contains(string(out.Output), "over sse") {
		t.Fatalf("echo over SSE: %+v", out)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
